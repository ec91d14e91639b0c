import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { ERRNO } from '../../harness/sockets/errno.ts';
import {
  SOL_SOCKET,
  SO_ACCEPTCONN,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SO_REUSEADDR,
  SO_TYPE,
  TCP_INFO,
  TCP_KEEPCNT,
  TCP_KEEPIDLE,
  TCP_MAXSEG,
  TCP_NODELAY,
} from '../../harness/sockets/options.ts';
import { FIONREAD, SOCK_NONBLOCK } from '../../harness/sockets/syscalls.ts';
import {
  AF_INET,
  F_GETFL,
  F_SETFL,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  O_NONBLOCK,
  O_RDWR,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLRDHUP,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_STREAM,
} from '../../harness/sockets/types.ts';
import { A, B, connectedPair, dec, enc, loopWorld, now, settle, type LoopWorld } from './support/world.ts';

const ALL = POLLIN | POLLOUT | POLLRDHUP;

function listener(w: LoopWorld, port = 80, backlog = 16): number {
  const fd = now(w.sb.socket()).ret;
  expect(now(w.sb.bind(fd, { addr: B, port }))).to.deep.equal({ ret: 0, errno: null });
  expect(now(w.sb.listen(fd, backlog))).to.deep.equal({ ret: 0, errno: null });
  return fd;
}

describe('sockets: socket() and descriptors', () => {
  it('numbers descriptors from 3, lowest free first', () => {
    const w = loopWorld();
    expect(now(w.sa.socket()).ret).to.equal(3);
    expect(now(w.sa.socket()).ret).to.equal(4);
    now(w.sa.close(3));
    expect(now(w.sa.socket()).ret).to.equal(3);
  });

  it('refuses other families, types and protocols', () => {
    const w = loopWorld();
    expect(now(w.sa.socket(10, SOCK_STREAM, 0)).errno).to.equal('EAFNOSUPPORT');
    expect(now(w.sa.socket(AF_INET, 2, 0)).errno).to.equal('ESOCKTNOSUPPORT');
    expect(now(w.sa.socket(AF_INET, SOCK_STREAM, 17)).errno).to.equal('EPROTONOSUPPORT');
    expect(now(w.sa.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)).ret).to.equal(3);
  });

  it('fails with EMFILE once the descriptor table is full', () => {
    const w = loopWorld({ maxFds: 6 });
    for (const fd of [3, 4, 5]) expect(now(w.sa.socket()).ret).to.equal(fd);
    expect(now(w.sa.socket())).to.deep.equal({ ret: -1, errno: 'EMFILE' });
  });

  it('answers EBADF for a descriptor that is not open', () => {
    const w = loopWorld();
    expect(now(w.sa.bind(7, { addr: A, port: 1 })).errno).to.equal('EBADF');
    expect(now(w.sa.read(7, 10)).errno).to.equal('EBADF');
    expect(now(w.sa.write(7, enc('x'))).errno).to.equal('EBADF');
    expect(now(w.sa.accept(7)).errno).to.equal('EBADF');
    expect(now(w.sa.close(7)).errno).to.equal('EBADF');
    expect(now(w.sa.getsockopt(7, SOL_SOCKET, SO_ERROR)).errno).to.equal('EBADF');
  });

  it('starts a SOCK_NONBLOCK socket non-blocking', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)).ret;
    expect(now(w.sa.fcntl(fd, F_GETFL)).ret).to.equal(O_RDWR | O_NONBLOCK);
  });
});

describe('sockets: bind()', () => {
  it('binds an explicit address and reports it', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.bind(fd, { addr: A, port: 8080 }))).to.deep.equal({ ret: 0, errno: null });
    expect(now(w.sa.getsockname(fd)).addr).to.deep.equal({ addr: ipv4(A), port: 8080 });
  });

  it('picks an ephemeral port for port 0', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    now(w.sa.bind(fd, { addr: '0.0.0.0', port: 0 }));
    expect(now(w.sa.getsockname(fd)).addr!.port).to.be.within(32768, 60999);
  });

  it('refuses a second bind with EINVAL', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    now(w.sa.bind(fd, { addr: A, port: 1000 }));
    expect(now(w.sa.bind(fd, { addr: A, port: 1001 })).errno).to.equal('EINVAL');
  });

  it('reports EADDRINUSE for a port another socket holds', () => {
    const w = loopWorld();
    const a = now(w.sa.socket()).ret;
    const b = now(w.sa.socket()).ret;
    now(w.sa.bind(a, { addr: A, port: 1000 }));
    expect(now(w.sa.bind(b, { addr: '0.0.0.0', port: 1000 })).errno).to.equal('EADDRINUSE');
  });

  it('shares a port between two SO_REUSEADDR sockets that do not listen', () => {
    const w = loopWorld();
    const a = now(w.sa.socket()).ret;
    const b = now(w.sa.socket()).ret;
    for (const fd of [a, b]) now(w.sa.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1));
    now(w.sa.bind(a, { addr: A, port: 1000 }));
    expect(now(w.sa.bind(b, { addr: A, port: 1000 })).errno).to.equal(null);
  });

  it('reports EADDRNOTAVAIL for an address the host does not have', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.bind(fd, { addr: B, port: 1000 })).errno).to.equal('EADDRNOTAVAIL');
  });

  it('rejects a malformed address with EINVAL', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.bind(fd, { addr: '10.0.0', port: 1 })).errno).to.equal('EINVAL');
    expect(now(w.sa.bind(fd, { addr: A, port: 70000 })).errno).to.equal('EINVAL');
  });
});

describe('sockets: listen() and accept()', () => {
  it('binds an unbound socket to an ephemeral port on listen', () => {
    const w = loopWorld();
    const fd = now(w.sb.socket()).ret;
    expect(now(w.sb.listen(fd, 5)).ret).to.equal(0);
    expect(now(w.sb.getsockname(fd)).addr!.port).to.be.above(0);
    expect(now(w.sb.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN)).value).to.equal(1);
  });

  it('refuses listen on a connected socket with EINVAL', () => {
    const w = loopWorld();
    const { cfd } = connectedPair(w);
    expect(now(w.sa.listen(cfd, 5)).errno).to.equal('EINVAL');
  });

  it('refuses accept on a socket that does not listen with EINVAL', () => {
    const w = loopWorld();
    const fd = now(w.sb.socket()).ret;
    expect(now(w.sb.accept(fd)).errno).to.equal('EINVAL');
  });

  it('answers EAGAIN to a non-blocking accept with nothing queued', () => {
    const w = loopWorld();
    const fd = listener(w);
    now(w.sb.fcntl(fd, F_SETFL, O_NONBLOCK));
    expect(now(w.sb.accept(fd))).to.deep.equal({ ret: -1, errno: 'EAGAIN', peer: null });
  });

  it('blocks accept until a connection arrives, in virtual time', () => {
    const w = loopWorld();
    const fd = listener(w);
    const acc = w.sb.accept(fd);
    settle(w);
    expect(acc.done).to.equal(false);
    w.sched.schedule(3 * SEC, () => void w.sa.connect(now(w.sa.socket()).ret, { addr: B, port: 80 }));
    let at = -1;
    acc.onDone(() => (at = w.sched.now()));
    settle(w);
    expect(at).to.equal(3 * SEC);
    expect(acc.result!.ret).to.equal(4);
    expect(acc.result!.peer).to.deep.equal({ addr: ipv4(A), port: 32768 });
  });

  it('gives accept4(SOCK_NONBLOCK) a non-blocking descriptor', () => {
    const w = loopWorld();
    const fd = listener(w);
    now(w.sa.connect(now(w.sa.socket()).ret, { addr: B, port: 80 }));
    const nfd = now(w.sb.accept(fd, SOCK_NONBLOCK)).ret;
    expect(now(w.sb.fcntl(nfd, F_GETFL)).ret & O_NONBLOCK).to.equal(O_NONBLOCK);
    expect(now(w.sb.read(nfd, 10)).errno).to.equal('EAGAIN');
  });

  it('refuses connections past the backlog', () => {
    const w = loopWorld();
    listener(w, 80, 2);
    const results = [0, 1, 2].map(() => now(w.sa.connect(now(w.sa.socket()).ret, { addr: B, port: 80 })).errno);
    expect(results).to.deep.equal([null, null, 'ECONNREFUSED']);
  });
});

describe('sockets: connect()', () => {
  it('reports ECONNREFUSED when nobody listens', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.connect(fd, { addr: B, port: 81 }))).to.deep.equal({ ret: -1, errno: 'ECONNREFUSED' });
    // The error was returned, so it is no longer pending.
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_ERROR)).value).to.equal(0);
  });

  it('blocks until the handshake completes, in virtual time', () => {
    const w = loopWorld({ connectDelay: 20 * MS });
    listener(w);
    const c = w.sa.connect(now(w.sa.socket()).ret, { addr: B, port: 80 });
    expect(c.done).to.equal(false);
    let at = -1;
    c.onDone(() => (at = w.sched.now()));
    settle(w);
    expect(c.result).to.deep.equal({ ret: 0, errno: null });
    expect(at).to.equal(20 * MS);
  });

  it('goes EINPROGRESS, EALREADY, 0, then EISCONN when non-blocking (Linux __inet_stream_connect)', () => {
    const w = loopWorld({ connectDelay: 20 * MS });
    listener(w);
    const fd = now(w.sa.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)).ret;
    const to = { addr: B, port: 80 };
    expect(now(w.sa.connect(fd, to)).errno).to.equal('EINPROGRESS');
    expect(now(w.sa.connect(fd, to)).errno).to.equal('EALREADY');
    settle(w);
    expect(now(w.sa.connect(fd, to))).to.deep.equal({ ret: 0, errno: null });
    expect(now(w.sa.connect(fd, to)).errno).to.equal('EISCONN');
  });

  it('leaves a refused non-blocking connect in SO_ERROR, reported once', () => {
    const w = loopWorld({ connectDelay: 20 * MS });
    const fd = now(w.sa.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)).ret;
    expect(now(w.sa.connect(fd, { addr: B, port: 81 })).errno).to.equal('EINPROGRESS');
    settle(w);
    expect(now(w.sa.poll([{ fd, events: POLLOUT }], 0)).revents[0]).to.equal(POLLOUT | POLLERR | POLLHUP);
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_ERROR)).value).to.equal(ERRNO.ECONNREFUSED);
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_ERROR)).value).to.equal(0);
  });

  it('answers EISCONN for a listening socket', () => {
    const w = loopWorld();
    const fd = listener(w);
    expect(now(w.sb.connect(fd, { addr: B, port: 80 })).errno).to.equal('EISCONN');
  });

  it('can connect again after a refusal', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.connect(fd, { addr: B, port: 80 })).errno).to.equal('ECONNREFUSED');
    listener(w);
    expect(now(w.sa.connect(fd, { addr: B, port: 80 })).errno).to.equal(null);
  });

  it('gives a blocking connect that outlives SO_SNDTIMEO EINPROGRESS', () => {
    const w = loopWorld({ connectDelay: 5 * SEC });
    listener(w);
    const fd = now(w.sa.socket()).ret;
    now(w.sa.setsockopt(fd, SOL_SOCKET, 21, 1_000_000)); // SO_SNDTIMEO, 1 s in microseconds
    const c = w.sa.connect(fd, { addr: B, port: 80 });
    w.sched.runFor(1 * SEC);
    expect(c.result).to.deep.equal({ ret: -1, errno: 'EINPROGRESS' });
  });
});

describe('sockets: read() and recv()', () => {
  it('answers ENOTCONN on a socket never connected and on a listener', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.read(fd, 10)).errno).to.equal('ENOTCONN');
    const l = listener(w);
    expect(now(w.sb.read(l, 10)).errno).to.equal('ENOTCONN');
  });

  it('answers EAGAIN when non-blocking with nothing to read', () => {
    const w = loopWorld();
    const { cfd } = connectedPair(w);
    expect(now(w.sa.recv(cfd, 10, MSG_DONTWAIT)).errno).to.equal('EAGAIN');
  });

  it('blocks a read until data arrives, then returns what is there', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    const r = w.sb.read(sfd, 100);
    settle(w);
    expect(r.done).to.equal(false);
    w.sched.schedule(2 * SEC, () => void w.sa.write(cfd, enc('abc')));
    settle(w);
    expect(r.result!.ret).to.equal(3);
    expect(dec(r.result!.data)).to.equal('abc');
  });

  it('returns at most len bytes and keeps the rest for the next read', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('hello')));
    now(w.sa.write(cfd, enc('world')));
    settle(w);
    expect(dec(now(w.sb.read(sfd, 3)).data)).to.equal('hel');
    expect(dec(now(w.sb.read(sfd, 100)).data)).to.equal('loworld');
  });

  it('leaves data in place with MSG_PEEK', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('ab')));
    now(w.sa.write(cfd, enc('cd')));
    settle(w);
    expect(dec(now(w.sb.recv(sfd, 3, MSG_PEEK)).data)).to.equal('abc');
    expect(dec(now(w.sb.recv(sfd, 10, MSG_PEEK)).data)).to.equal('abcd');
    expect(dec(now(w.sb.read(sfd, 10)).data)).to.equal('abcd');
  });

  it('waits for the full length with MSG_WAITALL', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    const r = w.sb.recv(sfd, 6, MSG_WAITALL);
    now(w.sa.write(cfd, enc('abc')));
    settle(w);
    expect(r.done).to.equal(false);
    now(w.sa.write(cfd, enc('defg')));
    settle(w);
    expect(dec(r.result!.data)).to.equal('abcdef');
    expect(dec(now(w.sb.read(sfd, 10)).data)).to.equal('g');
  });

  it('returns 0 for a zero-length read', () => {
    const w = loopWorld();
    const { sfd } = connectedPair(w);
    expect(now(w.sb.read(sfd, 0))).to.deep.include({ ret: 0, errno: null });
  });

  it('returns the data before the FIN, then 0 (end of stream)', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('last')));
    now(w.sa.shutdown(cfd, SHUT_WR));
    settle(w);
    expect(dec(now(w.sb.read(sfd, 100)).data)).to.equal('last');
    expect(now(w.sb.read(sfd, 100))).to.deep.include({ ret: 0, errno: null });
    expect(now(w.sb.read(sfd, 100))).to.deep.include({ ret: 0, errno: null });
  });

  it('returns queued data, then ECONNRESET once, then 0 after a reset (Linux tcp_recvmsg)', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('x')));
    now(w.sb.write(sfd, enc('unread')));
    settle(w);
    now(w.sa.close(cfd)); // a closes without reading: RST
    settle(w);
    expect(dec(now(w.sb.read(sfd, 100)).data)).to.equal('x');
    expect(now(w.sb.read(sfd, 100)).errno).to.equal('ECONNRESET');
    expect(now(w.sb.read(sfd, 100))).to.deep.include({ ret: 0, errno: null });
  });

  it('reads 0, not the error, when the FIN came before the reset (SOCK_DONE first)', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.shutdown(cfd, SHUT_WR));
    settle(w);
    now(w.sa.setsockopt(cfd, SOL_SOCKET, SO_LINGER, { onoff: true, linger: 0 }));
    now(w.sa.close(cfd));
    settle(w);
    expect(now(w.sb.read(sfd, 10))).to.deep.include({ ret: 0, errno: null });
    expect(now(w.sb.write(sfd, enc('x'))).errno).to.equal('EPIPE');
  });

  it('times out a blocking read after SO_RCVTIMEO with EAGAIN', () => {
    const w = loopWorld();
    const { sfd } = connectedPair(w);
    now(w.sb.setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, 250_000));
    expect(now(w.sb.getsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO)).value).to.equal(250_000);
    const r = w.sb.read(sfd, 10);
    let at = -1;
    r.onDone(() => (at = w.sched.now()));
    settle(w);
    expect(r.result!.errno).to.equal('EAGAIN');
    expect(at).to.equal(250 * MS);
  });

  it('reports readable bytes with ioctl(FIONREAD)', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('12345')));
    now(w.sa.write(cfd, enc('678')));
    settle(w);
    expect(now(w.sb.ioctl(sfd, FIONREAD)).ret).to.equal(8);
    expect(now(w.sb.ioctl(sfd, 0x1234)).errno).to.equal('ENOTTY');
  });
});

describe('sockets: write() and send()', () => {
  it('answers EPIPE on a socket never connected', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.write(fd, enc('x'))).errno).to.equal('EPIPE');
  });

  it('answers EPIPE after shutdown(SHUT_WR)', () => {
    const w = loopWorld();
    const { cfd } = connectedPair(w);
    now(w.sa.shutdown(cfd, SHUT_WR));
    expect(now(w.sa.write(cfd, enc('x'))).errno).to.equal('EPIPE');
  });

  it('answers ECONNRESET once after the peer reset, then EPIPE', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sb.setsockopt(sfd, SOL_SOCKET, SO_LINGER, { onoff: true, linger: 0 }));
    now(w.sb.close(sfd));
    settle(w);
    expect(now(w.sa.write(cfd, enc('x'))).errno).to.equal('ECONNRESET');
    expect(now(w.sa.write(cfd, enc('x'))).errno).to.equal('EPIPE');
  });

  it('takes what fits when non-blocking and says EAGAIN when the send buffer is full', () => {
    const w = loopWorld();
    const { cfd } = connectedPair(w);
    now(w.sa.fcntl(cfd, F_SETFL, O_NONBLOCK));
    const big = new Uint8Array(200_000);
    const first = now(w.sa.write(cfd, big));
    expect(first.ret).to.be.above(0).and.below(big.length);
    expect(now(w.sa.write(cfd, big)).errno).to.equal('EAGAIN');
  });

  it('completes a blocking write as the reader drains', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    const big = new Uint8Array(300_000).map((_, i) => i & 255);
    const wr = w.sa.write(cfd, big);
    settle(w);
    expect(wr.done).to.equal(false);
    const got: Uint8Array[] = [];
    let n = 0;
    const drain = (): void => {
      w.sb.read(sfd, 65536).onDone((r) => {
        got.push(r.data);
        n += r.ret;
        if (n < big.length && r.ret > 0) drain();
      });
    };
    drain();
    settle(w);
    expect(wr.result).to.deep.equal({ ret: big.length, errno: null });
    const all = Buffer.concat(got);
    expect(all.equals(Buffer.from(big))).to.equal(true);
  });
});

describe('sockets: shutdown()', () => {
  it('answers EINVAL to a bad `how` and ENOTCONN when not connected', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.shutdown(fd, 3)).errno).to.equal('EINVAL');
    expect(now(w.sa.shutdown(fd, SHUT_RDWR)).errno).to.equal('ENOTCONN');
  });

  it('half-closes with SHUT_WR: the peer reads EOF and can still send', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.shutdown(cfd, SHUT_WR));
    settle(w);
    expect(now(w.sb.read(sfd, 10)).ret).to.equal(0);
    expect(now(w.sb.write(sfd, enc('reply'))).ret).to.equal(5);
    settle(w);
    expect(dec(now(w.sa.read(cfd, 10)).data)).to.equal('reply');
  });

  it('after SHUT_RD returns queued data, then 0 instead of blocking', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('q')));
    settle(w);
    now(w.sb.shutdown(sfd, SHUT_RD));
    expect(dec(now(w.sb.read(sfd, 10)).data)).to.equal('q');
    expect(now(w.sb.read(sfd, 10)).ret).to.equal(0);
  });

  it('stops a listener on SHUT_RD: accept then fails with EINVAL', () => {
    const w = loopWorld();
    const fd = listener(w);
    const acc = w.sb.accept(fd);
    expect(now(w.sb.shutdown(fd, SHUT_RD)).ret).to.equal(0);
    settle(w);
    expect(acc.result!.errno).to.equal('EINVAL');
    expect(now(w.sa.connect(now(w.sa.socket()).ret, { addr: B, port: 80 })).errno).to.equal('ECONNREFUSED');
  });
});

describe('sockets: close()', () => {
  it('ends with a FIN: the peer reads end of stream', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.write(cfd, enc('bye')));
    now(w.sa.close(cfd));
    settle(w);
    expect(dec(now(w.sb.read(sfd, 10)).data)).to.equal('bye');
    expect(now(w.sb.read(sfd, 10)).ret).to.equal(0);
  });

  it('resets when received data was never read (Linux tcp_close)', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sb.write(sfd, enc('ignored')));
    settle(w);
    now(w.sa.close(cfd));
    settle(w);
    expect(now(w.sb.read(sfd, 10)).errno).to.equal('ECONNRESET');
  });

  it('resets with SO_LINGER on and a zero timeout', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.setsockopt(cfd, SOL_SOCKET, SO_LINGER, { onoff: true, linger: 0 }));
    expect(now(w.sa.getsockopt(cfd, SOL_SOCKET, SO_LINGER)).value).to.deep.equal({ onoff: true, linger: 0 });
    now(w.sa.close(cfd));
    settle(w);
    expect(now(w.sb.read(sfd, 10)).errno).to.equal('ECONNRESET');
  });

  it('refuses the connections a closing listener still holds', () => {
    const w = loopWorld();
    const l = listener(w);
    const cfd = now(w.sa.socket()).ret;
    now(w.sa.connect(cfd, { addr: B, port: 80 }));
    now(w.sb.close(l));
    settle(w);
    expect(now(w.sa.read(cfd, 10)).errno).to.equal('ECONNRESET');
  });

  it('wakes a call blocked on the descriptor with EBADF', () => {
    const w = loopWorld();
    const { sfd } = connectedPair(w);
    const r = w.sb.read(sfd, 10);
    now(w.sb.close(sfd));
    expect(r.result!.errno).to.equal('EBADF');
  });
});

describe('sockets: setsockopt() and getsockopt()', () => {
  it('answers ENOPROTOOPT for unknown levels and names, and for read-only options', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.setsockopt(fd, 99, 1, 1)).errno).to.equal('ENOPROTOOPT');
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, 999)).errno).to.equal('ENOPROTOOPT');
    expect(now(w.sa.setsockopt(fd, SOL_SOCKET, SO_ERROR, 0)).errno).to.equal('ENOPROTOOPT');
    expect(now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_INFO, 0)).errno).to.equal('ENOPROTOOPT');
  });

  it('answers SO_TYPE and SO_ACCEPTCONN itself', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_TYPE)).value).to.equal(SOCK_STREAM);
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN)).value).to.equal(0);
  });

  it('checks values as Linux does before the transport sees them', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, 40)).errno).to.equal('EINVAL');
    expect(now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, 0)).errno).to.equal(null);
    expect(now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0)).errno).to.equal('EINVAL');
    expect(now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32768)).errno).to.equal('EINVAL');
    expect(now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, 128)).errno).to.equal('EINVAL');
    expect(now(w.sa.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1.5)).errno).to.equal('EINVAL');
  });

  it('sets and reads back transport options through T_OPTMGMT', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)).value).to.equal(0);
    now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1));
    now(w.sa.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
    now(w.sa.setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 75));
    expect(now(w.sa.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)).value).to.equal(1);
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE)).value).to.equal(1);
    expect(now(w.sa.getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE)).value).to.equal(75);
  });

  it('sizes the transport receive buffer with SO_RCVBUF', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    now(w.sa.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4096));
    expect(now(w.sa.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).value).to.equal(4096);
  });

  it('returns TCP_INFO fields from the transport', () => {
    const w = loopWorld();
    const { cfd } = connectedPair(w);
    expect(now(w.sa.getsockopt(cfd, IPPROTO_TCP, TCP_INFO)).value).to.deep.equal({ tcpi_state: 1, tcpi_snd_mss: 1460 });
  });
});

describe('sockets: fcntl()', () => {
  it('switches O_NONBLOCK with F_SETFL and reports it with F_GETFL', () => {
    const w = loopWorld();
    const { sfd } = connectedPair(w);
    expect(now(w.sb.fcntl(sfd, F_GETFL)).ret).to.equal(O_RDWR);
    now(w.sb.fcntl(sfd, F_SETFL, O_NONBLOCK));
    expect(now(w.sb.read(sfd, 1)).errno).to.equal('EAGAIN');
    now(w.sb.fcntl(sfd, F_SETFL, 0));
    expect(w.sb.read(sfd, 1).done).to.equal(false);
    expect(now(w.sb.fcntl(sfd, 99)).errno).to.equal('EINVAL');
  });
});

describe('sockets: poll()', () => {
  it('reports POLLOUT | POLLHUP for a fresh socket, as Linux tcp_poll does', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.poll([{ fd, events: ALL }], 0)).revents).to.deep.equal([POLLOUT | POLLHUP]);
  });

  it('reports POLLIN on a listener with a connection waiting', () => {
    const w = loopWorld();
    const l = listener(w);
    expect(now(w.sb.poll([{ fd: l, events: POLLIN }], 0)).ret).to.equal(0);
    now(w.sa.connect(now(w.sa.socket()).ret, { addr: B, port: 80 }));
    expect(now(w.sb.poll([{ fd: l, events: POLLIN }], 0)).revents).to.deep.equal([POLLIN]);
  });

  it('reports data, the peer FIN and a reset', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    expect(now(w.sb.poll([{ fd: sfd, events: ALL }], 0)).revents).to.deep.equal([POLLOUT]);
    now(w.sa.write(cfd, enc('d')));
    settle(w);
    expect(now(w.sb.poll([{ fd: sfd, events: ALL }], 0)).revents).to.deep.equal([POLLIN | POLLOUT]);
    now(w.sa.shutdown(cfd, SHUT_WR));
    settle(w);
    expect(now(w.sb.poll([{ fd: sfd, events: ALL }], 0)).revents).to.deep.equal([POLLIN | POLLOUT | POLLRDHUP]);
    now(w.sa.setsockopt(cfd, SOL_SOCKET, SO_LINGER, { onoff: true, linger: 0 }));
    now(w.sa.close(cfd));
    settle(w);
    expect(now(w.sb.poll([{ fd: sfd, events: ALL }], 0)).revents).to.deep.equal([POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP]);
  });

  it('blocks until an fd is ready, or times out in virtual time', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    const p = w.sb.poll([{ fd: sfd, events: POLLIN }], 500);
    let at = -1;
    p.onDone(() => (at = w.sched.now()));
    settle(w);
    expect(p.result).to.deep.equal({ ret: 0, errno: null, revents: [0] });
    expect(at).to.equal(500 * MS);
    const p2 = w.sb.poll([{ fd: sfd, events: POLLIN }], -1);
    w.sched.schedule(7 * SEC, () => void w.sa.write(cfd, enc('z')));
    settle(w);
    expect(p2.result!.revents).to.deep.equal([POLLIN]);
  });

  it('reports POLLNVAL for a descriptor that is not open', () => {
    const w = loopWorld();
    expect(now(w.sa.poll([{ fd: 9, events: POLLIN }], 0))).to.deep.equal({ ret: 1, errno: null, revents: [POLLNVAL] });
  });
});

describe('sockets: getpeername()', () => {
  it('answers ENOTCONN before a connection and the peer after', () => {
    const w = loopWorld();
    const fd = now(w.sa.socket()).ret;
    expect(now(w.sa.getpeername(fd)).errno).to.equal('ENOTCONN');
    const { cfd } = connectedPair(w);
    expect(now(w.sa.getpeername(cfd)).addr).to.deep.equal({ addr: ipv4(B), port: 80 });
  });
});
