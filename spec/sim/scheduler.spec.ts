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
          const s = new Scheduler(16);
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
