/** The spec of the "write your first module" walkthrough (docs/streams.md §3), kept runnable. */
import { expect } from 'chai';
import { mkdata, msgbytes, Registry, StreamsEnv } from '../../lib/streams/index.ts';
import loop from '../../modules/examples/loop.ts';
import tee from '../../modules/examples/tee.ts';
import upper, { UP_GET } from '../../modules/examples/upper.ts';

describe('streams: the first-module walkthrough', () => {
  it('upper-cases what is written and counts the letters it changed', () => {
    const reg = new Registry();
    reg.register(loop);
    reg.register(upper);
    const env = new StreamsEnv({ registry: reg });
    const st = env.open('loop');
    st.push('upper');
    st.write(mkdata(new TextEncoder().encode('hi 5')));
    env.runServices(); // loop's read service passes the data up
    expect(new TextDecoder().decode(msgbytes(st.read()!))).to.equal('HI 5');
    expect(st.ioctlSync(UP_GET, null)).to.deep.equal({ ok: true, rval: 0, data: 2 });
  });

  it('leaves the bytes a tee above shares untouched (copyOnWrite)', () => {
    const reg = new Registry();
    for (const d of [loop, upper, tee]) reg.register(d);
    const env = new StreamsEnv({ registry: reg });
    const st = env.open('loop');
    st.push('upper');
    st.push('tee');
    st.write(mkdata(new TextEncoder().encode('abc')));
    env.runServices();
    const got = [st.read()!, st.read()!].map((m) => new TextDecoder().decode(msgbytes(m)));
    expect(got.sort()).to.deep.equal(['ABC', 'abc']);
  });
});
