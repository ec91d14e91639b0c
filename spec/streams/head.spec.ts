import { expect } from 'chai';
import {
  allocproto,
  defineModule,
  Errno,
  flushreq,
  FLUSHRW,
  FLUSHW,
  INFPSZ,
  M_CTL,
  M_FLUSH,
  M_PCPROTO,
  mkerror,
  mkflush,
  mkhangup,
  mksetopts,
  putnext,
  QFULL,
  type Mblk,
} from '../../lib/streams/index.ts';
import { readAll, sinkLog, sinkUp, slowTake, str, testEnv, text } from './support/env.ts';

describe('streams: stream head', () => {
  it('refuses a normal write with EAGAIN while the stream below is full, and emits writable once it drains', () => {
    const env = testEnv();
    const st = env.open('slowsink'); // hiwat 100, lowat 50
    let writable = 0;
    st.on('writable', () => writable++);
    let n = 0;
    while (st.write(text('0123456789')) === 0) n++;
    expect(n).to.equal(10);
    expect(st.canWrite()).to.equal(false);
    const refused = text('0123456789');
    expect(st.write(refused)).to.equal(Errno.EAGAIN);
    expect(refused.freed).to.equal(false);
    slowTake(st, 6);
    env.runServices();
    expect(writable).to.equal(1);
    expect(st.write(refused)).to.equal(0);
  });

  it('lets high-priority writes pass flow control', () => {
    const env = testEnv();
    const st = env.open('slowsink');
    while (st.write(text('0123456789')) === 0);
    expect(st.write(allocproto(M_PCPROTO, { urgent: true }))).to.equal(0);
  });

  it('delivers data and primitives to read() in arrival order', () => {
    const env = testEnv();
    const st = env.open('sink');
    sinkUp(st, text('a'));
    sinkUp(st, allocproto(M_PCPROTO, { p: 1 }));
    sinkUp(st, text('b'));
    // M_PCPROTO is high priority: it jumps ahead at the head too.
    const got = [st.read()!, st.read()!, st.read()!];
    expect(got.map((m) => m.type)).to.deep.equal([M_PCPROTO, 0, 0]);
    expect(str(got[1]!) + str(got[2]!)).to.equal('ab');
    expect(st.read()).to.equal(null);
  });

  it('emits readable from the scheduler when data arrives after a read found the head empty', () => {
    const env = testEnv();
    const st = env.open('sink');
    let readable = 0;
    st.on('readable', () => readable++);
    sinkUp(st, text('a'));
    expect(readable).to.equal(0);
    env.runServices();
    expect(readable).to.equal(1);
    sinkUp(st, text('b'));
    env.runServices();
    expect(readable).to.equal(1); // nobody read yet: no new wake-up
    expect(readAll(st)).to.deep.equal(['a', 'b']);
    sinkUp(st, text('c'));
    env.runServices();
    expect(readable).to.equal(2);
  });

  it('flow-controls the modules below with its read water marks (M_SETOPTS) and back-enables them as the reader catches up', () => {
    const env = testEnv();
    const st = env.open('sink');
    st.push('qpass');
    sinkUp(st, mksetopts({ hiwat: 20, lowat: 10 }));
    env.runServices(); // M_SETOPTS is a normal message: it went through qpass's queue
    expect(st.rq.hiwat).to.equal(20);
    for (let i = 0; i < 6; i++) sinkUp(st, text('0123456789'));
    env.runServices();
    const qp = st.moduleQueues('qpass')!.rq;
    expect(st.rq.count).to.equal(20);
    expect(st.rq.flag & QFULL).to.not.equal(0);
    expect(qp.msgs).to.equal(4);
    st.read();
    env.runServices();
    expect(qp.msgs).to.equal(4); // 10 bytes left: not below lowat yet
    st.read();
    env.runServices();
    expect(qp.msgs).to.equal(2);
    expect(readAll(st)).to.have.length(2);
  });

  it('makes an M_ERROR visible: reads and writes fail with its errors, the head flushes, error fires', () => {
    const env = testEnv();
    const st = env.open('sink');
    const errors: Array<[number, number]> = [];
    st.on('error', (r, w) => errors.push([r, w]));
    sinkUp(st, text('lost'));
    sinkUp(st, mkerror({ rerror: Errno.EPROTO, werror: Errno.EIO }));
    env.runServices();
    expect(errors).to.deep.equal([[Errno.EPROTO, Errno.EIO]]);
    expect(st.read()).to.equal(null);
    expect(st.write(text('x'))).to.equal(Errno.EIO);
    expect(st.writeBytes(new Uint8Array(3))).to.equal(-Errno.EIO);
    sinkUp(st, text('after'));
    expect(st.read()).to.equal(null);
  });

  it('keeps an M_ERROR nobody listens for in rerror / werror instead of throwing from the scheduler', () => {
    const env = testEnv();
    const st = env.open('sink');
    sinkUp(st, mkerror({ werror: Errno.EPROTO }));
    expect(() => env.runServices()).to.not.throw();
    expect(st.werror).to.equal(Errno.EPROTO);
    expect(st.rerror).to.equal(0);
  });

  it('makes an M_HANGUP visible: queued data can still be read, then eof; writes fail with ENXIO', () => {
    const env = testEnv();
    const st = env.open('sink');
    let hangups = 0;
    st.on('hangup', () => hangups++);
    sinkUp(st, text('last words'));
    sinkUp(st, mkhangup());
    env.runServices();
    expect(hangups).to.equal(1);
    expect(st.eof).to.equal(false);
    expect(readAll(st)).to.deep.equal(['last words']);
    expect(st.eof).to.equal(true);
    expect(st.write(text('x'))).to.equal(Errno.ENXIO);
  });

  it('I_FLUSH flushes queued data everywhere: modules flush, the driver turns FLUSHR around, the head flushes its read queue', () => {
    const env = testEnv();
    const st = env.open('slowsink');
    st.push('qpass');
    for (let i = 0; i < 15; i++) st.write(text('0123456789'));
    sinkUp(st, text('up1'));
    sinkUp(st, text('up2'));
    env.runServices();
    const qp = st.moduleQueues('qpass')!;
    expect(st.drvwq.msgs).to.equal(10);
    expect(qp.wq.msgs).to.equal(5);
    expect(st.readable).to.equal(2);
    const flushesSeen: number[] = [];
    env.trace.on('put', (e) => {
      if (e.mp.type === M_FLUSH) flushesSeen.push(flushreq(e.mp).flag);
    });
    st.flush(FLUSHRW);
    expect(st.drvwq.msgs).to.equal(0);
    expect(qp.wq.msgs).to.equal(0);
    expect(st.readable).to.equal(0);
    // Down with FLUSHRW through qpass to the driver, back up with FLUSHR only.
    expect(flushesSeen).to.deep.equal([FLUSHRW, FLUSHRW, 1, 1]);
  });

  it('sends an M_FLUSH(FLUSHW) that reaches the head back down with FLUSHR cleared', () => {
    const env = testEnv();
    const st = env.open('sink');
    const down: number[] = [];
    env.trace.on('put', (e) => {
      if (e.mp.type === M_FLUSH && !e.q.isRead) down.push(flushreq(e.mp).flag);
    });
    sinkUp(st, mkflush(FLUSHRW));
    expect(down).to.deep.equal([FLUSHW]);
  });

  it('writeBytes splits data at the top module maxpsz and leaves the wroff headroom asked by M_SETOPTS', () => {
    const env = testEnv();
    const smallInfo = { id: 9953, name: 'small', minpsz: 0, maxpsz: 4, hiwat: 1000, lowat: 10 };
    env.registry.register(
      defineModule({
        rdinit: { put: (q, mp) => putnext(q, mp), minfo: smallInfo },
        wrinit: { put: (q, mp) => putnext(q, mp), minfo: smallInfo },
      }),
    );
    const st = env.open('sink');
    st.push('small');
    sinkUp(st, mksetopts({ wroff: 20 }));
    expect(st.writeBytes(new TextEncoder().encode('abcdefghij'))).to.equal(10);
    const log = sinkLog(st);
    expect(log.map(str)).to.deep.equal(['abcd', 'efgh', 'ij']);
    expect(log.every((m: Mblk) => m.rptr === 20)).to.equal(true);
  });

  it('refuses a write outside the top module packet sizes with ERANGE', () => {
    const env = testEnv();
    const tinyInfo = { id: 9954, name: 'tiny', minpsz: 2, maxpsz: 4, hiwat: 1000, lowat: 10 };
    env.registry.register(
      defineModule({
        rdinit: { put: (q, mp) => putnext(q, mp), minfo: tinyInfo },
        wrinit: { put: (q, mp) => putnext(q, mp), minfo: tinyInfo },
      }),
    );
    const st = env.open('sink');
    st.push('tiny');
    expect(st.write(text('a'))).to.equal(Errno.ERANGE);
    expect(st.write(text('abcde'))).to.equal(Errno.ERANGE);
    expect(st.write(text('abc'))).to.equal(0);
    expect(INFPSZ).to.equal(-1);
  });

  it('frees (and counts) messages the head cannot use, such as an M_CTL nobody above the top module took', () => {
    const env = testEnv();
    const st = env.open('sink');
    const ctl = allocproto(M_CTL, { note: 'for a module' });
    sinkUp(st, ctl);
    expect(ctl.freed).to.equal(true);
    expect(st.dropped).to.equal(1);
    expect(st.read()).to.equal(null);
  });
});
