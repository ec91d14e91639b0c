/**
 * The stream head: the queue pair at the top of every stream, and the read / write side of the
 * application interface (the Stream methods delegate here).
 *
 * Read side (strrput): data and primitives are queued for read(); the head's own water marks
 * (M_SETOPTS hiwat / lowat) flow-control the modules below, and reading back-enables them.
 * 'readable', 'error' and 'hangup' are emitted from the head's service procedure, i.e. by the
 * scheduler and not from inside a put chain, as a kernel wakes a sleeping reader.
 * M_FLUSH: FLUSHR flushes the read queue; FLUSHW is sent back down with FLUSHR cleared.
 * M_ERROR sets the read / write errors and flushes; M_HANGUP ends reads and writes.
 *
 * Write side: write() checks canputnext (normal priority only) and the top module's packet
 * sizes; a refused writer gets 'writable' when back-enabling reaches the head's write service.
 */
import type { Mblk } from './mblk.ts';
import { allocb, freemsg, msgdsize } from './mblk.ts';
import type { ModuleInfo, QInit } from './module.ts';
import type { Queue } from './queue.ts';
import { canputnext, flushq, getq, putq, qenable, qsetwater, takeq } from './queue.ts';
import { putnext } from './put.ts';
import type { Stream } from './stream.ts';
import type { IocBlk, IoctlCallback } from './ioctl.ts';
import { errorreq, flushreq, mkflush, reflag, stropts } from './msgs.ts';
import type { TimerId } from '../sim/types.ts';
import {
  Errno,
  FLUSHDATA,
  FLUSHR,
  FLUSHW,
  INFPSZ,
  M_CTL,
  M_DATA,
  M_ERROR,
  M_FLUSH,
  M_HANGUP,
  M_IOCACK,
  M_IOCNAK,
  M_PCCTL,
  M_PCPROTO,
  M_PROTO,
  M_SETOPTS,
  QPCTL,
  QWANTR,
  STRHIGH,
  STRLOW,
} from './types.ts';

export interface PendingIoctl {
  cmd: number;
  cb: IoctlCallback;
  timer: TimerId | null;
}

export const headInfo: ModuleInfo = { id: 0, name: 'head', minpsz: 0, maxpsz: INFPSZ, hiwat: STRHIGH, lowat: STRLOW };

export const headRinit: QInit = { put: strrput, service: strrsrv, minfo: headInfo };
export const headWinit: QInit = { put: strwput, service: strwsrv, minfo: headInfo };

function strrput(q: Queue, mp: Mblk): void {
  const st = q.stream;
  switch (mp.db.type) {
    case M_DATA:
    case M_PROTO:
    case M_PCPROTO:
      if (st.rerror !== 0) return drop(st, q, mp, 'read error set');
      putq(q, mp);
      return;
    case M_FLUSH: {
      const { flag } = flushreq(mp);
      if (flag & FLUSHR) flushq(q, FLUSHDATA);
      if (flag & FLUSHW) {
        flushq(q.other, FLUSHDATA);
        putnext(q.other, reflag(mp, flag & ~FLUSHR));
      } else {
        freemsg(mp);
      }
      return;
    }
    case M_ERROR: {
      const e = errorreq(mp);
      freemsg(mp);
      if (e.rerror !== undefined) st.rerror = e.rerror;
      if (e.werror !== undefined) st.werror = e.werror;
      const flag = (e.rerror ? FLUSHR : 0) | (e.werror ? FLUSHW : 0);
      if (flag & FLUSHR) flushq(q, FLUSHDATA);
      if (flag !== 0) putnext(q.other, mkflush(flag));
      st.pendingError = true;
      qenable(q);
      return;
    }
    case M_HANGUP:
      freemsg(mp);
      st.hungup = true;
      st.pendingHangup = true;
      qenable(q);
      return;
    case M_SETOPTS: {
      const o = stropts(mp);
      freemsg(mp);
      if (o.wroff !== undefined) st.wroff = Math.max(0, o.wroff);
      if (o.hiwat !== undefined || o.lowat !== undefined) qsetwater(q, o.hiwat ?? q.hiwat, o.lowat ?? q.lowat);
      return;
    }
    case M_IOCACK:
    case M_IOCNAK: {
      const ioc = mp.db.proto as IocBlk;
      const acked = mp.db.type === M_IOCACK;
      freemsg(mp);
      const p = st.ioctls.get(ioc.id);
      if (p === undefined) {
        st.dropped++;
        return;
      }
      st.ioctls.delete(ioc.id);
      if (p.timer !== null) st.env.time?.cancel(p.timer);
      if (st.env.tracing) st.env.traceIoctl(st, ioc.cmd, ioc.id, acked ? 'ack' : 'nak', acked ? undefined : ioc.error);
      p.cb(acked ? { ok: true, rval: ioc.rval, data: ioc.data } : { ok: false, error: ioc.error || Errno.EINVAL });
      return;
    }
    default:
      // M_CTL and anything else nobody above the top module can use.
      return drop(st, q, mp, 'not for the stream head');
  }
}

function drop(st: Stream, q: Queue, mp: Mblk, reason: string): void {
  st.dropped++;
  if (st.env.tracing) st.env.traceDrop(q, mp, reason);
  freemsg(mp);
}

/**
 * Wakes the reader. QWANTR is cleared once the reader is told, so more data arriving before
 * it reads does not wake it again; a read() that finds the queue empty sets QWANTR, and the
 * next arrival wakes it (read until null, as with Node's 'readable').
 */
function strrsrv(q: Queue): void {
  const st = q.stream;
  if (q.first !== null) {
    q.flag &= ~QWANTR;
    st.emit('readable');
  }
  if (st.pendingError) {
    st.pendingError = false;
    // An EventEmitter throws on an 'error' nobody listens to; the errors stay readable in
    // st.rerror / st.werror, so an unheard one is not lost.
    if (st.listenerCount('error') > 0) st.emit('error', st.rerror, st.werror);
  }
  if (st.pendingHangup) {
    st.pendingHangup = false;
    st.emit('hangup');
  }
}

/** Something put on the head's write queue (e.g. a reply from the read side) just goes down. */
function strwput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}

/** Back-enabled from below: the writer may go on. */
function strwsrv(q: Queue): void {
  const st = q.stream;
  if (!st.wantWrite) return;
  st.wantWrite = false;
  st.emit('writable');
}

function writeError(st: Stream): number {
  if (st.closed || st.hungup) return Errno.ENXIO;
  if (st.linkedUnder !== null) return Errno.EINVAL;
  return st.werror;
}

export function headCanWrite(st: Stream): boolean {
  return writeError(st) === 0 && canputnext(st.wq);
}

export function headWrite(st: Stream, mp: Mblk): number {
  const err = writeError(st);
  if (err !== 0) return err;
  const t = mp.db.type;
  if (t !== M_DATA && t !== M_PROTO && t !== M_PCPROTO && t !== M_CTL && t !== M_PCCTL) return Errno.EINVAL;
  const below = st.wq.next;
  if (below !== null && t === M_DATA) {
    const n = msgdsize(mp);
    if (n < below.minpsz || (below.maxpsz !== INFPSZ && n > below.maxpsz)) return Errno.ERANGE;
  }
  if (t < QPCTL && !canputnext(st.wq)) {
    st.wantWrite = true;
    return Errno.EAGAIN;
  }
  putnext(st.wq, mp);
  return 0;
}

export function headWriteBytes(st: Stream, bytes: Uint8Array): number {
  const err = writeError(st);
  if (err !== 0) return -err;
  const below = st.wq.next;
  const max = below === null || below.maxpsz === INFPSZ || below.maxpsz <= 0 ? bytes.length : below.maxpsz;
  let off = 0;
  do {
    if (!canputnext(st.wq)) {
      st.wantWrite = true;
      return off === 0 ? -Errno.EAGAIN : off;
    }
    const n = Math.min(max, bytes.length - off);
    const mp = allocb(st.wroff + n);
    mp.rptr = mp.wptr = st.wroff;
    mp.append(bytes.subarray(off, off + n));
    putnext(st.wq, mp);
    off += n;
  } while (off < bytes.length);
  return off;
}

export function headRead(st: Stream): Mblk | null {
  if (st.linkedUnder !== null) return null;
  return getq(st.rq);
}

/** headRead without asking for 'readable' when empty (takeq): for a reader woken otherwise. */
export function headTake(st: Stream): Mblk | null {
  if (st.linkedUnder !== null) return null;
  return takeq(st.rq);
}

export function headFlush(st: Stream, flag: number): void {
  if (st.closed) return;
  if (flag & FLUSHR) flushq(st.rq, FLUSHDATA);
  if (flag & FLUSHW) flushq(st.wq, FLUSHDATA);
  putnext(st.wq, mkflush(flag));
}
