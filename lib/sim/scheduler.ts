/**
 * The discrete-event scheduler: one virtual clock (integer nanoseconds, lib/sim/time.ts) and a
 * queue of pending events ordered by (time, insertion order), so events due at the same instant
 * run first-in first-out and a run is reproducible.
 *
 * The queue is a 4-ary min-heap of (time, slot) pairs in one Float64Array; each timer owns a
 * slot holding its callback, insertion sequence (the tie-breaker), generation and state. A
 * cancel only marks the slot: the dead entry leaves the heap when it reaches the top, or in a
 * sweep that rebuilds the heap in O(n) once dead entries outnumber live ones, so a TCP that
 * re-arms its retransmission timer on every ACK cannot fill the heap with them. Marking instead
 * of removing keeps the heap free of position bookkeeping, which measured faster on the hot
 * path (no random writes per level). A timer id is `generation * MAX_PENDING + slot`: a slot is
 * reused once its entry has left the heap, and the generation makes an old id harmless.
 *
 * Events due at the current instant (delay 0: wake-ups, service runs, most of a simulation's
 * events) skip the heap: they go on a FIFO ring of slots. Their order is still (time,
 * insertion): every heap entry for the current instant was inserted before the clock got there,
 * so it runs before anything on the ring, and the ring itself is in insertion order.
 *
 * Run modes: `runUntil` / `runFor` / `runUntilIdle` here are synchronous and bounded; `async.ts`
 * holds the loop that yields to Node's event loop, `realtime.ts` the wall-clock driver.
 */
import type { Time } from './time.ts';
import type { TimeSource, TimerId } from './types.ts';

/** Upper bound on pending timers (and the id space of one generation). */
export const MAX_PENDING = 1 << 22;
const GEN_WRAP = 2 ** 30;
const FREE = 0;
const PENDING = 1;
const CANCELLED = 2;
/** On the ring of events due now, and cancelled there. */
const DUE = 3;
const DUE_CANCELLED = 4;

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

  // Per-timer slots: callback, insertion sequence, generation, state.
  private sFn: (Callback | null)[];
  private sSeq: Float64Array;
  private sGen: Int32Array;
  /** FREE, PENDING, or CANCELLED (still in the heap until it reaches the top or a sweep). */
  private sState: Uint8Array;
  private cancelled = 0;
  // Slots due at the current instant, in insertion order (a ring; never more than cap).
  private due: Int32Array;
  private dueHead = 0;
  private dueLen = 0;
  private dueCancelled = 0;
  private free: Int32Array;
  private freeTop = 0;
  private cap: number;

  private stopRequested = false;
  private yieldRequested = false;

  /**
   * @param initialCapacity timers before the first growth
   * @param sweepMin cancelled entries tolerated before a sweep is considered (specs use 0)
   */
  constructor(
    initialCapacity = 1024,
    private readonly sweepMin = 64,
  ) {
    const cap = Math.max(16, Math.min(MAX_PENDING, initialCapacity));
    this.cap = cap;
    this.heap = new Float64Array(2 * cap);
    this.sSeq = new Float64Array(cap);
    this.sFn = new Array<Callback | null>(cap).fill(null);
    this.sGen = new Int32Array(cap).fill(1);
    this.sState = new Uint8Array(cap);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i;
    this.freeTop = cap;
    this.due = new Int32Array(cap);
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
    return this.size - this.cancelled + this.dueLen - this.dueCancelled;
  }

  /** Entries in the heap, cancelled ones not yet swept included (for specs and reports). */
  get heapEntries(): number {
    return this.size;
  }

  /** Time of the earliest pending event, or undefined when nothing is pending. */
  nextTime(): Time | undefined {
    this.skipCancelled();
    if (this.dueLen > 0) return this.clock;
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
    if (slot >= this.cap || this.sGen[slot] !== (id - slot) / MAX_PENDING) return;
    const st = this.sState[slot];
    if (st === DUE) {
      this.sState[slot] = DUE_CANCELLED;
      this.sFn[slot] = null;
      this.dueCancelled++;
      return;
    }
    if (st !== PENDING) return;
    this.sState[slot] = CANCELLED;
    this.sFn[slot] = null;
    this.cancelled++;
    // Keep dead entries a minority so the heap stays as small as the live set.
    if (this.cancelled > this.sweepMin && this.cancelled * 2 > this.size) this.sweep();
  }

  /** Whether a timer id is still pending. */
  isPending(id: TimerId): boolean {
    if (!(id >= 1)) return false;
    const slot = id % MAX_PENDING;
    if (slot >= this.cap || this.sGen[slot] !== (id - slot) / MAX_PENDING) return false;
    const st = this.sState[slot];
    return st === PENDING || st === DUE;
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
    this.skipCancelled();
    if (this.dueLen > 0) return;
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
      // Re-read every turn: an event may grow the arrays.
      const heap = this.heap;
      let slot: number;
      let t: Time;
      let fromDue: boolean;
      if (this.size > 0 && this.sState[heap[1]] === CANCELLED) {
        slot = heap[1];
        this.popTop();
        this.cancelled--;
        this.release(slot);
        continue;
      }
      if (this.dueLen > 0) {
        slot = this.due[this.dueHead];
        if (this.sState[slot] === DUE_CANCELLED) {
          this.shiftDue();
          this.dueCancelled--;
          this.release(slot);
          continue;
        }
        // A heap entry for this very instant was inserted before anything on the ring.
        fromDue = !(this.size > 0 && heap[0] <= this.clock);
        if (!fromDue) slot = heap[1];
        t = fromDue ? this.clock : heap[0];
      } else if (this.size > 0) {
        slot = heap[1];
        t = heap[0];
        fromDue = false;
      } else {
        return 'idle';
      }
      if (t > until) return 'time';
      if (honourYield && this.yieldRequested && t > this.clock) return 'yield';
      if (budget <= 0) return 'limit';
      budget--;
      const fn = this.sFn[slot]!;
      if (fromDue) this.shiftDue();
      else this.popTop();
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
    if (at <= this.clock) {
      this.sState[slot] = DUE;
      const cap = this.due.length;
      let i = this.dueHead + this.dueLen++;
      if (i >= cap) i -= cap;
      this.due[i] = slot;
    } else {
      this.sState[slot] = PENDING;
      this.siftUp(this.size++, at, slot);
    }
    return this.sGen[slot] * MAX_PENDING + slot;
  }

  /** Take the first slot off the ring of events due now. */
  private shiftDue(): void {
    if (++this.dueHead === this.due.length) this.dueHead = 0;
    this.dueLen--;
  }

  private release(slot: number): void {
    this.sFn[slot] = null;
    this.sState[slot] = FREE;
    const g = this.sGen[slot] + 1;
    this.sGen[slot] = g >= GEN_WRAP ? 1 : g;
    this.free[this.freeTop++] = slot;
  }

  /** Drop cancelled entries from the fronts, so each front is a live event (or empty). */
  private skipCancelled(): void {
    while (this.size > 0) {
      const slot = this.heap[1];
      if (this.sState[slot] !== CANCELLED) break;
      this.popTop();
      this.cancelled--;
      this.release(slot);
    }
    while (this.dueLen > 0) {
      const slot = this.due[this.dueHead];
      if (this.sState[slot] !== DUE_CANCELLED) break;
      this.shiftDue();
      this.dueCancelled--;
      this.release(slot);
    }
  }

  /** Remove every cancelled entry and rebuild the heap bottom-up (Floyd), in O(n). */
  private sweep(): void {
    const h = this.heap;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = h[2 * i + 1];
      if (this.sState[slot] === CANCELLED) {
        this.release(slot);
        continue;
      }
      h[2 * n] = h[2 * i];
      h[2 * n + 1] = slot;
      n++;
    }
    this.size = n;
    this.cancelled = 0;
    for (let i = (n - 2) >> 2; i >= 0; i--) this.siftDown(i, h[2 * i], h[2 * i + 1]);
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
    const gen = new Int32Array(cap).fill(1);
    gen.set(this.sGen);
    this.sGen = gen;
    const state = new Uint8Array(cap);
    state.set(this.sState);
    this.sState = state;
    for (let s = old; s < cap; s++) this.sFn.push(null);
    // Every slot below `old` is in use when we grow, so the free stack holds only new slots.
    const free = new Int32Array(cap);
    let top = 0;
    for (let s = cap - 1; s >= old; s--) free[top++] = s;
    this.free = free;
    this.freeTop = top;
    // Unroll the ring into the bigger one.
    const due = new Int32Array(cap);
    for (let i = 0, j = this.dueHead; i < this.dueLen; i++) {
      due[i] = this.due[j];
      if (++j === old) j = 0;
    }
    this.due = due;
    this.dueHead = 0;
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
      h[2 * i] = tm;
      h[2 * i + 1] = h[2 * m + 1];
      i = m;
    }
    this.siftUp(i, h[2 * last], h[2 * last + 1]);
  }

  /** Place the entry (time t, slot s) at hole i or above it. */
  private siftUp(i: number, t: number, s: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const tp = h[2 * p];
      if (tp < t || (tp === t && this.sSeq[h[2 * p + 1]] < this.sSeq[s])) break;
      h[2 * i] = tp;
      h[2 * i + 1] = h[2 * p + 1];
      i = p;
    }
    h[2 * i] = t;
    h[2 * i + 1] = s;
  }

  /** Place the entry (time t, slot s) at hole i or below it. */
  private siftDown(i: number, t: number, s: number): void {
    const h = this.heap;
    const seq = this.sSeq;
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
      h[2 * i] = tm;
      h[2 * i + 1] = h[2 * m + 1];
      i = m;
    }
    h[2 * i] = t;
    h[2 * i + 1] = s;
  }
}
