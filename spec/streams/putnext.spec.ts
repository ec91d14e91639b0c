import { expect } from 'chai';
import {
  defineModule,
  deferredPuts,
  freemsg,
  INFPSZ,
  M_DATA,
  putDepth,
  putnext,
  qreply,
  setMaxPutDepth,
  UseAfterFreeError,
  type Mblk,
} from '../../lib/streams/index.ts';
import { readAll, sinkLog, str, testEnv, text } from './support/env.ts';

/**
 * pingpong: on the read side, sends each data message back down (qreply) until it has bounced
 * `bounces` times, then lets it up. On a loop driver every bounce is a synchronous putnext
 * round trip, so N bounces nest 2N+ put calls unless the framework defers.
 */
interface PingState {
  bounces: number;
  seen: Map<Mblk, number>;
  maxDepth: number;
}
const pingInfo = { id: 9951, name: 'pingpong', minpsz: 0, maxpsz: INFPSZ, hiwat: 1 << 20, lowat: 1 };
const pingpong = defineModule({
  rdinit: {
    put: (q, mp) => {
      const s = q.ptr as PingState;
      s.maxDepth = Math.max(s.maxDepth, putDepth());
      const n = s.seen.get(mp) ?? 0;
      if (mp.type === M_DATA && n < s.bounces) {
        s.seen.set(mp, n + 1);
        return qreply(q, mp);
      }
      s.seen.delete(mp);
      putnext(q, mp);
    },
    open: (q, ctx) => {
      q.ptr = q.other.ptr = { bounces: ctx.args as number, seen: new Map(), maxDepth: 0 } satisfies PingState;
    },
    minfo: pingInfo,
  },
  wrinit: { put: (q, mp) => putnext(q, mp), minfo: pingInfo },
});

describe('streams: putnext', () => {
  let oldDepth = 0;
  beforeEach(() => (oldDepth = setMaxPutDepth(200)));
  afterEach(() => setMaxPutDepth(oldDepth));

  it('hands the very same message block to the next put procedure (no copy on putnext)', () => {
    const env = testEnv();
    const st = env.open('sink');
    for (let i = 0; i < 4; i++) st.push('passthru');
    const mp = text('x');
    const bytes = mp.data();
    expect(st.write(mp)).to.equal(0);
    expect(sinkLog(st)[0]).to.equal(mp);
    expect(sinkLog(st)[0]!.data().buffer).to.equal(bytes.buffer);
  });

  it('frees a message put past the end of the stream', () => {
    const env = testEnv();
    const st = env.open('sink');
    const mp = text('x');
    putnext(st.drvwq, mp);
    expect(mp.freed).to.equal(true);
  });

  it('throws UseAfterFreeError when a freed block is passed on', () => {
    const env = testEnv();
    const st = env.open('sink');
    st.push('passthru');
    const mp = text('x');
    freemsg(mp);
    expect(() => st.write(mp)).to.throw(UseAfterFreeError);
    expect(putDepth()).to.equal(0);
  });

  it('is usable again after a put procedure deep in a chain throws (the depth count is restored)', () => {
    const env = testEnv();
    const badInfo = { id: 9958, name: 'thrower', minpsz: 0, maxpsz: INFPSZ, hiwat: 100, lowat: 10 };
    env.registry.register(
      defineModule({
        rdinit: { put: (q, mp) => putnext(q, mp), minfo: badInfo },
        wrinit: {
          put: (q, mp) => {
            if (str(mp) === 'bad') throw new Error('module bug');
            putnext(q, mp);
          },
          minfo: badInfo,
        },
      }),
    );
    const st = env.open('sink');
    st.push('thrower');
    st.push('passthru');
    st.push('passthru');
    expect(() => st.write(text('bad'))).to.throw('module bug');
    expect(putDepth()).to.equal(0);
    st.write(text('good'));
    expect(sinkLog(st).map(str)).to.deep.equal(['good']);
  });

  it('survives a storm of 200000 synchronous round trips without overflowing the JS stack', () => {
    const env = testEnv();
    env.registry.register(pingpong);
    const st = env.open('loop');
    st.push('passthru');
    st.push('pingpong', 200_000);
    st.push('passthru');
    expect(st.write(text('storm'))).to.equal(0);
    env.runServices();
    expect(readAll(st)).to.deep.equal(['storm']);
    expect(deferredPuts()).to.equal(0);
    expect(putDepth()).to.equal(0);
  });

  it('keeps nesting below maxPutDepth and delivers deferred puts in order', () => {
    setMaxPutDepth(3);
    const env = testEnv();
    env.registry.register(pingpong);
    const st = env.open('loop');
    st.push('pingpong', 5);
    for (let i = 0; i < 4; i++) st.push('passthru');
    let defers = 0;
    env.trace.on('defer', () => defers++);
    for (const s of ['a', 'b', 'c', 'd']) expect(st.write(text(s))).to.equal(0);
    env.runServices();
    expect(defers).to.be.greaterThan(0);
    expect(readAll(st)).to.deep.equal(['a', 'b', 'c', 'd']);
    const ping = st.moduleQueues('pingpong')!.rq.ptr as PingState;
    expect(ping.maxDepth).to.be.at.most(3);
  });

  it('keeps per-queue order when a put procedure sends two messages and the first one is deferred', () => {
    setMaxPutDepth(2);
    const env = testEnv();
    const splitInfo = { id: 9952, name: 'split', minpsz: 0, maxpsz: INFPSZ, hiwat: 1 << 20, lowat: 1 };
    // Splits each message into its characters, sent one putnext at a time.
    env.registry.register(
      defineModule({
        rdinit: { put: (q, mp) => putnext(q, mp), minfo: splitInfo },
        wrinit: {
          put: (q, mp) => {
            for (const ch of str(mp)) putnext(q, text(ch));
            freemsg(mp);
          },
          minfo: splitInfo,
        },
      }),
    );
    const st = env.open('sink');
    st.push('passthru');
    st.push('split');
    st.push('passthru');
    st.push('split');
    st.write(text('abc'));
    st.write(text('de'));
    expect(sinkLog(st).map(str).join('')).to.equal('abcde');
  });
});
