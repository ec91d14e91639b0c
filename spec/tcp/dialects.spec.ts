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
