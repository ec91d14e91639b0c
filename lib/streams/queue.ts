/**
 * Queues and the queue utilities of the SVR4 DDI: putq, getq, putbq, rmvq, insq, flushq,
 * canput / canputnext, qenable, noenable / enableok, back-enabling.
 *
 * Ordering inside a queue: high-priority messages (type >= QPCTL) first, in arrival order; then
 * banded messages, higher bands first; then band 0 in arrival order. All of them are charged to
 * q.count (SVR4 keeps per-band counts for bands > 0; bands are rare here, see docs).
 */
import type { Mblk } from './mblk.ts';
import { freemsg, qcost } from './mblk.ts';
import type { ModuleInfo, PutProc, QInit, ServiceProc } from './module.ts';
import type { StreamsEnv } from './env.ts';
import type { Stream } from './stream.ts';
import { datamsg, FLUSHALL, QENAB, QFULL, QNOENB, QPCTL, QREADR, QWANTR, QWANTW } from './types.ts';
import { UseAfterFreeError } from './errors.ts';

export class Queue {
  qinfo: QInit;
  /** Cached put and service procedures (qprocsoff swaps them). */
  putp: PutProc;
  srvp: ServiceProc | null;
  /** Next queue in the direction of travel; null at the end of the stream. */
  next: Queue | null = null;
  /** The other queue of the pair (OTHERQ). */
  other!: Queue;
  first: Mblk | null = null;
  last: Mblk | null = null;
  /** Bytes queued (see qcost). */
  count = 0;
  /** Messages queued. */
  msgs = 0;
  hiwat: number;
  lowat: number;
  flag: number;
  /** Module private state (q_ptr). */
  ptr: unknown = undefined;
  stream: Stream;
  /** Link on the scheduler's run list. (Pending qtimeout ids live in timers.ts, not here.) */
  runNext: Queue | null = null;

  constructor(env: StreamsEnv, stream: Stream, qinfo: QInit, isRead: boolean) {
    if (stream.env !== env) throw new Error('Queue: the stream belongs to another env');
    this.stream = stream;
    this.qinfo = qinfo;
    this.putp = qinfo.put;
    this.srvp = qinfo.service ?? null;
    const mi = qinfo.minfo;
    this.hiwat = mi.hiwat;
    this.lowat = mi.lowat;
    this.flag = QWANTR | (isRead ? QREADR : 0);
  }

  /**
   * The STREAMS env of the stream (read through the stream: a queue object is made six times
   * per socket, so it keeps only what changes per queue).
   */
  get env(): StreamsEnv {
    return this.stream.env;
  }

  /** Packet size limits (q_minpsz, q_maxpsz): the module's, as nothing here changes them per queue. */
  get minpsz(): number {
    return this.qinfo.minfo.minpsz;
  }

  get maxpsz(): number {
    return this.qinfo.minfo.maxpsz;
  }

  get isRead(): boolean {
    return (this.flag & QREADR) !== 0;
  }

  get name(): string {
    return this.qinfo.minfo.name;
  }

  get minfo(): ModuleInfo {
    return this.qinfo.minfo;
  }

  /** Switch to another qinit (I_LINK gives a stream head the mux's lower qinit). */
  setqinit(qinfo: QInit): void {
    this.qinfo = qinfo;
    this.putp = qinfo.put;
    this.srvp = qinfo.service ?? null;
    const mi = qinfo.minfo;
    this.hiwat = mi.hiwat;
    this.lowat = mi.lowat;
  }
}

export function OTHERQ(q: Queue): Queue {
  return q.other;
}
export function RD(q: Queue): Queue {
  return q.isRead ? q : q.other;
}
export function WR(q: Queue): Queue {
  return q.isRead ? q.other : q;
}

/** The queue whose `next` is q, within the same stream (null at the ends). */
export function backq(q: Queue): Queue | null {
  const n = q.other.next;
  return n === null ? null : n.other;
}

/** Number of messages on q. */
export function qsize(q: Queue): number {
  return q.msgs;
}

function checkLive(mp: Mblk, where: string): void {
  if (mp.freed) throw new UseAfterFreeError(where);
}

function setFull(q: Queue): void {
  if (q.count >= q.hiwat && (q.flag & QFULL) === 0) {
    q.flag |= QFULL;
    if (q.env.tracing) q.env.traceFlow(q, true);
  }
}

function clearFull(q: Queue): void {
  if (q.count < q.hiwat && (q.flag & QFULL) !== 0) {
    q.flag &= ~QFULL;
    if (q.env.tracing) q.env.traceFlow(q, false);
  }
}

/** Back-enable when a writer was refused and the queue has drained below lowat (or to empty). */
function maybeBackenable(q: Queue): void {
  if ((q.flag & QWANTW) !== 0 && (q.count === 0 || q.count < q.lowat)) {
    q.flag &= ~QWANTW;
    qbackenable(q);
  }
}

/** Enable the nearest queue behind q that has a service procedure. */
export function qbackenable(q: Queue): void {
  let b = backq(q);
  while (b !== null && b.srvp === null) b = backq(b);
  if (b === null) return;
  if (q.env.tracing) q.env.traceBackenable(q, b);
  qenable(b);
}

/** Link mp into q after `after` (null = at the front). */
function linkAfter(q: Queue, mp: Mblk, after: Mblk | null): void {
  if (after === null) {
    mp.prev = null;
    mp.next = q.first;
    if (q.first !== null) q.first.prev = mp;
    else q.last = mp;
    q.first = mp;
  } else {
    mp.prev = after;
    mp.next = after.next;
    if (after.next !== null) after.next.prev = mp;
    else q.last = mp;
    after.next = mp;
  }
}

function unlinkMsg(q: Queue, mp: Mblk): void {
  if (mp.prev !== null) mp.prev.next = mp.next;
  else q.first = mp.next;
  if (mp.next !== null) mp.next.prev = mp.prev;
  else q.last = mp.prev;
  mp.next = mp.prev = null;
}

/** The last message that must stay ahead of mp (null: mp goes first). */
function insertionPoint(q: Queue, mp: Mblk): Mblk | null {
  const last = q.last;
  if (mp.db.type >= QPCTL) {
    let after: Mblk | null = null;
    for (let p = q.first; p !== null && p.db.type >= QPCTL; p = p.next) after = p;
    return after;
  }
  // Fast path: band 0 behind a band-0 (or high-priority) tail.
  if (last === null || mp.band === 0 || (last.db.type < QPCTL && last.band >= mp.band)) return last;
  let after: Mblk | null = null;
  for (let p = q.first; p !== null && (p.db.type >= QPCTL || p.band >= mp.band); p = p.next) after = p;
  return after;
}

function account(q: Queue, mp: Mblk): void {
  const c = qcost(mp);
  mp.qsize = c;
  q.count += c;
  q.msgs++;
  setFull(q);
}

/**
 * Queue a message for q's service procedure. High-priority messages always enable the queue;
 * others enable it when a reader is waiting (QWANTR) or the message is banded, unless noenable.
 */
export function putq(q: Queue, mp: Mblk): void {
  checkLive(mp, 'putq');
  if (q.env.tracing) q.env.tracePut(q, mp, 'putq');
  linkAfter(q, mp, insertionPoint(q, mp));
  account(q, mp);
  if (mp.db.type >= QPCTL || ((q.flag & QNOENB) === 0 && ((q.flag & QWANTR) !== 0 || mp.band > 0))) qenable(q);
}

/**
 * Put a message back at the front of its class (service procedures: the next queue was full).
 * Only a high-priority message enables the queue; a service procedure that puts back a
 * high-priority message therefore runs again at once (SVR4 warns against it, so do we).
 */
export function putbq(q: Queue, mp: Mblk): void {
  checkLive(mp, 'putbq');
  let after: Mblk | null = null;
  if (mp.db.type < QPCTL) {
    for (let p = q.first; p !== null && (p.db.type >= QPCTL || p.band > mp.band); p = p.next) after = p;
  }
  linkAfter(q, mp, after);
  account(q, mp);
  if (mp.db.type >= QPCTL && (q.flag & QNOENB) === 0) qenable(q);
}

/** Insert mp before emp (or at the end when emp is null), ignoring priority (SVR4 insq). */
export function insq(q: Queue, emp: Mblk | null, mp: Mblk): void {
  checkLive(mp, 'insq');
  linkAfter(q, mp, emp === null ? q.last : emp.prev);
  account(q, mp);
  if ((q.flag & QNOENB) === 0 && (q.flag & QWANTR) !== 0) qenable(q);
}

/** Take the first message; null (and QWANTR) when empty. May back-enable the writer. */
export function getq(q: Queue): Mblk | null {
  const mp = q.first;
  if (mp === null) {
    q.flag |= QWANTR;
    maybeBackenable(q);
    return null;
  }
  unlinkMsg(q, mp);
  q.count -= mp.qsize;
  q.msgs--;
  q.flag &= ~QWANTR;
  clearFull(q);
  maybeBackenable(q);
  return mp;
}

/**
 * getq for a reader that is woken some other way (the socket layer hears every message as it
 * passes sockmod): an empty queue does not set QWANTR, so arrivals do not enable q's service
 * procedure just to announce themselves. Back-enabling works as with getq.
 */
export function takeq(q: Queue): Mblk | null {
  if (q.first === null) {
    maybeBackenable(q);
    return null;
  }
  return getq(q);
}

/** Remove a given message from q. */
export function rmvq(q: Queue, mp: Mblk): void {
  unlinkMsg(q, mp);
  q.count -= mp.qsize;
  q.msgs--;
  clearFull(q);
  maybeBackenable(q);
}

/**
 * Free the queued messages: all of them (FLUSHALL) or the data ones (FLUSHDATA: M_DATA,
 * M_PROTO, M_PCPROTO). Returns the number freed. May back-enable the writer.
 */
export function flushq(q: Queue, mode: number): number {
  let n = 0;
  let mp = q.first;
  while (mp !== null) {
    const next = mp.next;
    if (mode === FLUSHALL || datamsg(mp.db.type)) {
      unlinkMsg(q, mp);
      q.count -= mp.qsize;
      q.msgs--;
      freemsg(mp);
      n++;
    }
    mp = next;
  }
  clearFull(q);
  maybeBackenable(q);
  if (n > 0 && q.env.tracing) q.env.traceFlush(q, n);
  return n;
}

/** Flush the messages of one band (band 0 = normal messages only). */
export function flushband(q: Queue, band: number, mode: number): number {
  let n = 0;
  let mp = q.first;
  while (mp !== null) {
    const next = mp.next;
    if (mp.db.type < QPCTL && mp.band === band && (mode === FLUSHALL || datamsg(mp.db.type))) {
      unlinkMsg(q, mp);
      q.count -= mp.qsize;
      q.msgs--;
      freemsg(mp);
      n++;
    }
    mp = next;
  }
  clearFull(q);
  maybeBackenable(q);
  return n;
}

/** Take every message off q, in order, without freeing (used when a module leaves a stream). */
export function drainq(q: Queue): Mblk[] {
  const out: Mblk[] = [];
  for (let mp = q.first; mp !== null; ) {
    const next: Mblk | null = mp.next;
    mp.next = mp.prev = null;
    out.push(mp);
    mp = next;
  }
  q.first = q.last = null;
  q.count = 0;
  q.msgs = 0;
  clearFull(q);
  return out;
}

/**
 * May a normal message be put on q? Looks at the first queue from q on that has a service
 * procedure (or the last one). When it is full, marks it QWANTW so it back-enables us later.
 */
export function canput(q: Queue): boolean {
  let t = q;
  while (t.srvp === null && t.next !== null) t = t.next;
  if ((t.flag & QFULL) === 0) return true;
  t.flag |= QWANTW;
  return false;
}

/** canput on the queue after q; true at the end of a stream (nothing to flow-control against). */
export function canputnext(q: Queue): boolean {
  const n = q.next;
  return n === null ? true : canput(n);
}

/** Schedule q's service procedure (once; FIFO run list, see StreamsEnv.runServices). */
export function qenable(q: Queue): void {
  if (q.srvp === null || (q.flag & QENAB) !== 0) return;
  q.flag |= QENAB;
  q.env.schedq(q);
}

/** Stop putq from enabling q for normal messages. */
export function noenable(q: Queue): void {
  q.flag |= QNOENB;
}

/** Undo noenable. */
export function enableok(q: Queue): void {
  q.flag &= ~QNOENB;
}

/** Change q's water marks and re-evaluate QFULL / back-enabling. */
export function qsetwater(q: Queue, hiwat: number, lowat: number): void {
  q.hiwat = hiwat;
  q.lowat = lowat;
  setFull(q);
  clearFull(q);
  maybeBackenable(q);
}
