import { expect } from 'chai';
import fc from 'fast-check';
import { ConnTable, tupleKey } from '../../modules/btcp/conn-state.ts';
import type { FourTuple } from '../../modules/btcp/conn-state.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { MS, SEC } from '../../lib/sim/time.ts';

const vip = ipv4('198.51.100.1');
const t = (port: number, addr = '203.0.113.5'): FourTuple => ({ clientAddr: ipv4(addr), clientPort: port, serverAddr: vip, serverPort: 80 });

describe('handoff: connection-state table', () => {
  it('keys connections by their whole 4-tuple', () => {
    expect(tupleKey(t(1000))).to.not.equal(tupleKey(t(1001)));
    expect(tupleKey(t(1000, '203.0.113.5'))).to.not.equal(tupleKey(t(1000, '203.0.113.6')));
    expect(tupleKey({ ...t(1), serverPort: 8080 })).to.not.equal(tupleKey(t(1)));
    expect(tupleKey(t(7))).to.equal(tupleKey({ ...t(7) }));
  });

  it('refuses a duplicate and, when full, a new connection', () => {
    const table = new ConnTable<string>(2);
    expect(table.insert(t(1), 'a', 0, SEC)).to.deep.equal({ ok: true });
    expect(table.insert(t(1), 'b', 0, SEC)).to.deep.equal({ ok: false, reason: 'exists' });
    expect(table.insert(t(2), 'b', 0, SEC)).to.deep.equal({ ok: true });
    expect(table.insert(t(3), 'c', 0, SEC)).to.deep.equal({ ok: false, reason: 'full' });
    expect(table.delete(t(1))).to.equal('a');
    expect(table.insert(t(3), 'c', 0, SEC)).to.deep.equal({ ok: true });
    expect([...table].map(([, v]) => v)).to.have.members(['b', 'c']);
  });

  it('frees a connection idle past its timeout, and not one that saw traffic', () => {
    const table = new ConnTable<string>(10);
    table.insert(t(1), 'idle', 0, 10 * SEC);
    table.insert(t(2), 'busy', 0, 10 * SEC);
    table.touch(t(2), 6 * SEC);
    expect(table.expire(10 * SEC - 1)).to.deep.equal([]);
    expect(table.expire(10 * SEC).map((e) => e.value)).to.deep.equal(['idle']);
    expect(table.nextDeadline()).to.equal(16 * SEC);
    expect(table.expire(16 * SEC).map((e) => e.value)).to.deep.equal(['busy']);
    expect(table.size).to.equal(0);
    expect(table.nextDeadline()).to.equal(null);
  });

  it('applies a shorter timeout at once (a handoff in flight) and a longer one from now', () => {
    const table = new ConnTable<string>(10);
    table.insert(t(1), 'x', 0, 60 * SEC);
    table.setTimeout(t(1), 500 * MS, 1 * SEC);
    expect(table.nextDeadline()).to.equal(1500 * MS);
    expect(table.expire(1500 * MS)).to.have.length(1);
    table.insert(t(2), 'y', 0, 1 * SEC);
    table.setTimeout(t(2), 30 * SEC, 0);
    expect(table.expire(29 * SEC)).to.deep.equal([]);
    expect(table.expire(30 * SEC)).to.have.length(1);
  });

  it('expires exactly the entries a naive model would, whatever the operations (property)', () => {
    type Op =
      | { op: 'insert'; k: number; timeout: number }
      | { op: 'touch'; k: number }
      | { op: 'delete'; k: number }
      | { op: 'timeout'; k: number; timeout: number }
      | { op: 'advance'; dt: number };
    const k = fc.integer({ min: 0, max: 7 });
    const timeout = fc.integer({ min: 1, max: 50 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), k, timeout }),
      fc.record({ op: fc.constant('touch' as const), k }),
      fc.record({ op: fc.constant('delete' as const), k }),
      fc.record({ op: fc.constant('timeout' as const), k, timeout }),
      fc.record({ op: fc.constant('advance' as const), dt: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const table = new ConnTable<number>(5);
        const model = new Map<number, { deadline: number; timeout: number }>();
        let now = 0;
        for (const o of ops) {
          if (o.op === 'insert') {
            const r = table.insert(t(o.k), o.k, now, o.timeout);
            const want = model.has(o.k) ? 'exists' : model.size >= 5 ? 'full' : 'ok';
            expect(r.ok ? 'ok' : r.reason).to.equal(want);
            if (want === 'ok') model.set(o.k, { deadline: now + o.timeout, timeout: o.timeout });
          } else if (o.op === 'touch') {
            table.touch(t(o.k), now);
            const m = model.get(o.k);
            if (m) m.deadline = Math.max(m.deadline, now + m.timeout);
          } else if (o.op === 'delete') {
            expect(table.delete(t(o.k))).to.equal(model.has(o.k) ? o.k : undefined);
            model.delete(o.k);
          } else if (o.op === 'timeout') {
            table.setTimeout(t(o.k), o.timeout, now);
            const m = model.get(o.k);
            if (m) Object.assign(m, { timeout: o.timeout, deadline: now + o.timeout });
          } else {
            now += o.dt;
            const got = table.expire(now).map((e) => e.value).sort();
            const want = [...model].filter(([, m]) => m.deadline <= now).map(([key]) => key).sort();
            for (const key of want) model.delete(key);
            expect(got).to.deep.equal(want);
            const next = table.nextDeadline();
            const earliest = Math.min(...[...model.values()].map((m) => m.deadline));
            if (model.size === 0) expect(next).to.equal(null);
            else expect(next).to.be.at.most(earliest);
          }
          expect(table.size).to.equal(model.size);
          expect(table.queued).to.be.at.most(2 * 5 + 16 + 1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('stays bounded under connection churn: stale timer nodes are compacted away', () => {
    const table = new ConnTable<number>(100);
    for (let i = 0; i < 10_000; i++) {
      table.insert(t(i % 150), i, i, 1000 * SEC);
      if (i % 3 === 0) table.setTimeout(t(i % 150), SEC, i);
      if (i % 2 === 0) table.delete(t((i + 75) % 150));
    }
    expect(table.size).to.be.at.most(100);
    expect(table.queued).to.be.at.most(2 * 100 + 16 + 1);
  });
});
