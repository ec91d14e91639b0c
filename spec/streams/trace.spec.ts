import { expect } from 'chai';
import { describeQueue, msgTypeName, type StreamsTraceEvents } from '../../lib/streams/index.ts';
import { COUNTER_GET } from '../../modules/examples/counter.ts';
import { slowTake, testEnv, text } from './support/env.ts';

type Kind = keyof StreamsTraceEvents;
const KINDS: Kind[] = ['put', 'service', 'enable', 'flow', 'backenable', 'flush', 'push', 'pop', 'link', 'unlink', 'ioctl', 'drop', 'defer', 'open', 'close'];

function record(env: ReturnType<typeof testEnv>): Kind[] {
  const seen: Kind[] = [];
  for (const k of KINDS) env.trace.on(k, () => seen.push(k));
  return seen;
}

describe('streams: tracing', () => {
  it('is off while nobody listens and on while someone does', () => {
    const env = testEnv();
    expect(env.tracing).to.equal(false);
    const fn = (): void => {};
    env.trace.on('put', fn);
    expect(env.tracing).to.equal(true);
    env.trace.off('put', fn);
    expect(env.tracing).to.equal(false);
  });

  it('builds no trace event at all while tracing is off', () => {
    const env = testEnv();
    const boom = (): never => {
      throw new Error('trace helper called with tracing off');
    };
    env.tracePut = boom;
    env.traceFlow = boom;
    env.traceBackenable = boom;
    env.traceFlush = boom;
    env.traceDrop = boom;
    env.traceDefer = boom;
    env.traceIoctl = boom;
    env.trace.emit = boom;
    const st = env.open('slowsink');
    st.push('qpass');
    st.push('counter');
    for (let i = 0; i < 20; i++) st.write(text('0123456789'));
    env.runServices();
    slowTake(st, 20);
    env.runServices();
    st.ioctlSync(COUNTER_GET, null);
    st.pop();
    st.close();
  });

  it('reports puts, service runs, enables, QFULL changes and back-enables along a flow-controlled path', () => {
    const env = testEnv();
    const st = env.open('slowsink');
    st.push('qpass');
    const seen = record(env);
    const flows: string[] = [];
    env.trace.on('flow', (e) => flows.push(`${describeQueue(e.q)} ${e.full ? 'full' : 'clear'}`));
    for (let i = 0; i < 12; i++) st.write(text('0123456789'));
    env.runServices();
    slowTake(st, 6);
    env.runServices();
    for (const k of ['put', 'enable', 'service', 'flow', 'backenable'] as const) expect(seen).to.include(k);
    expect(flows[0]).to.equal(`s${st.id}:slowsink/slowsink:W full`);
  });

  it('reports push, pop, ioctl, link, unlink, open and close', () => {
    const env = testEnv();
    const seen = record(env);
    const ioctls: string[] = [];
    env.trace.on('put', (e) => {
      if (msgTypeName(e.mp.type) === 'M_IOCTL') ioctls.push(describeQueue(e.q));
    });
    const a = env.open('muxd', { clone: true });
    const lower = env.open('loop');
    lower.push('counter');
    const id = a.link(lower);
    a.unlink(id);
    lower.pop();
    a.close();
    for (const k of ['open', 'push', 'ioctl', 'link', 'unlink', 'pop', 'close'] as const) expect(seen).to.include(k);
    expect(ioctls.slice(0, 2)).to.deep.equal([`s${a.id}:muxd/head:W`, `s${a.id}:muxd/muxd:W`]);
  });
});
