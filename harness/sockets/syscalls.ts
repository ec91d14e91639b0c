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
import { ANY_ADDR, Sock, toSockAddr, type ReadOutcome, type SockOwner } from './sock.ts';
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

/**
 * A call that could not finish at once: tried again whenever one of its sockets changes.
 * The hot calls (read, write, accept, connect) are small classes rather than closures, so a
 * call costs a few objects and no function allocations.
 */
interface Waiter {
  retry(): boolean;
  /** The time limit ran out. */
  expire(): void;
  /** The descriptor went away under the call. */
  abort(): void;
  timer: TimerId | null;
  entries: FdEntry[] | null;
  /** The one entry of a single-descriptor wait (entries is null then). */
  entry: FdEntry | null;
}

/** A blocking call on one descriptor whose failure result depends on the call. */
abstract class Op<R extends SysResult> implements Waiter {
  timer: TimerId | null = null;
  entries: FdEntry[] | null = null;
  entry: FdEntry | null;
  constructor(
    readonly c: Call<R>,
    readonly e: FdEntry,
  ) {
    this.entry = e;
  }
  abstract retry(): boolean;
  /** The call's result for an error (EAGAIN: would block, after a time limit or non-blocking). */
  abstract failed(err: ErrnoName): R;
  expire(): void {
    this.c.complete(this.failed('EAGAIN'));
  }
  abort(): void {
    this.c.complete(this.failed('EBADF'));
  }
}

/** A wait built from closures (the rarer calls: poll, and the pieces that need them). */
class FnWaiter implements Waiter {
  timer: TimerId | null = null;
  entry: FdEntry | null = null;
  constructor(
    readonly retry: () => boolean,
    readonly expire: () => void,
    readonly abort: () => void,
    public entries: FdEntry[] | null,
  ) {
    if (entries !== null && entries.length === 1) {
      this.entry = entries[0]!;
      this.entries = null;
    }
  }
}

class RecvOp extends Op<ReadResult> {
  got = 0;
  /** The first chunk, and the rest when MSG_WAITALL gathers more. */
  first: Uint8Array | null = null;
  more: Uint8Array[] | null = null;
  constructor(
    c: Call<ReadResult>,
    e: FdEntry,
    readonly len: number,
    readonly peek: boolean,
    readonly waitall: boolean,
  ) {
    super(c, e);
  }

  retry(): boolean {
    const len = this.len;
    for (;;) {
      const o = this.e.sock.recv(len - this.got, this.peek);
      if (o instanceof Uint8Array) {
        if (this.first === null) this.first = o;
        else (this.more ??= []).push(o);
        this.got += o.length;
        if (!this.waitall || this.got >= len || o.length === 0) return this.c.complete(this.finish(null)), true;
        continue;
      }
      if (o === 'again') {
        if (this.got > 0 && !this.waitall) return this.c.complete(this.finish(null)), true;
        return false;
      }
      this.c.complete(this.finish(o));
      return true;
    }
  }

  private finish(o: ReadOutcome | null): ReadResult {
    const got = this.got;
    const data = this.more === null ? (this.first ?? EMPTY) : concat(this.first!, this.more, got);
    if (got > 0 || o === null || o === 'eof') return { ret: got, errno: null, data };
    return { ret: -1, errno: o === 'again' ? 'EAGAIN' : (o as ErrnoName), data };
  }

  failed(err: ErrnoName): ReadResult {
    return err === 'EAGAIN' ? this.finish('again') : { ret: -1, errno: err, data: EMPTY };
  }
}

class SendOp extends Op<SysResult> {
  off = 0;
  constructor(
    c: Call,
    e: FdEntry,
    readonly data: Uint8Array,
    readonly flags: number,
  ) {
    super(c, e);
  }

  retry(): boolean {
    const data = this.data;
    for (;;) {
      const o = this.e.sock.send(this.off === 0 ? data : data.subarray(this.off));
      if (typeof o === 'number') {
        this.off += o;
        if (this.off >= data.length || nonblocking(this.e, this.flags)) return this.c.complete(ok(this.off)), true;
        continue;
      }
      if (o === 'again') return false;
      this.c.complete(this.off > 0 ? ok(this.off) : fail(o));
      return true;
    }
  }

  failed(err: ErrnoName): SysResult {
    return err === 'EAGAIN' && this.off > 0 ? ok(this.off) : fail(err);
  }
}

class ConnectOp extends Op<SysResult> {
  retry(): boolean {
    const s = this.e.sock;
    if (s.tcp === 'synsent') return false;
    const f = s.connectResult();
    this.c.complete(f === 0 ? ok() : fail(f));
    return true;
  }

  failed(err: ErrnoName): SysResult {
    // A blocking connect that outlives SO_SNDTIMEO returns EINPROGRESS (Linux).
    return fail(err === 'EAGAIN' ? 'EINPROGRESS' : err);
  }
}

class AcceptOp extends Op<AcceptResult> {
  private sync = false;
  private gotErr: ErrnoName | null = null;
  private gotSock: Sock | null = null;
  private answered = false;

  constructor(
    readonly calls: SocketCalls,
    c: Call<AcceptResult>,
    e: FdEntry,
    readonly flags: number,
  ) {
    super(c, e);
  }

  retry(): boolean {
    for (;;) {
      if (!this.calls.hasFreeFd()) return this.c.complete(this.failed('EMFILE')), true;
      this.sync = true;
      this.answered = false;
      const r = this.e.sock.accept(this);
      this.sync = false;
      if (r === 'again') return false;
      if (r !== 'started') return this.c.complete(this.failed(r)), true;
      if (!this.answered) return true;
      if (this.gotErr !== null) continue;
      this.calls.installAccepted(this.c, this.gotSock!, this.flags);
      this.gotSock = null;
      return true;
    }
  }

  /** The outcome of the T_CONN_RES (Sock's AcceptSink). */
  accepted(err: ErrnoName | null, s: Sock | null): void {
    if (this.sync) {
      this.answered = true;
      this.gotErr = err;
      this.gotSock = s;
    } else if (err !== null) this.calls.runOp(this, 'rcv', 0);
    else this.calls.installAccepted(this.c, s!, this.flags);
  }

  failed(err: ErrnoName): AcceptResult {
    return { ret: -1, errno: err, peer: null };
  }
}

/** A descriptor: its socket, its flags and time limits, and the calls blocked on it. */
class FdEntry implements SockOwner {
  flags: number;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns (0: wait forever). */
  rcvtimeo: Time = 0;
  sndtimeo: Time = 0;
  /** The oldest blocked call, then the others in order (rare: a read and a write, a poll). */
  first: Waiter | null = null;
  rest: Waiter[] | null = null;

  constructor(
    readonly calls: SocketCalls,
    readonly fd: number,
    readonly sock: Sock,
    flags: number,
  ) {
    this.flags = flags;
  }

  sockChanged(): void {
    this.calls.wakeEntry(this);
  }

  add(w: Waiter): void {
    if (this.first === null) this.first = w;
    else (this.rest ??= []).push(w);
  }

  remove(w: Waiter): void {
    const rest = this.rest;
    if (this.first === w) {
      this.first = rest === null ? null : (rest.shift() ?? null);
    } else if (rest !== null) {
      const i = rest.indexOf(w);
      if (i >= 0) rest.splice(i, 1);
    }
    if (rest !== null && rest.length === 0) this.rest = null;
  }

  has(w: Waiter): boolean {
    return this.first === w || (this.rest !== null && this.rest.includes(w));
  }
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
    const c = new Call('socket', domain, type, protocol);
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
    const c = new Call('bind', fd);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const a = parseAddr(addr);
    if (a === null) return done(c, fail('EINVAL'));
    e.sock.bind(a, (err) => c.complete(err === null ? ok() : fail(err)));
    return c;
  }

  listen(fd: number, backlog: number): Call {
    const c = new Call('listen', fd, backlog);
    const e = this.entry(fd, c);
    if (e === null) return c;
    e.sock.listen(backlog, (err) => c.complete(err === null ? ok() : fail(err)));
    return c;
  }

  getsockname(fd: number): Call<NameResult> {
    const c = new Call<NameResult>('getsockname', fd);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), addr: null });
    const a = e.sock.localAddr() ?? { addr: ANY_ADDR, port: 0 };
    return done(c, { ...ok(), addr: { ...a } });
  }

  getpeername(fd: number): Call<NameResult> {
    const c = new Call<NameResult>('getpeername', fd);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ...fail('EBADF'), addr: null });
    const s = e.sock;
    if (s.ss !== 'connected' || s.remote === null || s.tcp === 'closed') return done(c, { ...fail('ENOTCONN'), addr: null });
    return done(c, { ...ok(), addr: { ...s.remote } });
  }

  // ---- connections --------------------------------------------------------------------------

  /** accept() (accept4() with SOCK_NONBLOCK in flags). */
  accept(fd: number, flags = 0): Call<AcceptResult> {
    const c = new Call<AcceptResult>('accept', fd);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ret: -1, errno: 'EBADF', peer: null });
    this.runOp(new AcceptOp(this, c, e, flags), 'rcv', 0);
    return c;
  }

  /** A descriptor can be had (accept checks before taking a connection). */
  hasFreeFd(): boolean {
    return this.freeFd() >= 0;
  }

  /** Give an accepted socket its descriptor and complete the accept. */
  installAccepted(c: Call<AcceptResult>, s: Sock, flags: number): void {
    const fd = this.freeFd();
    if (fd < 0) {
      s.close();
      return c.complete({ ret: -1, errno: 'EMFILE', peer: null });
    }
    this.install(fd, s, flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    c.complete({ ret: fd, errno: null, peer: s.remote === null ? null : { addr: s.remote.addr, port: s.remote.port } });
  }

  connect(fd: number, addr: SockAddrIn): Call {
    const c = new Call('connect', fd);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const a = parseAddr(addr);
    if (a === null) return done(c, fail('EINVAL'));
    const r = e.sock.connect(a, nonblocking(e, 0));
    if (r !== 'wait') return done(c, r === 0 ? ok() : fail(r));
    this.waitOp(new ConnectOp(c, e), e.sndtimeo);
    return c;
  }

  // ---- data ---------------------------------------------------------------------------------

  read(fd: number, len: number): Call<ReadResult> {
    return this.recv(fd, len, 0);
  }

  /** recv() with MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL. */
  recv(fd: number, len: number, flags = 0): Call<ReadResult> {
    const c = new Call<ReadResult>('recv', fd, len);
    const e = this.fds.get(fd);
    if (e === undefined) return done(c, { ret: -1, errno: 'EBADF', data: EMPTY });
    if (!Number.isInteger(len) || len < 0) return done(c, { ret: -1, errno: 'EINVAL', data: EMPTY });
    const peek = (flags & MSG_PEEK) !== 0;
    const waitall = (flags & MSG_WAITALL) !== 0 && !peek;
    this.runOp(new RecvOp(c, e, len, peek, waitall), 'rcv', flags);
    return c;
  }

  write(fd: number, data: Uint8Array): Call {
    return this.send(fd, data, 0);
  }

  /** send(): a blocking send returns when every byte went down (or an error stops it). */
  send(fd: number, data: Uint8Array, flags = 0): Call {
    const c = new Call('send', fd, data.length);
    const e = this.entry(fd, c);
    if (e === null) return c;
    this.runOp(new SendOp(c, e, data, flags), 'snd', flags);
    return c;
  }

  shutdown(fd: number, how: number): Call {
    const c = new Call('shutdown', fd, how);
    const e = this.entry(fd, c);
    if (e === null) return c;
    const r = e.sock.shutdown(how);
    this.wakeEntry(e);
    return done(c, r === 0 ? ok() : fail(r));
  }

  close(fd: number): Call {
    const c = new Call('close', fd);
    const e = this.entry(fd, c);
    if (e === null) return c;
    this.fds.delete(fd);
    if (fd < this.lowFree) this.lowFree = fd;
    e.sock.close();
    for (let w = e.first; w !== null; w = e.first) {
      this.unwait(w);
      w.abort();
    }
    return done(c, ok());
  }

  // ---- options and modes --------------------------------------------------------------------

  setsockopt(fd: number, level: number, name: number, value: SockoptValue): Call {
    const c = new Call('setsockopt', fd, level, name);
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
    const c = new Call<SockoptResult>('getsockopt', fd, level, name);
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
    const c = new Call('fcntl', fd, cmd);
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
    const c = new Call('ioctl', fd, req);
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
    const c = new Call<PollResult>('poll', fds.length);
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
    this.waitFor(new FnWaiter(attempt, () => c.complete(look()), () => c.complete(look()), live), timeoutMs > 0 ? timeoutMs * MS : 0);
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
    const e = new FdEntry(this, fd, sock, flags | O_RDWR);
    sock.owner = e;
    this.fds.set(fd, e);
  }

  /**
   * Try now; if it would block, fail with EAGAIN (non-blocking, or when SO_RCVTIMEO /
   * SO_SNDTIMEO runs out) or wait and retry.
   */
  runOp<R extends SysResult>(op: Op<R>, dir: 'rcv' | 'snd', flags: number): void {
    if (op.retry()) return;
    const e = op.e;
    if (nonblocking(e, flags)) return op.c.complete(op.failed('EAGAIN'));
    this.waitOp(op, dir === 'rcv' ? e.rcvtimeo : e.sndtimeo);
  }

  private waitOp<R extends SysResult>(op: Op<R>, timeout: Time): void {
    this.waitFor(op, timeout);
  }

  private waitFor(w: Waiter, timeout: Time): void {
    if (w.entry !== null) w.entry.add(w);
    else for (const e of w.entries!) e.add(w);
    if (timeout > 0) {
      w.timer = this.layer.time.schedule(timeout, () => {
        w.timer = null;
        this.unwait(w);
        w.expire();
      });
    }
  }

  private unwait(w: Waiter): void {
    if (w.timer !== null) this.layer.time.cancel(w.timer);
    w.timer = null;
    if (w.entry !== null) return w.entry.remove(w);
    for (const e of w.entries!) e.remove(w);
  }

  /** The socket changed: blocked calls on it try again, oldest first. */
  wakeEntry(e: FdEntry): void {
    const first = e.first;
    if (first === null) return;
    if (e.rest === null) {
      if (first.retry()) this.unwait(first);
      return;
    }
    for (const w of [first, ...e.rest]) {
      if (!e.has(w)) continue;
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

function concat(first: Uint8Array, more: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(first, 0);
  let off = first.length;
  for (const p of more) {
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

