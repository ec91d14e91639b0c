/**
 * When events are due and whether they happened in time. Script times are microseconds from the
 * script start (absolute) or from the moment the previous event completed (relative), as in
 * packetdrill; the runner works in virtual nanoseconds.
 */
import type { EventTime } from './ast.ts';
import type { Time } from '../../lib/sim/time.ts';
import { US } from '../../lib/sim/time.ts';
import { formatUsecs } from './format.ts';

/** The window an event is expected in, in virtual time. `any` has no window. */
export interface Due {
  start: Time;
  end: Time;
  any: boolean;
}

/**
 * @param scriptStart virtual time of script time 0
 * @param previousEnd virtual time at which the previous event completed
 */
export function dueTime(t: EventTime, scriptStart: Time, previousEnd: Time): Due {
  switch (t.kind) {
    case 'any':
      return { start: previousEnd, end: previousEnd, any: true };
    case 'absolute':
      return { start: scriptStart + t.usecs * US, end: scriptStart + t.usecs * US, any: false };
    case 'relative':
      return { start: previousEnd + t.usecs * US, end: previousEnd + t.usecs * US, any: false };
    case 'absolute-range':
      return { start: scriptStart + t.usecs * US, end: scriptStart + t.endUsecs * US, any: false };
    case 'relative-range':
      return { start: previousEnd + t.usecs * US, end: previousEnd + t.endUsecs * US, any: false };
  }
}

export interface Tolerance {
  usecs: number;
  /** packetdrill --tolerance_percent: a share of the gap since the previous event, if larger. */
  percent: number;
}

/** The tolerance in ns for an event whose due time is `gap` after the previous event. */
export function toleranceNs(tol: Tolerance, gap: Time): Time {
  return Math.max(tol.usecs * US, (Math.max(0, gap) * tol.percent) / 100);
}

/** null when `actual` is inside the window widened by the tolerance; else packetdrill's message. */
export function checkDue(what: string, due: Due, actual: Time, scriptStart: Time, tolNs: Time): string | null {
  if (due.any) return null;
  if (actual >= due.start - tolNs && actual <= due.end + tolNs) return null;
  const secs = (t: Time): string => formatUsecs((t - scriptStart) / US);
  const when = due.start === due.end ? `at ${secs(due.start)}` : `in time range ${secs(due.start)}~${secs(due.end)}`;
  return `timing error: expected ${what} ${when} sec but happened at ${secs(actual)} sec; tolerance ${formatUsecs(tolNs / US)} sec`;
}
