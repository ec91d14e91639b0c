/**
 * SimDriver over lib/sim's Scheduler, run asynchronously so that Node code inside the host (a
 * socket layer built on Node streams) gets its turns between virtual instants.
 */
import type { Scheduler } from '../../lib/sim/scheduler.ts';
import { runAsync } from '../../lib/sim/async.ts';
import type { Time } from '../../lib/sim/time.ts';
import type { SimDriver } from './target.ts';

export function schedulerDriver(sched: Scheduler): SimDriver {
  return {
    now: () => sched.now(),
    async run(until: Time): Promise<void> {
      const r = await runAsync(sched, { until });
      // An idle run leaves the clock where it was; the contract is to end at `until`.
      if (r.end !== 'stopped') sched.advanceTo(until);
    },
    stop: () => sched.stop(),
  };
}
