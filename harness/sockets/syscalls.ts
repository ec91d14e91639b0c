/**
 * The socket calls of one host, as a C program (or a packetdrill script) makes them: numbered
 * descriptors, errno names, Linux semantics, blocking and non-blocking modes. A blocking call
 * that cannot finish now waits for its socket to change (sock.ts `onChange`) and tries again,
 * as a sleeping thread would; time limits (poll's timeout, SO_RCVTIMEO / SO_SNDTIMEO) run on
 * the virtual clock. Nothing here blocks the JS thread or reads a real clock.
 */
import { StreamsError, T_CURRENT, T_FAILURE, T_NEGOTIATE } from '../../lib/streams/index.ts';
import { MS, US, type Time } from '../../lib/sim/time.ts';
import type { TimerId } from '../../lib/sim/types.ts';
import { ERRNO, type ErrnoName } from './errno.ts';
import { socketLayer, type HostLike, type SocketLayer, type SocketLayerOptions } from './layer.ts';
import { fromTpi, optSpec, queryTpi, toTpi, type OptSpec } from './options.ts';
import { ANY_ADDR, Sock, toSockAddr, type ReadOutcome } from './sock.ts';
import { Call } from './call.ts';
import {
  AF_INET,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  O_NONBLOCK,
  O_RDWR,
  F_GETFL,
  F_SETFL,
  POLLERR,
  POLLHUP,
  POLLNVAL,
  SOCK_STREAM,
  fail,
  ok,
  type AcceptResult,
  type ReadResult,
  type SockAddr,
  type SockAddrIn,
  type SockoptResult,
  type SockoptValue,
  type SysResult,
} from './types.ts';

/** socket() / accept4() type flags. */
export const SOCK_NONBLOCK = 0x800;
export const SOCK_CLOEXEC = 0x80000;
/** ioctl: bytes readable now. */
export const FIONREAD = 0x541b;
/** ioctl: bytes written and not yet acknowledged (the transport answers, TOptions extra `outq`). */
export const SIOCOUTQ = 0x5411;

export interface PollFd {
  fd: number;
  events: number;
}

export interface PollResult extends SysResult {
  /** revents, in the order of the fds asked. */
  revents: number[];
}

export interface NameResult extends SysResult {
  addr: SockAddr | null;
}

interface Waiter {
  retry: () => boolean;
  /** The descriptor went away under the call. */
  abort: () => void;
  timer: TimerId | null;
  entries: FdEntry[];
}

interface FdEntry {
  fd: number;
  sock: Sock;
  flags: number;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns (0: wait forever). */
  rcvtimeo: Time;
  sndtimeo: Time;
  waiters: Waiter[];
}

const EMPTY = new Uint8Array(0);

export class SocketCalls {
  readonly layer: SocketLayer;
  private readonly fds = new Map<number, FdEntry>();
  /** No descriptor below this one is free (the search for the lowest free one starts here). */
  private lowFree = 3;

  constructor(layer: SocketLayer) {
    this.layer = layer;
  }

  /** Open descriptors. */
  get openFds(): number[] {
    return [...this.fds.keys()].sort((a, b) => a - b);
  }

  /** The socket behind a descriptor (for harness code that needs the stream, e.g. to push a module). */
  sockOf(fd: number): Sock | null {
    return this.fds.get(fd)?.sock ?? null;
  }

  // ---- creating and naming ------------------------------------------------------------------

  socket(domain = AF_INET, type = SOCK_STREAM, protocol = 0): Call {
    const c = new Call(`socket(${domain}, ${type}, ${protocol})`);
    if (domain !== AF_INET) return done(c, fail('EAFNOSUPPORT'));
    if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== SOCK_STREAM) return done(c, fail('ESOCKTNOSUPPORT'));
    if (protocol !== 0 && protocol !== IPPROTO_TCP) return done(c, fail('EPROTONOSUPPORT'));
    const fd = this.freeFd();
    if (fd < 0) return done(c, fail('EMFILE'));
    let sock: Sock;
    try {
      sock = new Sock(this.layer);
    } catch (e) {
      if (e instanceof StreamsError) return done(c, fail('ENOBUFS'));
      throw e;
    }
    this.install(fd, sock, type & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    return done(c, ok(fd));
  }

  bind(fd: number, addr: SockAddrIn): Call {
    const c = new Call(`bind(${fd})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const a = parseAddr(addr);
    if (a === null) return done(c, fail('EINVAL'));
    e.sock.bind(a, (err) => c.complete(err === null ? ok() : fail(err)));
    return c;
  }

  listen(fd: number, backlog: number): Call {
    const c = new Call(`listen(${fd}, ${backlog})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    e.sock.listen(backlog, (err) => c.complete(err === null ? ok() : fail(err)));
    return c;
  }

  getsockname(fd: number): Call<NameResult> {
    const c = new Call<NameResult>(`getsockname(${fd})`);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), addr: null });
    const a = e.sock.localAddr() ?? { addr: ANY_ADDR, port: 0 };
    return done(c, { ...ok(), addr: { ...a } });
  }

  getpeername(fd: number): Call<NameResult> {
    const c = new Call<NameResult>(`getpeername(${fd})`);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), addr: null });
    const s = e.sock;
    if (s.ss !== 'connected' || s.remote === null || s.tcp === 'closed') return done(c, { ...fail('ENOTCONN'), addr: null });
    return done(c, { ...ok(), addr: { ...s.remote } });
  }

  // ---- connections --------------------------------------------------------------------------

  /** accept() (accept4() with SOCK_NONBLOCK in flags). */
  accept(fd: number, flags = 0): Call<AcceptResult> {
    const c = new Call<AcceptResult>(`accept(${fd})`);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), peer: null });
    const failed = (err: ErrnoName): AcceptResult => ({ ...fail(err), peer: null });
    const attempt = (): boolean => {
      for (;;) {
        if (this.freeFd() < 0) return c.complete(failed('EMFILE')), true;
        let sync = true;
        let got: { err: ErrnoName | null; s: Sock | null } | null = null;
        const r = e.sock.accept((err, s) => {
          if (sync) got = { err, s };
          else if (err !== null) this.run(e, c, attempt, 'rcv', failed);
          else this.accepted(c, s!, flags);
        });
        sync = false;
        if (r === 'again') return false;
        if (r !== 'started') return c.complete(failed(r)), true;
        const g = got as { err: ErrnoName | null; s: Sock | null } | null;
        if (g === null) return true;
        if (g.err !== null) continue;
        this.accepted(c, g.s!, flags);
        return true;
      }
    };
    this.run(e, c, attempt, 'rcv', failed);
    return c;
  }

  private accepted(c: Call<AcceptResult>, s: Sock, flags: number): void {
    const fd = this.freeFd();
    if (fd < 0) {
      s.close();
      return c.complete({ ...fail('EMFILE'), peer: null });
    }
    this.install(fd, s, flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    c.complete({ ...ok(fd), peer: s.remote === null ? null : { ...s.remote } });
  }

  connect(fd: number, addr: SockAddrIn): Call {
    const c = new Call(`connect(${fd})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const a = parseAddr(addr);
    if (a === null) return done(c, fail('EINVAL'));
    const r = e.sock.connect(a, nonblocking(e, 0));
    if (r !== 'wait') return done(c, r === 0 ? ok() : fail(r));
    const attempt = (): boolean => {
      if (e.sock.tcp === 'synsent') return false;
      const f = e.sock.connectResult();
      c.complete(f === 0 ? ok() : fail(f));
      return true;
    };
    // A blocking connect that outlives SO_SNDTIMEO returns EINPROGRESS (Linux).
    this.wait([e], attempt, e.sndtimeo, () => c.complete(fail('EINPROGRESS')), () => c.complete(fail('EBADF')));
    return c;
  }

  // ---- data ---------------------------------------------------------------------------------

  read(fd: number, len: number): Call<ReadResult> {
    return this.recv(fd, len, 0);
  }

  /** recv() with MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL. */
  recv(fd: number, len: number, flags = 0): Call<ReadResult> {
    const c = new Call<ReadResult>(`recv(${fd}, ${len})`);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), data: EMPTY });
    if (!Number.isInteger(len) || len < 0) return done(c, { ...fail('EINVAL'), data: EMPTY });
    const peek = (flags & MSG_PEEK) !== 0;
    const waitall = (flags & MSG_WAITALL) !== 0 && !peek;
    const parts: Uint8Array[] = [];
    let got = 0;
    const finish = (o: ReadOutcome | null): ReadResult => {
      const data = concat(parts, got);
      if (got > 0 || o === null || o === 'eof') return { ...ok(got), data };
      return { ...fail(o === 'again' ? 'EAGAIN' : (o as ErrnoName)), data };
    };
    const attempt = (): boolean => {
      for (;;) {
        const o = e.sock.recv(len - got, peek);
        if (o instanceof Uint8Array) {
          parts.push(o);
          got += o.length;
          if (!waitall || got >= len || o.length === 0) return c.complete(finish(null)), true;
          continue;
        }
        if (o === 'again') {
          if (got > 0 && !waitall) return c.complete(finish(null)), true;
          return false;
        }
        c.complete(finish(o));
        return true;
      }
    };
    this.run(e, c, attempt, 'rcv', (err) => (err === 'EAGAIN' ? finish('again') : { ...fail(err), data: EMPTY }), flags);
    return c;
  }

  write(fd: number, data: Uint8Array): Call {
    return this.send(fd, data, 0);
  }

  /** send(): a blocking send returns when every byte went down (or an error stops it). */
  send(fd: number, data: Uint8Array, flags = 0): Call {
    const c = new Call(`send(${fd}, ${data.length})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    let off = 0;
    const attempt = (): boolean => {
      for (;;) {
        const o = e.sock.send(data.subarray(off));
        if (typeof o === 'number') {
          off += o;
          if (off >= data.length || nonblocking(e, flags)) return c.complete(ok(off)), true;
          continue;
        }
        if (o === 'again') return false;
        c.complete(off > 0 ? ok(off) : fail(o));
        return true;
      }
    };
    this.run(e, c, attempt, 'snd', (err) => (err === 'EAGAIN' && off > 0 ? ok(off) : fail(err)), flags);
    return c;
  }

  shutdown(fd: number, how: number): Call {
    const c = new Call(`shutdown(${fd}, ${how})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const r = e.sock.shutdown(how);
    this.wake(e);
    return done(c, r === 0 ? ok() : fail(r));
  }

  close(fd: number): Call {
    const c = new Call(`close(${fd})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    this.fds.delete(fd);
    if (fd < this.lowFree) this.lowFree = fd;
    e.sock.close();
    for (const w of [...e.waiters]) {
      this.unwait(w);
      w.abort();
    }
    return done(c, ok());
  }

  // ---- options and modes --------------------------------------------------------------------

  setsockopt(fd: number, level: number, name: number, value: SockoptValue): Call {
    const c = new Call(`setsockopt(${fd}, ${level}, ${name})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const spec = optSpec(level, name);
    if (typeof spec === 'string') return done(c, fail(spec));
    if (spec.kind === 'local') {
      if (!spec.settable) return done(c, fail('ENOPROTOOPT'));
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return done(c, fail('EINVAL'));
      // Timeouts are given in microseconds.
      if (spec.local === 'rcvtimeo') e.rcvtimeo = Math.round(value * US);
      else e.sndtimeo = Math.round(value * US);
      return done(c, ok());
    }
    const opt = toTpi(spec, value);
    if (typeof opt === 'string') return done(c, fail(opt));
    e.sock.optmgmt(T_NEGOTIATE, opt, (r) => {
      if (!r.ok) return c.complete(fail(r.errno));
      if (r.prim.PRIM_type === 'T_OPTMGMT_ACK' && (r.prim.MGMT_flags & T_FAILURE) !== 0) return c.complete(fail('EINVAL'));
      if (spec.kind === 'linger') {
        const l = value as { onoff: boolean; linger: number };
        e.sock.linger = { onoff: Boolean(l.onoff), linger: Math.max(0, l.linger) };
      }
      c.complete(ok());
    });
    return c;
  }

  getsockopt(fd: number, level: number, name: number): Call<SockoptResult> {
    const c = new Call<SockoptResult>(`getsockopt(${fd}, ${level}, ${name})`);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), value: null });
    const spec = optSpec(level, name);
    if (typeof spec === 'string') return done(c, { ...fail(spec), value: null });
    if (spec.kind === 'local') return done(c, { ...ok(), value: localOpt(e, spec) });
    if (spec.kind === 'linger') return done(c, { ...ok(), value: { ...e.sock.linger } });
    e.sock.optmgmt(T_CURRENT, queryTpi(spec), (r) => {
      if (!r.ok) return c.complete({ ...fail(r.errno), value: null });
      const v = r.prim.PRIM_type === 'T_OPTMGMT_ACK' ? fromTpi(spec, r.prim.OPT) : undefined;
      c.complete(v === undefined ? { ...fail('ENOPROTOOPT'), value: null } : { ...ok(), value: v });
    });
    return c;
  }

  /** fcntl(F_GETFL) / fcntl(F_SETFL, flags): only O_NONBLOCK changes. */
  fcntl(fd: number, cmd: number, arg = 0): Call {
    const c = new Call(`fcntl(${fd}, ${cmd})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    if (cmd === F_GETFL) return done(c, ok(O_RDWR | e.flags));
    if (cmd === F_SETFL) {
      e.flags = (e.flags & ~O_NONBLOCK) | (arg & O_NONBLOCK);
      return done(c, ok());
    }
    return done(c, fail('EINVAL'));
  }

  /** ioctl(FIONREAD): bytes a read would return now; ioctl(SIOCOUTQ): bytes not yet acknowledged. */
  ioctl(fd: number, req: number): Call {
    const c = new Call(`ioctl(${fd}, ${req})`);
    const e = this.entry(fd, c);
    if (e === null) return c;
    if (req !== FIONREAD && req !== SIOCOUTQ) return done(c, fail('ENOTTY'));
    if (e.sock.tcp === 'listen') return done(c, fail('EINVAL'));
    if (req === FIONREAD) return done(c, ok(e.sock.readableBytes()));
    e.sock.optmgmt(T_CURRENT, { extra: { outq: 0 } }, (r) => {
      const v = r.ok && r.prim.PRIM_type === 'T_OPTMGMT_ACK' ? r.prim.OPT.extra?.['outq'] : undefined;
      c.complete(typeof v === 'number' ? ok(v) : fail(r.ok ? 'ENOTTY' : r.errno));
    });
    return c;
  }

  /** poll(): timeout in milliseconds, negative to wait forever, 0 to just look. */
  poll(fds: readonly PollFd[], timeoutMs: number): Call<PollResult> {
    const c = new Call<PollResult>(`poll(${fds.length})`);
    const entries = fds.map((p) => this.fds.get(p.fd));
    const look = (): PollResult => {
      const revents = fds.map((p, i) => {
        const e = entries[i];
        if (e === undefined || !this.fds.has(p.fd)) return POLLNVAL;
        return e.sock.pollMask() & (p.events | POLLERR | POLLHUP | POLLNVAL);
      });
      return { ret: revents.filter((r) => r !== 0).length, errno: null, revents };
    };
    const attempt = (): boolean => {
      const r = look();
      if (r.ret === 0) return false;
      c.complete(r);
      return true;
    };
    if (attempt() || timeoutMs === 0) return done(c, look());
    const live = entries.filter((e): e is FdEntry => e !== undefined);
    this.wait(live, attempt, timeoutMs > 0 ? timeoutMs * MS : 0, () => c.complete(look()), () => c.complete(look()));
    return c;
  }

  // ---- machinery ----------------------------------------------------------------------------

  private entry(fd: number, c: Call): FdEntry | null {
    const e = this.fds.get(fd);
    if (e !== undefined) return e;
    c.complete(fail('EBADF'));
    return null;
  }

  private freeFd(): number {
    for (let fd = this.lowFree; fd < this.layer.maxFds; fd++) {
      if (this.fds.has(fd)) continue;
      this.lowFree = fd;
      return fd;
    }
    return -1;
  }

  private install(fd: number, sock: Sock, flags: number): void {
    const e: FdEntry = { fd, sock, flags: flags | O_RDWR, rcvtimeo: 0, sndtimeo: 0, waiters: [] };
    sock.onChange = () => this.wake(e);
    this.fds.set(fd, e);
  }

  /**
   * Try now; if it would block, fail with EAGAIN (non-blocking, or when SO_RCVTIMEO /
   * SO_SNDTIMEO runs out) or wait and retry. `failed` builds the call's error result.
   */
  private run<R extends SysResult>(e: FdEntry, c: Call<R>, attempt: () => boolean, dir: 'rcv' | 'snd', failed: (err: ErrnoName) => R, flags = 0): void {
    if (attempt()) return;
    if (nonblocking(e, flags)) return c.complete(failed('EAGAIN'));
    const timeout = dir === 'rcv' ? e.rcvtimeo : e.sndtimeo;
    this.wait([e], attempt, timeout, () => c.complete(failed('EAGAIN')), () => c.complete(failed('EBADF')));
  }

  private wait(entries: FdEntry[], attempt: () => boolean, timeout: Time, expire: () => void, abort: () => void): void {
    const w: Waiter = { retry: attempt, abort, timer: null, entries };
    for (const e of entries) e.waiters.push(w);
    if (timeout > 0) {
      w.timer = this.layer.time.schedule(timeout, () => {
        w.timer = null;
        this.unwait(w);
        expire();
      });
    }
  }

  private unwait(w: Waiter): void {
    if (w.timer !== null) this.layer.time.cancel(w.timer);
    w.timer = null;
    for (const e of w.entries) {
      const i = e.waiters.indexOf(w);
      if (i >= 0) e.waiters.splice(i, 1);
    }
  }

  /** The socket changed: blocked calls on it try again, oldest first. */
  private wake(e: FdEntry): void {
    const n = e.waiters.length;
    if (n === 0) return;
    if (n === 1) {
      const w = e.waiters[0]!;
      if (w.retry()) this.unwait(w);
      return;
    }
    for (const w of [...e.waiters]) {
      if (e.waiters.indexOf(w) < 0) continue;
      if (w.retry()) this.unwait(w);
    }
  }
}

function done<R extends SysResult>(c: Call<R>, r: R): Call<R> {
  c.complete(r);
  return c;
}

function nonblocking(e: FdEntry, flags: number): boolean {
  return (e.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
}

function parseAddr(a: SockAddrIn): SockAddr | null {
  try {
    const s = toSockAddr(a);
    if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) return null;
    return s;
  } catch {
    return null;
  }
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function localOpt(e: FdEntry, spec: OptSpec & { kind: 'local' }): number {
  switch (spec.local) {
    case 'error': {
      const err = e.sock.takeError();
      return err === null ? 0 : ERRNO[err];
    }
    case 'type':
      return SOCK_STREAM;
    case 'acceptconn':
      return e.sock.tcp === 'listen' ? 1 : 0;
    case 'protocol':
      return IPPROTO_TCP;
    case 'domain':
      return AF_INET;
    case 'rcvtimeo':
      return Math.round(e.rcvtimeo / US);
    case 'sndtimeo':
      return Math.round(e.sndtimeo / US);
  }
}

const KEY = 'harness/sockets:calls';

/** The socket calls of a host (one descriptor table per host). */
export function socketCalls(host: HostLike, opts?: SocketLayerOptions): SocketCalls {
  const layer = socketLayer(host, opts);
  return layer.env.shared(KEY, () => new SocketCalls(layer));
}

