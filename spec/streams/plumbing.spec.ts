import { expect } from 'chai';
import {
  allocproto,
  defineDriver,
  defineModule,
  Errno,
  INFPSZ,
  M_CTL,
  mksetopts,
  NSTRPUSH,
  put,
  putnext,
  QPROCSON,
  StreamsError,
  WR,
} from '../../lib/streams/index.ts';
import { readAll, sinkLog, sinkUp, slowTake, str, testEnv, text } from './support/env.ts';

const refuseInfo = { id: 9956, name: 'refuser', minpsz: 0, maxpsz: INFPSZ, hiwat: 100, lowat: 10 };
const refuser = defineModule({
  rdinit: { put: (q, mp) => putnext(q, mp), open: () => Errno.ENXIO, minfo: refuseInfo },
  wrinit: { put: (q, mp) => putnext(q, mp), minfo: refuseInfo },
});

/** Sends an M_CTL down from its open routine and records whether its neighbours skipped it then. */
const hello: { skipped: boolean | null } = { skipped: null };
const helloInfo = { id: 9957, name: 'hello', minpsz: 0, maxpsz: INFPSZ, hiwat: 100, lowat: 10 };
const helloMod = defineModule({
  rdinit: {
    put: (q, mp) => putnext(q, mp),
    open: (q, ctx) => {
      hello.skipped = ctx.stream.wq.next !== WR(q) && (q.flag & QPROCSON) === 0;
      putnext(WR(q), allocproto(M_CTL, { from: 'hello.open' }));
    },
    minfo: helloInfo,
  },
  wrinit: { put: (q, mp) => putnext(q, mp), minfo: helloInfo },
});

function env3() {
  const env = testEnv();
  env.registry.register(refuser);
  env.registry.register(helloMod);
  return env;
}

describe('streams: push, pop and insert', () => {
  it('I_PUSH opens a module just below the head and I_POP closes the topmost', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('counter');
    st.push('tee');
    expect(st.list()).to.deep.equal(['tee', 'counter', 'sink']);
    expect(st.look()).to.equal('tee');
    st.pop();
    expect(st.list()).to.deep.equal(['counter', 'sink']);
    st.write(text('x'));
    expect(sinkLog(st).map(str)).to.deep.equal(['x']);
  });

  it('inserts a module above or below a named one, at an index, or at the bottom', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('counter');
    st.insert('tee', { below: 'counter' });
    st.insert('qpass', { above: 'tee' });
    st.insert('passthru', 'bottom');
    expect(st.list()).to.deep.equal(['counter', 'qpass', 'tee', 'passthru', 'sink']);
    st.remove('tee');
    st.insert('tee', { index: 1 });
    expect(st.list()).to.deep.equal(['counter', 'tee', 'qpass', 'passthru', 'sink']);
  });

  it('refuses an unknown module, a driver, an unknown position or one module too many with EINVAL', () => {
    const env = env3();
    const st = env.open('sink');
    expect(() => st.push('nosuch')).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
    expect(() => st.push('loop')).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
    expect(() => st.insert('tee', { below: 'counter' })).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
    expect(() => st.insert('tee', { index: 3 })).to.throw(StreamsError);
    for (let i = 0; i < NSTRPUSH; i++) st.push('passthru');
    expect(() => st.push('passthru')).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
  });

  it('leaves no trace of a module whose open fails', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('counter');
    expect(() => st.insert('refuser', 'bottom')).to.throw(StreamsError).with.property('errno', Errno.ENXIO);
    expect(st.list()).to.deep.equal(['counter', 'sink']);
    st.write(text('x'));
    expect(sinkLog(st).map(str)).to.deep.equal(['x']);
  });

  it('runs open with the procedures off: the neighbours skip the module, yet it can send', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('hello');
    expect(hello.skipped).to.equal(true);
    expect(sinkLog(st).map((m) => m.proto)).to.deep.equal([{ from: 'hello.open' }]);
    expect(st.wq.next).to.equal(st.moduleQueues('hello')!.wq);
  });

  it('pushing a module below one that holds queued messages loses none and reorders none', () => {
    const env = env3();
    const st = env.open('slowsink');
    st.push('qpass');
    const sent: string[] = [];
    for (let i = 0; i < 14; i++) {
      const s = `m${String(i).padStart(7, '0')}`; // 8 bytes
      sent.push(s);
      expect(st.write(text(s))).to.equal(0);
    }
    env.runServices();
    expect(st.moduleQueues('qpass')!.wq.msgs).to.be.greaterThan(0);
    st.insert('counter', { below: 'qpass' });
    st.insert('tee', { above: 'qpass' });
    st.insert('passthru', 'bottom');
    for (let i = 0; i < 40 && sinkLog(st).length < sent.length; i++) {
      slowTake(st, 3);
      env.runServices();
    }
    expect(sinkLog(st).map(str)).to.deep.equal(sent);
  });

  it('popping a module with messages queued in both directions passes them on, in order', () => {
    const env = env3();
    const st = env.open('slowsink');
    st.push('qpass');
    st.push('counter');
    sinkUp(st, mksetopts({ hiwat: 8, lowat: 4 }));
    env.runServices();
    const down = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9', 'dA', 'dB', 'dC'].map((s) => s.repeat(5));
    const up = ['u1', 'u2', 'u3', 'u4', 'u5'].map((s) => s.repeat(2));
    for (const s of down) st.write(text(s));
    for (const s of up) sinkUp(st, text(s));
    env.runServices();
    const qp = st.moduleQueues('qpass')!;
    expect(qp.wq.msgs).to.be.greaterThan(0);
    expect(qp.rq.msgs).to.be.greaterThan(0);
    st.remove('qpass');
    expect(st.list()).to.deep.equal(['counter', 'slowsink']);
    slowTake(st, 100);
    expect(sinkLog(st).map(str)).to.deep.equal(down);
    const got: string[] = [];
    for (let i = 0; i < 10 && got.length < up.length; i++) {
      got.push(...readAll(st));
      env.runServices();
    }
    expect(got).to.deep.equal(up);
  });

  it('forwards a put that reaches a popped module, instead of losing it', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('counter');
    const stale = st.moduleQueues('counter')!.wq;
    st.pop();
    put(stale, text('late'));
    expect(sinkLog(st).map(str)).to.deep.equal(['late']);
  });

  it('pushes the driver autopush list, in order, on every open', () => {
    const env = env3();
    env.setAutopush('sink', ['counter', 'tee']);
    const a = env.open('sink');
    const b = env.open('sink', { clone: true });
    expect(a.list()).to.deep.equal(['counter', 'tee', 'sink']);
    expect(b.list()).to.deep.equal(['counter', 'tee', 'sink']);
    expect(env.open('sink', { autopush: false }).list()).to.deep.equal(['sink']);
  });

  it('closes every module and the driver on close; later puts are dropped', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('counter');
    st.push('qpass');
    const drvwq = st.drvwq;
    let closed = 0;
    st.on('close', () => closed++);
    st.close();
    expect(closed).to.equal(1);
    expect(st.closed).to.equal(true);
    expect(env.streams.has(st)).to.equal(false);
    const mp = text('late');
    put(drvwq, mp);
    expect(mp.freed).to.equal(true);
    expect(() => st.push('tee')).to.throw(StreamsError).with.property('errno', Errno.ENXIO);
  });

  it('hands write data still queued in modules to the driver when the stream closes', () => {
    const env = env3();
    const st = env.open('sink');
    st.push('qpass');
    st.write(text('a'));
    st.write(text('b'));
    const log = sinkLog(st);
    st.close();
    expect(log.map(str)).to.deep.equal(['a', 'b']);
  });

  it('closes every stream of an env, upper streams before the streams linked below them', () => {
    const env = env3();
    const a = env.open('muxd', { clone: true });
    const lower = env.open('loop');
    lower.push('counter');
    a.link(lower);
    const b = env.open('sink');
    env.closeAll();
    expect(env.streams.size).to.equal(0);
    expect([a.closed, lower.closed, b.closed]).to.deep.equal([true, true, true]);
  });

  it('refuses a driver open that fails and leaves nothing behind', () => {
    const env = env3();
    const failInfo = { id: 9959, name: 'faildrv', minpsz: 0, maxpsz: INFPSZ, hiwat: 10, lowat: 1 };
    env.registry.register(
      defineDriver({
        rdinit: { put: (q, mp) => putnext(q, mp), open: () => Errno.EBUSY, minfo: failInfo },
        wrinit: { put: (q, mp) => putnext(q, mp), minfo: failInfo },
      }),
    );
    expect(() => env.open('faildrv')).to.throw(StreamsError).with.property('errno', Errno.EBUSY);
    expect(() => env.open('nosuch')).to.throw(StreamsError).with.property('errno', Errno.ENXIO);
    expect(env.streams.size).to.equal(0);
  });

  it('dumps a stream as text: head, modules top to bottom, driver, with counts, water marks and flags', () => {
    const env = env3();
    const st = env.open('slowsink', { label: 'demo' });
    st.push('qpass');
    st.push('counter');
    for (let i = 0; i < 11; i++) st.write(text('0123456789'));
    env.runServices();
    const d = st.dump();
    const lines = d.split('\n');
    expect(lines[0]).to.match(/^stream s\d+ 'demo' on slowsink/);
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/)[0])).to.deep.equal(['head', 'counter', 'qpass', 'slowsink*']);
    expect(lines[4]).to.contain('W[cnt=100 msgs=10 hi=100 lo=50').and.contain('QFULL');
    expect(lines[3]).to.contain('W[cnt=10 msgs=1');
  });
});
