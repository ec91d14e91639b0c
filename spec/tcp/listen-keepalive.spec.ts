import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import type { TcpEndpoint } from '../../modules/tcp/endpoint.ts';
import { A, B, openPair } from './support/conn.ts';
import { fromPeer } from './support/craft.ts';
import { TestNet, flagsOf } from './support/net.ts';

describe('tcp listen backlog', () => {
  it('queues completed connections up to backlog+1 and drops further SYNs (Linux ListenOverflows)', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    const l = b.listen(ipv4(B), 80, 2);
    if (typeof l === 'string') throw new Error(l);
    const clients: TcpEndpoint[] = [];
    for (let i = 0; i < 5; i++) {
      const c = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 }, net.now);
      if (typeof c === 'string') throw new Error(c);
      clients.push(c);
    }
    net.run(500 * MS);
    // All five SYNs found the accept queue empty; three final ACKs fit, two were dropped.
    expect(l.pending).to.equal(3);
    expect(l.embryonic).to.equal(2);
    expect(b.mib.ListenOverflows).to.equal(2);
    // A sixth SYN finds the queue full and is dropped.
    const late = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 }, net.now);
    if (typeof late === 'string') throw new Error(late);
    net.run(100 * MS);
    expect(late.state).to.equal(TcpState.SYN_SENT);
    expect(b.mib.ListenOverflows).to.equal(3);
    // Accepting makes room: retransmitted SYN/ACKs and SYNs complete the rest.
    while (l.accept());
    net.run(3 * SEC);
    expect(l.pending).to.equal(3);
    expect(late.state).to.equal(TcpState.ESTABLISHED);
    expect(clients.every((c) => c.state === TcpState.ESTABLISHED)).to.equal(true);
  });

  it('lets FreeBSD take 3/2 of the backlog', () => {
    const net = new TestNet();
    const a = net.addHost(A, freebsdProfile);
    const b = net.addHost(B, freebsdProfile);
    const l = b.listen(ipv4(B), 80, 4);
    if (typeof l === 'string') throw new Error(l);
    for (let i = 0; i < 10; i++) a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 }, net.now);
    net.run(500 * MS);
    expect(l.pending).to.equal(7);
  });

  it('caps the backlog at somaxconn', () => {
    const net = new TestNet();
    const b = net.addHost(B, linuxProfile);
    b.setSysctl('net.core.somaxconn', '8');
    const l = b.listen(ipv4(B), 80, 1000);
    expect(typeof l !== 'string' && l.backlog).to.equal(8);
  });

  it('answers an ACK to a listener with RST <SEQ=SEG.ACK> and ignores a RST (§3.10.7.2)', () => {
    const net = new TestNet();
    net.addHost(A);
    const b = net.addHost(B);
    b.listen(ipv4(B), 80, 4);
    const base = { srcPort: 5555, dstPort: 80, seq: 100 as never, ack: 4242 as never, window: 100, urgent: 0, options: [], payload: new Uint8Array(0) };
    net.deliver(ipv4(A), ipv4(B), { ...base, flags: TcpFlag.ACK });
    net.deliver(ipv4(A), ipv4(B), { ...base, flags: TcpFlag.RST });
    expect(net.log.map((c) => [flagsOf(c.seg), c.seg.seq])).to.deep.equal([['R', 4242]]);
  });

  it('returns an embryonic connection to LISTEN on RST in SYN-RECEIVED (§3.10.7.4)', () => {
    const net = new TestNet();
    net.addHost(A);
    const b = net.addHost(B);
    const l = b.listen(ipv4(B), 80, 4);
    if (typeof l === 'string') throw new Error(l);
    net.deliver(ipv4(A), ipv4(B), { srcPort: 5555, dstPort: 80, seq: 100 as never, ack: 0 as never, flags: TcpFlag.SYN, window: 100, urgent: 0, options: [], payload: new Uint8Array(0) });
    expect(l.embryonic).to.equal(1);
    net.deliver(ipv4(A), ipv4(B), { srcPort: 5555, dstPort: 80, seq: 101 as never, ack: 0 as never, flags: TcpFlag.RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) });
    expect(l.embryonic).to.equal(0);
    expect(b.connectionCount).to.equal(0);
  });

  it('repeats the SYN/ACK for a retransmitted SYN in SYN-RECEIVED', () => {
    const net = new TestNet();
    const b = net.addHost(B);
    b.listen(ipv4(B), 80, 4);
    const syn = { srcPort: 5555, dstPort: 80, seq: 100 as never, ack: 0 as never, flags: TcpFlag.SYN, window: 100, urgent: 0, options: [], payload: new Uint8Array(0) };
    net.deliver(ipv4(A), ipv4(B), syn);
    net.run(600 * MS);
    net.deliver(ipv4(A), ipv4(B), syn);
    const sa = net.log.filter((c) => flagsOf(c.seg) === 'S.');
    expect(sa).to.have.length(2);
    expect(sa[0]!.seg.seq).to.equal(sa[1]!.seg.seq);
  });

  it('retransmits the SYN/ACK and gives the embryonic connection up after tcp_synack_retries', () => {
    const net = new TestNet();
    net.addHost(A);
    const b = net.addHost(B, linuxProfile);
    const l = b.listen(ipv4(B), 80, 4);
    if (typeof l === 'string') throw new Error(l);
    net.hosts.delete(ipv4(A));
    net.deliver(ipv4(A), ipv4(B), { srcPort: 5555, dstPort: 80, seq: 100 as never, ack: 0 as never, flags: TcpFlag.SYN, window: 100, urgent: 0, options: [], payload: new Uint8Array(0) });
    net.run(120 * SEC);
    expect(net.log.filter((c) => flagsOf(c.seg) === 'S.').map((c) => c.t / SEC)).to.deep.equal([0, 1, 3, 7, 15, 31]);
    expect(l.embryonic).to.equal(0);
  });

  it('resets unaccepted connections when the listener closes', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const l = b.listen(ipv4(B), 80, 4);
    if (typeof l === 'string') throw new Error(l);
    const c = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 }, net.now);
    if (typeof c === 'string') throw new Error(c);
    net.run(10 * MS);
    expect(l.pending).to.equal(1);
    l.close(net.now);
    net.run(10 * MS);
    expect(c.state).to.equal(TcpState.CLOSED);
  });
});

describe('tcp keep-alive (RFC 9293 §3.8.4)', () => {
  it('probes an idle connection with <SEQ=SND.UNA-1> after the idle time and keeps it while answered', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.setKeepAlive(true, net.now, 10 * SEC, 2 * SEC, 3);
    net.clearLog();
    net.run(35 * SEC);
    const probes = net.from(A);
    expect(probes.length).to.equal(3);
    expect(probes[0]!.seg.seq).to.equal((p.client.sndUna - 1) >>> 0);
    expect(probes[0]!.seg.payload.length).to.equal(0);
    expect(probes.map((c) => Math.round(c.t / SEC))).to.deep.equal([10, 20, 30]);
    expect(p.client.state).to.equal(TcpState.ESTABLISHED);
  });

  it('drops the connection with ETIMEDOUT after keepCnt unanswered probes', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.setKeepAlive(true, net.now, 10 * SEC, 2 * SEC, 3);
    net.clearLog();
    net.dropIf = (c) => c.src === ipv4(B);
    net.run(20 * SEC);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    expect(p.c.errors).to.deep.equal(['ETIMEDOUT']);
    const sent = net.from(A);
    expect(sent.slice(0, 3).map((c) => Math.round(c.t / SEC))).to.deep.equal([10, 12, 14]);
    expect(flagsOf(sent[3]!.seg)).to.equal('R.');
  });

  it('does not probe a connection without SO_KEEPALIVE', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    openPair(net, a, b);
    net.clearLog();
    net.run(3 * 3600 * SEC);
    expect(net.log).to.have.length(0);
  });
});

describe('tcp urgent pointer (RFC 9293 §3.8.5)', () => {
  it('records the urgent pointer and delivers urgent data inline', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    const start = p.client.rcvNxt;
    net.deliver(ipv4(B), ipv4(A), fromPeer(p.client, { flags: TcpFlag.ACK | TcpFlag.URG, urgent: 3, payload: new Uint8Array([1, 2, 3, 4]) }));
    expect(p.client.hasUrgent).to.equal(true);
    expect(p.client.rcvUp).to.equal((start + 3) >>> 0);
    expect(p.c.received.length).to.equal(4);
  });
});
