import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { tuneProfile } from '../../modules/tcp/profile.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import { A, B, openPair } from './support/conn.ts';
import { fromPeer, plus } from './support/craft.ts';
import { TestNet, flagsOf } from './support/net.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';

function setup(profile = linuxProfile) {
  const net = new TestNet();
  const a = net.addHost(A, profile);
  const b = net.addHost(B, profile);
  const p = openPair(net, a, b);
  net.run(10 * MS);
  net.clearLog();
  const inject = (seg: ReturnType<typeof fromPeer>) => net.deliver(ipv4(B), ipv4(A), seg);
  return { net, a, b, p, inject, ep: p.client };
}

describe('tcp RFC 5961 protections', () => {
  it('resets on a RST whose sequence number is exactly RCV.NXT (RFC 5961 §3.2)', () => {
    const { inject, ep, p } = setup();
    inject(fromPeer(ep, { flags: TcpFlag.RST }));
    expect(ep.state).to.equal(TcpState.CLOSED);
    expect(p.c.errors).to.deep.equal(['ECONNRESET']);
  });

  it('answers an in-window RST that is not exact with a challenge ACK (RFC 5961 §3.2)', () => {
    const { inject, ep, net, a } = setup();
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 100) }));
    expect(ep.state).to.equal(TcpState.ESTABLISHED);
    const out = net.from(A);
    expect(out).to.have.length(1);
    expect(flagsOf(out[0]!.seg)).to.equal('.');
    expect(out[0]!.seg.seq).to.equal(ep.sndMax);
    expect(out[0]!.seg.ack).to.equal(ep.rcvNxt);
    expect(a.mib.TCPChallengeACK).to.equal(1);
  });

  it('silently drops an out-of-window RST (RFC 5961 §3.2)', () => {
    const { inject, ep, net } = setup();
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 10_000_000) }));
    expect(ep.state).to.equal(TcpState.ESTABLISHED);
    expect(net.from(A)).to.have.length(0);
  });

  it('accepts any in-window RST when RFC 5961 is switched off (RFC 793 rule)', () => {
    const { inject, ep, a } = setup();
    a.setSysctl('net.ipv4.tcp_challenge_ack_limit', '1');
    a.profile = tuneProfile(a.profile, { rfc5961: false });
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 100) }));
    expect(ep.state).to.equal(TcpState.CLOSED);
  });

  it('answers a SYN in ESTABLISHED with a challenge ACK and keeps the connection (RFC 5961 §4.2)', () => {
    const { inject, ep, net, a } = setup();
    inject(fromPeer(ep, { flags: TcpFlag.SYN, seq: plus(ep.rcvNxt, 5) }));
    expect(ep.state).to.equal(TcpState.ESTABLISHED);
    expect(flagsOf(net.from(A)[0]!.seg)).to.equal('.');
    expect(a.mib.TCPSYNChallenge).to.equal(1);
  });

  it('answers an out-of-window SYN with a challenge ACK too (RFC 5961 §4.2, "irrespective of the sequence number")', () => {
    const { inject, ep, net } = setup();
    inject(fromPeer(ep, { flags: TcpFlag.SYN, seq: plus(ep.rcvNxt, -50_000_000) }));
    expect(ep.state).to.equal(TcpState.ESTABLISHED);
    expect(net.from(A)).to.have.length(1);
  });

  it('resets on an in-window SYN when RFC 5961 is off (RFC 793 §3.9)', () => {
    const { inject, ep, a, net } = setup();
    a.profile = tuneProfile(a.profile, { rfc5961: false });
    inject(fromPeer(ep, { flags: TcpFlag.SYN, seq: plus(ep.rcvNxt, 5) }));
    expect(ep.state).to.equal(TcpState.CLOSED);
    expect(flagsOf(net.from(A)[0]!.seg)).to.equal('R.');
  });

  it('drops data whose ACK acknowledges unsent data and answers with an ACK (RFC 9293 §3.10.7.4, RFC 5961 §5.2)', () => {
    const { inject, ep, net, p } = setup();
    inject(fromPeer(ep, { ack: plus(ep.sndMax, 1000), payload: new Uint8Array(10) }));
    expect(p.c.received.length).to.equal(0);
    expect(net.from(A)).to.have.length(1);
    expect(ep.state).to.equal(TcpState.ESTABLISHED);
  });

  it('drops data whose ACK is older than SND.UNA - MAX.SND.WND with a challenge ACK (RFC 5961 §5.2)', () => {
    const { inject, ep, net, p, a } = setup();
    inject(fromPeer(ep, { ack: plus(ep.sndUna, -5_000_000), payload: new Uint8Array(10) }));
    expect(p.c.received.length).to.equal(0);
    expect(net.from(A)).to.have.length(1);
    expect(a.mib.TCPChallengeACK).to.equal(1);
  });

  it('limits challenge ACKs per connection (Linux: one per 500 ms)', () => {
    const { inject, ep, net, a } = setup();
    for (let i = 0; i < 10; i++) inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 100 + i) }));
    expect(net.from(A)).to.have.length(1);
    expect(a.mib.TCPACKSkippedChallenge).to.equal(9);
    net.run(501 * MS);
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 100) }));
    expect(net.from(A)).to.have.length(2);
  });

  it('limits challenge ACKs per connection (FreeBSD: five per second)', () => {
    const { inject, ep, net } = setup(freebsdProfile);
    for (let i = 0; i < 10; i++) inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 100 + i) }));
    expect(net.from(A)).to.have.length(5);
  });

  it('applies the host-wide challenge ACK limit across connections (RFC 5961 §7)', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    a.setSysctl('net.ipv4.tcp_challenge_ack_limit', '3');
    const eps = [openPair(net, a, b, 80), openPair(net, a, b, 81), openPair(net, a, b, 82), openPair(net, a, b, 83), openPair(net, a, b, 84)];
    net.run(10 * MS);
    net.clearLog();
    for (const p of eps) net.deliver(ipv4(B), ipv4(A), fromPeer(p.client, { flags: TcpFlag.RST, seq: plus(p.client.rcvNxt, 7) }));
    expect(net.from(A)).to.have.length(3);
  });
});

describe('tcp sequence checks and PAWS', () => {
  it('acknowledges an out-of-window segment and drops it (§3.10.7.4 first step)', () => {
    const { inject, ep, net, p } = setup();
    inject(fromPeer(ep, { seq: plus(ep.rcvNxt, 10_000_000), payload: new Uint8Array(10) }));
    expect(p.c.received.length).to.equal(0);
    const out = net.from(A);
    expect(out).to.have.length(1);
    expect(out[0]!.seg.ack).to.equal(ep.rcvNxt);
  });

  it('reports a wholly duplicate segment in a D-SACK block (RFC 2883 §4.1)', () => {
    const { inject, ep, net, a } = setup();
    const start = ep.rcvNxt;
    inject(fromPeer(ep, { payload: new Uint8Array(100), tsVal: ep.tsRecent + 1 }));
    net.run(100 * MS);
    net.clearLog();
    inject(fromPeer(ep, { seq: start, payload: new Uint8Array(100), tsVal: ep.tsRecent + 1 }));
    const sack = net.from(A)[0]!.seg.options.find((o) => o.kind === 'sack');
    expect(sack).to.deep.equal({ kind: 'sack', blocks: [{ left: start, right: plus(start, 100) }] });
    expect(a.mib.TCPDSACKOldSent).to.equal(1);
  });

  it('drops a segment with an older timestamp and answers with a duplicate ACK (PAWS, RFC 7323 §5.3)', () => {
    const { inject, ep, net, p, a } = setup();
    inject(fromPeer(ep, { payload: new Uint8Array(10), tsVal: ep.tsRecent - 5 }));
    expect(p.c.received.length).to.equal(0);
    expect(a.mib.PAWSEstab).to.equal(1);
    expect(net.from(A)).to.have.length(1);
  });

  it('accepts a segment with a newer timestamp and echoes it (RFC 7323 §4.3)', () => {
    const { inject, ep, net, p } = setup();
    const ts = ep.tsRecent + 1000;
    inject(fromPeer(ep, { payload: new Uint8Array(10), tsVal: ts, flags: TcpFlag.ACK | TcpFlag.PSH }));
    net.run(100 * MS);
    expect(p.c.received.length).to.equal(10);
    const opt = net.from(A)[0]!.seg.options.find((o) => o.kind === 'ts');
    expect(opt && opt.kind === 'ts' && opt.ecr).to.equal(ts);
  });

  it('drops segments without a timestamp once negotiated with tolerate_missing_ts=0 (RFC 7323 §3.2); FreeBSD by default and Linux accept them', () => {
    const strict = tuneProfile(freebsdProfile, { dropMissingTs: true });
    for (const [profile, expected] of [[strict, 0], [freebsdProfile, 10], [linuxProfile, 10]] as const) {
      const { inject, ep, p } = setup(profile);
      inject(fromPeer(ep, { payload: new Uint8Array(10), options: [] }));
      expect(p.c.received.length).to.equal(expected);
    }
  });

  it('processes the ACK of a segment arriving into a zero window but drops its data (§3.10.7.4)', () => {
    const { ep, net, p, b } = setup();
    p.c.autoRead = false;
    // Fill the client's receive window completely.
    p.server.setSendBuffer(1 << 20);
    p.server.send(new Uint8Array(200_000), net.now);
    net.run(2 * SEC);
    expect(ep.receiveWindow).to.equal(0);
    expect(b.mib.TCPWinProbe).to.be.greaterThan(0);
    expect(ep.readable).to.be.lessThan(200_000);
    const before = ep.readable;
    net.deliver(ipv4(B), ipv4(A), fromPeer(ep, { payload: new Uint8Array(5) }));
    expect(ep.readable).to.equal(before);
  });
});

describe('tcp window probing (persist timer, RFC 9293 §3.8.6.1)', () => {
  for (const profile of [linuxProfile, freebsdProfile]) {
    it(`probes a zero window and resumes when the reader drains (${profile.name})`, () => {
      const net = new TestNet();
      const a = net.addHost(A, profile);
      const b = net.addHost(B, profile);
      const p = openPair(net, a, b);
      p.s.autoRead = false;
      p.client.setSendBuffer(1 << 20);
      const total = 400_000;
      let sent = p.client.send(new Uint8Array(total), net.now);
      p.c.writable = () => { sent += p.client.send(new Uint8Array(total - sent), net.now); };
      net.run(20 * SEC);
      expect(p.client.sndWnd).to.equal(0);
      const probes = a.mib.TCPWinProbe;
      expect(probes).to.be.greaterThan(1);
      const probe = net.log.filter((c) => c.src === ipv4(A)).at(-1)!.seg;
      if (profile.zeroWindowProbe === 'old-seq') {
        expect(probe.payload.length).to.equal(0);
        expect(probe.seq).to.equal(plus(p.client.sndUna, -1));
      } else {
        expect(probe.payload.length).to.equal(1);
        expect(probe.seq).to.equal(p.client.sndUna);
      }
      expect(p.client.state).to.equal(TcpState.ESTABLISHED);
      // The reader drains: a window update opens the flow again.
      p.s.autoRead = true;
      p.s.readable(p.server);
      net.run(60 * SEC);
      expect(p.s.received.length).to.equal(total);
    });
  }

  it('backs off the probe interval exponentially (Linux: RTO-based, capped)', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    const p = openPair(net, a, b);
    p.s.autoRead = false;
    p.client.setSendBuffer(1 << 20);
    p.client.send(new Uint8Array(400_000), net.now);
    net.run(60 * SEC);
    const probes = net.log.filter((c) => c.src === ipv4(A) && c.seg.payload.length === 0 && c.seg.seq === plus(p.client.sndUna, -1));
    const gaps = probes.slice(1).map((c, i) => c.t - probes[i]!.t);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).to.be.closeTo(2 * gaps[i - 1]!, 2 * MS);
  });
});
