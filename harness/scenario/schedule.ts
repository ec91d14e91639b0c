/**
 * The time-driven parts of a scenario, as scheduler events: link partitions (per direction),
 * cables cut and mended, network partitions between host groups, modules pushed or popped
 * mid-run. Partition windows of one direction may overlap (it stays partitioned until the last
 * one ends); down windows and network partitions may not (checks.ts refuses them).
 */
import type { Time } from '../../lib/sim/time.ts';
import type { LinkDirection } from '../world/direction.ts';
import type { World } from '../world/world.ts';
import type { Scenario, TimeWindow } from './model.ts';

/** An error that stops a run: a scheduled action failed. Names where it was declared. */
export class ScenarioRuntimeError extends Error {
  constructor(
    readonly ptr: string,
    message: string,
  ) {
    super(message);
  }
}

function during(w: World, win: TimeWindow, start: () => void, end: () => void): void {
  w.sched.scheduleAt(win.from, start);
  if (win.to !== null) w.sched.scheduleAt(win.to, end);
}

/** Schedule every link and network window of the scenario. */
export function scheduleWindows(w: World, s: Scenario): void {
  const partitioned = new Map<LinkDirection, number>();
  const hold = (d: LinkDirection, delta: number): void => {
    const n = (partitioned.get(d) ?? 0) + delta;
    partitioned.set(d, n);
    d.setFaults({ partitioned: n > 0 });
  };
  for (const h of s.hosts) {
    for (const l of h.links) {
      const link = w.link(h.name, l.network);
      for (const p of l.partitions) {
        const dirs = p.direction === 'out' ? [link.from(h.name)] : p.direction === 'in' ? [link.to(h.name)] : [link.from(h.name), link.to(h.name)];
        during(
          w,
          p,
          () => dirs.forEach((d) => hold(d, +1)),
          () => dirs.forEach((d) => hold(d, -1)),
        );
      }
      for (const d of l.down) during(w, d, () => link.down(), () => link.up());
    }
  }
  for (const n of s.networks) {
    const net = w.getNetwork(n.name);
    for (const p of n.partitions) {
      during(
        w,
        p,
        () => {
          for (let i = 0; i < p.groups.length; i++) for (let j = i + 1; j < p.groups.length; j++) net.partition(p.groups[i]!, p.groups[j]!);
        },
        () => net.heal(),
      );
    }
  }
}

/** Run `fn` at virtual time `t`; a failure stops the run with a message naming `ptr`. */
export function scheduleAction(w: World, t: Time, ptr: string, fn: () => void): void {
  w.sched.scheduleAt(t, () => {
    try {
      fn();
    } catch (e) {
      throw new ScenarioRuntimeError(ptr, (e as Error).message);
    }
  });
}
