import { expect } from 'chai';
import {
  defineModule,
  describeQueue,
  INFPSZ,
  putnext,
  StreamsEnv,
  qenable,
  qtimeout,
  quntimeout,
  type Queue,
} from '../../lib/streams/index.ts';
import { MS } from '../../lib/sim/time.ts';
import { ManualClock, testEnv, testRegistry, text, sinkLog, str } from './support/env.ts';

/** A module whose write service procedure counts its runs and re-enables itself `spins` times. */
interface SpinState {
  runs: number;
  spins: number;
}
const spinInfo = { id: 9950, name: 'spinner', minpsz: 0, maxpsz: INFPSZ, hiwat: 100, lowat: 10 };
const spinner = defineModule({
  rdinit: {
    put: (q, mp) => putnext(q, mp),
    open: (q) => {
      q.ptr = q.other.ptr = { runs: 0, spins: 0 } satisfies SpinState;
    },
    minfo: spinInfo,
  },
  wrinit: {
    put: (q, mp) => putnext(q, mp),
    service: (q) => {
      const s = q.ptr as SpinState;
      s.runs++;
      if (s.spins > 0) {
        s.spins--;
        qenable(q);
      }
    },
    minfo: spinInfo,
  },
});

function spinEnv(opts: { time?: ManualClock } = {}) {
  const env = testEnv(opts);
  env.registry.register(spinner);
  return env;
}

describe('streams: service scheduling', () => {
  it('runs enabled service procedures in the order they were enabled', () => {
    const env = spinEnv();
    const st = env.open('sink');
    st.push('qpass');
    st.push('counter');
    st.push('spinner');
    const order: string[] = [];
    env.trace.on('service', (e) => order.push(describeQueue(e.q)));
    const qs: Queue[] = [st.moduleQueues('counter')!.wq, st.moduleQueues('spinner')!.wq, st.moduleQueues('qpass')!.wq];
    for (const q of qs) qenable(q);
    env.runServices();
    // (A freshly pushed queue passes on a wake-up the first time it drains: runs after these.)
    expect(order.slice(0, 3)).to.deep.equal(qs.map(describeQueue));
  });

  it('runs a service procedure once however often its queue was enabled before it ran', () => {
    const env = spinEnv();
    const st = env.open('sink');
    st.push('spinner');
    const q = st.moduleQueues('spinner')!.wq;
    qenable(q);
    qenable(q);
    qenable(q);
    expect(env.runServices()).to.equal(1);
    expect((q.ptr as SpinState).runs).to.equal(1);
  });

  it('lets a service procedure enable its own queue again (QENAB is cleared before the call)', () => {
    const env = spinEnv();
    const st = env.open('sink');
    st.push('spinner');
    const q = st.moduleQueues('spinner')!.wq;
    (q.ptr as SpinState).spins = 3;
    qenable(q);
    expect(env.runServices()).to.equal(4);
  });

  it('with a time source, schedules one drain at delay 0 on the first enable', () => {
    const clock = new ManualClock();
    const env = spinEnv({ time: clock });
    const st = env.open('sink');
    st.push('spinner');
    st.push('qpass');
    qenable(st.moduleQueues('spinner')!.wq);
    qenable(st.moduleQueues('qpass')!.wq);
    expect(clock.pending).to.equal(1);
    expect(env.servicesPending).to.equal(true);
    clock.flush();
    expect(env.servicesPending).to.equal(false);
    expect((st.moduleQueues('spinner')!.wq.ptr as SpinState).runs).to.equal(1);
  });

  it('moves messages through putq and service on the virtual clock without explicit draining', () => {
    const clock = new ManualClock();
    const env = spinEnv({ time: clock });
    const st = env.open('sink');
    st.push('qpass');
    st.write(text('a'));
    st.write(text('b'));
    expect(sinkLog(st)).to.have.length(0);
    clock.flush();
    expect(sinkLog(st).map(str)).to.deep.equal(['a', 'b']);
  });

  it('stops a drain after servicesPerDrain runs and schedules another (a spinning module cannot hang a drain)', () => {
    const clock = new ManualClock();
    const env = new StreamsEnv({ registry: testRegistry(), time: clock, servicesPerDrain: 5 });
    env.registry.register(spinner);
    const st = env.open('sink');
    st.push('spinner');
    const q = st.moduleQueues('spinner')!.wq;
    const s = q.ptr as SpinState;
    s.spins = 12;
    qenable(q);
    clock.step();
    expect(s.runs).to.equal(5);
    expect(clock.pending).to.equal(1);
    clock.step();
    expect(s.runs).to.equal(10);
    clock.step();
    expect(s.runs).to.equal(13);
    expect(clock.pending).to.equal(0);
  });

  it('returns 0 from a nested runServices call', () => {
    const env = spinEnv();
    const st = env.open('sink');
    st.push('spinner');
    let nested = -1;
    st.on('writable', () => (nested = env.runServices()));
    st.wantWrite = true;
    qenable(st.wq);
    env.runServices();
    expect(nested).to.equal(0);
  });
});

describe('streams: timers', () => {
  it('qtimeout runs the callback at the virtual time asked for; quntimeout cancels it', () => {
    const clock = new ManualClock();
    const env = spinEnv({ time: clock });
    const st = env.open('sink');
    st.push('spinner');
    const q = st.moduleQueues('spinner')!.wq;
    const fired: number[] = [];
    qtimeout(q, () => fired.push(clock.now()), 5 * MS);
    const id = qtimeout(q, () => fired.push(-1), 6 * MS);
    quntimeout(q, id);
    clock.advance(4 * MS);
    expect(fired).to.deep.equal([]);
    clock.advance(10 * MS);
    expect(fired).to.deep.equal([5 * MS]);
  });

  it('cancels the timers of a module when it is popped', () => {
    const clock = new ManualClock();
    const env = spinEnv({ time: clock });
    const st = env.open('sink');
    st.push('spinner');
    let fired = false;
    qtimeout(st.moduleQueues('spinner')!.rq, () => (fired = true), MS);
    st.pop();
    clock.advance(2 * MS);
    expect(fired).to.equal(false);
  });

  it('refuses qtimeout without a time source', () => {
    const env = spinEnv();
    const st = env.open('sink');
    expect(() => qtimeout(st.wq, () => {}, 1)).to.throw(/no time source/);
  });
});
