import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seqDiff } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { tuneProfile } from '../../modules/tcp/profile.ts';
import { RttEstimator } from '../../modules/tcp/rtt.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import { A, B, openPair } from './support/conn.ts';
import { TestNet, bytes } from './support/net.ts';

const quiet = tuneProfile(linuxProfile, { quickAckSegments: 0 });

describe('tcp retransmission timer (RFC 6298)', () => {
  it('starts SRTT = R, RTTVAR = R/2 and RTO = SRTT + max(G, 4*RTTVAR) on the first sample (§2.2)', () => {
    const r = new RttEstimator(1 * SEC);
    r.sample(100 * MS, freebsdProfile);
    expect(r.srtt).to.equal(100 * MS);
    expect(r.rttvar).to.equal(50 * MS);
    // FreeBSD adds its 200 ms slop.
    expect(r.rto(freebsdProfile)).to.equal(100 * MS + 200 * MS + 200 * MS);
  });

  it('adds FreeBSD rexmit_slop after the backoff, not before it (TCPT_RANGESET of REXMTVAL * tcp_backoff[shift])', () => {
    const r = new RttEstimator(1 * SEC);
    r.sample(100 * MS, freebsdProfile);
    r.backOff(freebsdProfile);
    expect(r.rto(freebsdProfile)).to.equal(2 * 300 * MS + 200 * MS);
    r.backOff(freebsdProfile);
    expect(r.rto(freebsdProfile)).to.equal(4 * 300 * MS + 200 * MS);
  });

  it('leaves the slop off the initial RTO that no sample or expiry has set yet', () => {
    const r = new RttEstimator(1 * SEC);
    expect(r.rto(freebsdProfile)).to.equal(1 * SEC);
    r.backOff(freebsdProfile);
    expect(r.rto(freebsdProfile)).to.equal(2 * SEC + 200 * MS);
  });

  it('smooths later samples with alpha 1/8 and beta 1/4 (§2.3)', () => {
    const r = new RttEstimator(1 * SEC);
    r.sample(100 * MS, linuxProfile);
    r.sample(200 * MS, linuxProfile);
    expect(r.rttvar).to.be.closeTo(0.75 * 50 * MS + 0.25 * 100 * MS, 1);
    expect(r.srtt).to.be.closeTo(0.875 * 100 * MS + 0.125 * 200 * MS, 1);
  });

  it('bounds the RTO below by rtoMin (Linux: as a floor of the variance term) and above by rtoMax', () => {
    const r = new RttEstimator(1 * SEC);
    r.sample(1 * MS, linuxProfile);
    expect(r.rto(linuxProfile)).to.equal(1 * MS + 200 * MS);
    for (let i = 0; i < 20; i++) r.backOff(linuxProfile);
    expect(r.rto(linuxProfile)).to.equal(120 * SEC);
  });

  it('retransmits the first unacknowledged segment after the RTO and doubles it each time (§5.4-5.5)', () => {
    const net = new TestNet();
    const a = net.addHost(A, quiet);
    const b = net.addHost(B, quiet);
    const p = openPair(net, a, b);
    net.clearLog();
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0;
    const t0 = net.now;
    p.client.send(bytes(100), net.now);
    net.run(5 * SEC);
    const times = net.from(A).filter((c) => c.seg.payload.length > 0).map((c) => Math.round((c.t - t0) / MS));
    const rto = Math.round(p.client.rtt.base / MS);
    expect(times.slice(0, 4)).to.deep.equal([0, rto, 3 * rto, 7 * rto]);
    expect(a.mib.TCPTimeouts).to.equal(times.length - 1);
    expect(p.client.info().caState).to.equal('loss');
  });

  it('ends the backoff on a new RTT sample and resumes normal sending (Karn, §5.7)', () => {
    const net = new TestNet();
    const a = net.addHost(A, quiet);
    const b = net.addHost(B, quiet);
    const p = openPair(net, a, b);
    let drops = 3;
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0 && drops-- > 0;
    p.client.send(bytes(100), net.now);
    net.run(10 * SEC);
    expect(p.s.received.length).to.equal(100);
    expect(p.client.rtt.backoff).to.equal(0);
    expect(p.client.retransmits).to.equal(0);
  });

  it('does not time a retransmitted segment without timestamps (Karn\'s rule)', () => {
    const prof = tuneProfile(quiet, { timestamps: false });
    const net = new TestNet();
    const a = net.addHost(A, prof);
    const b = net.addHost(B, prof);
    const p = openPair(net, a, b);
    const srtt = p.client.rtt.srtt;
    let drops = 1;
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0 && drops-- > 0;
    p.client.send(bytes(100), net.now);
    net.run(5 * SEC);
    expect(p.s.received.length).to.equal(100);
    // The only ACK covered a retransmission: no sample was taken, SRTT is unchanged.
    expect(p.client.rtt.srtt).to.equal(srtt);
  });

  it('drops the connection with ETIMEDOUT after tcp_retries2 retransmissions', () => {
    const net = new TestNet();
    const a = net.addHost(A, tuneProfile(quiet, { maxRetries: 3 }));
    const b = net.addHost(B, quiet);
    const p = openPair(net, a, b);
    net.dropIf = (c) => c.src === ipv4(A);
    p.client.send(bytes(100), net.now);
    net.run(60 * SEC);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    expect(p.c.errors).to.deep.equal(['ETIMEDOUT']);
    expect(a.mib.TCPAbortOnTimeout).to.equal(1);
  });

  it('gives up a connect after TCP_SYNCNT SYN retransmissions', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    net.addHost(B);
    net.dropIf = () => true;
    const ep = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80, setup: (e) => (e.synRetries = 2) }, 0);
    net.run(30 * SEC);
    expect(net.from(A, TcpFlag.SYN)).to.have.length(3);
    expect(typeof ep !== 'string' && ep.state).to.equal(TcpState.CLOSED);
  });

  it('drops after TCP_USER_TIMEOUT of unacknowledged data, whatever the retry count', () => {
    const net = new TestNet();
    const a = net.addHost(A, quiet);
    const b = net.addHost(B, quiet);
    const p = openPair(net, a, b);
    p.client.userTimeout = 2 * SEC;
    net.dropIf = (c) => c.src === ipv4(A);
    const t0 = net.now;
    p.client.send(bytes(100), net.now);
    net.runUntil(() => p.client.state === TcpState.CLOSED, 60 * SEC);
    expect(p.c.errors).to.deep.equal(['ETIMEDOUT']);
    expect(net.now - t0).to.be.within(2 * SEC, 5 * SEC);
  });

  it('retransmits a lost FIN', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    let drops = 1;
    net.dropIf = (c) => (c.seg.flags & TcpFlag.FIN) !== 0 && drops-- > 0;
    p.client.close(net.now);
    net.run(2 * SEC);
    expect(net.from(A, TcpFlag.FIN)).to.have.length(2);
    expect(p.client.state).to.equal(TcpState.FIN_WAIT_2);
  });
});

describe('tcp fast retransmit and recovery', () => {
  function lossyPair(profile = quiet) {
    const net = new TestNet();
    const a = net.addHost(A, profile);
    const b = net.addHost(B, profile);
    const p = openPair(net, a, b);
    p.client.setSendBuffer(1 << 20);
    net.clearLog();
    return { net, a, b, p };
  }

  it('retransmits on the third duplicate ACK, before the RTO (RFC 5681 §3.2)', () => {
    const { net, a, p } = lossyPair(tuneProfile(quiet, { sack: false }));
    let n = 0;
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0 && n++ === 2;
    const t0 = net.now;
    p.client.send(bytes(1448 * 10), net.now);
    net.run(2 * SEC);
    expect(p.s.received.length).to.equal(1448 * 10);
    expect(a.mib.TCPFastRetrans).to.equal(1);
    expect(a.mib.TCPRenoRecovery).to.equal(1);
    expect(a.mib.TCPTimeouts).to.equal(0);
    const rexmit = net.from(A).filter((c) => c.seg.payload.length > 0)[10]!;
    expect(rexmit.t - t0).to.be.lessThan(p.client.rtt.base);
  });

  it('halves the window: ssthresh = max(FlightSize/2, 2*SMSS) (RFC 5681 eq. 4)', () => {
    const { net, p } = lossyPair(tuneProfile(quiet, { sack: false }));
    let n = 0;
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0 && n++ === 2;
    p.client.send(bytes(1448 * 10), net.now);
    net.run(2 * SEC);
    // FlightSize at the third duplicate ACK: segments 2..9 (8 segments).
    expect(p.client.cc.ssthresh).to.equal(4 * 1448);
  });

  it('repairs two losses in one window with a partial ACK instead of a timeout (NewReno, RFC 6582)', () => {
    const { net, a, p } = lossyPair(tuneProfile(quiet, { sack: false }));
    let n = 0;
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0 && (n++ === 2 || n === 6);
    p.client.send(bytes(1448 * 10), net.now);
    net.run(2 * SEC);
    expect(p.s.received.length).to.equal(1448 * 10);
    expect(a.mib.TCPRenoRecovery).to.equal(1);
    expect(a.mib.TCPTimeouts).to.equal(0);
    expect(p.client.partialAcks).to.equal(1);
  });

  it('retransmits only the holes the SACK scoreboard shows (RFC 6675)', () => {
    const { net, a, p } = lossyPair();
    let n = 0;
    const lost = new Set([2, 5, 8]);
    net.dropIf = (c) => c.src === ipv4(A) && c.seg.payload.length > 0 && lost.has(n++);
    p.client.send(bytes(1448 * 12), net.now);
    net.run(2 * SEC);
    expect(p.s.received.length).to.equal(1448 * 12);
    expect(a.mib.TCPSackRecovery).to.equal(1);
    expect(a.mib.TCPTimeouts).to.equal(0);
    expect(a.mib.RetransSegs).to.equal(3);
  });

  it('reports a spuriously retransmitted segment with D-SACK, even when PAWS drops it (RFC 2883, Linux tcp_send_dupack)', () => {
    const { net, a, b, p } = lossyPair();
    // Delay (not lose) the third segment past the RTO: the retransmission is spurious.
    let n = 0;
    net.dropIf = (c) => {
      if (c.src === ipv4(A) && c.seg.payload.length > 0 && n++ === 0) {
        const seg = c.seg;
        net.sched.schedule(1.5 * SEC, () => net.deliver(c.src, c.dst, seg));
        return true;
      }
      return false;
    };
    p.client.send(bytes(1448), net.now);
    net.run(3 * SEC);
    expect(b.mib.TCPDSACKOldSent).to.equal(1);
    expect(b.mib.PAWSEstab).to.equal(1);
    expect(a.mib.TCPDSACKRecv).to.equal(1);
  });

  it('grows cwnd by at most 2 SMSS per ACK in slow start (RFC 3465) and by ~1 SMSS per RTT after', () => {
    const { net, p } = lossyPair();
    const iw = p.client.cc.cwnd;
    expect(iw).to.equal(10 * 1448);
    p.client.send(bytes(1448 * 10), net.now);
    net.run(10 * MS);
    expect(p.client.cc.cwnd).to.equal(20 * 1448);
  });
});

describe('tcp window scaling (RFC 7323 §2)', () => {
  it('scales the advertised window by the negotiated shift and fills a large window', () => {
    const net = new TestNet();
    net.delay = 20 * MS;
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    const p = openPair(net, a, b);
    p.client.setSendBuffer(4 << 20);
    p.server.setReceiveBuffer(4 << 20);
    p.client.send(bytes(3 << 20), net.now);
    net.run(3 * SEC);
    expect(p.s.received.length).to.equal(3 << 20);
    const acks = net.from(B).map((c) => c.seg.window);
    // Some ACK offered more than 64 KB once scaled (field << 7).
    expect(Math.max(...acks) << 7).to.be.greaterThan(65535);
    expect(p.client.maxSndWnd).to.be.greaterThan(65535);
    void seqDiff;
  });
});
