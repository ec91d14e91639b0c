/**
 * The socket's side of TPI: sending primitives (behind flow control, in order) and matching
 * acknowledgements to the requests that wait for them.
 *
 * Acknowledgements arrive inside the transport's put procedure. Calling the waiting code there
 * would re-enter the transport from its own put (a bind continuation sending T_CONN_REQ while
 * the transport is still answering T_BIND_REQ), so an ack only records its result; the result
 * is delivered when the request's own send returns (the usual case: transports answer from
 * their put procedure) or from the socket's deferred wake-up.
 */
import { Errno, freemsg, mktpi } from '../../lib/streams/index.ts';
import type { Mblk, Stream, TPrimitive, TPrimName } from '../../lib/streams/index.ts';
import { errnoName, tliErrno, type ErrnoName } from './errno.ts';

export type AckResult = { ok: true; prim: TPrimitive } | { ok: false; errno: ErrnoName };
export type AckCallback = (r: AckResult) => void;
/** Who hears an acknowledgement, as an object (the socket itself: no closure per request). */
export interface AckSink {
  acked(req: TPrimName, r: AckResult): void;
}

interface Pending {
  req: TPrimName;
  cb: AckCallback | AckSink;
  result: AckResult | null;
  /** The next younger request (the list is oldest first). */
  next: Pending | null;
}

/** Most primitives waiting for flow control, and most requests waiting for an ack. */
const MAX_BACKLOG = 64;
const MAX_PENDING = 64;

export class TpiChannel {
  // Requests waiting, oldest first, as a list through Pending.next (nearly always one, so no
  // array); the backlog is made when needed and dropped when empty. A channel per socket, mostly idle.
  private pendingFirst: Pending | null = null;
  private backlog: Mblk[] | null = null;
  /** A request's send is in progress: an ack arriving now is delivered when it returns. */
  private sending = 0;

  constructor(private readonly stream: Stream) {}

  /** Primitives are waiting for flow control: data must wait behind them. */
  get blocked(): boolean {
    return this.backlog !== null;
  }

  get waiting(): number {
    let n = 0;
    for (let p = this.pendingFirst; p !== null; p = p.next) n++;
    return n;
  }

  /**
   * Send a message now or, when flow control refuses it, after the ones already waiting.
   * Returns 0 or an errno name (the message is freed then).
   */
  send(mp: Mblk): ErrnoName | 0 {
    if (this.backlog === null) {
      const e = this.stream.write(mp);
      if (e === 0) return 0;
      if (e !== Errno.EAGAIN) {
        freemsg(mp);
        return e === Errno.ENXIO ? 'EPIPE' : errnoName(e);
      }
    }
    const backlog = (this.backlog ??= []);
    if (backlog.length >= MAX_BACKLOG) {
      freemsg(mp);
      return 'ENOBUFS';
    }
    backlog.push(mp);
    return 0;
  }

  /** Send what flow control held back; true when nothing is left waiting. */
  flush(): boolean {
    const backlog = this.backlog;
    if (backlog === null) return true;
    while (backlog.length > 0) {
      const e = this.stream.write(backlog[0]!);
      if (e === Errno.EAGAIN) return false;
      const mp = backlog.shift()!;
      if (e !== 0) freemsg(mp);
    }
    this.backlog = null;
    return true;
  }

  /** Send a request and call cb with its acknowledgement (synchronously when the transport answers at once). */
  request(prim: TPrimitive, cb: AckCallback | AckSink, data: Mblk | null = null): void {
    if (this.waiting >= MAX_PENDING) {
      freemsg(data);
      return deliver(prim.PRIM_type, cb, { ok: false, errno: 'ENOBUFS' });
    }
    const p: Pending = { req: prim.PRIM_type, cb, result: null, next: null };
    // Appended at the end (a short walk: at most MAX_PENDING, nearly always none).
    if (this.pendingFirst === null) this.pendingFirst = p;
    else {
      let last = this.pendingFirst;
      while (last.next !== null) last = last.next;
      last.next = p;
    }
    this.sending++;
    let e: ErrnoName | 0;
    try {
      e = this.send(mktpi(prim, data));
    } finally {
      this.sending--;
    }
    if (e !== 0) p.result = { ok: false, errno: e };
    this.settle();
  }

  /**
   * An acknowledgement came up: record it. Returns 'now' when the request that waits for it is
   * still sending (its result is delivered as the send returns), 'later' when someone must
   * settle it, and null when no request waits for it.
   */
  ack(p: TPrimitive): 'now' | 'later' | null {
    const want = requestOf(p);
    if (want === null) return null;
    let w = this.pendingFirst;
    while (w !== null && (w.result !== null || w.req !== want)) w = w.next;
    if (w === null) return null;
    w.result = p.PRIM_type === 'T_ERROR_ACK' ? { ok: false, errno: tliErrno(p.TLI_error, p.UNIX_error) } : { ok: true, prim: p };
    return this.sending > 0 ? 'now' : 'later';
  }

  /** Deliver recorded results, oldest request first. */
  settle(): void {
    // From the oldest each time: a callback may send (and settle) requests of its own.
    for (;;) {
      let prev: Pending | null = null;
      let p = this.pendingFirst;
      while (p !== null && p.result === null) {
        prev = p;
        p = p.next;
      }
      if (p === null) return;
      if (prev === null) this.pendingFirst = p.next;
      else prev.next = p.next;
      p.next = null;
      deliver(p.req, p.cb, p.result!);
    }
  }

  /** The stream is going away: every waiting request fails, held primitives are freed. */
  fail(errno: ErrnoName): void {
    const backlog = this.backlog;
    this.backlog = null;
    if (backlog !== null) for (const mp of backlog) freemsg(mp);
    for (let p = this.pendingFirst; p !== null; p = p.next) if (p.result === null) p.result = { ok: false, errno };
    this.settle();
  }
}

function deliver(req: TPrimName, cb: AckCallback | AckSink, r: AckResult): void {
  if (typeof cb === 'function') cb(r);
  else cb.acked(req, r);
}

/** The request an acknowledgement answers. */
function requestOf(p: TPrimitive): TPrimName | null {
  switch (p.PRIM_type) {
    case 'T_BIND_ACK':
      return 'T_BIND_REQ';
    case 'T_OPTMGMT_ACK':
      return 'T_OPTMGMT_REQ';
    case 'T_ADDR_ACK':
      return 'T_ADDR_REQ';
    case 'T_INFO_ACK':
      return 'T_INFO_REQ';
    case 'T_OK_ACK':
      return p.CORRECT_prim;
    case 'T_ERROR_ACK':
      return p.ERROR_prim;
    default:
      return null;
  }
}
