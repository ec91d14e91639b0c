import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { Errno, Registry, StreamsEnv, StreamsError, type StreamsModule } from '../../lib/streams/index.ts';
import passthru from '../../modules/examples/passthru.ts';
import { readAll, testRegistry, text } from './support/env.ts';

const here = dirname(fileURLToPath(import.meta.url));

describe('streams: registry and load', () => {
  it('load() imports a module file by path and registers its default export', async () => {
    const reg = new Registry();
    const def = await reg.load(join(here, 'fixtures/rot13.ts'));
    expect(def.name).to.equal('rot13');
    expect(reg.module('rot13')).to.equal(def);
  });

  it('load() accepts a path relative to the working directory and reports through a callback too', async () => {
    const reg = new Registry();
    const rel = relative(process.cwd(), join(here, 'fixtures/rot13.ts'));
    const got = await new Promise<StreamsModule | undefined>((res, rej) => reg.load(`./${rel}`, (err, d) => (err ? rej(err) : res(d))));
    expect(got?.name).to.equal('rot13');
  });

  it('load() refuses a file whose default export is not a module definition', async () => {
    const reg = new Registry();
    let err: unknown = null;
    await reg.load(join(here, 'fixtures/not-a-module.ts')).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(StreamsError);
    expect((err as StreamsError).message).to.contain('streamtab missing');
    expect(reg.has('broken')).to.equal(false);
  });

  it('refuses a second definition under a name already taken (EBUSY), unless asked to replace', () => {
    const reg = new Registry();
    reg.register(passthru);
    reg.register(passthru); // the same definition again is fine
    const other = { ...passthru };
    expect(() => reg.register(other)).to.throw(StreamsError).with.property('errno', Errno.EBUSY);
    reg.register(other, { replace: true });
    expect(reg.get('passthru')).to.equal(other);
  });

  it('finds modules and drivers by name and kind', () => {
    const reg = testRegistry();
    expect(reg.module('tee').kind).to.equal('module');
    expect(reg.driver('loop').kind).to.equal('driver');
    expect(() => reg.driver('tee')).to.throw(StreamsError).with.property('errno', Errno.ENXIO);
    expect(() => reg.module('loop')).to.throw(StreamsError).with.property('errno', Errno.EINVAL);
    expect(reg.list().map((d) => d.name)).to.include.members(['counter', 'loop', 'muxd', 'passthru', 'qpass', 'tee']);
  });

  it('pushes a module loaded at runtime into a live stream, whose bytes it may change only after copyOnWrite', async () => {
    const reg = testRegistry();
    await reg.load(join(here, 'fixtures/rot13.ts'));
    const env = new StreamsEnv({ registry: reg });
    const st = env.open('loop');
    st.push('rot13');
    st.push('tee'); // echoes a dupmsg of what we write: must stay unchanged
    st.write(text('hello'));
    env.runServices();
    expect(readAll(st).sort()).to.deep.equal(['hello', 'uryyb']);
  });
});
