import { expect } from 'chai';
import { Errno, I_LINK, I_UNLINK, StreamsError, type Stream } from '../../lib/streams/index.ts';
import type { Counts } from '../../modules/examples/counter.ts';
import { readAll, sinkLog, sinkUp, slowTake, str, testEnv, text } from './support/env.ts';

function collect(st: Stream, env: ReturnType<typeof testEnv>): string[] {
  env.runServices();
  return readAll(st);
}

describe('streams: multiplexing drivers (I_LINK / I_UNLINK)', () => {
  it('links a stream under a multiplexor: upper writes go down it and what comes up fans out to every upper stream', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const b = env.open('muxd', { clone: true });
    expect([a.minor, b.minor]).to.deep.equal([1, 2]);
    const lower = env.open('loop');
    const muxid = a.link(lower);
    expect(muxid).to.be.greaterThan(0);
    expect(a.links.get(muxid)).to.equal(lower);
    expect(lower.linkedUnder).to.deep.equal({ upper: a, muxid });
    expect(b.write(text('hello'))).to.equal(0);
    expect(collect(a, env)).to.deep.equal(['hello']);
    expect(collect(b, env)).to.deep.equal(['hello']);
  });

  it('tells the driver with an M_IOCTL I_LINK, and leaves the lower stream as it was when the driver NAKs', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const ioctls: string[] = [];
    env.trace.on('ioctl', (e) => ioctls.push(`${e.cmd === I_LINK ? 'I_LINK' : e.cmd === I_UNLINK ? 'I_UNLINK' : e.cmd}:${e.phase}`));
    a.link(env.open('loop'));
    const second = env.open('loop');
    expect(() => a.link(second)).to.throw(StreamsError).with.property('errno', Errno.EBUSY);
    expect(ioctls).to.deep.equal(['I_LINK:request', 'I_LINK:ack', 'I_LINK:request', 'I_LINK:nak']);
    expect(second.linkedUnder).to.equal(null);
    expect(second.write(text('still mine'))).to.equal(0);
    expect(collect(second, env)).to.deep.equal(['still mine']);
  });

  it('refuses to link under a driver that is not a multiplexor, or to link a stream twice, with EINVAL', () => {
    const env = testEnv();
    const notMux = env.open('loop');
    const lower = env.open('sink');
    expect(() => notMux.link(lower)).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
    const a = env.open('muxd', { clone: true });
    a.link(lower);
    const b = env.open('muxd', { clone: true });
    expect(() => b.link(lower)).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
    expect(() => a.link(a)).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
  });

  it('keeps the application away from a linked stream: writes fail with EINVAL, reads find nothing', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const lower = env.open('loop');
    a.link(lower);
    expect(lower.write(text('x'))).to.equal(Errno.EINVAL);
    expect(lower.read()).to.equal(null);
  });

  it('hands messages waiting at the lower head to the multiplexor when the stream is linked', () => {
    const env = testEnv();
    const lower = env.open('sink');
    sinkUp(lower, text('early'));
    expect(lower.readable).to.equal(1);
    const a = env.open('muxd', { clone: true });
    a.link(lower);
    expect(collect(a, env)).to.deep.equal(['early']);
  });

  it('inserts a module into a linked lower stream, between the multiplexor and the driver below, while traffic flows', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const lower = env.open('loop');
    lower.push('qpass');
    a.link(lower);
    a.write(text('one'));
    lower.insert('counter', 'top');
    expect(lower.list()).to.deep.equal(['counter', 'qpass', 'loop']);
    a.write(text('two'));
    expect(collect(a, env)).to.deep.equal(['one', 'two']);
    const c = lower.moduleQueues('counter')!.rq.ptr as Counts;
    // 'one' was still queued in qpass, below the insertion point, when counter arrived: it
    // passes counter only on its way back up.
    expect(c).to.include({ wmsgs: 1, rmsgs: 2 });
    lower.remove('counter');
    a.write(text('three'));
    expect(collect(a, env)).to.deep.equal(['three']);
  });

  it('carries flow control across the multiplexor: a full lower stream holds upper writers and lets them go when it drains', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const lower = env.open('slowsink'); // hiwat 100
    a.link(lower);
    let writable = 0;
    a.on('writable', () => writable++);
    const kb = new Uint8Array(1000);
    let sent = 0;
    while (a.writeBytes(kb) > 0) sent++;
    expect(sent).to.be.greaterThan(2);
    expect(a.canWrite()).to.equal(false);
    for (let i = 0; i < 20 && sinkLog(lower).length < sent; i++) {
      slowTake(lower, 100);
      env.runServices();
    }
    expect(sinkLog(lower)).to.have.length(sent);
    expect(writable).to.equal(1);
    expect(a.canWrite()).to.equal(true);
  });

  it('I_UNLINK gives the lower stream back to the application', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const lower = env.open('loop');
    const muxid = a.link(lower);
    a.unlink(muxid);
    expect(a.links.size).to.equal(0);
    expect(lower.linkedUnder).to.equal(null);
    expect(lower.write(text('mine again'))).to.equal(0);
    expect(collect(lower, env)).to.deep.equal(['mine again']);
    expect(a.write(text('nowhere'))).to.equal(0); // muxd frees data with no lower stream
    expect(() => a.unlink(muxid)).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
  });

  it('unlinks on close of the upper stream; a linked stream the application closed is closed then', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true });
    const kept = env.open('loop');
    a.link(kept);
    kept.close();
    expect(kept.closed).to.equal(false);
    a.write(text('x'));
    expect(collect(a, env)).to.deep.equal(['x']);
    a.close();
    expect(kept.closed).to.equal(true);
    const b = env.open('muxd', { clone: true });
    const open = env.open('loop');
    b.link(open);
    b.close();
    expect(open.closed).to.equal(false);
    expect(open.linkedUnder).to.equal(null);
    open.write(text('back'));
    expect(collect(open, env).map((s) => s)).to.deep.equal(['back']);
  });

  it('shows links in the dump of the upper stream', () => {
    const env = testEnv();
    const a = env.open('muxd', { clone: true, label: 'ctl' });
    const lower = env.open('loop', { label: 'below' });
    lower.push('counter');
    const muxid = a.link(lower);
    expect(a.dump()).to.contain(`linked below: muxid=${muxid} s${lower.id}:below [counter > loop]`);
    expect(lower.dump().split('\n')[0]).to.contain(`linked under s${a.id}:ctl muxid=${muxid}`);
    expect(str(text('ok'))).to.equal('ok');
  });
});
