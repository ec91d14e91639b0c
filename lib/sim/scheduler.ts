/**
 * The discrete-event scheduler: one virtual clock (integer nanoseconds, lib/sim/time.ts) and a
 * queue of pending events ordered by (time, insertion order), so events due at the same instant
 * run first-in first-out and a run is reproducible.
 *
 * The queue is a 4-ary min-heap held in parallel typed arrays (time, sequence, slot), and each
 * timer owns a slot that remembers where its entry sits in the heap. Cancelling removes the entry
 * at once (no tombstones), so a TCP that re-arms its retransmission timer on every ACK does not
 * leave the heap full of dead entries. A timer id is `generation * SLOTS + slot`: a slot is
 * reused after its timer fires or is cancelled, and the generation makes an old id harmless.
 *
 * Run modes: `runUntil` / `runFor` / `runUntilIdle` here are synchronous and bounded; `async.ts`
 * holds the loop that yields to Node's event loop, `realtime.ts` the wall-clock driver.
 */
import type { Time } from './time.ts';
import type { TimeSource, TimerId } from './types.ts';

/** Upper bound on pending timers (and the id space of one generation). */
export const MAX_PENDING = 1 << 22;
const GEN_WRAP = 2 ** 30;

export class SimLimitError extends Error {
  override name = 'SimLimitError';
}

export type Callback = () => void;

/** Why a slice of the run stopped. */
export type SliceEnd =
  /** No event left at all. */
  | 'idle'
  /** The next event lies beyond the requested time. */
  | 'time'
  /** Something asked for a yield and the current instant is complete. */
  | 'yield'
  /** The event budget of the slice is spent. */
  | 'limit'
  /** `stop()` was called from inside an event. */
  | 'stopped';

export const DEFAULT_MAX_EVENTS = 50_000_000;

export interface RunLimits {
  /** Most events this run may execute (default 50 million). */
  maxEvents?: number;
  /** What to do when maxEvents is reached: throw SimLimitError (default) or return. */
  onLimit?: 'throw' | 'stop';
}

export interface RunResult {
  end: SliceEnd;
  events: number;
}

export class Scheduler implements TimeSource {
  private clock: Time = 0;
  private nextSeq = 0;
  private executed = 0;

  // Heap entries by position, interleaved so that a node's four children share a cache line:
  // heap[2i] = time, heap[2i+1] = slot. The insertion sequence that breaks ties lives with the
  // slot (ties are rare outside small heaps, so it is seldom read).
  private heap: Float64Array;
  private size = 0;

  // Per-timer slots: callback, insertion sequence, generation, heap position (-1 when free).
  private sFn: (Callback | null)[];
  private sSeq: Float64Array;
  private sGen: Int32Array;
  private sPos: Int32Array;
  private free: Int32Array;
  private freeTop = 0;
  private cap: number;

  private stopRequested = false;
  private yieldRequested = false;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, Math.min(MAX_PENDING, initialCapacity));
    this.cap = cap;
    this.heap = new Float64Array(2 * cap);
    this.sSeq = new Float64Array(cap);
    this.sFn = new Array<Callback | null>(cap).fill(null);
    this.sGen = new Int32Array(cap).fill(1);
    this.sPos = new Int32Array(cap).fill(-1);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i;
    this.freeTop = cap;
  }

  now(): Time {
    return this.clock;
  }

  /** Number of events run since creation. */
  get eventsRun(): number {
    return this.executed;
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.size;
  }

  /** Time of the earliest pending event, or undefined when nothing is pending. */
  nextTime(): Time | undefined {
    return this.size > 0 ? this.heap[0] : undefined;
  }

  /**
   * Run fn after `delay` ns. Fractional delays round up (time is whole nanoseconds); a negative
   * or non-finite delay is a programming error and throws.
   */
  schedule(delay: Time, fn: Callback): TimerId {
    if (!(delay >= 0) || delay === Infinity) throw new RangeError(`schedule: bad delay ${delay}`);
    return this.insert(this.clock + Math.ceil(delay), fn);
  }

  /** Run fn at absolute virtual time `at` (clamped to now). */
  scheduleAt(at: Time, fn: Callback): TimerId {
    if (!Number.isFinite(at)) throw new RangeError(`scheduleAt: bad time ${at}`);
    return this.insert(Math.max(this.clock, Math.ceil(at)), fn);
  }

  cancel(id: TimerId): void {
    if (!(id >= 1)) return;
    const slot = id % MAX_PENDING;
    if (slot >= this.cap) return;
    const pos = this.sPos[slot];
    if (pos < 0 || this.sGen[slot] !== (id - slot) / MAX_PENDING) return;
    this.removeAt(pos);
    this.release(slot);
  }

  /** Whether a timer id is still pending. */
  isPending(id: TimerId): boolean {
    if (!(id >= 1)) return false;
    const slot = id % MAX_PENDING;
    return slot < this.cap && this.sPos[slot] >= 0 && this.sGen[slot] === (id - slot) / MAX_PENDING;
  }

  /** Ask the current run loop to stop after the event in progress. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Ask an asynchronous run to yield to Node's event loop once the current instant is complete
   * (a socket layer calls this after handing data to Node stream code, whose nextTick and
   * microtask work must run before virtual time moves on). Synchronous runs ignore it.
   */
  requestYield(): void {
    this.yieldRequested = true;
  }

  get yieldPending(): boolean {
    return this.yieldRequested;
  }

  /** Clear and return the yield request (used by the asynchronous drivers). */
  takeYield(): boolean {
    const y = this.yieldRequested;
    this.yieldRequested = false;
    return y;
  }

  /** Move the clock forward without running anything (never past a pending event). */
  advanceTo(t: Time): void {
    const limit = this.size > 0 ? Math.min(t, this.heap[0]) : t;
    if (limit > this.clock) this.clock = limit;
  }

  /**
   * Run events due at or before `until`, at most `maxEvents` of them. With `honourYield`, stop
   * at the first instant boundary after a yield request. The clock ends at the time of the last
   * event run (callers move it on with `advanceTo`).
   */
  runSlice(until: Time, maxEvents: number, honourYield: boolean): SliceEnd {
    this.stopRequested = false;
    let budget = maxEvents;
    for (;;) {
      if (this.size === 0) return 'idle';
      const t = this.heap[0];
      if (t > until) return 'time';
      if (honourYield && this.yieldRequested && t > this.clock) return 'yield';
      if (budget <= 0) return 'limit';
      budget--;
      const slot = this.heap[1];
      const fn = this.sFn[slot]!;
      this.popTop();
      this.release(slot);
      this.clock = t;
      this.executed++;
      fn();
      if (this.stopRequested) {
        this.stopRequested = false;
        return 'stopped';
      }
    }
  }

  /**
   * Run every event due at or before `until`, then set the clock to `until`. Throws
   * SimLimitError after `maxEvents` events (a livelock guard), unless `onLimit` is 'stop'.
   */
  runUntil(until: Time, opts: RunLimits = {}): RunResult {
    const start = this.executed;
    const end = this.runSlice(until, opts.maxEvents ?? DEFAULT_MAX_EVENTS, false);
    if (end === 'limit') return this.limitReached(start, opts);
    if (end !== 'stopped') this.advanceTo(until);
    return { end, events: this.executed - start };
  }

  /** runUntil(now + duration). */
  runFor(duration: Time, opts: RunLimits = {}): RunResult {
    return this.runUntil(this.clock + duration, opts);
  }

  /**
   * Run until nothing is pending. Bounded by `maxEvents` and by `maxTime` of virtual time from
   * now (a protocol that keeps a periodic timer never goes idle: the time bound ends the run
   * with end 'time' instead of spinning).
   */
  runUntilIdle(opts: RunLimits & { maxTime?: Time } = {}): RunResult {
    const start = this.executed;
    const until = opts.maxTime === undefined ? Number.MAX_SAFE_INTEGER : this.clock + opts.maxTime;
    const end = this.runSlice(until, opts.maxEvents ?? DEFAULT_MAX_EVENTS, false);
    if (end === 'limit') return this.limitReached(start, opts);
    if (end === 'time') this.advanceTo(until);
    return { end, events: this.executed - start };
  }

  private limitReached(start: number, opts: RunLimits): RunResult {
    const events = this.executed - start;
    if (opts.onLimit === 'stop') return { end: 'limit', events };
    throw new SimLimitError(`event limit reached: ${events} events, virtual time ${this.clock} ns`);
  }

  // ---- heap and slot bookkeeping -------------------------------------------------------------

  private insert(at: Time, fn: Callback): TimerId {
    if (this.freeTop === 0) this.grow();
    const slot = this.free[--this.freeTop];
    this.sFn[slot] = fn;
    this.sSeq[slot] = this.nextSeq++;
    this.siftUp(this.size++, at, slot);
    return this.sGen[slot] * MAX_PENDING + slot;
  }

  private release(slot: number): void {
    this.sFn[slot] = null;
    this.sPos[slot] = -1;
    const g = this.sGen[slot] + 1;
    this.sGen[slot] = g >= GEN_WRAP ? 1 : g;
    this.free[this.freeTop++] = slot;
  }

  private grow(): void {
    const old = this.cap;
    if (old >= MAX_PENDING) throw new SimLimitError(`more than ${MAX_PENDING} pending timers`);
    const cap = Math.min(MAX_PENDING, old * 2);
    const heap = new Float64Array(2 * cap);
    heap.set(this.heap);
    this.heap = heap;
    const seq = new Float64Array(cap);
    seq.set(this.sSeq);
    this.sSeq = seq;
    const i32 = (a: Int32Array, fill: number) => {
      const b = new Int32Array(cap).fill(fill);
      b.set(a);
      return b;
    };
    this.sGen = i32(this.sGen, 1);
    this.sPos = i32(this.sPos, -1);
    for (let s = old; s < cap; s++) this.sFn.push(null);
    // Every slot below `old` is in use when we grow, so the free stack holds only new slots.
    const free = new Int32Array(cap);
    let top = 0;
    for (let s = cap - 1; s >= old; s--) free[top++] = s;
    this.free = free;
    this.freeTop = top;
    this.cap = cap;
  }

  /**
   * Remove the root. Floyd's bottom-up deletion: walk the hole down to a leaf along the
   * smallest children (comparisons among siblings only), then sift the former last entry up
   * from there; it usually belongs near the bottom anyway.
   */
  private popTop(): void {
    const last = --this.size;
    if (last === 0) return;
    const h = this.heap;
    const seq = this.sSeq;
    const sPos = this.sPos;
    let i = 0;
    for (;;) {
      const c0 = 4 * i + 1;
      if (c0 >= last) break;
      let m = c0;
      let tm = h[2 * c0];
      const end = c0 + 4 < last ? c0 + 4 : last;
      for (let c = c0 + 1; c < end; c++) {
        const tc = h[2 * c];
        if (tc < tm || (tc === tm && seq[h[2 * c + 1]] < seq[h[2 * m + 1]])) {
          m = c;
          tm = tc;
        }
      }
      const ms = h[2 * m + 1];
      h[2 * i] = tm;
      h[2 * i + 1] = ms;
      sPos[ms] = i;
      i = m;
    }
    this.siftUp(i, h[2 * last], h[2 * last + 1]);
  }

  private removeAt(pos: number): void {
    if (pos === 0) {
      this.popTop();
      return;
    }
    const last = --this.size;
    if (pos === last) return;
    const h = this.heap;
    const t = h[2 * last];
    const s = h[2 * last + 1];
    const p = (pos - 1) >> 2;
    const tp = h[2 * p];
    if (t < tp || (t === tp && this.sSeq[s] < this.sSeq[h[2 * p + 1]])) this.siftUp(pos, t, s);
    else this.siftDown(pos, t, s);
  }

  /** Place the entry (time t, slot s) at hole i or above it. */
  private siftUp(i: number, t: number, s: number): void {
    const h = this.heap;
    const sPos = this.sPos;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const tp = h[2 * p];
      if (tp < t || (tp === t && this.sSeq[h[2 * p + 1]] < this.sSeq[s])) break;
      const ps = h[2 * p + 1];
      h[2 * i] = tp;
      h[2 * i + 1] = ps;
      sPos[ps] = i;
      i = p;
    }
    h[2 * i] = t;
    h[2 * i + 1] = s;
    sPos[s] = i;
  }

  /** Place the entry (time t, slot s) at hole i or below it. */
  private siftDown(i: number, t: number, s: number): void {
    const h = this.heap;
    const seq = this.sSeq;
    const sPos = this.sPos;
    const n = this.size;
    const q = seq[s];
    for (;;) {
      const c0 = 4 * i + 1;
      if (c0 >= n) break;
      let m = c0;
      let tm = h[2 * c0];
      const end = c0 + 4 < n ? c0 + 4 : n;
      for (let c = c0 + 1; c < end; c++) {
        const tc = h[2 * c];
        if (tc < tm || (tc === tm && seq[h[2 * c + 1]] < seq[h[2 * m + 1]])) {
          m = c;
          tm = tc;
        }
      }
      if (t < tm || (t === tm && q < seq[h[2 * m + 1]])) break;
      const ms = h[2 * m + 1];
      h[2 * i] = tm;
      h[2 * i + 1] = ms;
      sPos[ms] = i;
      i = m;
    }
    h[2 * i] = t;
    h[2 * i + 1] = s;
    sPos[s] = i;
  }
}
