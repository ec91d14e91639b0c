import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import { A, B, openPair } from './support/conn.ts';
import { TestNet, bytes, flagsOf } from './support/net.ts';

function states(net: TestNet, ep: { state: number }, every = 0.5 * MS, until = 10 * MS): number[] {
  const seen: number[] = [];
  for (let t = every; t <= until; t += every) net.sched.schedule(t, () => { if (seen[seen.length - 1] !== ep.state) seen.push(ep.state); });
  return seen;
}

describe('tcp connection close (RFC 9293 §3.6)', () => {
  it('walks the active closer through FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT to CLOSED after 60 s', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    const seenA = states(net, p.client);
    p.client.close(net.now);
    expect(p.client.state).to.equal(TcpState.FIN_WAIT_1);
    net.run(2.5 * MS);
    expect(p.client.state).to.equal(TcpState.FIN_WAIT_2);
    expect(p.server.state).to.equal(TcpState.CLOSE_WAIT);
    expect(p.s.events).to.include('peerClosed');
    p.server.close(net.now);
    expect(p.server.state).to.equal(TcpState.LAST_ACK);
    net.run(5 * MS);
    expect(p.server.state).to.equal(TcpState.CLOSED);
    expect(p.client.state).to.equal(TcpState.TIME_WAIT);
    expect(seenA).to.include(TcpState.FIN_WAIT_2);
    net.run(59 * SEC);
    expect(p.client.state).to.equal(TcpState.TIME_WAIT);
    net.run(1 * SEC);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    expect(p.c.events).to.include('closed');
    expect(a.connectionCount).to.equal(0);
    expect(b.connectionCount).to.equal(0);
  });

  it('passes through CLOSING on a simultaneous close', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    const seenA = states(net, p.client, 0.25 * MS, 5 * MS);
    p.client.close(net.now);
    p.server.close(net.now);
    net.run(10 * MS);
    expect(seenA).to.include(TcpState.CLOSING);
    expect(p.client.state).to.equal(TcpState.TIME_WAIT);
    expect(p.server.state).to.equal(TcpState.TIME_WAIT);
  });

  it('keeps receiving after a half-close (shutdown SHUT_WR)', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.shutdown(net.now);
    net.run(5 * MS);
    expect(p.server.state).to.equal(TcpState.CLOSE_WAIT);
    p.server.setSendBuffer(64_000);
    expect(p.server.send(bytes(50_000), net.now)).to.equal(50_000);
    net.run(100 * MS);
    expect(p.c.received.length).to.equal(50_000);
    expect(p.client.state).to.equal(TcpState.FIN_WAIT_2);
    expect(p.client.send(bytes(1), net.now)).to.equal(-1);
  });

  it('sends the FIN only after all queued data', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    net.clearLog();
    p.client.send(bytes(10_000), net.now);
    p.client.close(net.now);
    net.run(50 * MS);
    const fins = net.from(A, TcpFlag.FIN);
    expect(fins).to.have.length(1);
    const dataEnd = seqAdd(p.client.iss, 1 + 10_000);
    expect(seqAdd(fins[0]!.seg.seq, fins[0]!.seg.payload.length)).to.equal(dataEnd);
    expect(p.s.received.length).to.equal(10_000);
  });

  it('resets instead of closing when unread data remains (RFC 2525 §2.17)', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.s.autoRead = false;
    p.client.send(bytes(500), net.now);
    net.run(5 * MS);
    expect(p.server.readable).to.equal(500);
    net.clearLog();
    p.server.close(net.now);
    expect(flagsOf(net.log[0]!.seg)).to.equal('R.');
    expect(b.mib.TCPAbortOnClose).to.equal(1);
    net.run(5 * MS);
    expect(p.c.errors).to.deep.equal(['ECONNRESET']);
    expect(p.client.state).to.equal(TcpState.CLOSED);
  });

  it('aborts with RST on close when SO_LINGER is set to zero', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.setLinger(0);
    net.clearLog();
    p.client.close(net.now);
    expect(flagsOf(net.log[0]!.seg)).to.equal('R.');
    expect(net.log[0]!.seg.seq).to.equal(p.client.sndMax);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    net.run(5 * MS);
    expect(p.server.state).to.equal(TcpState.CLOSED);
  });

  it('resets a closed socket that receives more data (TCPAbortOnData)', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.close(net.now);
    net.run(5 * MS);
    expect(p.client.state).to.equal(TcpState.FIN_WAIT_2);
    p.server.send(bytes(100), net.now);
    net.run(5 * MS);
    expect(a.mib.TCPAbortOnData).to.equal(1);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    expect(p.s.errors).to.deep.equal(['ECONNRESET']);
  });

  it('flushes unread data and closes with a FIN on FreeBSD (tcp_disconnect: sbflush, tcp_usrclosed)', () => {
    const net = new TestNet();
    const a = net.addHost(A, freebsdProfile);
    const b = net.addHost(B, freebsdProfile);
    const p = openPair(net, a, b);
    p.s.autoRead = false;
    p.client.send(bytes(500), net.now);
    net.run(5 * MS);
    expect(p.server.readable).to.equal(500);
    net.clearLog();
    p.server.close(net.now);
    expect(flagsOf(net.log[0]!.seg)).to.equal('F.');
    expect(b.mib.TCPAbortOnClose).to.equal(0);
    expect(p.server.readable).to.equal(0);
  });

  it('answers data after close() as a segment without a connection: <SEQ=SEG.ACK><CTL=RST>, no ACK bit (Linux tcp_v4_send_reset, BSD dropwithreset)', () => {
    for (const prof of [linuxProfile, freebsdProfile]) {
      const net = new TestNet();
      const a = net.addHost(A, prof);
      const b = net.addHost(B, prof);
      const p = openPair(net, a, b);
      p.client.close(net.now);
      net.run(5 * MS);
      net.clearLog();
      p.server.send(bytes(100), net.now);
      const data = net.from(B).find((c) => c.seg.payload.length > 0)!.seg;
      net.run(5 * MS);
      const rst = net.from(A, TcpFlag.RST);
      expect(rst.map((c) => [flagsOf(c.seg), c.seg.seq]), prof.name).to.deep.equal([['R', data.ack]]);
    }
  });

  it('drops an orphaned FIN-WAIT-2 connection after tcp_fin_timeout', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.close(net.now);
    net.run(5 * MS);
    expect(p.client.state).to.equal(TcpState.FIN_WAIT_2);
    net.run(61 * SEC);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    expect(p.server.state).to.equal(TcpState.CLOSE_WAIT);
  });

  it('acknowledges a retransmitted FIN in TIME-WAIT and restarts the 2MSL timer', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.close(net.now);
    net.run(5 * MS);
    // The client's ACK of the server FIN is lost: the server retransmits its FIN.
    let dropped = false;
    net.dropIf = (c) => !dropped && c.src === ipv4(A) && (dropped = true);
    p.server.close(net.now);
    net.run(30 * SEC);
    expect(p.client.state).to.equal(TcpState.TIME_WAIT);
    expect(p.server.state).to.equal(TcpState.CLOSED);
    const finAt = net.from(B, TcpFlag.FIN).map((c) => c.t);
    expect(finAt).to.have.length(2);
    // TIME-WAIT restarted when the second FIN arrived.
    net.run(finAt[1]! + 1 * MS + 60 * SEC - 1 - net.now);
    expect(p.client.state).to.equal(TcpState.TIME_WAIT);
    net.run(2 * MS);
    expect(p.client.state).to.equal(TcpState.CLOSED);
  });

  it('answers a segment for no connection with RST: <SEQ=SEG.ACK> or <SEQ=0><ACK=SEG.SEQ+LEN> (§3.10.7.1)', () => {
    const net = new TestNet();
    net.addHost(B);
    net.addHost(A);
    const seg = (flags: number, len: number): TcpRepr => ({
      srcPort: 1234, dstPort: 99, seq: seqAdd(0 as never, 5000), ack: seqAdd(0 as never, 777), flags,
      window: 100, urgent: 0, options: [], payload: new Uint8Array(len),
    });
    net.deliver(ipv4(A), ipv4(B), seg(TcpFlag.ACK, 10));
    net.deliver(ipv4(A), ipv4(B), seg(TcpFlag.PSH, 10));
    net.deliver(ipv4(A), ipv4(B), seg(TcpFlag.RST, 0));
    const out = net.from(B).map((c) => c.seg);
    expect(out).to.have.length(2);
    expect([flagsOf(out[0]!), out[0]!.seq]).to.deep.equal(['R', 777]);
    expect([flagsOf(out[1]!), out[1]!.seq, out[1]!.ack]).to.deep.equal(['R.', 0, 5010]);
  });

  for (const profile of [linuxProfile, freebsdProfile]) {
    it(`${profile.rfc1337 ? 'ignores' : 'accepts'} an in-window RST in TIME-WAIT (RFC 1337, ${profile.name})`, () => {
      const net = new TestNet();
      const a = net.addHost(A, profile);
      const b = net.addHost(B, profile);
      const p = openPair(net, a, b);
      p.client.close(net.now);
      p.server.close(net.now);
      net.run(10 * MS);
      expect(p.client.state).to.equal(TcpState.TIME_WAIT);
      net.deliver(ipv4(B), ipv4(A), {
        srcPort: 80, dstPort: p.client.localPort, seq: p.client.rcvNxt, ack: 0 as never, flags: TcpFlag.RST,
        window: 0, urgent: 0, options: [], payload: new Uint8Array(0),
      });
      expect(p.client.state).to.equal(profile.rfc1337 ? TcpState.TIME_WAIT : TcpState.CLOSED);
    });
  }

  it('lets a new SYN with a higher sequence number take over a TIME-WAIT connection (RFC 6191)', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    const port = p.client.localPort;
    // Server closes first, so the server side holds TIME-WAIT.
    p.server.close(net.now);
    net.run(5 * MS);
    p.client.close(net.now);
    net.run(10 * MS);
    expect(p.server.state).to.equal(TcpState.TIME_WAIT);
    expect(p.client.state).to.equal(TcpState.CLOSED);
    net.run(1 * SEC);
    const c2 = a.connect({ localAddr: ipv4(A), localPort: port, remoteAddr: ipv4(B), remotePort: 80 }, net.now);
    if (typeof c2 === 'string') throw new Error(c2);
    net.run(2 * SEC);
    expect(c2.state).to.equal(TcpState.ESTABLISHED);
    expect(b.mib.TCPTimeWaitReuse).to.equal(1);
  });
});
