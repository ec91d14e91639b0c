/**
 * The real TCP (modules/tcp TcpStack) behind the runner's interfaces, for specs only: a small
 * socket layer over the stack's user calls, until the project's socket call layer over STREAMS
 * takes this place (harness/packetdrill/hosts.ts). It lets the conformance suite be played
 * against the real TCP now. Segments go straight between the runner and TcpStack (no IP, no
 * links): the script's wire is the stack's input and output.
 */
import type { Scheduler } from '../../../lib/sim/scheduler.ts';
import { SeededRng } from '../../../lib/sim/rng.ts';
import { SEC } from '../../../lib/sim/time.ts';
import type { Time } from '../../../lib/sim/time.ts';
import { ipv4 } from '../../../lib/wire/ip-types.ts';
import type { Ipv4Addr } from '../../../lib/wire/ip-types.ts';
import { TcpStack } from '../../../modules/tcp/stack.ts';
import type { TcpEndpoint } from '../../../modules/tcp/endpoint.ts';
import type { TcpListener } from '../../../modules/tcp/listen.ts';
import type { TcpErrno, TcpHandler, TcpListenHandler } from '../../../modules/tcp/events.ts';
import { profiles } from '../../../modules/tcp/index.ts';
import { TcpState, stateName } from '../../../modules/tcp/state.ts';
import type {
  HostIntrospection,
  ScriptWire,
  SockAddr,
  SocketInfo,
  Syscall,
  SyscallTarget,
  SysOutcome,
  WireSegment,
} from '../../../harness/packetdrill/target.ts';
import { POLL } from '../../../harness/packetdrill/target.ts';

type Done = (o: SysOutcome) => void;

interface Sock {
  nonblocking: boolean;
  bound?: SockAddr;
  reuseAddr: boolean;
  linger: number | null;
  rcvBuf?: number;
  sndBuf?: number;
  nodelay: boolean;
  listener?: TcpListener;
  ep?: TcpEndpoint;
  /** Sticky error for SO_ERROR and the next call (cleared when reported). */
  error?: TcpErrno;
  /** Bytes taken out of the stack by MSG_PEEK and not yet read. */
  peeked: number[];
  acceptWaiters: Done[];
  readWaiters: Array<{ len: number; peek: boolean; done: Done }>;
  connectWaiter?: Done;
  writeWaiter?: { data: Uint8Array; sent: number; done: Done };
}

export class StackHost implements ScriptWire, SyscallTarget, HostIntrospection {
  readonly peerAddr: Ipv4Addr;
  readonly hostAddr: Ipv4Addr;
  readonly hostname = 'dut';
  readonly stack: TcpStack;
  private handler: ((seg: WireSegment) => void) | null = null;
  private readonly fds = new Map<number, Sock>();
  /** Every endpoint and listener a socket ever held, for the tools (TIME-WAIT outlives its fd). */
  private readonly known = new Set<TcpEndpoint>();
  private readonly wakeTimes = new Set<Time>();

  constructor(
    private readonly sched: Scheduler,
    readonly profile: 'linux' | 'freebsd',
    opts: { hostAddr?: Ipv4Addr; peerAddr?: Ipv4Addr; mtu?: number } = {},
  ) {
    this.hostAddr = opts.hostAddr ?? ipv4('192.168.0.1');
    this.peerAddr = opts.peerAddr ?? ipv4('192.0.2.1');
    const mtu = opts.mtu ?? 1500;
    const p = profiles[profile]!;
    this.stack = new TcpStack({
      profile: p.profile,
      sysctlMap: p.sysctlMap,
      rng: new SeededRng(1),
      env: {
        output: (src, dst, tcp, ttl) => this.handler?.({ src, dst, tos: 0, ttl, tcp }),
        mtu: () => mtu,
        wakeAt: (at) => this.wakeAt(at),
      },
    });
  }

  private wakeAt(at: Time): void {
    if (this.wakeTimes.has(at)) return;
    this.wakeTimes.add(at);
    this.sched.scheduleAt(at, () => {
      this.wakeTimes.delete(at);
      this.stack.onTimer(this.sched.now());
    });
  }

  // ---- ScriptWire ---------------------------------------------------------------------------

  onSegment(handler: (seg: WireSegment) => void): void {
    this.handler = handler;
  }

  inject(seg: WireSegment): void {
    this.sched.schedule(0, () => this.stack.input(seg.src, seg.dst, seg.tcp, this.sched.now()));
  }

  // ---- endpoint events ----------------------------------------------------------------------

  private readonly epHandler: TcpHandler = {
    established: (ep) => {
      const s = this.sockOf(ep);
      if (s?.connectWaiter) {
        const w = s.connectWaiter;
        delete s.connectWaiter;
        w({ ret: 0 });
      }
    },
    readable: (ep) => this.wakeReaders(this.sockOf(ep)),
    peerClosed: (ep) => this.wakeReaders(this.sockOf(ep)),
    writable: (ep) => this.continueWrite(this.sockOf(ep)),
    error: (ep, err) => {
      const s = this.sockOf(ep);
      if (!s) return;
      s.error = err;
      if (s.connectWaiter) {
        const w = s.connectWaiter;
        delete s.connectWaiter;
        delete s.error;
        w({ ret: -1, errno: err });
      }
      this.wakeReaders(s);
      if (s.writeWaiter) {
        const w = s.writeWaiter;
        delete s.writeWaiter;
        w.done(w.sent > 0 ? { ret: w.sent } : { ret: -1, errno: err });
      }
    },
  };

  private readonly listenHandler: TcpListenHandler = {
    connection: (l) => {
      const s = [...this.fds.values()].find((x) => x.listener === l);
      const w = s?.acceptWaiters.shift();
      if (!s || !w) return;
      const child = l.accept();
      if (child) w({ ret: this.adopt(child) });
    },
  };

  private sockOf(ep: TcpEndpoint): Sock | undefined {
    return ep.user as Sock | undefined;
  }

  private newSock(): Sock {
    return { nonblocking: false, reuseAddr: false, linger: null, nodelay: false, peeked: [], acceptWaiters: [], readWaiters: [] };
  }

  private allocFd(s: Sock): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, s);
    return fd;
  }

  private adopt(ep: TcpEndpoint): number {
    const s = this.newSock();
    s.ep = ep;
    ep.handler = this.epHandler;
    ep.user = s;
    this.known.add(ep);
    return this.allocFd(s);
  }

  private takeError(s: Sock): string | undefined {
    const e = s.error;
    delete s.error;
    return e;
  }

  /** A read's result now, or null when it has to wait. */
  private readNow(s: Sock, len: number, peek: boolean): SysOutcome | null {
    const ep = s.ep!;
    const now = this.sched.now();
    if (peek) {
      while (s.peeked.length < len) {
        const chunk = ep.read(len - s.peeked.length, now);
        if (!chunk) break;
        for (const b of chunk) s.peeked.push(b);
      }
      if (s.peeked.length > 0) return { ret: Math.min(len, s.peeked.length), data: Uint8Array.from(s.peeked.slice(0, len)) };
    } else {
      const out: number[] = s.peeked.splice(0, len);
      while (out.length < len) {
        const chunk = ep.read(len - out.length, now);
        if (!chunk) break;
        for (const b of chunk) out.push(b);
      }
      if (out.length > 0) return { ret: out.length, data: Uint8Array.from(out) };
    }
    const err = this.takeError(s);
    if (err) return { ret: -1, errno: err };
    if (ep.eof || ep.state === TcpState.CLOSED) return { ret: 0, data: new Uint8Array(0) };
    return null;
  }

  private wakeReaders(s: Sock | undefined): void {
    if (!s) return;
    while (s.readWaiters.length) {
      const r = s.readWaiters[0]!;
      const o = this.readNow(s, r.len, r.peek);
      if (!o) return;
      s.readWaiters.shift();
      r.done(o);
    }
  }

  private continueWrite(s: Sock | undefined): void {
    const w = s?.writeWaiter;
    if (!s || !w) return;
    const n = s.ep!.send(w.data.subarray(w.sent), this.sched.now());
    if (n < 0) {
      delete s.writeWaiter;
      w.done(w.sent > 0 ? { ret: w.sent } : { ret: -1, errno: this.takeError(s) ?? 'EPIPE' });
      return;
    }
    w.sent += n;
    if (w.sent === w.data.length) {
      delete s.writeWaiter;
      w.done({ ret: w.sent });
    }
  }

  // ---- SyscallTarget ------------------------------------------------------------------------

  call(c: Syscall, done: Done): void {
    const now = this.sched.now();
    const err = (errno: string): void => done({ ret: -1, errno });
    if (c.op === 'socket') return done({ ret: this.allocFd(this.newSock()) });
    if (c.op === 'poll') return done(this.poll(c.fds));
    const s = this.fds.get(c.fd);
    if (!s) return err('EBADF');
    switch (c.op) {
      case 'bind': {
        if (s.bound) return err('EINVAL');
        const port = this.stack.bindPort(c.addr.port, s.reuseAddr);
        if (typeof port !== 'number') return err(port);
        s.bound = { addr: c.addr.addr, port };
        return done({ ret: 0 });
      }
      case 'listen': {
        if (s.listener) {
          s.listener.setBacklog(c.backlog);
          return done({ ret: 0 });
        }
        if (!s.bound || s.ep) return err('EINVAL');
        const l = this.stack.listen(s.bound.addr, s.bound.port, c.backlog, this.listenHandler);
        if (typeof l === 'string') return err(l);
        s.listener = l;
        if (s.rcvBuf) l.inherit.rcvBuf = s.rcvBuf;
        if (s.sndBuf) l.inherit.sndBuf = s.sndBuf;
        if (s.nodelay) l.inherit.nodelay = true;
        return done({ ret: 0 });
      }
      case 'accept': {
        if (!s.listener) return err('EINVAL');
        const child = s.listener.accept();
        if (child) return done({ ret: this.adopt(child) });
        if (s.nonblocking) return err('EAGAIN');
        s.acceptWaiters.push(done);
        return;
      }
      case 'connect': {
        if (s.listener) return err('EISCONN');
        if (s.ep) {
          const e = this.takeError(s);
          if (e) return err(e);
          return err(s.ep.state === TcpState.SYN_SENT ? 'EALREADY' : 'EISCONN');
        }
        const r = this.stack.connect(
          {
            localAddr: this.hostAddr,
            localPort: s.bound?.port ?? 0,
            remoteAddr: c.addr.addr,
            remotePort: c.addr.port,
            handler: this.epHandler,
            user: s,
            setup: (ep) => {
              if (s.rcvBuf) ep.setReceiveBuffer(s.rcvBuf);
              if (s.sndBuf) ep.setSendBuffer(s.sndBuf);
              if (s.nodelay) ep.nodelay = true;
              if (s.linger !== null) ep.setLinger(s.linger);
            },
          },
          now,
        );
        if (typeof r === 'string') return err(r);
        s.ep = r;
        this.known.add(r);
        if (s.nonblocking) return err('EINPROGRESS');
        s.connectWaiter = done;
        return;
      }
      case 'read': {
        if (!s.ep) return err('ENOTCONN');
        const o = this.readNow(s, c.len, c.peek);
        if (o) return done(o);
        if (s.nonblocking || c.dontWait) return err('EAGAIN');
        s.readWaiters.push({ len: c.len, peek: c.peek, done });
        return;
      }
      case 'write': {
        if (!s.ep) return err('ENOTCONN');
        const e = this.takeError(s);
        if (e) return err(e);
        const n = s.ep.send(c.data, now);
        if (n < 0) return err('EPIPE');
        if (n === c.data.length) return done({ ret: n });
        if (s.nonblocking || c.dontWait) return n > 0 ? done({ ret: n }) : err('EAGAIN');
        s.writeWaiter = { data: c.data, sent: n, done };
        return;
      }
      case 'shutdown':
        if (!s.ep) return err('ENOTCONN');
        if (c.how !== 'SHUT_WR') s.ep.shutdownRead(now);
        if (c.how !== 'SHUT_RD') s.ep.shutdown(now);
        return done({ ret: 0 });
      case 'close':
        this.fds.delete(c.fd);
        if (s.listener) {
          this.stack.unlisten(s.listener);
          s.listener.close(now);
        }
        if (s.bound && !s.ep) this.stack.releasePort(s.bound.port);
        if (s.ep) {
          if (s.peeked.length) s.ep.rcvBuf.append(Uint8Array.from(s.peeked));
          s.ep.close(now);
        }
        return done({ ret: 0 });
      case 'setsockopt':
        return done(this.setsockopt(s, c.name, c.value));
      case 'getsockopt':
        return done(this.getsockopt(s, c.name));
      case 'getflags':
        return done({ ret: 0, nonblocking: s.nonblocking });
      case 'setflags':
        s.nonblocking = c.nonblocking;
        return done({ ret: 0 });
      case 'ioctl':
        if (!s.ep) return done({ ret: 0, value: 0 });
        return done({ ret: 0, value: c.request === 'FIONREAD' ? s.ep.readable + s.peeked.length : s.ep.unacknowledged });
    }
  }

  private setsockopt(s: Sock, name: string, value: SysOutcome['value']): SysOutcome {
    const num = typeof value === 'number' ? value : 0;
    switch (name) {
      case 'SO_REUSEADDR':
      case 'SO_REUSEPORT':
        s.reuseAddr = num !== 0;
        return { ret: 0 };
      case 'SO_LINGER': {
        if (typeof value !== 'object') return { ret: -1, errno: 'EINVAL' };
        s.linger = value.onoff ? value.linger * SEC : null;
        s.ep?.setLinger(s.linger);
        return { ret: 0 };
      }
      case 'SO_RCVBUF':
        s.rcvBuf = num;
        s.ep?.setReceiveBuffer(num);
        return { ret: 0 };
      case 'SO_SNDBUF':
        s.sndBuf = num;
        s.ep?.setSendBuffer(num);
        return { ret: 0 };
      case 'TCP_NODELAY':
        s.nodelay = num !== 0;
        s.ep?.setNoDelay(s.nodelay, this.sched.now());
        return { ret: 0 };
      default:
        return { ret: -1, errno: 'ENOPROTOOPT' };
    }
  }

  private getsockopt(s: Sock, name: string): SysOutcome {
    const p = this.stack.profile;
    switch (name) {
      case 'SO_ERROR':
        return { ret: 0, value: this.takeError(s) ?? 0 };
      case 'SO_REUSEADDR':
        return { ret: 0, value: s.reuseAddr ? 1 : 0 };
      case 'SO_RCVBUF':
        return { ret: 0, value: s.ep?.rcvBufSize ?? (s.rcvBuf !== undefined ? (p.bufDoubling ? 2 * s.rcvBuf : s.rcvBuf) : p.rcvBufDefault) };
      case 'SO_SNDBUF':
        return { ret: 0, value: s.ep?.sndBufSize ?? (s.sndBuf !== undefined ? (p.bufDoubling ? 2 * s.sndBuf : s.sndBuf) : p.sndBufDefault) };
      case 'TCP_NODELAY':
        return { ret: 0, value: s.nodelay ? 1 : 0 };
      default:
        return { ret: -1, errno: 'ENOPROTOOPT' };
    }
  }

  private poll(fds: Array<{ fd: number; events: number }>): SysOutcome {
    const revents = fds.map(({ fd, events }) => {
      const s = this.fds.get(fd);
      if (!s) return POLL.NVAL;
      let r = 0;
      const ep = s.ep;
      if (s.listener && s.listener.pending > 0) r |= POLL.IN | POLL.RDNORM;
      if (ep && (ep.readable > 0 || s.peeked.length > 0 || ep.eof)) r |= POLL.IN | POLL.RDNORM;
      if (ep && ep.state >= TcpState.ESTABLISHED && ep.sendSpace > 0) r |= POLL.OUT | POLL.WRNORM;
      if (s.error) r |= POLL.ERR;
      if (ep && ep.state === TcpState.CLOSED) r |= POLL.HUP;
      return r & (events | POLL.ERR | POLL.HUP | POLL.NVAL);
    });
    return { ret: revents.filter((r) => r !== 0).length, revents };
  }

  // ---- HostIntrospection --------------------------------------------------------------------

  sysctlGet(name: string): string | undefined {
    return this.stack.getSysctl(name) ?? undefined;
  }

  sysctlSet(name: string, value: string): { ok: true } | { ok: false; error: string } {
    return this.stack.setSysctl(name, value);
  }

  sysctlNames(): string[] {
    return Object.keys(this.stack.sysctlMap);
  }

  sockets(): SocketInfo[] {
    const out: SocketInfo[] = [];
    const fdOf = new Map<Sock, number>();
    for (const [fd, s] of this.fds) fdOf.set(s, fd);
    const owner = (s: Sock | undefined): SocketInfo['owner'] => {
      const fd = s && fdOf.get(s);
      return fd === undefined ? undefined : { command: 'packetdrill', pid: 4242, fd, user: 'root' };
    };
    for (const [, s] of this.fds) {
      if (!s.listener) continue;
      const info: SocketInfo = {
        state: 'LISTEN',
        local: { addr: s.listener.localAddr, port: s.listener.localPort },
        remote: { addr: ipv4('0.0.0.0'), port: 0 },
        recvQ: 0,
        sendQ: 0,
        backlog: { queued: s.listener.pending, limit: s.listener.backlog },
      };
      const o = owner(s);
      if (o) info.owner = o;
      out.push(info);
    }
    for (const ep of this.known) {
      if (ep.state === TcpState.CLOSED) continue;
      const info: SocketInfo = {
        state: stateName(ep.state),
        local: { addr: ep.localAddr, port: ep.localPort },
        remote: { addr: ep.remoteAddr, port: ep.remotePort },
        recvQ: ep.readable,
        sendQ: ep.unacknowledged,
      };
      const o = owner(this.sockOf(ep));
      if (o) info.owner = o;
      out.push(info);
    }
    return out;
  }

  drop(local: SockAddr, remote: SockAddr): boolean {
    for (const ep of this.known) {
      if (ep.state === TcpState.CLOSED || ep.localPort !== local.port || ep.remotePort !== remote.port) continue;
      if (ep.localAddr !== local.addr || ep.remoteAddr !== remote.addr) continue;
      this.stack.enter(this.sched.now());
      ep.abortWithRst('ECONNABORTED');
      this.stack.leave();
      return true;
    }
    return false;
  }
}
