/**
 * Realtime mode: the same scheduler, driven from the wall clock, for runs that meet the outside
 * world (the TUN bridge to real clients). Virtual time follows wall time from the moment of
 * `start()` (times `speed`); the driver sleeps with a real timer until the next event is due,
 * runs what is due, and gives Node's event loop a turn when asked (`Scheduler.requestYield`).
 *
 * When that turn comes is the `yields` option:
 * - 'between-instants' (default): the turn stops the catch-up at the next instant boundary, as
 *   in runAsync. Node code runs before virtual time moves past the instant that asked, but with
 *   thousands of asking instants per second virtual time lags the wall clock, and the catch-up
 *   that follows fires timers (a TCP's retransmission timer) in a burst.
 * - 'after-catch-up': a turn asked for during a catch-up is taken once everything due by the
 *   wall clock has run; the next turn catches up again, running whatever Node's code put into
 *   the simulation meanwhile. Node code still runs before the simulation moves past the wall
 *   clock, just not between two instants that are both already due. For runs that must keep
 *   pace with a real peer (measured in live mode: 55-231 spurious retransmissions in 3 s of wrk
 *   with 50 connections between instants, none after the catch-up).
 *
 * Outside code must not call `schedule` directly while the driver sleeps: the virtual clock
 * then lags wall time. It calls `post(fn)`, which catches the clock up first and runs fn inside
 * the simulation at the current virtual time.
 *
 * The wall clock and timers are injected (defaults: performance.now, setTimeout), so specs can
 * drive this with a fake clock.
 */
import type { Scheduler } from './scheduler.ts';
import type { Time } from './time.ts';
import { MS } from './time.ts';

export interface WallClock {
  /** Milliseconds, monotonic, fractional allowed. */
  now(): number;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/**
 * Node's clock and timers. A zero-delay timer is a setImmediate: setTimeout never fires in
 * under 1 ms, and a driver that takes a turn per request would then let virtual time fall
 * seconds behind during one transfer.
 */
export const systemWallClock: WallClock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => (ms <= 0 ? { immediate: setImmediate(fn) } : { timeout: setTimeout(fn, ms) }),
  clearTimer: (h) => {
    const t = h as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (t.immediate !== undefined) clearImmediate(t.immediate);
    if (t.timeout !== undefined) clearTimeout(t.timeout);
  },
};

export type RealtimeYields = 'between-instants' | 'after-catch-up';

/** How late a turn's timer may fire before the driver counts as behind (timer granularity). */
const LATE_MS = 2;

export interface RealtimeOptions {
  /** Virtual seconds per wall second (default 1). */
  speed?: number;
  /** Most events run in one turn before giving the event loop a turn (default 10 000). */
  sliceEvents?: number;
  /** When a requested turn of Node's event loop is taken (see above; default 'between-instants'). */
  yields?: RealtimeYields;
  wall?: WallClock;
  /** Called when an event throws; the driver stops. Default: rethrow asynchronously. */
  onError?: (err: unknown) => void;
}

export class RealtimeDriver {
  private readonly wall: WallClock;
  private readonly speed: number;
  private readonly slice: number;
  /** Whether a yield request stops a catch-up at the next instant boundary. */
  private readonly yieldBetweenInstants: boolean;
  private readonly onError: (err: unknown) => void;
  private running = false;
  private timer: unknown = undefined;
  private timerAt = Infinity;
  private wall0 = 0;
  private virt0: Time = 0;
  /** How far virtual time fell behind wall time at the last turn (ns), for reports. */
  lag: Time = 0;

  constructor(
    private readonly sched: Scheduler,
    opts: RealtimeOptions = {},
  ) {
    this.wall = opts.wall ?? systemWallClock;
    this.speed = opts.speed ?? 1;
    this.slice = opts.sliceEvents ?? 10_000;
    const yields = opts.yields ?? 'between-instants';
    if (yields !== 'between-instants' && yields !== 'after-catch-up') throw new RangeError(`realtime: bad yields ${String(yields)}`);
    this.yieldBetweenInstants = yields === 'between-instants';
    this.onError =
      opts.onError ??
      ((err) => {
        throw err;
      });
    if (!(this.speed > 0)) throw new RangeError(`realtime: bad speed ${this.speed}`);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Whether the simulation is behind the wall clock with work it has not run: the last turn
   * could not run everything due (`lag`), or the timer of the next turn is overdue by more than
   * `LATE_MS` (Node did not get to it: a busy event loop, or a process not scheduled). Outside
   * input that arrives then most likely arrived during that time, so a caller may run it at the
   * simulation's own time, before the due events it could cancel, rather than `post` it after
   * them.
   */
  get behind(): boolean {
    return this.lag > 0 || this.wall.now() > this.timerAt + LATE_MS;
  }

  /** The virtual time that corresponds to the wall clock now. */
  virtualNow(): Time {
    return this.virt0 + Math.floor((this.wall.now() - this.wall0) * MS * this.speed);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wall0 = this.wall.now();
    this.virt0 = this.sched.now();
    this.turn();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /** Run fn inside the simulation at the current wall-clock virtual time. */
  post(fn: () => void): void {
    if (!this.running) throw new Error('realtime driver is not running');
    this.catchUp();
    if (!this.running) return;
    try {
      fn();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.rearm();
  }

  private turn = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (!this.running) return;
    this.catchUp();
    this.rearm();
  };

  /** Run everything due by now (bounded), then set the clock to now. */
  private catchUp(): void {
    const target = this.virtualNow();
    let end;
    try {
      // After the catch-up, a request stays pending through the slice; rearm() turns it into a zero-delay turn.
      end = this.sched.runSlice(target, this.slice, this.yieldBetweenInstants);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (end === 'stopped') {
      this.stop();
      return;
    }
    if (end === 'idle' || end === 'time') {
      this.sched.advanceTo(target);
      this.lag = 0;
    } else {
      // Behind wall time or asked to yield: continue on the next turn of the event loop.
      this.lag = target - this.sched.now();
    }
  }

  private rearm(): void {
    if (!this.running) return;
    if (this.sched.takeYield() || this.lag > 0) {
      this.arm(0);
      return;
    }
    const next = this.sched.nextTime();
    if (next === undefined) {
      this.disarm();
      return;
    }
    const ms = Math.max(0, (next - this.sched.now()) / MS / this.speed);
    this.arm(ms);
  }

  private arm(ms: number): void {
    const at = this.wall.now() + ms;
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = this.wall.setTimer(ms, this.turn);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.wall.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fail(err: unknown): void {
    this.stop();
    this.onError(err);
  }
}
