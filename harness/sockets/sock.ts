/**
 * A socket on a transport stream: the state a Linux socket keeps (sock->state, sk_state as far
 * as a socket can see it, sk_shutdown, sk_err, SOCK_DONE) driven by TPI primitives, and the
 * operations the calls need, each non-blocking: they answer now, or say 'again' (would block)
 * and the owner retries when `onChange` fires. The blocking calls (syscalls.ts) and the Node
 * socket (net-socket.ts) are built on this.
 *
 * The stream: transport driver (clone open, its autopush list) with sockmod on top. sockmod
 * hands every upstream message to `up()`: acknowledgements and connection primitives change
 * state here at once, data goes on to the head and is read from there. State changes only
 * set fields; owners hear of them from `wake()`, a scheduler event, never from inside the
 * transport's put procedure.
 */
import {
  Errno,
  FLUSHW,
  M_DATA,
  M_ERROR,
  M_HANGUP,
  M_PCPROTO,
  M_PROTO,
  QWANTW,
  errorreq,
  freeb,
  freemsg,
  mktpi,
  tOrdrel,
  tprim,
} from '../../lib/streams/index.ts';
import type { Mblk, Stream, TAddr, TConnInd, TDisconInd, TOptions, TPrimName, TPrimitive } from '../../lib/streams/index.ts';
import type { TimerId } from '../../lib/sim/types.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { errnoName, tliErrno, type ErrnoName } from './errno.ts';
import { dialectOf } from './dialect.ts';
import type { SocketLayer } from './layer.ts';
import type { SockUpcalls } from './sockmod.ts';
import { TpiChannel, type AckResult, type AckSink } from './tpi-channel.ts';
import type { Linger, SockAddr, SockAddrIn } from './types.ts';

/** sock->state. */
export type SockState = 'unconnected' | 'connecting' | 'connected';
/** What the socket knows of the transport endpoint: Linux's sk_state, coarsely. */
export type TcpView = 'closed' | 'listen' | 'synsent' | 'open';

/** A read's outcome: bytes, end of stream, would block, or an error. */
export type ReadOutcome = Uint8Array | 'eof' | 'again' | ErrnoName;
/** A write's outcome: bytes taken (> 0), would block, or an error. */
export type WriteOutcome = number | 'again' | ErrnoName;

export type Done = (err: ErrnoName | null) => void;
export type AcceptCallback = (err: ErrnoName | null, s: Sock | null) => void;
/** Who hears the outcome of accept() (an object instead of a closure per call). */
export interface AcceptSink {
  accepted(err: ErrnoName | null, s: Sock | null): void;
}

/** Linux's SOMAXCONN: larger listen backlogs are cut to it. */
export const SOMAXCONN = 4096;
/** Largest single write handed to the stream head at once (flow control is checked between). */
const WRITE_SLICE = 16384;
/** Largest peek or read gathered from the head in one call. */
const MAX_READ = 1 << 20;

export const ANY_ADDR = 0 as Ipv4Addr;

/** SO_LINGER of a socket that never set it. */
const NO_LINGER: Linger = Object.freeze({ onoff: false, linger: 0 });
const NO_CONIND: readonly TConnInd[] = Object.freeze([]);

/** Who hears `sockChanged` when the socket may have changed (instead of an onChange closure). */
export interface SockOwner {
  sockChanged(): void;
}

/** Parsed dotted addresses (programs name the same few over and over); bounded. */
const parsed = new Map<string, Ipv4Addr>();

export function toSockAddr(a: SockAddrIn): SockAddr {
  if (typeof a.addr !== 'string') return { addr: a.addr, port: a.port };
  let addr = parsed.get(a.addr);
  if (addr === undefined) {
    addr = ipv4(a.addr);
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(a.addr, addr);
  }
  return { addr, port: a.port };
}

export class Sock implements SockUpcalls, AckSink {
  readonly layer: SocketLayer;
  readonly stream: Stream;
  readonly chan: TpiChannel;
  ss: SockState = 'unconnected';
  tcp: TcpView = 'closed';
  bound = false;
  /** A bind (explicit, implicit or for listen) is waiting for its acknowledgement. */
  binding = false;
  local: SockAddr | null = null;
  remote: SockAddr | null = null;
  /** Pending error (sk_err): reported once, by the next call that looks. */
  soError: ErrnoName | null = null;
  /** sk_shutdown bits. */
  rcvShut = false;
  sndShut = false;
  /** SOCK_DONE: the peer's FIN arrived (T_ORDREL_IND). */
  done = false;
  /**
   * This socket is the acceptor of a T_CONN_RES not yet answered: the indication it takes and
   * who hears the outcome (state on the socket rather than a closure per accept).
   */
  private acceptInd: TConnInd | null = null;
  /**
   * Who hears the outcome of the bind or accept under way (the two never overlap: an acceptor
   * is a fresh socket); null during the autobind of a connect.
   */
  private cont: Done | AcceptCallback | AcceptSink | null = null;
  /** The address of the bind under way, or during an autobind the connect's destination. */
  private contAddr: SockAddr | null = null;
  /** A disconnect that reached the acceptor before accepted() (reported once it is). */
  private lostEarly: ErrnoName | null = null;
  /** Listen backlog and the connection indications waiting for accept(). */
  backlog = 0;
  /** Connection indications waiting for accept() (listeners only; made on the first). */
  private conindList: TConnInd[] | null = null;
  closed = false;
  bytesRead = 0;
  bytesWritten = 0;
  /** SO_LINGER as last set, null while never set (close() needs it to choose between FIN and RST). */
  private lingerSet: Linger | null = null;
  /** Owner's hook: something may have changed (readability, writability, state). */
  onChange: (() => void) | null = null;
  /** The same hook as an object (the socket calls' descriptor entry: no closure per socket). */
  owner: SockOwner | null = null;
  /** Someone waits for data or an indication: kick on data arrival too. */
  wantData = false;
  /** The local address became known by T_ADDR_ACK (otherwise it is the bound one). */
  private addrKnown = false;
  /**
   * Data blocks taken off the head and not yet consumed (a partial read, or a peek), oldest
   * first, linked through b_next as a module links the messages it holds (no array per socket).
   */
  private heldFirst: Mblk | null = null;
  private heldLast: Mblk | null = null;
  private heldBytes = 0;
  private wakeTimer: TimerId | null = null;
  /** Indications refused by the socket (overflow) waiting to be answered outside a put. */
  private refuse: number[] | null = null;
  // Bound, not an arrow field: esbuild's keepNames would name a fresh closure per socket.
  private readonly wakeFn: () => void = this.wake.bind(this);
  private writableHooked = false;

  constructor(layer: SocketLayer) {
    this.layer = layer;
    this.stream = layer.env.open(layer.transport, { clone: true, label: layer.streamLabel });
    try {
      this.stream.push('sockmod', this);
    } catch (e) {
      this.stream.close();
      throw e;
    }
    this.chan = new TpiChannel(this.stream);
  }

  /** Connection indications waiting for accept(). */
  get conind(): readonly TConnInd[] {
    return this.conindList ?? NO_CONIND;
  }

  get linger(): Linger {
    return this.lingerSet ?? NO_LINGER;
  }

  set linger(l: Linger) {
    this.lingerSet = l;
  }

  /** A write was refused for flow control: hear from the head when it may go on. */
  private waitWritable(): void {
    if (this.writableHooked) return;
    this.writableHooked = true;
    this.stream.on('writable', () => this.kick());
  }

  // ---- upcalls from sockmod (inside the transport's put procedure: record and kick) --------

  up(mp: Mblk): Mblk | null {
    const t = mp.db.type;
    if (t === M_DATA) {
      if (this.wantData) this.kick();
      return mp;
    }
    if (t === M_PROTO || t === M_PCPROTO) return this.upPrim(mp, tprim(mp));
    if (t === M_ERROR) {
      const e = errorreq(mp);
      const n = e.rerror || e.werror || 0;
      if (n !== 0) this.lost(errnoName(n));
    } else if (t === M_HANGUP) {
      this.lost(null);
    }
    this.kick();
    return mp;
  }

  private upPrim(mp: Mblk, p: TPrimitive | null): Mblk | null {
    if (p === null) {
      // Not TPI: nothing at the head could read it.
      freemsg(mp);
      return null;
    }
    switch (p.PRIM_type) {
      case 'T_DATA_IND':
        if (this.wantData) this.kick();
        return mp;
      case 'T_BIND_ACK':
      case 'T_OK_ACK':
      case 'T_ERROR_ACK':
      case 'T_OPTMGMT_ACK':
      case 'T_ADDR_ACK':
      case 'T_INFO_ACK': {
        const a = this.chan.ack(p);
        freemsg(mp);
        // Answered while its request is being sent: the request delivers it on return.
        if (a === 'now') return null;
        if (a === null && !this.strayAck(p)) return null;
        this.kick();
        return null;
      }
      case 'T_CONN_CON': {
        if (this.tcp === 'synsent') {
          this.tcp = 'open';
          this.remote = { addr: p.RES_addr.addr, port: p.RES_addr.port };
        }
        // User data of the connect confirmation reads like any data.
        const data = mp.cont;
        mp.cont = null;
        freeb(mp);
        this.kick();
        return data;
      }
      case 'T_CONN_IND':
        this.indication(p);
        break;
      case 'T_DISCON_IND':
        this.discon(p);
        break;
      case 'T_ORDREL_IND':
        this.done = true;
        this.rcvShut = true;
        break;
    }
    freemsg(mp);
    this.kick();
    return null;
  }

  /** An acknowledgement nobody waited for: the outcome of T_CONN_REQ, T_DISCON_REQ. True when it changed something. */
  private strayAck(p: TPrimitive): boolean {
    if (p.PRIM_type === 'T_ERROR_ACK' && p.ERROR_prim === 'T_CONN_REQ' && this.tcp === 'synsent') {
      this.connectFailed(tliErrno(p.TLI_error, p.UNIX_error));
      return true;
    }
    return false;
  }

  private indication(p: TConnInd): void {
    // The transport bounds indications by CONIND_number; a socket that stopped listening,
    // or a transport that overshoots, gets a refusal.
    if (this.tcp !== 'listen' || this.conind.length >= Math.max(1, this.backlog) + 8) {
      (this.refuse ??= []).push(p.SEQ_number);
      return;
    }
    (this.conindList ??= []).push(p);
  }

  private discon(p: TDisconInd): void {
    const reason = p.DISCON_reason > 0 ? errnoName(p.DISCON_reason) : 'ECONNRESET';
    if (this.tcp === 'listen') {
      const i = this.conind.findIndex((c) => c.SEQ_number === p.SEQ_number);
      if (i >= 0) this.conindList!.splice(i, 1);
      return;
    }
    if (this.tcp === 'synsent') return this.connectFailed(p.DISCON_reason > 0 ? reason : 'ECONNREFUSED');
    if (this.tcp === 'open') {
      // tcp_reset: after our peer's FIN the error is EPIPE; the write queue is purged.
      this.lost(this.done ? 'EPIPE' : reason);
    } else if (this.acceptInd !== null) {
      // The connection this socket is accepting was reset in the queue; the transport says so
      // right after its T_OK_ACK to the listener, before accepted() has run.
      this.lostEarly = reason;
    }
  }

  private connectFailed(err: ErrnoName): void {
    this.tcp = 'closed';
    this.soError = err;
    this.rcvShut = this.sndShut = true;
  }

  /** The connection is gone (reset, M_ERROR, M_HANGUP): tcp_done. */
  private lost(err: ErrnoName | null): void {
    if (this.tcp === 'synsent') return this.connectFailed(err ?? 'ECONNRESET');
    if (err !== null) this.soError = err;
    if (this.tcp !== 'listen') this.tcp = 'closed';
    this.rcvShut = this.sndShut = true;
  }

  // ---- wake-ups ----------------------------------------------------------------------------

  /** Arrange a wake-up in a fresh scheduler event (once per instant). */
  kick(): void {
    if (this.wakeTimer === null && !this.closed) this.wakeTimer = this.layer.time.schedule(0, this.wakeFn);
  }

  private wake(): void {
    this.wakeTimer = null;
    this.chan.settle();
    const refuse = this.refuse;
    if (refuse !== null) {
      this.refuse = null;
      for (const seq of refuse) this.chan.send(mktpi({ PRIM_type: 'T_DISCON_REQ', SEQ_number: seq }));
    }
    if (this.chan.blocked) this.chan.flush();
    this.wantData = false;
    this.onChange?.();
    this.owner?.sockChanged();
  }

  // ---- bind, listen, connect, accept -------------------------------------------------------

  /** bind(): Linux refuses a second bind and any bind once connected or listening. */
  bind(addr: SockAddr, cb: Done): void {
    if (this.closed) return cb('EBADF');
    if (this.bound || this.binding || this.tcp !== 'closed' || this.ss !== 'unconnected') return cb('EINVAL');
    this.sendBind(addr, 0, cb);
  }

  /** Send T_BIND_REQ; cb hears the outcome (null: the autobind of a connect, which then goes on). */
  private sendBind(addr: SockAddr | null, conind: number, cb: Done | null): void {
    this.binding = true;
    if (cb !== null) this.contAddr = addr;
    this.cont = cb;
    this.chan.request({ PRIM_type: 'T_BIND_REQ', ADDR: addr === null ? null : { addr: addr.addr, port: addr.port }, CONIND_number: conind }, this);
  }

  /** The answer to a request this socket sent on its own behalf (AckSink). */
  acked(req: TPrimName, r: AckResult): void {
    if (req === 'T_BIND_REQ') return this.bindAcked(r);
    if (req === 'T_CONN_RES') return this.acceptAcked(r);
  }

  private bindAcked(r: AckResult): void {
    const cb = this.cont as Done | null;
    const addr = cb === null ? null : this.contAddr;
    const dest = cb === null ? this.contAddr : null;
    this.binding = false;
    this.contAddr = null;
    this.cont = null;
    let err: ErrnoName | null = null;
    if (r.ok) {
      const a = r.prim.PRIM_type === 'T_BIND_ACK' ? r.prim.ADDR : null;
      this.bound = true;
      this.local = a === null ? (addr ?? { addr: ANY_ADDR, port: 0 }) : { addr: a.addr, port: a.port };
    } else {
      err = r.errno;
    }
    if (cb !== null) return cb(err);
    // The autobind of a connect.
    if (err !== null) this.connectFailed(err === 'EADDRINUSE' ? 'EADDRNOTAVAIL' : err);
    else if (this.tcp === 'synsent' && !this.closed && dest !== null) this.connReq(dest);
  }

  /**
   * listen(): binds with a connection-indication count (rebinding a bound endpoint, since TPI
   * has no other way to turn one into a listener); a second listen only changes the backlog.
   */
  listen(backlog: number, cb: Done): void {
    if (this.closed) return cb('EBADF');
    if (this.ss !== 'unconnected' || (this.tcp !== 'closed' && this.tcp !== 'listen') || this.binding) return cb('EINVAL');
    const b = !Number.isInteger(backlog) || backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    if (this.tcp === 'listen') {
      this.backlog = b;
      return cb(null);
    }
    if (this.rcvShut && this.bound) return cb('EINVAL');
    const done: Done = (err) => {
      if (err === null) {
        this.tcp = 'listen';
        this.backlog = b;
        this.rcvShut = this.sndShut = false;
      }
      cb(err);
    };
    // TPI: CONIND_number > 0 makes a listener; Linux accepts backlog 0 and still queues one.
    const conind = Math.max(1, b);
    if (!this.bound) return this.sendBind(null, conind, done);
    const at = this.local;
    this.binding = true;
    this.chan.request({ PRIM_type: 'T_UNBIND_REQ' }, (r) => {
      this.binding = false;
      if (!r.ok) return cb(r.errno);
      this.bound = false;
      this.sendBind(at, conind, done);
    });
  }

  /**
   * connect() as Linux's __inet_stream_connect: 0, an errno (EINPROGRESS / EALREADY when
   * non-blocking), or 'wait' (blocking and still connecting: call connectResult() when the
   * state has moved on).
   */
  connect(addr: SockAddr, nonblock: boolean): ErrnoName | 0 | 'wait' {
    if (this.closed) return 'EBADF';
    let err: ErrnoName;
    switch (this.ss) {
      case 'connected':
        return 'EISCONN';
      case 'connecting':
        // A non-blocking connect that has completed: Linux finishes it now, FreeBSD says EISCONN.
        if (this.tcp === 'open' && dialectOf(this.stream).connectAfterCompletion !== 0) {
          this.ss = 'connected';
          return 'EISCONN';
        }
        err = 'EALREADY';
        break;
      default:
        if (this.tcp === 'listen') return dialectOf(this.stream).connectOnListener;
        if (this.tcp !== 'closed') return 'EISCONN';
        if (this.binding) return 'EALREADY';
        this.startConnect(addr);
        this.ss = 'connecting';
        err = 'EINPROGRESS';
    }
    if (this.tcp === 'synsent') return nonblock ? err : 'wait';
    return this.connectResult();
  }

  /** The end of a connect: connected (0) or the error that ended the attempt. */
  connectResult(): ErrnoName | 0 {
    if (this.tcp === 'synsent') return 'EALREADY';
    if (this.tcp === 'closed') {
      const e = this.takeError() ?? 'ECONNABORTED';
      // tcp_disconnect: the socket may connect again.
      this.ss = 'unconnected';
      this.rcvShut = this.sndShut = this.done = false;
      return e;
    }
    this.ss = 'connected';
    return 0;
  }

  private startConnect(addr: SockAddr): void {
    this.tcp = 'synsent';
    this.rcvShut = this.sndShut = this.done = false;
    this.addrKnown = false;
    if (this.bound) return this.connReq(addr);
    // An unbound socket gets an ephemeral port first (Linux autobind); bindAcked goes on.
    this.contAddr = addr;
    this.sendBind(null, 0, null);
  }

  private connReq(addr: SockAddr): void {
    // addr is the caller's own parsed copy (syscalls, net-socket): the primitive may keep it.
    const e = this.chan.send(mktpi({ PRIM_type: 'T_CONN_REQ', DEST_addr: addr, OPT: null }));
    if (e !== 0) this.connectFailed(e);
  }

  /**
   * accept(): takes the oldest connection indication and answers it with T_CONN_RES naming a
   * fresh endpoint. 'again' when none waits; otherwise cb gets the new socket (or the error of
   * that one indication: the caller tries the next).
   */
  accept(cb: AcceptCallback | AcceptSink): 'again' | ErrnoName | 'started' {
    if (this.closed) return 'EBADF';
    if (this.tcp !== 'listen') return 'EINVAL';
    const ind = this.conindList?.shift();
    if (ind === undefined) {
      this.wantData = true;
      return 'again';
    }
    let acc: Sock;
    try {
      acc = new Sock(this.layer);
    } catch {
      this.chan.send(mktpi({ PRIM_type: 'T_DISCON_REQ', SEQ_number: ind.SEQ_number }));
      return 'ENOBUFS';
    }
    acc.acceptInd = ind;
    acc.cont = cb;
    this.chan.request({ PRIM_type: 'T_CONN_RES', ACCEPTOR_id: acc.stream.id, SEQ_number: ind.SEQ_number, OPT: null }, acc);
    return 'started';
  }

  /** The listener's T_CONN_RES naming this socket was answered. */
  private acceptAcked(r: AckResult): void {
    const ind = this.acceptInd!;
    const cb = this.cont as AcceptCallback | AcceptSink;
    this.cont = null;
    if (!r.ok) {
      this.acceptInd = null;
      this.close();
      return typeof cb === 'function' ? cb(r.errno, null) : cb.accepted(r.errno, null);
    }
    this.accepted(ind);
    if (typeof cb === 'function') cb(null, this);
    else cb.accepted(null, this);
  }

  private accepted(ind: TConnInd): void {
    this.acceptInd = null;
    this.ss = 'connected';
    this.tcp = 'open';
    this.bound = true;
    this.local = { addr: ind.DEST_addr.addr, port: ind.DEST_addr.port };
    this.remote = { addr: ind.SRC_addr.addr, port: ind.SRC_addr.port };
    this.addrKnown = ind.DEST_addr.addr !== ANY_ADDR;
    if (this.lostEarly !== null) {
      this.lost(this.lostEarly);
      this.lostEarly = null;
    }
  }

  // ---- reading -----------------------------------------------------------------------------

  /** recv(): data first, then (Linux tcp_recvmsg order) FIN, pending error, shutdown, ENOTCONN. */
  recv(max: number, peek: boolean): ReadOutcome {
    if (this.closed) return 'EBADF';
    if (this.tcp === 'listen') return 'ENOTCONN';
    if (max <= 0) return new Uint8Array(0);
    const want = Math.min(max, MAX_READ);
    if (this.fill(want)) return this.take(want, peek);
    return this.noData();
  }

  /**
   * Take the next data message whole (the Node socket pushes blocks as they came). Views share
   * the message's memory unless someone else still references the data block.
   */
  recvBlock(): ReadOutcome {
    if (this.closed) return 'EBADF';
    if (this.tcp === 'listen') return 'ENOTCONN';
    if (!this.fill(1)) return this.noData();
    const mp = this.shiftHeld();
    const d = mp.data();
    const out = mp.db.ref > 1 ? d.slice() : d;
    this.heldBytes -= d.length;
    this.bytesRead += d.length;
    freeb(mp);
    return out;
  }

  private noData(): 'eof' | 'again' | ErrnoName {
    if (this.done) return 'eof';
    const e = this.takeError();
    if (e !== null) return e;
    if (this.rcvShut) return 'eof';
    if (this.tcp === 'closed') return 'ENOTCONN';
    this.wantData = true;
    return 'again';
  }

  /** Bytes readable now without blocking (FIONREAD). */
  readableBytes(): number {
    this.fill(MAX_READ);
    return this.heldBytes;
  }

  /**
   * Move data off the head until `bytes` are held (or nothing more has arrived). A read that
   * empties a head the transport was held back by (QWANTW) lets the back-enabled service
   * procedures run and takes what they bring up: soreceive reads the whole receive buffer,
   * and here part of it waits below the head for flow control.
   */
  private fill(bytes: number): boolean {
    for (;;) {
      const heldBack = (this.stream.rq.flag & QWANTW) !== 0;
      while (this.heldBytes < bytes) {
        const mp = this.stream.take();
        if (mp === null) break;
        this.hold(mp);
      }
      if (this.heldBytes >= bytes || !heldBack || this.stream.env.runServices() === 0) break;
    }
    return this.heldBytes > 0;
  }

  private hold(mp: Mblk): void {
    let b: Mblk | null = mp;
    if (mp.db.type !== M_DATA) {
      // T_DATA_IND: the bytes follow the primitive.
      b = mp.cont;
      mp.cont = null;
      freeb(mp);
    }
    while (b !== null) {
      const next: Mblk | null = b.cont;
      b.cont = null;
      if (b.db.type === M_DATA && b.len > 0) {
        if (this.heldLast === null) this.heldFirst = b;
        else this.heldLast.next = b;
        this.heldLast = b;
        this.heldBytes += b.len;
      } else {
        freeb(b);
      }
      b = next;
    }
  }

  /**
   * The next `max` bytes (at most) in one array the caller owns. A read that takes exactly one
   * whole block nobody else references gets that block's bytes without a copy.
   */
  private take(max: number, peek: boolean): Uint8Array {
    const n = Math.min(max, this.heldBytes);
    const b0 = this.heldFirst!;
    if (!peek && b0.len === n && b0.db.ref === 1) {
      this.shiftHeld();
      const d = b0.data();
      freeb(b0);
      this.heldBytes -= n;
      this.bytesRead += n;
      return d;
    }
    const out = new Uint8Array(n);
    let off = 0;
    let b = b0;
    while (off < n) {
      const k = Math.min(b.len, n - off);
      out.set(b.db.buf.subarray(b.rptr, b.rptr + k), off);
      off += k;
      const next = b.next;
      if (peek) {
        b = next!;
        continue;
      }
      if (k === b.len) {
        this.shiftHeld();
        freeb(b);
        b = next!;
      } else {
        b.rptr += k;
      }
    }
    if (!peek) {
      this.heldBytes -= n;
      this.bytesRead += n;
    }
    return out;
  }

  /** Take the first held block off the list (the caller accounts for its bytes). */
  private shiftHeld(): Mblk {
    const mp = this.heldFirst!;
    this.heldFirst = mp.next;
    if (this.heldFirst === null) this.heldLast = null;
    mp.next = null;
    return mp;
  }

  // ---- writing -----------------------------------------------------------------------------

  /** send(): as much as flow control takes now. Linux order: pending error, connecting, EPIPE. */
  send(bytes: Uint8Array): WriteOutcome {
    if (this.closed) return 'EBADF';
    const e = this.writeCheck();
    if (e !== 0) return e;
    if (bytes.length === 0) return 0;
    let off = 0;
    while (off < bytes.length) {
      const end = Math.min(bytes.length, off + WRITE_SLICE);
      const n = this.stream.writeBytes(bytes.subarray(off, end));
      if (n < 0) {
        if (n === -Errno.EAGAIN) this.waitWritable();
        if (off > 0) break;
        return n === -Errno.EAGAIN ? 'again' : 'EPIPE';
      }
      off += n;
      if (off < end) {
        this.waitWritable();
        break;
      }
    }
    this.bytesWritten += off;
    return off;
  }

  /** Would a write go now (POLLOUT)? */
  writable(): boolean {
    if (this.writeCheck(false) !== 0) return false;
    if (this.stream.canWrite()) return true;
    this.stream.wantWrite = true;
    this.waitWritable();
    return false;
  }

  private writeCheck(consume = true): ErrnoName | 'again' | 0 {
    if (this.tcp === 'open' && !this.sndShut && this.soError === null) {
      if (this.chan.blocked) {
        this.waitWritable();
        return 'again';
      }
      return 0;
    }
    if (this.tcp === 'synsent' && !this.sndShut && this.soError === null) return 'again';
    // Only failing writes need to know whose answers to give.
    const d = dialectOf(this.stream);
    if (this.sndShut && d.sendCantSendMoreFirst) return 'EPIPE';
    if (this.soError !== null) return consume ? this.takeError()! : this.soError;
    if (this.tcp === 'synsent') return 'again';
    if (this.sndShut) return 'EPIPE';
    return d.sendUnconnected;
  }

  // ---- shutdown, close ---------------------------------------------------------------------

  /** shutdown() as inet_shutdown: how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2). */
  shutdown(how: number): ErrnoName | 0 {
    if (this.closed) return 'EBADF';
    if (how !== 0 && how !== 1 && how !== 2) return 'EINVAL';
    const rd = how !== 1;
    const wr = how !== 0;
    if (this.ss === 'connecting') this.ss = this.tcp === 'open' ? 'connected' : 'unconnected';
    switch (this.tcp) {
      case 'listen':
        if (rd) this.stopListening();
        this.kick();
        return 0;
      case 'synsent':
        this.abort();
        this.ss = 'unconnected';
        this.kick();
        return 0;
      case 'closed':
        if (rd) this.rcvShut = true;
        if (wr) this.sndShut = true;
        this.kick();
        return 'ENOTCONN';
    }
    if (rd) this.rcvShut = true;
    if (wr && !this.sndShut) {
      this.sndShut = true;
      this.chan.send(tOrdrel('T_ORDREL_REQ'));
    }
    this.kick();
    return 0;
  }

  /** A listener stops: pending indications are refused, the endpoint unbound. */
  private stopListening(): void {
    this.refuseIndications();
    this.tcp = 'closed';
    this.bound = false;
    this.local = null;
    this.chan.request({ PRIM_type: 'T_UNBIND_REQ' }, () => {});
  }

  /** Abortive end of the connection (RST): what is queued for sending is dropped. */
  abort(): void {
    if (this.tcp !== 'open' && this.tcp !== 'synsent') return;
    this.stream.flush(FLUSHW);
    this.chan.fail('ECONNABORTED');
    this.chan.send(mktpi({ PRIM_type: 'T_DISCON_REQ', SEQ_number: -1 }));
    this.tcp = 'closed';
    this.rcvShut = this.sndShut = true;
  }

  /**
   * close(): a listener refuses what waits; a connection ends with a FIN, or with a RST when
   * received data was never read or SO_LINGER is on with time 0 (Linux tcp_close). Closing
   * the stream then is graceful on the transport's side: it finishes sending on its own.
   */
  close(): void {
    if (this.closed) return;
    if (this.tcp === 'listen') {
      this.refuseIndications();
    } else if (this.tcp === 'open') {
      const unread = this.discardUnread();
      const resetUnread = unread > 0 && dialectOf(this.stream).closeWithUnreadData === 'reset';
      if (resetUnread || (this.linger.onoff && this.linger.linger === 0)) this.abort();
      else if (!this.sndShut) {
        this.sndShut = true;
        this.chan.send(tOrdrel('T_ORDREL_REQ'));
      }
    } else if (this.tcp === 'synsent') {
      this.abort();
    }
    this.closed = true;
    if (this.wakeTimer !== null) this.layer.time.cancel(this.wakeTimer);
    this.wakeTimer = null;
    this.discardUnread();
    this.chan.fail('EBADF');
    this.stream.close();
    this.onChange = null;
    this.owner = null;
  }

  /** T_DISCON_REQ for every indication still waiting (the listener goes away). */
  private refuseIndications(): void {
    const list = this.conindList;
    this.conindList = null;
    if (list !== null) for (const c of list) this.chan.send(mktpi({ PRIM_type: 'T_DISCON_REQ', SEQ_number: c.SEQ_number }));
  }

  private discardUnread(): number {
    let n = this.heldBytes;
    this.dropHeld();
    for (let mp = this.stream.closed ? null : this.stream.take(); mp !== null; mp = this.stream.take()) {
      this.hold(mp);
      n += this.heldBytes;
      this.dropHeld();
    }
    return n;
  }

  private dropHeld(): void {
    for (let b = this.heldFirst; b !== null; ) {
      const next: Mblk | null = b.next;
      b.next = null;
      freeb(b);
      b = next;
    }
    this.heldFirst = this.heldLast = null;
    this.heldBytes = 0;
  }

  // ---- options, addresses ------------------------------------------------------------------

  /** T_OPTMGMT_REQ: negotiate (set) or ask for the current values. */
  optmgmt(flags: number, opt: TOptions, cb: (r: AckResult) => void): void {
    if (this.closed) return cb({ ok: false, errno: 'EBADF' });
    this.chan.request({ PRIM_type: 'T_OPTMGMT_REQ', MGMT_flags: flags, OPT: opt }, cb);
  }

  /**
   * The local address. A connection's source address is the transport's choice; it is asked
   * for once (T_ADDR_REQ) and remembered. Without an answer the bound address stands.
   */
  localAddr(): SockAddr | null {
    if (!this.addrKnown && (this.tcp === 'open' || (this.tcp === 'closed' && this.ss === 'connected')) && !this.closed) {
      this.addrKnown = true;
      this.chan.request({ PRIM_type: 'T_ADDR_REQ' }, (r) => {
        if (r.ok && r.prim.PRIM_type === 'T_ADDR_ACK' && r.prim.LOCADDR !== null) this.local = fromTAddr(r.prim.LOCADDR);
      });
    }
    return this.local;
  }

  /** Take the pending error (reading SO_ERROR or failing a call clears it). */
  takeError(): ErrnoName | null {
    const e = this.soError;
    this.soError = null;
    return e;
  }

  /** Readiness as Linux's tcp_poll computes it (POLL* bits from types.ts). */
  pollMask(): number {
    if (this.closed) return 0x020;
    let m = 0;
    if (this.tcp === 'listen') {
      if (this.conind.length > 0) m |= 0x001;
      if (m === 0) this.wantData = true;
      return m;
    }
    if ((this.rcvShut && this.sndShut) || this.tcp === 'closed') m |= 0x010; // POLLHUP
    if (this.rcvShut) m |= 0x001 | 0x2000; // POLLIN | POLLRDHUP
    if (this.tcp !== 'synsent') {
      if (this.fill(1)) m |= 0x001;
      if (this.sndShut || (this.stream.canWrite() && !this.chan.blocked)) m |= 0x004;
      // canWrite marks the full queue for back-enabling; the head says 'writable' only to a waiting writer.
      else {
        this.stream.wantWrite = true;
        this.waitWritable();
      }
    }
    if (this.soError !== null) m |= 0x008;
    if ((m & 0x001) === 0) this.wantData = true;
    return m;
  }
}

function fromTAddr(a: TAddr): SockAddr {
  return { addr: a.addr, port: a.port };
}
