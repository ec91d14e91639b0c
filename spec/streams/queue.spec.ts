import { expect } from 'chai';
import {
  allocproto,
  canputnext,
  flushq,
  FLUSHALL,
  FLUSHDATA,
  getq,
  takeq,
  insq,
  M_CTL,
  M_IOCTL,
  M_PCPROTO,
  M_PROTO,
  mkioctl,
  noenable,
  enableok,
  PROTO_WEIGHT,
  putbq,
  putq,
  QENAB,
  QFULL,
  QWANTR,
  QWANTW,
  rmvq,
  type Mblk,
  type Queue,
} from '../../lib/streams/index.ts';
import { slowTake, str, testEnv, text } from './support/env.ts';

/** A write queue to play with: the qpass module's, on a slowsink stream, with enabling off. */
function quietQueue(): { q: Queue; env: ReturnType<typeof testEnv> } {
  const env = testEnv();
  const st = env.open('slowsink');
  st.push('qpass');
  const q = st.moduleQueues('qpass')!.wq;
  noenable(q);
  return { q, env };
}

function drain(q: Queue): string[] {
  const out: string[] = [];
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) out.push(mp.proto !== undefined ? String((mp.proto as { tag: string }).tag) : str(mp));
  return out;
}

const hi = (tag: string): Mblk => allocproto(M_PCPROTO, { tag });

describe('streams: queues', () => {
  it('keeps normal messages in arrival order', () => {
    const { q } = quietQueue();
    for (const s of ['a', 'b', 'c']) putq(q, text(s));
    expect(drain(q)).to.deep.equal(['a', 'b', 'c']);
  });

  it('puts high-priority messages ahead of normal ones, behind earlier high-priority ones', () => {
    const { q } = quietQueue();
    putq(q, text('a'));
    putq(q, hi('H1'));
    putq(q, text('b'));
    putq(q, hi('H2'));
    expect(drain(q)).to.deep.equal(['H1', 'H2', 'a', 'b']);
  });

  it('orders banded messages ahead of band 0, higher bands first, each band in arrival order', () => {
    const { q } = quietQueue();
    const banded = (s: string, band: number): Mblk => {
      const mp = text(s);
      mp.band = band;
      return mp;
    };
    putq(q, text('n1'));
    putq(q, banded('b1a', 1));
    putq(q, banded('b2', 2));
    putq(q, banded('b1b', 1));
    putq(q, text('n2'));
    expect(drain(q)).to.deep.equal(['b2', 'b1a', 'b1b', 'n1', 'n2']);
  });

  it('counts queued bytes, a primitive block weighing PROTO_WEIGHT', () => {
    const { q } = quietQueue();
    putq(q, text('abcd'));
    putq(q, allocproto(M_PROTO, { tag: 'p' }, text('xy')));
    expect(q.count).to.equal(4 + PROTO_WEIGHT + 2);
    expect(q.msgs).to.equal(2);
    getq(q);
    expect(q.count).to.equal(PROTO_WEIGHT + 2);
  });

  it('sets QFULL when count reaches hiwat and clears it when count falls below hiwat', () => {
    const { q } = quietQueue();
    q.hiwat = 10;
    q.lowat = 4;
    putq(q, text('12345'));
    expect(q.flag & QFULL).to.equal(0);
    putq(q, text('67890'));
    expect(q.flag & QFULL).to.not.equal(0);
    getq(q);
    expect(q.flag & QFULL).to.equal(0);
  });

  it('getq on an empty queue sets QWANTR, and putq then enables the queue', () => {
    const { q, env } = quietQueue();
    enableok(q);
    getq(q);
    expect(q.flag & QWANTR).to.not.equal(0);
    putq(q, text('a'));
    expect(q.flag & QENAB).to.not.equal(0);
    expect(env.servicesPending).to.equal(true);
  });

  it('takeq on an empty queue leaves QWANTR clear, so putq then does not enable the queue; it takes like getq', () => {
    const { q } = quietQueue();
    enableok(q);
    q.flag &= ~QWANTR;
    expect(takeq(q)).to.equal(null);
    expect(q.flag & QWANTR).to.equal(0);
    putq(q, text('a'));
    expect(q.flag & QENAB).to.equal(0);
    expect(str(takeq(q)!)).to.equal('a');
    expect(q.count).to.equal(0);
  });

  it('putq does not enable for normal messages when no reader waits, or under noenable', () => {
    const { q } = quietQueue();
    enableok(q);
    putq(q, text('a')); // QWANTR was set at open: enables
    q.flag &= ~QENAB; // pretend the service ran without reading
    q.flag &= ~QWANTR;
    putq(q, text('b'));
    expect(q.flag & QENAB).to.equal(0);
    noenable(q);
    q.flag |= QWANTR;
    putq(q, text('c'));
    expect(q.flag & QENAB).to.equal(0);
  });

  it('putq always enables for a high-priority message, even under noenable', () => {
    const { q } = quietQueue();
    q.flag &= ~QWANTR;
    putq(q, hi('H'));
    expect(q.flag & QENAB).to.not.equal(0);
  });

  it('putbq puts a message back at the front of its class without enabling', () => {
    const { q } = quietQueue();
    putq(q, hi('H'));
    putq(q, text('b'));
    q.flag &= ~QENAB;
    putbq(q, text('a'));
    expect(q.flag & QENAB).to.equal(0);
    expect(drain(q)).to.deep.equal(['H', 'a', 'b']);
  });

  it('flushq(FLUSHDATA) frees data messages and keeps the others; FLUSHALL frees everything', () => {
    const { q } = quietQueue();
    putq(q, text('d1'));
    putq(q, allocproto(M_CTL, { tag: 'ctl' }));
    putq(q, mkioctl(1, 1, null));
    putq(q, allocproto(M_PROTO, { tag: 'proto' }));
    expect(flushq(q, FLUSHDATA)).to.equal(2);
    expect(q.msgs).to.equal(2);
    const left = [getq(q)!, getq(q)!].map((m) => m.type);
    expect(left).to.deep.equal([M_CTL, M_IOCTL]);
    putq(q, text('x'));
    putq(q, allocproto(M_CTL, { tag: 'ctl' }));
    expect(flushq(q, FLUSHALL)).to.equal(2);
    expect(q.count).to.equal(0);
    expect(q.first).to.equal(null);
  });

  it('insq inserts before a given message and rmvq removes one from the middle', () => {
    const { q } = quietQueue();
    putq(q, text('a'));
    putq(q, text('c'));
    const c = q.last!;
    insq(q, c, text('b'));
    insq(q, null, text('d'));
    const b = c.prev!;
    rmvq(q, b);
    expect(drain(q)).to.deep.equal(['a', 'c', 'd']);
  });

  it('canputnext looks at the nearest queue downstream that has a service procedure', () => {
    const env = testEnv();
    const st = env.open('slowsink');
    st.push('passthru');
    st.push('passthru');
    const top = st.moduleQueues('passthru')!.wq;
    expect(canputnext(top)).to.equal(true);
    st.drvwq.flag |= QFULL;
    expect(canputnext(top)).to.equal(false);
    expect(st.drvwq.flag & QWANTW).to.not.equal(0);
  });

  it('back-enables the upstream service procedure only once the full queue drains below lowat', () => {
    const env = testEnv();
    const st = env.open('slowsink'); // hiwat 100, lowat 50
    st.push('qpass');
    const qp = st.moduleQueues('qpass')!.wq;
    for (let i = 0; i < 15; i++) expect(st.write(text('0123456789'))).to.equal(0);
    env.runServices();
    // 10 messages (100 bytes) reached the driver, which is full; 5 wait in qpass.
    expect(st.drvwq.count).to.equal(100);
    expect(qp.msgs).to.equal(5);
    expect(st.drvwq.flag & QWANTW).to.not.equal(0);
    slowTake(st, 5); // 50 bytes left: not below lowat
    expect(env.servicesPending).to.equal(false);
    slowTake(st, 1); // 40 < 50: back-enable qpass
    expect(qp.flag & QENAB).to.not.equal(0);
    env.runServices();
    expect(qp.msgs).to.equal(0);
    expect(st.drvwq.msgs).to.equal(9);
  });

  it('back-enabling skips queues without a service procedure', () => {
    const env = testEnv();
    const st = env.open('slowsink');
    st.push('passthru');
    st.push('qpass');
    const qp = st.moduleQueues('qpass')!.wq;
    for (let i = 0; i < 12; i++) st.write(text('0123456789'));
    env.runServices();
    expect(qp.msgs).to.equal(2);
    slowTake(st, 10);
    expect(qp.flag & QENAB).to.not.equal(0);
  });
});
