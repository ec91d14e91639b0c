import { expect } from 'chai';
import {
  allocproto,
  defineModule,
  Errno,
  freemsg,
  I_FIND,
  I_LOOK,
  I_POP,
  I_PUSH,
  INFPSZ,
  M_CTL,
  M_IOCTL,
  putnext,
  StreamsError,
  type IoctlResult,
} from '../../lib/streams/index.ts';
import { COUNTER_GET, type Counts } from '../../modules/examples/counter.ts';
import { TEE_MODE } from '../../modules/examples/tee.ts';
import { ManualClock, sinkLog, testEnv, text } from './support/env.ts';
import { SEC } from '../../lib/sim/time.ts';

const UNKNOWN = 0x7777;

/** Swallows ioctls without answering (a broken module, to exercise the head's timeout). */
const holeInfo = { id: 9955, name: 'blackhole', minpsz: 0, maxpsz: INFPSZ, hiwat: 100, lowat: 10 };
const blackhole = defineModule({
  rdinit: { put: (q, mp) => putnext(q, mp), minfo: holeInfo },
  wrinit: { put: (q, mp) => (mp.type === M_IOCTL ? freemsg(mp) : putnext(q, mp)), minfo: holeInfo },
});

describe('streams: ioctls', () => {
  it('sends an ioctl nobody knows down to the driver, which NAKs it', () => {
    const env = testEnv();
    const st = env.open('sink');
    st.push('counter');
    st.push('tee');
    const seenAtDriver: number[] = [];
    env.trace.on('put', (e) => {
      if (e.q === st.drvwq) seenAtDriver.push(e.mp.type);
    });
    expect(st.ioctlSync(UNKNOWN, null)).to.deep.equal({ ok: false, error: Errno.EINVAL });
    expect(seenAtDriver).to.deep.equal([M_IOCTL]);
  });

  it('lets the module that knows an ioctl answer it, so the driver never sees it', () => {
    const env = testEnv();
    const st = env.open('sink');
    st.push('counter');
    st.push('tee');
    st.write(text('abc'));
    let reachedDriver = false;
    env.trace.on('put', (e) => {
      if (e.q === st.drvwq && e.mp.type === M_IOCTL) reachedDriver = true;
    });
    const r = st.ioctlSync(COUNTER_GET, null);
    expect(r.ok).to.equal(true);
    expect((r as { data: Counts }).data).to.deep.include({ wmsgs: 1, wbytes: 3 });
    expect(reachedDriver).to.equal(false);
    expect(st.ioctlSync(TEE_MODE, 'both')).to.deep.equal({ ok: true, rval: 0, data: 'write' });
    expect(st.ioctlSync(TEE_MODE, 'sideways')).to.deep.equal({ ok: false, error: Errno.EINVAL });
  });

  it('matches each answer to its request by id when several are outstanding', () => {
    const env = testEnv();
    const st = env.open('sink');
    st.push('counter');
    st.push('qpass'); // queues the ioctls: answers come after the service runs
    const results: Array<[string, IoctlResult]> = [];
    st.ioctl(UNKNOWN, null, (r) => results.push(['unknown', r]));
    st.ioctl(COUNTER_GET, null, (r) => results.push(['get', r]));
    expect(results).to.have.length(0);
    env.runServices();
    expect(results.map(([k, r]) => [k, r.ok])).to.deep.equal([
      ['unknown', false],
      ['get', true],
    ]);
  });

  it('gives up on an unanswered ioctl with ETIME after the timeout, on the virtual clock', () => {
    const clock = new ManualClock();
    const env = testEnv({ time: clock });
    env.registry.register(blackhole);
    const st = env.open('sink');
    st.push('blackhole');
    let result: IoctlResult | null = null;
    st.ioctl(UNKNOWN, null, (r) => (result = r), 2 * SEC);
    clock.advance(SEC);
    expect(result).to.equal(null);
    clock.advance(SEC);
    expect(result).to.deep.equal({ ok: false, error: Errno.ETIME });
    expect(st.ioctls.size).to.equal(0);
  });

  it('refuses more than MAX_PENDING_IOCTLS unanswered ioctls with EAGAIN', () => {
    const env = testEnv();
    env.registry.register(blackhole);
    const st = env.open('sink');
    st.push('blackhole');
    const errors: number[] = [];
    for (let i = 0; i < 65; i++) st.ioctl(UNKNOWN, null, (r) => errors.push(r.ok ? 0 : r.error));
    expect(st.ioctls.size).to.equal(64);
    expect(errors).to.deep.equal([Errno.EAGAIN]);
  });

  it('ioctlSync throws ETIME when no answer comes even after the pending services ran', () => {
    const env = testEnv();
    env.registry.register(blackhole);
    const st = env.open('sink');
    st.push('blackhole');
    expect(() => st.ioctlSync(UNKNOWN, null)).to.throw(StreamsError).with.property('errno', Errno.ETIME);
    expect(st.ioctls.size).to.equal(0);
  });

  it('handles I_PUSH, I_LOOK, I_FIND and I_POP at the head', () => {
    const env = testEnv();
    const st = env.open('sink');
    expect(st.ioctlSync(I_LOOK, null)).to.deep.equal({ ok: false, error: Errno.EINVAL });
    expect(st.ioctlSync(I_PUSH, 'counter').ok).to.equal(true);
    expect(st.ioctlSync(I_PUSH, 'nosuch')).to.deep.equal({ ok: false, error: Errno.EINVAL });
    expect(st.ioctlSync(I_LOOK, null)).to.deep.equal({ ok: true, rval: 0, data: 'counter' });
    expect(st.ioctlSync(I_FIND, 'counter')).to.deep.include({ rval: 1 });
    expect(st.ioctlSync(I_FIND, 'tee')).to.deep.include({ rval: 0 });
    expect(st.ioctlSync(I_POP, null).ok).to.equal(true);
    expect(st.list()).to.deep.equal(['sink']);
  });

  it('passes an M_CTL that no module knows through every module to the driver', () => {
    const env = testEnv();
    const st = env.open('sink');
    for (const m of ['counter', 'tee', 'qpass', 'passthru']) st.push(m);
    const ctl = allocproto(M_CTL, { hello: 'driver' });
    expect(st.write(ctl)).to.equal(0);
    env.runServices();
    expect(sinkLog(st)).to.deep.equal([ctl]);
  });
});
