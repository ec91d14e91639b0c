import { expect } from 'chai';
import { MS } from '../../lib/sim/time.ts';
import { dialectNamed, dialectOf, freebsdDialect, linuxDialect } from '../../harness/sockets/dialect.ts';
import { AF_INET, SOCK_STREAM, type SysResult } from '../../harness/sockets/types.ts';
import { SOCK_NONBLOCK } from '../../harness/sockets/syscalls.ts';
import type { Call } from '../../harness/sockets/call.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import type { TcpProfile } from '../../modules/tcp/profile.ts';
import { B, tcpPair, type TcpPair } from './support/tcp-world.ts';

function now<R extends SysResult>(c: Call<R>): R {
  if (!c.done) throw new Error(`${c.what} is still blocked`);
  return c.result!;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A listener on b:80 and an established connection from a (blocking connect). */
function established(t: TcpPair): { lfd: number; cfd: number; sfd: number } {
  const lfd = now(t.sb.socket()).ret;
  now(t.sb.bind(lfd, { addr: B, port: 80 }));
  now(t.sb.listen(lfd, 8));
  const cfd = now(t.sa.socket()).ret;
  const conn = t.sa.connect(cfd, { addr: B, port: 80 });
  const acc = t.sb.accept(lfd);
  t.w.runFor(100 * MS);
  expect(now(conn).ret).to.equal(0);
  return { lfd, cfd, sfd: now(acc).ret };
}

/** The same calls under each profile: [linux answer, freebsd answer]. */
function both<T>(f: (t: TcpPair) => T): [T, T] {
  return [f(tcpPair({ link: { latency: 1 * MS }, profile: linuxProfile })), f(tcpPair({ link: { latency: 1 * MS }, profile: freebsdProfile }))];
}

describe('sockets: the errno dialect follows the TCP profile below', () => {
  it('asks the transport for its profile (TCP_IOC_GET_PROFILE) and falls back to Linux', () => {
    for (const [prof, want] of [[linuxProfile, linuxDialect], [freebsdProfile, freebsdDialect]] as Array<[TcpProfile, typeof linuxDialect]>) {
      const t = tcpPair({ profile: prof });
      const s = t.a.stack.env.open('tcp', { clone: true, label: 'probe' });
      expect(dialectOf(s)).to.equal(want);
    }
    expect(dialectNamed('something-else')).to.equal(linuxDialect);
  });

  it('refuses connect() on a listener with EISCONN (Linux) or EOPNOTSUPP (FreeBSD soconnectat)', () => {
    const r = both((t) => {
      const l = now(t.sb.socket()).ret;
      now(t.sb.bind(l, { addr: B, port: 80 }));
      now(t.sb.listen(l, 1));
      return now(t.sb.connect(l, { addr: B, port: 80 })).errno;
    });
    expect(r).to.deep.equal(['EISCONN', 'EOPNOTSUPP']);
  });

  it('finishes a completed non-blocking connect with 0 (Linux SS_CONNECTING) or says EISCONN (FreeBSD)', () => {
    const r = both((t) => {
      const l = now(t.sb.socket()).ret;
      now(t.sb.bind(l, { addr: B, port: 80 }));
      now(t.sb.listen(l, 1));
      const fd = now(t.sa.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)).ret;
      const first = now(t.sa.connect(fd, { addr: B, port: 80 })).errno;
      t.w.runFor(50 * MS);
      const second = now(t.sa.connect(fd, { addr: B, port: 80 }));
      const third = now(t.sa.connect(fd, { addr: B, port: 80 })).errno;
      return [first, second.errno ?? second.ret, third];
    });
    expect(r).to.deep.equal([
      ['EINPROGRESS', 0, 'EISCONN'],
      ['EINPROGRESS', 'EISCONN', 'EISCONN'],
    ]);
  });

  it('answers a write never connected with EPIPE (Linux) or ENOTCONN (FreeBSD sosend)', () => {
    const r = both((t) => now(t.sa.write(now(t.sa.socket()).ret, enc('x'))).errno);
    expect(r).to.deep.equal(['EPIPE', 'ENOTCONN']);
  });

  it('answers a write after a reset with the reset (Linux) or EPIPE first, leaving ECONNRESET to the read (FreeBSD)', () => {
    const r = both((t) => {
      const { cfd, sfd } = established(t);
      // SO_LINGER 0 on the client: close() resets the connection.
      now(t.sa.setsockopt(cfd, 1, 13, { onoff: true, linger: 0 }));
      now(t.sa.close(cfd));
      t.w.runFor(20 * MS);
      const w = now(t.sb.write(sfd, enc('x')));
      const rd = now(t.sb.read(sfd, 10));
      return [w.errno, rd.errno ?? rd.ret];
    });
    // Linux's write took the pending error: the read then sees end-of-file.
    expect(r).to.deep.equal([
      ['ECONNRESET', 0],
      ['EPIPE', 'ECONNRESET'],
    ]);
  });

  it('closes with unread data by RST (Linux) or by an orderly FIN after flushing it (FreeBSD tcp_disconnect)', () => {
    const r = both((t) => {
      const { cfd, sfd } = established(t);
      now(t.sa.write(cfd, enc('never read')));
      t.w.runFor(20 * MS);
      now(t.sb.close(sfd));
      t.w.runFor(20 * MS);
      const rd = now(t.sa.read(cfd, 10));
      return rd.errno ?? rd.ret;
    });
    // The client sees the reset, or end-of-file from the FIN.
    expect(r).to.deep.equal(['ECONNRESET', 0]);
  });

  it('returns from accept() a connection reset in the accept queue and reports the reset on the first read (Linux)', () => {
    const t = tcpPair({ link: { latency: 1 * MS }, profile: linuxProfile });
    const l = now(t.sb.socket()).ret;
    now(t.sb.bind(l, { addr: B, port: 80 }));
    now(t.sb.listen(l, 8));
    const cfd = now(t.sa.socket()).ret;
    const conn = t.sa.connect(cfd, { addr: B, port: 80 });
    t.w.runFor(20 * MS);
    expect(now(conn).ret).to.equal(0);
    now(t.sa.setsockopt(cfd, 1, 13, { onoff: true, linger: 0 }));
    now(t.sa.close(cfd));
    t.w.runFor(20 * MS);
    const acc = t.sb.accept(l);
    t.w.runFor(1 * MS);
    const fd = now(acc).ret;
    expect(fd).to.be.greaterThan(l);
    expect(now(t.sb.read(fd, 10)).errno).to.equal('ECONNRESET');
  });

  it('reads in one call everything received, also what flow control kept below the stream head (soreceive takes all of so_rcv)', () => {
    const t = tcpPair({ link: { latency: 1 * MS }, profile: freebsdProfile });
    const { cfd, sfd } = established(t);
    const big = new Uint8Array(40_000).fill(7);
    expect(now(t.sa.write(cfd, big)).ret).to.equal(big.length);
    t.w.runFor(50 * MS);
    // The head holds a few kB at most (STRHIGH); the rest waited in the TCP.
    const r = now(t.sb.read(sfd, 100_000));
    expect(r.ret).to.equal(big.length);
  });
});
