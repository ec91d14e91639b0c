/**
 * The asynchronous run: the same scheduler, but it gives Node's event loop a turn between
 * virtual instants when something asked for one (`Scheduler.requestYield`). Node's own stream
 * and http code defers work with process.nextTick and promises; inside a synchronous loop that
 * work would never run, so a socket layer that hands data to Node code requests a yield, and
 * this loop awaits one setImmediate before moving the clock on. All nextTick and microtask work
 * queued by then has run when setImmediate fires. Without requests no yield happens, so a run
 * with no Node code in it costs the same as the synchronous one.
 */
import type { Scheduler, SliceEnd } from './scheduler.ts';
import { DEFAULT_MAX_EVENTS, SimLimitError } from './scheduler.ts';
import type { Time } from './time.ts';

export interface AsyncRunOptions {
  /** Stop once the next event lies beyond this virtual time (default: run until idle). */
  until?: Time;
  /** Event budget for the whole run (default 50 million); reaching it throws SimLimitError. */
  maxEvents?: number;
  /**
   * Most yields in a row that bring no new event (default 1000): Node code that keeps asking
   * for turns without scheduling anything would otherwise keep the run alive forever.
   */
  maxIdleYields?: number;
  /** Yield between every two instants, asked or not (slower; for code that cannot ask). */
  yieldEveryInstant?: boolean;
  /** Events run between forced yields within one long instant (default 100 000). */
  sliceEvents?: number;
}

export interface AsyncRunResult {
  end: Exclude<SliceEnd, 'yield' | 'limit'>;
  events: number;
  yields: number;
}

export const yieldToNode = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runAsync(sched: Scheduler, opts: AsyncRunOptions = {}): Promise<AsyncRunResult> {
  const until = opts.until ?? Number.MAX_SAFE_INTEGER;
  const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  const maxIdleYields = opts.maxIdleYields ?? 1000;
  const slice = opts.sliceEvents ?? 100_000;
  const start = sched.eventsRun;
  // One turn first (not counted in `yields`): Node work queued before the run (a spec's socket.resume(), a request
  // written just before) may schedule the events this run is meant to process.
  await yieldToNode();
  let yields = 0;
  let idleYields = 0;
  for (;;) {
    const used = sched.eventsRun - start;
    if (used >= maxEvents) throw new SimLimitError(`event limit reached: ${used} events, virtual time ${sched.now()} ns`);
    if (opts.yieldEveryInstant) {
      const next = sched.nextTime();
      if (next !== undefined && next <= until) sched.requestYield();
    }
    const before = sched.eventsRun;
    const end = sched.runSlice(until, Math.min(slice, maxEvents - used), idleYields < maxIdleYields);
    const ran = sched.eventsRun !== before;
    if (ran) idleYields = 0;
    if (end === 'stopped') return { end, events: sched.eventsRun - start, yields };
    const asked = sched.takeYield();
    // 'limit' here is the slice budget, not the run's: give Node a turn and carry on.
    if (end === 'limit' || (asked && idleYields < maxIdleYields)) {
      if (!ran) idleYields++;
      yields++;
      await yieldToNode();
      continue;
    }
    if (end === 'time') sched.advanceTo(until);
    return { end: end === 'idle' ? 'idle' : 'time', events: sched.eventsRun - start, yields };
  }
}
