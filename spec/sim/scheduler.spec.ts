import { expect } from 'chai';
import fc from 'fast-check';
import { Scheduler, SimLimitError, MS, SEC } from '../../lib/sim/index.ts';

describe('sim: scheduler', () => {
  it('runs events in time order and sets the clock to each event time', () => {
    const s = new Scheduler();
    const seen: [string, number][] = [];
    s.schedule(30, () => seen.push(['c', s.now()]));
    s.schedule(10, () => seen.push(['a', s.now()]));
    s.schedule(20, () => seen.push(['b', s.now()]));
    s.runUntilIdle();
    expect(seen).to.deep.equal([
      ['a', 10],
      ['b', 20],
      ['c', 30],
    ]);
  });

  it('runs events due at the same instant in the order they were scheduled', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) s.schedule(5, () => seen.push(i));
    // Scheduled from inside an event for the same instant: after everything already due.
    s.schedule(5, () => s.schedule(0, () => seen.push(99)));
    s.runUntilIdle();
    expect(seen).to.deep.equal([...Array.from({ length: 50 }, (_, i) => i), 99]);
  });

  it('orders like a stable sort by time for any mix of schedules and cancels (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 20 }), cancel: fc.boolean() }), { maxLength: 200 }),
        (ops) => {
          const s = new Scheduler(16, 0);
          const fired: number[] = [];
          const ids = ops.map((op, i) => s.schedule(op.delay, () => fired.push(i)));
          ops.forEach((op, i) => op.cancel && s.cancel(ids[i]!));
          s.runUntilIdle();
          const expected = ops
            .map((op, i) => ({ ...op, i }))
            .filter((o) => !o.cancel)
            .sort((a, b) => a.delay - b.delay || a.i - b.i)
            .map((o) => o.i);
          expect(fired).to.deep.equal(expected);
        },
      ),
    );
  });

  it('matches a reference model under schedules, cancels (also from inside events) and partial runs (property)', () => {
    type Op = { kind: 'schedule'; delay: number; cancelOther: number | null } | { kind: 'cancel'; which: number } | { kind: 'run'; dt: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('schedule' as const), delay: fc.integer({ min: 0, max: 50 }), cancelOther: fc.option(fc.nat(400), { nil: null }) }),
      fc.record({ kind: fc.constant('cancel' as const), which: fc.nat(400) }),
      fc.record({ kind: fc.constant('run' as const), dt: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.boolean(), (ops, eagerSweep) => {
        const s = new Scheduler(16, eagerSweep ? 0 : 64);
        // Reference: a list of live timers, each fired in (time, number) order.
        const model: { at: number; n: number; cancelOther: number | null }[] = [];
        let modelNow = 0;
        const fired: number[] = [];
        const expected: number[] = [];
        const ids: number[] = [];
        const modelCancel = (n: number): void => {
          const i = model.findIndex((m) => m.n === n);
          if (i >= 0) model.splice(i, 1);
        };
        const modelRun = (until: number): void => {
          for (;;) {
            model.sort((a, b) => a.at - b.at || a.n - b.n);
            const next = model[0];
            if (next === undefined || next.at > until) break;
            model.shift();
            modelNow = next.at;
            expected.push(next.n);
            if (next.cancelOther !== null) modelCancel(next.cancelOther);
          }
          modelNow = until;
        };
        for (const o of ops) {
          if (o.kind === 'schedule') {
            const n = ids.length;
            const other = o.cancelOther !== null && o.cancelOther < n ? o.cancelOther : null;
            ids.push(
              s.schedule(o.delay, () => {
                fired.push(n);
                if (other !== null) s.cancel(ids[other]!);
              }),
            );
            model.push({ at: modelNow + o.delay, n, cancelOther: other });
          } else if (o.kind === 'cancel') {
            if (o.which < ids.length) {
              s.cancel(ids[o.which]!);
              modelCancel(o.which);
            }
          } else {
            s.runFor(o.dt);
            modelRun(modelNow + o.dt);
          }
          expect(s.pending).to.equal(model.length);
        }
        s.runUntilIdle();
        modelRun(Number.MAX_SAFE_INTEGER);
        expect(fired).to.deep.equal(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the heap small when timers are re-armed over and over (dead entries are swept)', () => {
    const s = new Scheduler(16);
    const ids = new Array<number>(10).fill(0);
    for (let round = 0; round < 100_000; round++) {
      const j = round % 10;
      s.cancel(ids[j]!);
      ids[j] = s.schedule(1_000_000 + round, () => {});
    }
    expect(s.pending).to.equal(10);
    // 100 000 cancels, none fired: only sweeps can have kept this bounded.
    expect(s.heapEntries).to.be.at.most(2 * 10 + 65);
  });

  it('cancels a pending timer and ignores cancels of fired or unknown ids', () => {
    const s = new Scheduler();
    let a = 0;
    let b = 0;
    const ida = s.schedule(10, () => a++);
    const idb = s.schedule(20, () => b++);
    s.cancel(ida);
    expect(s.isPending(ida)).to.equal(false);
    s.runUntilIdle();
    expect([a, b]).to.deep.equal([0, 1]);
    // idb's slot is reused by the next timer; the stale id must not cancel it.
    const idc = s.schedule(5, () => a++);
    s.cancel(idb);
    s.cancel(0);
    s.cancel(-3);
    s.cancel(123456789);
    expect(s.isPending(idc)).to.equal(true);
    s.runUntilIdle();
    expect(a).to.equal(1);
  });

  it('grows past its initial capacity and keeps ids valid', () => {
    const s = new Scheduler(16);
    const ids: number[] = [];
    let fired = 0;
    for (let i = 0; i < 1000; i++) ids.push(s.schedule(1000 - i, () => fired++));
    for (let i = 0; i < 1000; i += 2) s.cancel(ids[i]!);
    expect(s.pending).to.equal(500);
    s.runUntilIdle();
    expect(fired).to.equal(500);
  });

  it('runUntil runs events up to and including the limit and leaves the clock there', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    for (const d of [1, 2, 3, 4]) s.schedule(d * MS, () => seen.push(d));
    const r = s.runUntil(2 * MS);
    expect(seen).to.deep.equal([1, 2]);
    expect(s.now()).to.equal(2 * MS);
    expect(r).to.deep.equal({ end: 'time', events: 2 });
    s.runFor(10 * MS);
    expect(seen).to.deep.equal([1, 2, 3, 4]);
    expect(s.now()).to.equal(12 * MS);
  });

  it('rounds fractional delays up and rejects negative ones', () => {
    const s = new Scheduler();
    let at = -1;
    s.schedule(1.2, () => (at = s.now()));
    s.runUntilIdle();
    expect(at).to.equal(2);
    expect(() => s.schedule(-1, () => {})).to.throw(RangeError);
    expect(() => s.schedule(NaN, () => {})).to.throw(RangeError);
  });

  it('throws SimLimitError when a run exceeds its event budget (livelock guard)', () => {
    const s = new Scheduler();
    const again = (): void => void s.schedule(0, again);
    again();
    expect(() => s.runUntilIdle({ maxEvents: 1000 })).to.throw(SimLimitError);
    expect(s.runUntil(SEC, { maxEvents: 10, onLimit: 'stop' })).to.deep.equal({ end: 'limit', events: 10 });
  });

  it('bounds runUntilIdle by virtual time when a periodic timer never lets it go idle', () => {
    const s = new Scheduler();
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      s.schedule(100 * MS, tick);
    };
    tick();
    const r = s.runUntilIdle({ maxTime: SEC });
    expect(r.end).to.equal('time');
    expect(ticks).to.equal(11);
    expect(s.now()).to.equal(SEC);
  });

  it('stops after the current event when stop() is called', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.schedule(1, () => seen.push(1));
    s.schedule(2, () => {
      seen.push(2);
      s.stop();
    });
    s.schedule(3, () => seen.push(3));
    expect(s.runUntilIdle().end).to.equal('stopped');
    expect(seen).to.deep.equal([1, 2]);
    expect(s.now()).to.equal(2);
  });

  it('keeps the heap consistent when an event throws', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.schedule(1, () => {
      throw new Error('boom');
    });
    s.schedule(2, () => seen.push(2));
    expect(() => s.runUntilIdle()).to.throw('boom');
    s.runUntilIdle();
    expect(seen).to.deep.equal([2]);
  });
});
