import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import { A, B, openPair } from './support/conn.ts';
import { TestNet, flagsOf, optionLayout } from './support/net.ts';

describe('tcp handshake (RFC 9293 §3.5)', () => {
  it('completes a three-way handshake: SYN, SYN/ACK, ACK with ISS+1 and IRS+1', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const { client, server } = openPair(net, a, b);
    expect(client.state).to.equal(TcpState.ESTABLISHED);
    expect(server.state).to.equal(TcpState.ESTABLISHED);
    const [syn, synack, ack] = net.log.map((c) => c.seg);
    expect(flagsOf(syn!)).to.equal('S');
    expect(flagsOf(synack!)).to.equal('S.');
    expect(flagsOf(ack!)).to.equal('.');
    expect(synack!.ack).to.equal(seqAdd(syn!.seq, 1));
    expect(ack!.seq).to.equal(seqAdd(syn!.seq, 1));
    expect(ack!.ack).to.equal(seqAdd(synack!.seq, 1));
    expect(a.mib.ActiveOpens).to.equal(1);
    expect(b.mib.PassiveOpens).to.equal(1);
    expect(a.mib.CurrEstab).to.equal(1);
  });

  it('lays out Linux SYN options as mss,sackOK,TS,nop,wscale 7 with window 64240', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    net.addHost(B, linuxProfile);
    a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 9 }, 0);
    const syn = net.log[0]!.seg;
    expect(optionLayout(syn)).to.equal('mss,sackOK,ts,nop,wscale');
    expect(syn.options[0]).to.deep.equal({ kind: 'mss', mss: 1460 });
    expect(syn.options[4]).to.deep.equal({ kind: 'wscale', shift: 7 });
    expect(syn.window).to.equal(64240);
  });

  it('answers a Linux SYN with a SYN/ACK of window 65160 (rounded to the 1448-byte MSS)', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    openPair(net, a, b);
    const synack = net.log[1]!.seg;
    expect(optionLayout(synack)).to.equal('mss,sackOK,ts,nop,wscale');
    expect(synack.window).to.equal(65160);
    const ack = net.log[2]!.seg;
    expect(optionLayout(ack)).to.equal('nop,nop,ts');
    expect(ack.window).to.equal(502);
  });

  it('lays out FreeBSD SYN options as mss,nop,wscale 6,sackOK,TS with window 65535', () => {
    const net = new TestNet();
    const a = net.addHost(A, freebsdProfile);
    net.addHost(B, freebsdProfile);
    a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 9 }, 0);
    const syn = net.log[0]!.seg;
    expect(optionLayout(syn)).to.equal('mss,nop,wscale,sackOK,ts');
    expect(syn.options[2]).to.deep.equal({ kind: 'wscale', shift: 6 });
    expect(syn.window).to.equal(65535);
  });

  it('pads FreeBSD SYN options with EOL when timestamps are off', () => {
    const net = new TestNet();
    const a = net.addHost(A, freebsdProfile);
    net.addHost(B);
    expect(a.setSysctl('net.inet.tcp.rfc1323', '2').ok).to.equal(true);
    a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 9 }, 0);
    expect(optionLayout(net.log[0]!.seg)).to.equal('mss,nop,wscale,sackOK,eol,eol');
  });

  it('offers window scaling only when the peer offered it (RFC 7323 §2.2)', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    a.setSysctl('net.ipv4.tcp_window_scaling', '0');
    const { client, server } = openPair(net, a, b);
    expect(optionLayout(net.log[1]!.seg)).to.equal('mss,sackOK,ts');
    expect(client.wsOn).to.equal(false);
    expect(server.wsOn).to.equal(false);
    expect(server.rcvWscale).to.equal(0);
  });

  it('negotiates the effective MSS down to the smaller MTU less the timestamp option', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile, 1500);
    const b = net.addHost(B, linuxProfile, 1400);
    const { client, server } = openPair(net, a, b);
    expect(client.sndMss).to.equal(1360 - 12);
    expect(server.sndMss).to.equal(1360 - 12);
  });

  it('assumes an MSS of 536 when the SYN carries none (RFC 9293 §3.7.1)', () => {
    const net = new TestNet();
    const b = net.addHost(B);
    net.addHost(A);
    b.listen(ipv4(B), 80, 4);
    net.deliver(ipv4(A), ipv4(B), {
      srcPort: 4000, dstPort: 80, seq: seqAdd(0 as never, 1000), ack: 0 as never, flags: TcpFlag.SYN,
      window: 8192, urgent: 0, options: [], payload: new Uint8Array(0),
    });
    const ep = b.lookup(ipv4(B), 80, ipv4(A), 4000)!;
    expect(ep.state).to.equal(TcpState.SYN_RECEIVED);
    expect(ep.sndMss).to.equal(536);
    expect(ep.tsOn).to.equal(false);
    // SYN/ACK echoes no options the peer did not offer.
    expect(optionLayout(net.log[0]!.seg)).to.equal('mss');
  });

  it('retransmits a lost SYN after the initial RTO, then 2x, 4x (Linux backoff)', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    net.addHost(B);
    net.dropIf = () => true;
    a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 }, 0);
    net.run(8 * SEC);
    const times = net.from(A, TcpFlag.SYN).map((c) => c.t / MS);
    expect(times).to.deep.equal([0, 1000, 3000, 7000]);
  });

  it('gives up after tcp_syn_retries and reports ETIMEDOUT', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    net.addHost(B);
    net.dropIf = () => true;
    const errs: string[] = [];
    const ep = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80, handler: { error: (_e, err) => errs.push(err) } }, 0);
    net.run(200 * SEC);
    expect(net.from(A, TcpFlag.SYN)).to.have.length(7);
    expect(errs).to.deep.equal(['ETIMEDOUT']);
    expect(typeof ep !== 'string' && ep.state).to.equal(TcpState.CLOSED);
  });

  it('refuses with ECONNREFUSED when the SYN is answered by RST,ACK (nobody listening)', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    net.addHost(B);
    const errs: string[] = [];
    a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 81, handler: { error: (_e, err) => errs.push(err) } }, 0);
    net.run(10 * MS);
    expect(flagsOf(net.log[1]!.seg)).to.equal('R.');
    expect(net.log[1]!.seg.ack).to.equal(seqAdd(net.log[0]!.seg.seq, 1));
    expect(errs).to.deep.equal(['ECONNREFUSED']);
  });

  it('completes a simultaneous open through SYN-RECEIVED on both sides (RFC 9293 fig. 8)', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const ca = a.connect({ localAddr: ipv4(A), localPort: 5000, remoteAddr: ipv4(B), remotePort: 6000 }, 0);
    const cb = b.connect({ localAddr: ipv4(B), localPort: 6000, remoteAddr: ipv4(A), remotePort: 5000 }, 0);
    if (typeof ca === 'string' || typeof cb === 'string') throw new Error('connect');
    const seen: number[] = [];
    net.sched.schedule(1.5 * MS, () => seen.push(ca.state, cb.state));
    net.run(100 * MS);
    expect(seen).to.deep.equal([TcpState.SYN_RECEIVED, TcpState.SYN_RECEIVED]);
    expect(ca.state).to.equal(TcpState.ESTABLISHED);
    expect(cb.state).to.equal(TcpState.ESTABLISHED);
    expect(net.log.filter((c) => flagsOf(c.seg) === 'S.')).to.have.length(2);
  });
});
