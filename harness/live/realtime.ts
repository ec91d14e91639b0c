/**
 * How a live world keeps up with the wall clock. lib/sim's RealtimeDriver does the driving;
 * two adjustments make it keep pace with a real client:
 *
 * - Zero-delay turns as setImmediate (`immediateWallClock`): setTimeout's 1 ms minimum per
 *   turn let virtual time fall seconds behind during one transfer.
 * - Yields after the catch-up, not between instants (`yieldAfterCatchUp`). The socket layer
 *   asks for a yield whenever it hands Node something, and the driver honours that by stopping
 *   at the next instant and waiting a turn of the event loop; with thousands of instants per
 *   second, virtual time then lags the wall clock, and a catch-up later fires retransmission
 *   timers in a burst (measured: 55-231 spurious retransmissions in 3 s of wrk with 50
 *   connections, none with this). Here a yield request schedules one turn of the event loop
 *   after the driver has run everything due, and the turn then catches up again, running
 *   whatever Node's code put into the simulation meanwhile. Node code still runs before the
 *   simulation moves past the wall clock, just not between two instants that are both due.
 *
 * The second should become an option of RealtimeDriver (lib/sim); until then it replaces
 * `requestYield` on this world's scheduler only.
 */
import type { RealtimeDriver, WallClock } from '../../lib/sim/realtime.ts';
import type { Scheduler } from '../../lib/sim/scheduler.ts';

export const immediateWallClock: WallClock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => (ms <= 0 ? { immediate: setImmediate(fn) } : { timeout: setTimeout(fn, ms) }),
  clearTimer: (h) => {
    const t = h as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (t.immediate !== undefined) clearImmediate(t.immediate);
    if (t.timeout !== undefined) clearTimeout(t.timeout);
  },
};

export function yieldAfterCatchUp(sched: Scheduler, driver: RealtimeDriver): void {
  let pending = false;
  const turn = (): void => {
    pending = false;
    if (driver.isRunning) driver.post(() => {});
  };
  sched.requestYield = () => {
    if (pending) return;
    pending = true;
    setImmediate(turn);
  };
}
