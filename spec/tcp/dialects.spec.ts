import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import type { TcpProfile } from '../../modules/tcp/profile.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import { A, B, openPair } from './support/conn.ts';
import { fromPeer, plus } from './support/craft.ts';
import { TestNet, flagsOf } from './support/net.ts';

function setup(profile: TcpProfile) {
  const net = new TestNet();
  const a = net.addHost(A, profile);
  const b = net.addHost(B, profile);
  const p = openPair(net, a, b);
  net.run(10 * MS);
  net.clearLog();
  return { net, a, b, p, ep: p.client, inject: (seg: ReturnType<typeof fromPeer>) => net.deliver(ipv4(B), ipv4(A), seg) };
}

describe('tcp: where Linux and FreeBSD go beyond the RFC text', () => {
  it('accepts a zero-length segment at exactly RCV.NXT+RCV.WND and sends nothing (both stacks)', () => {
    for (const prof of [linuxProfile, freebsdProfile]) {
      const { inject, ep, net } = setup(prof);
      inject(fromPeer(ep, { seq: plus(ep.rcvNxt, ep.receiveWindow) }));
      expect(net.from(A), prof.name).to.have.length(0);
    }
  });

  it('rounds the socket buffers up to a multiple of the MSS once established (FreeBSD tcp_mss), Linux keeps its sizes', () => {
    const { ep } = setup(freebsdProfile);
    const mss = ep.sndMss + 12; // t_maxseg: the TS option is not taken off before rounding
    expect(ep.rcvBufSize).to.equal(Math.ceil(65536 / mss) * mss);
    expect(ep.sndBufSize).to.equal(Math.ceil(32768 / mss) * mss);
    expect(setup(linuxProfile).ep.rcvBufSize).to.equal(linuxProfile.rcvBufDefault);
  });

  it('tests segments against the free buffer space beyond the unscaled 65535 window (FreeBSD rcv_wnd = imax(sbspace, rcv_adv - rcv_nxt))', () => {
    const prof = { ...freebsdProfile, windowScaling: false, timestamps: false };
    const { inject, ep, net } = setup(prof);
    expect(ep.rcvBufSize).to.equal(65700);
    // The last byte of the 65700-byte space: queued out of order, answered with a duplicate ACK.
    inject(fromPeer(ep, { seq: plus(ep.rcvNxt, 65699), payload: new Uint8Array(1) }));
    expect(ep.reasm?.isEmpty()).to.equal(false);
    expect(net.from(A).map((c) => c.seg.ack)).to.deep.equal([ep.rcvNxt]);
    // The Linux rule (advertised window only) would drop it.
    const lin = setup({ ...prof, rcvWndFromSpace: false });
    lin.inject(fromPeer(lin.ep, { seq: plus(lin.ep.rcvNxt, 65699), payload: new Uint8Array(1) }));
    expect(lin.ep.reasm?.isEmpty() ?? true).to.equal(true);
  });

  it('drops a RST at RCV.NXT+RCV.WND silently (FreeBSD: SEQ_LT against the right edge), challenges one just inside', () => {
    // Unscaled, so the space (65700) is beyond what the window field said (65535).
    const { inject, ep, net } = setup({ ...freebsdProfile, windowScaling: false, timestamps: false });
    const wnd = ep.rcvBufSize;
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, wnd) }));
    expect(net.from(A)).to.have.length(0);
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, wnd - 1) }));
    expect(net.from(A).map((c) => flagsOf(c.seg))).to.deep.equal(['.']);
    expect(ep.state).to.equal(TcpState.ESTABLISHED);
  });

  it('takes a FIN right after the last byte of the window without an answer in CLOSE-WAIT (BSD trims by payload only)', () => {
    const prof = { ...freebsdProfile, windowScaling: false, timestamps: false };
    const { inject, ep, net } = setup(prof);
    // The real peer never sent that FIN: keep its answers to our ACK of it off the wire.
    net.dropIf = (c) => c.src === ipv4(B);
    inject(fromPeer(ep, { flags: TcpFlag.ACK | TcpFlag.FIN }));
    net.run(5 * MS);
    net.clearLog();
    inject(fromPeer(ep, { flags: TcpFlag.ACK | TcpFlag.FIN, seq: plus(ep.rcvNxt, ep.rcvBufSize) }));
    net.run(100 * MS);
    expect(net.from(A)).to.have.length(0);
    // Counting the FIN in SEG.LEN (RFC 9293) puts it outside: a duplicate ACK answers it.
    const rfc = setup({ ...prof, windowTestCountsFin: true });
    rfc.net.dropIf = (c) => c.src === ipv4(B);
    rfc.inject(fromPeer(rfc.ep, { flags: TcpFlag.ACK | TcpFlag.FIN }));
    rfc.net.run(5 * MS);
    rfc.net.clearLog();
    rfc.inject(fromPeer(rfc.ep, { flags: TcpFlag.ACK | TcpFlag.FIN, seq: plus(rfc.ep.rcvNxt, rfc.ep.rcvBufSize) }));
    rfc.net.run(100 * MS);
    expect(rfc.net.from(A)).to.have.length(1);
  });

  it('ignores text after the peer FIN without answering (CLOSE-WAIT, §3.10.7.4 seventh step)', () => {
    const { inject, ep, net } = setup(linuxProfile);
    inject(fromPeer(ep, { flags: TcpFlag.ACK | TcpFlag.FIN }));
    net.run(5 * MS);
    expect(ep.state).to.equal(TcpState.CLOSE_WAIT);
    net.clearLog();
    inject(fromPeer(ep, { payload: new Uint8Array(10) }));
    net.run(100 * MS);
    expect(net.from(A)).to.have.length(0);
  });

  it('takes a RST at RCV.NXT-1 once the peer FIN is in (Linux tcp_reset_check)', () => {
    const { inject, ep, net } = setup(linuxProfile);
    inject(fromPeer(ep, { flags: TcpFlag.ACK | TcpFlag.FIN }));
    net.run(5 * MS);
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, -1) }));
    expect(ep.state).to.equal(TcpState.CLOSED);
  });

  it('repeats its FIN on every ACK while the FIN is outstanding, but not on challenge ACKs (FreeBSD)', () => {
    const { ep, net, inject } = setup(freebsdProfile);
    net.dropIf = (c) => c.src === ipv4(B);
    ep.shutdown(net.now);
    const finSeq = net.from(A, TcpFlag.FIN)[0]!.seg.seq;
    inject(fromPeer(ep, { seq: plus(ep.rcvNxt, -1), ack: finSeq }));
    const ack = net.from(A).at(-1)!.seg;
    expect([flagsOf(ack), ack.seq]).to.deep.equal(['F.', finSeq]);
    inject(fromPeer(ep, { flags: TcpFlag.RST, seq: plus(ep.rcvNxt, 100), ack: finSeq }));
    const challenge = net.from(A).at(-1)!.seg;
    expect(flagsOf(challenge)).to.equal('.');
  });

  it('completes a simultaneous close to TIME-WAIT on both sides with repeated FINs (FreeBSD)', () => {
    const { p, net } = setup(freebsdProfile);
    p.client.close(net.now);
    p.server.close(net.now);
    net.run(1 * SEC);
    expect([p.client.state, p.server.state]).to.deep.equal([TcpState.TIME_WAIT, TcpState.TIME_WAIT]);
  });

  it('drops an embryonic connection on any in-window RST (Linux), challenges it (FreeBSD)', () => {
    for (const [prof, alive] of [[linuxProfile, false], [freebsdProfile, true]] as const) {
      const net = new TestNet();
      const b = net.addHost(B, prof);
      const l = b.listen(ipv4(B), 80, 4);
      if (typeof l === 'string') throw new Error(l);
      const base = { srcPort: 5555, dstPort: 80, ack: 0 as never, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0) };
      net.deliver(ipv4(A), ipv4(B), { ...base, seq: 100 as never, flags: TcpFlag.SYN });
      net.deliver(ipv4(A), ipv4(B), { ...base, seq: 1101 as never, flags: TcpFlag.RST });
      expect(l.embryonic, prof.name).to.equal(alive ? 1 : 0);
    }
  });

  it('answers segments in TIME-WAIT as each stack does: a bare ACK at RCV.NXT gets nothing, others an ACK; FreeBSD drops a SYN', () => {
    for (const prof of [linuxProfile, freebsdProfile]) {
      const { p, net, inject } = setup(prof);
      p.client.close(net.now);
      net.run(5 * MS);
      p.server.close(net.now);
      net.run(5 * MS);
      expect(p.client.state).to.equal(TcpState.TIME_WAIT);
      net.clearLog();
      inject(fromPeer(p.client, {}));
      expect(net.from(A), `${prof.name} exact ACK`).to.have.length(0);
      inject(fromPeer(p.client, { seq: plus(p.client.rcvNxt, 1000) }));
      expect(net.from(A), `${prof.name} in-window ACK`).to.have.length(1);
      net.clearLog();
      net.run(1 * SEC);
      inject(fromPeer(p.client, { flags: TcpFlag.SYN, seq: plus(p.client.rcvNxt, -5) }));
      expect(net.from(A).length, `${prof.name} old SYN`).to.equal(prof.timeWaitStyle === 'freebsd' ? 0 : 1);
    }
  });
});
