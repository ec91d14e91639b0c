/**
 * The put entry points: putnext, put, qreply. They call the next put procedure directly: no
 * copy, no allocation, no event object unless tracing is on.
 *
 * Stack safety (the "trampoline"): a global depth counter counts nested put calls. Past
 * `maxPutDepth` the put is appended to a FIFO instead of called, and from then on *every* put
 * is appended until the FIFO is empty again; the outermost put (depth 0) drains it. Appending
 * everything while the FIFO is non-empty is what keeps order: a later put to some queue can
 * never overtake an earlier one that was deferred. The cost is that, while draining, puts run
 * breadth-first; like an MT perimeter in illumos, a module must not assume that the downstream
 * put has finished when putnext returns. Normal stacks (a dozen modules) never defer.
 */
import type { Mblk } from './mblk.ts';
import { freemsg } from './mblk.ts';
import type { Queue } from './queue.ts';
import { UseAfterFreeError } from './errors.ts';

let depth = 0;
let maxDepth = 200;
/** Nesting at which puts are deferred: maxDepth, or 0 while the FIFO holds anything. */
let limit = maxDepth;

/** Deferred puts: parallel arrays used as a FIFO ring (no allocation per deferral once grown). */
let dq: Array<Queue | null> = [];
let dm: Array<Mblk | null> = [];
let dHead = 0;
let dLen = 0;

/** Set the nesting depth past which puts are deferred (specs use small values). Returns the old one. */
export function setMaxPutDepth(n: number): number {
  const old = maxDepth;
  maxDepth = Math.max(1, n);
  if (dLen === 0) limit = maxDepth;
  return old;
}

/** Current put nesting depth (0 outside any put procedure). */
export function putDepth(): number {
  return depth;
}

/** Puts waiting in the trampoline FIFO. */
export function deferredPuts(): number {
  return dLen;
}

function defer(q: Queue, mp: Mblk): void {
  if (dLen === dq.length) {
    // Grow: unroll the ring into a bigger array.
    const n = Math.max(64, dq.length * 2);
    const nq: Array<Queue | null> = new Array(n).fill(null);
    const nm: Array<Mblk | null> = new Array(n).fill(null);
    for (let i = 0; i < dLen; i++) {
      const j = (dHead + i) % dq.length;
      nq[i] = dq[j]!;
      nm[i] = dm[j]!;
    }
    dq = nq;
    dm = nm;
    dHead = 0;
  }
  const j = (dHead + dLen) % dq.length;
  dq[j] = q;
  dm[j] = mp;
  dLen++;
  limit = 0;
  if (q.env.tracing) q.env.traceDefer(q, mp, depth);
}

/** Run the deferred puts in FIFO order (called at depth 0). */
function drain(): void {
  while (dLen > 0) {
    const q = dq[dHead]!;
    const mp = dm[dHead]!;
    dq[dHead] = null;
    dm[dHead] = null;
    dHead = (dHead + 1) % dq.length;
    if (--dLen === 0) limit = maxDepth;
    outer(q, mp);
  }
}

/**
 * A put from depth 0. Only here is the depth restored with try/finally: an exception thrown
 * by a put procedure unwinds to the outermost put, which resets the count. (A module that
 * catches exceptions from putnext itself would leave the count high until then; none should.)
 */
function outer(q: Queue, mp: Mblk): void {
  depth = 1;
  try {
    q.putp(q, mp);
  } finally {
    depth = 0;
  }
  if (dLen !== 0) drain();
}

function dropAtEnd(q: Queue, mp: Mblk): void {
  if (q.env.tracing) q.env.traceDrop(q, mp, 'putnext past the end of the stream');
  freemsg(mp);
}

/** Call the put procedure of the queue after q. */
export function putnext(q: Queue, mp: Mblk): void {
  const nq = q.next;
  if (nq === null) return dropAtEnd(q, mp);
  if (mp.freed) throw new UseAfterFreeError('putnext');
  if (nq.env.tracing) nq.env.tracePut(nq, mp, 'putnext');
  if (depth >= limit) return defer(nq, mp);
  if (depth === 0) return outer(nq, mp);
  depth++;
  nq.putp(nq, mp);
  depth--;
}

/** Call q's own put procedure (how drivers and timers inject messages: SVR4 put(9F)). */
export function put(q: Queue, mp: Mblk): void {
  if (mp.freed) throw new UseAfterFreeError('put');
  if (q.env.tracing) q.env.tracePut(q, mp, 'put');
  if (depth >= limit) return defer(q, mp);
  if (depth === 0) return outer(q, mp);
  depth++;
  q.putp(q, mp);
  depth--;
}

/** Send a message back the way it came: putnext on the other queue of the pair. */
export function qreply(q: Queue, mp: Mblk): void {
  putnext(q.other, mp);
}

/** Run fn as a top-level STREAMS entry (service procedure, timer): drains deferred puts after. */
export function runEntry(fn: () => void): void {
  if (depth !== 0) return fn();
  depth = 1;
  try {
    fn();
  } finally {
    depth = 0;
  }
  if (dLen !== 0) drain();
}

/** Run a service procedure as a top-level entry (the scheduler's loop; no closure per run). */
export function runService(q: Queue, srv: (q: Queue) => void): void {
  if (depth !== 0) return srv(q);
  depth = 1;
  try {
    srv(q);
  } finally {
    depth = 0;
  }
  if (dLen !== 0) drain();
}
