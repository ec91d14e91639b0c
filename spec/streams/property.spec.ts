/**
 * Property tests: random sequences of writes, messages from below, push / insert / pop of
 * modules, flushes, service runs, reads and driver draining. Whatever happens, each direction
 * delivers messages in the order sent and loses nothing but data that a flush could have
 * discarded; without flushes, nothing at all is lost.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  allocproto,
  FLUSHR,
  FLUSHRW,
  FLUSHW,
  getq,
  M_CTL,
  M_PCPROTO,
  M_PROTO,
  NSTRPUSH,
  noenable,
  putbq,
  putq,
  QPCTL,
  type Mblk,
} from '../../lib/streams/index.ts';
import { sinkLog, sinkUp, slowTake, testEnv } from './support/env.ts';

type Op =
  | { k: 'write'; ctl: boolean }
  | { k: 'up' }
  | { k: 'push'; mod: string; at: number }
  | { k: 'pop'; at: number }
  | { k: 'flush'; flag: number }
  | { k: 'run' }
  | { k: 'read'; n: number }
  | { k: 'take'; n: number };

const MODS = ['passthru', 'qpass', 'counter'];

function opArb(withFlush: boolean): fc.Arbitrary<Op> {
  const ops: Array<fc.WeightedArbitrary<Op>> = [
    { weight: 6, arbitrary: fc.boolean().map((ctl): Op => ({ k: 'write', ctl })) },
    { weight: 5, arbitrary: fc.constant<Op>({ k: 'up' }) },
    { weight: 2, arbitrary: fc.record({ mod: fc.constantFrom(...MODS), at: fc.nat(20) }).map((r): Op => ({ k: 'push', ...r })) },
    { weight: 2, arbitrary: fc.nat(20).map((at): Op => ({ k: 'pop', at })) },
    { weight: 3, arbitrary: fc.constant<Op>({ k: 'run' }) },
    { weight: 2, arbitrary: fc.nat(4).map((n): Op => ({ k: 'read', n })) },
    { weight: 2, arbitrary: fc.nat(6).map((n): Op => ({ k: 'take', n })) },
  ];
  if (withFlush) ops.push({ weight: 1, arbitrary: fc.constantFrom(FLUSHR, FLUSHW, FLUSHRW).map((flag): Op => ({ k: 'flush', flag })) });
  return fc.oneof(...ops);
}

interface Outcome {
  /** Ids in the order they were accepted, with the index of the last flush before each. */
  sentDown: Array<{ id: number; ctl: boolean; epoch: number }>;
  sentUp: Array<{ id: number; epoch: number }>;
  gotDown: number[];
  gotUp: number[];
  flushW: number;
  flushR: number;
}

function idOf(mp: Mblk): number {
  return (mp.proto as { id: number }).id;
}

function play(ops: Op[]): Outcome {
  const env = testEnv();
  const st = env.open('slowsink');
  const out: Outcome = { sentDown: [], sentUp: [], gotDown: [], gotUp: [], flushW: 0, flushR: 0 };
  let next = 1;
  const readSome = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const mp = st.read();
      if (mp === null) return;
      out.gotUp.push(idOf(mp));
    }
  };
  for (const op of ops) {
    switch (op.k) {
      case 'write': {
        const id = next++;
        // M_CTL is not a data message: no flush may discard it.
        const mp = allocproto(op.ctl ? M_CTL : M_PROTO, { id });
        if (st.write(mp) === 0) out.sentDown.push({ id, ctl: op.ctl, epoch: out.flushW });
        break;
      }
      case 'up': {
        const id = next++;
        sinkUp(st, allocproto(M_PROTO, { id }));
        out.sentUp.push({ id, epoch: out.flushR });
        break;
      }
      case 'push':
        if (st.modules.length < NSTRPUSH) st.insert(op.mod, { index: op.at % (st.modules.length + 1) });
        break;
      case 'pop':
        if (st.modules.length > 0) st.remove(st.modules[op.at % st.modules.length]!.def.name);
        break;
      case 'flush':
        st.flush(op.flag);
        if (op.flag & FLUSHW) out.flushW++;
        if (op.flag & FLUSHR) out.flushR++;
        break;
      case 'run':
        env.runServices();
        break;
      case 'read':
        readSome(op.n);
        break;
      case 'take':
        slowTake(st, op.n);
        break;
    }
  }
  // Let everything settle: drain the device and the reader until nothing moves.
  for (let i = 0; i < 1000; i++) {
    env.runServices();
    const before = out.gotUp.length + st.drvwq.msgs;
    slowTake(st, 1000);
    readSome(1000);
    env.runServices();
    if (!env.servicesPending && st.drvwq.msgs === 0 && st.readable === 0 && before === out.gotUp.length) break;
  }
  out.gotDown = sinkLog(st).map(idOf);
  return out;
}

/** got must be a subsequence of sent, and every missing message a data one sent before a flush. */
function checkDirection(sent: Array<{ id: number; epoch: number; ctl?: boolean }>, got: number[], flushes: number): void {
  const pos = new Map(sent.map((s, i) => [s.id, i]));
  let last = -1;
  for (const id of got) {
    const p = pos.get(id);
    expect(p, `unknown or duplicated id ${id}`).to.not.equal(undefined);
    expect(p!, `id ${id} out of order`).to.be.greaterThan(last);
    last = p!;
    pos.delete(id);
  }
  for (const [id, i] of pos) {
    const s = sent[i]!;
    expect(s.ctl ?? false, `lost non-data message ${id}`).to.equal(false);
    expect(s.epoch, `lost message ${id} sent after the last flush`).to.be.lessThan(flushes);
  }
}

describe('streams: properties', () => {
  it('random put / push / pop / service / read sequences keep order and lose nothing', () => {
    fc.assert(
      fc.property(fc.array(opArb(false), { minLength: 10, maxLength: 150, size: 'max' }), (ops) => {
        const o = play(ops);
        expect(o.gotDown).to.deep.equal(o.sentDown.map((s) => s.id));
        expect(o.gotUp).to.deep.equal(o.sentUp.map((s) => s.id));
      }),
      { seed: 20240602, numRuns: 150 },
    );
  });

  it('with flushes mixed in, keep order and lose only data messages a flush could discard', () => {
    fc.assert(
      fc.property(fc.array(opArb(true), { minLength: 10, maxLength: 150, size: 'max' }), (ops) => {
        const o = play(ops);
        checkDirection(o.sentDown, o.gotDown, o.flushW);
        checkDirection(o.sentUp, o.gotUp, o.flushR);
      }),
      { seed: 7, numRuns: 150 },
    );
  });

  it('a queue under random putq / putbq / getq returns priority messages first and FIFO within each class', () => {
    type QOp = { k: 'putq'; hi: boolean } | { k: 'getq' } | { k: 'putbq' };
    const qop: fc.Arbitrary<QOp> = fc.oneof(
      fc.boolean().map((hi): QOp => ({ k: 'putq', hi })),
      fc.constant<QOp>({ k: 'getq' }),
      fc.constant<QOp>({ k: 'putbq' }),
    );
    fc.assert(
      fc.property(fc.array(qop, { minLength: 10, maxLength: 200, size: 'max' }), (ops) => {
        const env = testEnv();
        const st = env.open('sink');
        st.push('qpass');
        const q = st.moduleQueues('qpass')!.wq;
        noenable(q);
        // Model: two FIFO classes; putbq puts the last taken message back at the front of its class.
        const hi: number[] = [];
        const lo: number[] = [];
        let lastTaken: Mblk | null = null;
        let next = 1;
        for (const op of ops) {
          if (op.k === 'putq') {
            const id = next++;
            putq(q, allocproto(op.hi ? M_PCPROTO : M_PROTO, { id }));
            (op.hi ? hi : lo).push(id);
          } else if (op.k === 'getq') {
            const mp = getq(q);
            const want = hi.length > 0 ? hi.shift() : lo.shift();
            expect(mp === null ? undefined : idOf(mp)).to.equal(want);
            lastTaken = mp;
          } else if (lastTaken !== null) {
            putbq(q, lastTaken);
            (lastTaken.type >= QPCTL ? hi : lo).unshift(idOf(lastTaken));
            lastTaken = null;
          }
          expect(q.msgs).to.equal(hi.length + lo.length);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
