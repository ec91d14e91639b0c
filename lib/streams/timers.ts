/**
 * Timers for modules: qtimeout / quntimeout on the env's TimeSource. The callback runs as a
 * top-level STREAMS entry (deferred puts drained after it). Timers still pending when a
 * module leaves the stream are cancelled by the framework (SVR4 leaves that to close()).
 */
import type { TimerId } from '../sim/types.ts';
import type { Queue } from './queue.ts';
import { runEntry } from './put.ts';
import { StreamsError } from './errors.ts';
import { Errno } from './types.ts';

/**
 * Pending timer ids of the queues that have any. Kept beside the queues rather than in a field
 * of each: six queues per socket stream, and nearly none of them ever sets a timer.
 */
const pendingTimers = new WeakMap<Queue, Set<TimerId>>();

export function qtimeout(q: Queue, fn: () => void, delay: number): TimerId {
  const time = q.env.time;
  if (time === null) throw new StreamsError(Errno.EINVAL, 'qtimeout: the env has no time source');
  let timers = pendingTimers.get(q);
  if (timers === undefined) {
    timers = new Set();
    pendingTimers.set(q, timers);
  }
  const set = timers;
  const id = time.schedule(Math.max(0, delay), () => {
    set.delete(id);
    runEntry(fn);
  });
  timers.add(id);
  return id;
}

export function quntimeout(q: Queue, id: TimerId): void {
  const timers = pendingTimers.get(q);
  if (timers === undefined || !timers.delete(id)) return;
  q.env.time?.cancel(id);
}

/** Cancel every timer of q (the framework calls it when a module or driver leaves). */
export function qcanceltimers(q: Queue): void {
  const timers = pendingTimers.get(q);
  if (timers === undefined) return;
  for (const id of timers) q.env.time?.cancel(id);
  pendingTimers.delete(q);
}
