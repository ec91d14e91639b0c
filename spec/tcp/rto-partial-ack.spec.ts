/**
 * A path dead for a few RTOs, then a partial ACK (lab 3's control channel): what each stack
 * does with the rest of the data, with cwnd/ssthresh and the RTT estimator.
 */
import { expect } from 'chai';
import { MS, SEC, type Time } from '../../lib/sim/time.ts';
import { seqAdd, seqDiff } from '../../lib/wire/seq.ts';
import type { TcpProfile } from '../../modules/tcp/profile.ts';
import { tuneProfile } from '../../modules/tcp/profile.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { A, B, openPair, type Pair } from './support/conn.ts';
import { TestNet, bytes, type Captured } from './support/net.ts';

const linux = tuneProfile(linuxProfile, { quickAckSegments: 0 });

/** A pair whose path drops everything in [from, to) (times relative to the returned t0). */
function outage(prof: TcpProfile, from: Time, to: Time): { net: TestNet; p: Pair; t0: Time } {
  const net = new TestNet();
  const a = net.addHost(A, prof);
  const b = net.addHost(B, prof);
  const p = openPair(net, a, b);
  p.client.setNoDelay(true, net.now);
  net.run(100 * MS);
  net.clearLog();
  const t0 = net.now;
  net.dropIf = (c) => c.t >= t0 + from && c.t < t0 + to;
  return { net, p, t0 };
}

function dataFrom(net: TestNet, src: string): Captured[] {
  return net.from(src).filter((c) => c.seg.payload.length > 0);
}

describe('tcp: RTO recovery after an outage, then a partial ACK', () => {
  for (const prof of [linux, freebsdProfile]) {
    it(`${prof.name}: resends the rest in slow start as soon as the partial ACK opens cwnd (RFC 5681 §3.1, RFC 6582 recover after RTO)`, () => {
      const { net, p, t0 } = outage(prof, 0, 2500 * MS);
      const mss = p.client.sndMss;
      const iss = p.client.sndUna;
      p.client.send(bytes(8 * mss), net.now);
      // Each RTO resends one segment from SND.UNA; the fourth (after the outage) gets through.
      const ok = net.runUntil(() => seqDiff(p.client.sndUna, iss) > 0, 10 * SEC);
      expect(ok).to.equal(true);
      const at = net.now;
      expect(p.client.cc.ssthresh, 'ssthresh = FlightSize/2 at the first RTO').to.equal(4 * mss);
      expect(p.client.cc.cwnd, 'one segment + one acked in slow start').to.equal(2 * mss);
      const sent = dataFrom(net, A).filter((c) => c.t >= at);
      expect(sent.map((c) => seqDiff(c.seg.seq, iss))).to.deep.equal([mss, 2 * mss]);
      expect(sent.every((c) => c.t === at)).to.equal(true);
      // The ACK echoed the retransmission's timestamp: a sample of the real RTT.
      expect(p.client.rtt.srtt).to.be.below(20 * MS);
      expect(p.client.rtt.backoff).to.equal(0);
      net.run(500 * MS);
      expect(p.s.received.length).to.equal(8 * mss);
      expect(seqDiff(p.client.sndUna, iss)).to.equal(8 * mss);
      expect(net.now - t0).to.be.below(4 * SEC);
    });
  }

  /*
   * Lab 3's case: 30 bytes delivered but their ACK lost, 58 more lost; every RTO resends the
   * 88 bytes as one segment; after the outage the peer's next segment ACKs the 30 and echoes
   * the pre-outage TSval. The 58 are in flight (the last retransmission) on both stacks, so
   * neither resends them at once; they differ in what the ACK does to the timer.
   */
  function lab3Case(prof: TcpProfile) {
    const { net, p, t0 } = outage(prof, 2 * MS, 2500 * MS);
    const iss = p.client.sndUna;
    p.client.send(bytes(30), net.now);
    net.run(2 * MS);
    p.client.send(bytes(58, 9), net.now);
    net.run(2600 * MS - (net.now - t0));
    const srtt = p.client.rtt.srtt;
    const backoff = p.client.rtt.backoff;
    const rtoAt = p.client.rtoAt;
    expect(backoff).to.be.at.least(3);
    // The peer speaks again: its segment ACKs the 30 bytes it got before the outage.
    p.server.send(bytes(10), net.now);
    net.runUntil(() => seqDiff(p.client.sndUna, iss) > 0, 10 * MS);
    expect(seqDiff(p.client.sndUna, iss)).to.equal(30);
    expect(p.client.sndMax).to.equal(seqAdd(iss, 88));
    return { net, p, t0, iss, srtt, backoff, rtoAt, ackAt: net.now };
  }

  it('linux: an ACK inside the retransmitted segment takes no RTT sample and leaves the backed-off timer running (tcp_clean_rtx_queue keeps a one-packet skb it only partly covers)', () => {
    const { net, p, iss, srtt, backoff, rtoAt, ackAt } = lab3Case(linux);
    expect(p.client.rtt.srtt, 'no sample from the pre-outage echo').to.equal(srtt);
    expect(p.client.rtt.backoff).to.equal(backoff);
    expect(p.client.rtoAt, 'the timer set at the last retransmission').to.equal(rtoAt);
    expect(p.client.retransmits, 'icsk_retransmits = 0 once SND.UNA moves').to.equal(0);
    net.run(rtoAt - net.now + 5 * MS);
    const resent = dataFrom(net, A).filter((c) => c.t > ackAt);
    expect(resent.map((c) => [seqDiff(c.seg.seq, iss), c.seg.payload.length])).to.deep.equal([[30, 58]]);
    expect(resent[0]!.t).to.equal(rtoAt);
    expect(p.s.received.length).to.equal(88);
  });

  it('freebsd: the same ACK is timed by its echo (tcp_xmit_timer) and restarts the timer from the new RTO', () => {
    const { net, p, iss, srtt, rtoAt, ackAt } = lab3Case(freebsdProfile);
    // The echo is of the 30-byte segment's first transmission, 2.6 s ago.
    expect(p.client.rtt.srtt).to.be.above(srtt + 300 * MS);
    expect(p.client.rtt.backoff).to.equal(0);
    expect(p.client.rtoAt).to.equal(ackAt + p.client.rtt.rto(freebsdProfile));
    expect(p.client.rtoAt).to.be.above(rtoAt);
    net.run(p.client.rtoAt - net.now + 5 * MS);
    const resent = dataFrom(net, A).filter((c) => c.t > ackAt);
    expect(resent.map((c) => [seqDiff(c.seg.seq, iss), c.seg.payload.length])).to.deep.equal([[30, 58]]);
    expect(p.s.received.length).to.equal(88);
  });
});
