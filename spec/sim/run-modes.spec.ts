import { expect } from 'chai';
import { Scheduler, runAsync, RealtimeDriver, SimLimitError, MS, systemWallClock } from '../../lib/sim/index.ts';
import type { WallClock } from '../../lib/sim/index.ts';

describe('sim: asynchronous run', () => {
  it('lets nextTick work run inside the instant that asked for a yield', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.schedule(10, () => {
      seen.push('a@10');
      process.nextTick(() => s.schedule(0, () => seen.push(`tick@${s.now()}`)));
      s.requestYield();
    });
    s.schedule(20, () => seen.push('b@20'));
    const r = await runAsync(s);
    expect(seen).to.deep.equal(['a@10', 'tick@10', 'b@20']);
    expect(r.end).to.equal('idle');
    expect(r.yields).to.equal(1);
  });

  it('runs promise continuations before virtual time moves on', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.schedule(5, () => {
      void Promise.resolve().then(() => seen.push(`then@${s.now()}`));
      s.requestYield();
    });
    s.schedule(6, () => seen.push('next@6'));
    await runAsync(s);
    expect(seen).to.deep.equal(['then@5', 'next@6']);
  });

  it('gives Node one turn before the first event, so work queued before the run is seen', async () => {
    const s = new Scheduler();
    let fired = false;
    setImmediate(() => s.schedule(3, () => (fired = true)));
    await runAsync(s);
    expect(fired).to.equal(true);
  });

  it('does not yield when nobody asks', async () => {
    const s = new Scheduler();
    for (let i = 0; i < 100; i++) s.schedule(i, () => {});
    const r = await runAsync(s);
    expect(r).to.deep.equal({ end: 'idle', events: 100, yields: 0 });
  });

  it('stops at `until` and leaves the clock there', async () => {
    const s = new Scheduler();
    let fired = 0;
    s.schedule(5 * MS, () => fired++);
    s.schedule(50 * MS, () => fired++);
    const r = await runAsync(s, { until: 10 * MS });
    expect(r.end).to.equal('time');
    expect(fired).to.equal(1);
    expect(s.now()).to.equal(10 * MS);
  });

  it('ends a run whose yields bring nothing new after maxIdleYields', async () => {
    const s = new Scheduler();
    let stopNag = false;
    const nagUntil = (): void => {
      if (stopNag) return;
      s.requestYield();
      setImmediate(nagUntil);
    };
    nagUntil();
    const r = await runAsync(s, { maxIdleYields: 5 });
    stopNag = true;
    expect(r.end).to.equal('idle');
    expect(r.yields).to.be.at.most(6);
  });

  it('throws SimLimitError past its event budget', async () => {
    const s = new Scheduler();
    const again = (): void => void s.schedule(1, again);
    again();
    let err: unknown;
    await runAsync(s, { maxEvents: 500, sliceEvents: 100 }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(SimLimitError);
  });
});

/** A wall clock the spec moves by hand. */
class FakeWall implements WallClock {
  t = 0;
  timers: { at: number; fn: () => void; id: number }[] = [];
  /** Zero-delay timers asked for: turns of the event loop. */
  zeroDelay = 0;
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): unknown {
    if (ms <= 0) this.zeroDelay++;
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  /** Advance wall time, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}

describe('sim: realtime driver', () => {
  it('runs events when the wall clock reaches their virtual time', () => {
    const s = new Scheduler();
    const wall = new FakeWall();
    const seen: number[] = [];
    s.schedule(10 * MS, () => seen.push(s.now()));
    s.schedule(30 * MS, () => seen.push(s.now()));
    const rt = new RealtimeDriver(s, { wall });
    rt.start();
    wall.advance(9);
    expect(seen).to.deep.equal([]);
    wall.advance(1);
    expect(seen).to.deep.equal([10 * MS]);
    wall.advance(25);
    expect(seen).to.deep.equal([10 * MS, 30 * MS]);
    expect(s.now()).to.equal(30 * MS);
    rt.stop();
  });

  it('runs posted work at the current wall-clock virtual time and wakes for what it schedules', () => {
    const s = new Scheduler();
    const wall = new FakeWall();
    const seen: string[] = [];
    const rt = new RealtimeDriver(s, { wall, speed: 2 });
    rt.start();
    wall.advance(5); // 10 ms of virtual time at speed 2
    rt.post(() => {
      seen.push(`post@${s.now() / MS}`);
      s.schedule(4 * MS, () => seen.push(`later@${s.now() / MS}`));
    });
    wall.advance(1);
    expect(seen).to.deep.equal(['post@10']);
    wall.advance(1);
    expect(seen).to.deep.equal(['post@10', 'later@14']);
    rt.stop();
    expect(wall.timers).to.have.length(0);
  });

  it('stops and reports when an event throws', () => {
    const s = new Scheduler();
    const wall = new FakeWall();
    const errors: unknown[] = [];
    s.schedule(MS, () => {
      throw new Error('boom');
    });
    const rt = new RealtimeDriver(s, { wall, onError: (e) => errors.push(e) });
    rt.start();
    wall.advance(2);
    expect(errors).to.have.length(1);
    expect(rt.isRunning).to.equal(false);
  });

  /**
   * An event at 1 ms hands Node some work (a zero-delay timer, as a socket layer's nextTick
   * would be) and asks for a yield; an event at 2 ms follows. Node was busy: the driver's
   * timer for 1 ms fires late, at 5 ms, when both are due.
   */
  function yieldingRun(yields?: 'between-instants' | 'after-catch-up'): { seen: string[]; wall: FakeWall } {
    const s = new Scheduler();
    const wall = new FakeWall();
    const seen: string[] = [];
    s.schedule(MS, () => {
      seen.push('a@1');
      wall.setTimer(0, () => seen.push('node'));
      s.requestYield();
    });
    s.schedule(2 * MS, () => seen.push('b@2'));
    const rt = new RealtimeDriver(s, { wall, ...(yields ? { yields } : {}) });
    rt.start();
    wall.t = 5;
    wall.advance(0);
    rt.stop();
    return { seen, wall };
  }

  it('gives Node its turn between two due instants by default (between-instants)', () => {
    expect(yieldingRun().seen).to.deep.equal(['a@1', 'node', 'b@2']);
  });

  it('gives Node its turn once everything due has run, with yields after-catch-up', () => {
    expect(yieldingRun('after-catch-up').seen).to.deep.equal(['a@1', 'b@2', 'node']);
  });

  it('takes one turn for a whole catch-up of yield requests (after-catch-up), one per instant otherwise', () => {
    const turns = (yields: 'between-instants' | 'after-catch-up'): number => {
      const s = new Scheduler();
      const wall = new FakeWall();
      for (let i = 1; i <= 100; i++) s.schedule(i * 10_000, () => s.requestYield());
      const rt = new RealtimeDriver(s, { wall, yields });
      rt.start();
      wall.t = 2;
      wall.advance(0);
      rt.stop();
      expect(s.pending).to.equal(0);
      return wall.zeroDelay;
    };
    expect(turns('after-catch-up')).to.equal(1);
    expect(turns('between-instants')).to.equal(100);
  });

  it('runs what Node posts after the turn at the wall-clock time, before anything later is due (after-catch-up)', () => {
    const s = new Scheduler();
    const wall = new FakeWall();
    const seen: string[] = [];
    s.schedule(MS, () => s.requestYield());
    s.schedule(10 * MS, () => seen.push('timer@10'));
    const rt = new RealtimeDriver(s, { wall, yields: 'after-catch-up' });
    rt.start();
    wall.advance(3);
    rt.post(() => seen.push(`post@${s.now() / MS}`));
    wall.advance(10);
    expect(seen).to.deep.equal(['post@3', 'timer@10']);
    rt.stop();
  });

  it('counts as behind while the timer of its next turn is overdue, and no longer once the turn has run', () => {
    const s = new Scheduler();
    const wall = new FakeWall();
    s.schedule(10 * MS, () => {});
    const rt = new RealtimeDriver(s, { wall });
    rt.start();
    wall.t = 5;
    expect(rt.behind).to.equal(false);
    wall.t = 11; // late by less than timer granularity
    expect(rt.behind).to.equal(false);
    wall.t = 20; // the event loop never got to the timer
    expect(rt.behind).to.equal(true);
    wall.advance(0);
    expect(rt.behind).to.equal(false);
    expect(s.now()).to.equal(20 * MS);
    rt.stop();
  });

  it('refuses an unknown yields option', () => {
    expect(() => new RealtimeDriver(new Scheduler(), { yields: 'sometimes' as 'after-catch-up' })).to.throw(RangeError, /yields/);
  });
});

describe("sim: the system wall clock's timers", () => {
  it("fires a zero-delay timer in the same turn of the event loop's check phase, before setTimeout's 1 ms minimum", async () => {
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      // From a timer callback, the check phase (setImmediate) comes before the next timers phase.
      setTimeout(() => {
        setTimeout(() => {
          seen.push('setTimeout 0');
          resolve();
        }, 0);
        systemWallClock.setTimer(0, () => seen.push('wall 0'));
      }, 0);
    });
    expect(seen).to.deep.equal(['wall 0', 'setTimeout 0']);
  });

  it('cancels zero-delay and delayed timers alike', async () => {
    let fired = 0;
    systemWallClock.clearTimer(systemWallClock.setTimer(0, () => fired++));
    systemWallClock.clearTimer(systemWallClock.setTimer(1, () => fired++));
    await new Promise((r) => setTimeout(r, 5));
    expect(fired).to.equal(0);
  });
});
