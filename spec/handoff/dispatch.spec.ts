import { expect } from 'chai';
import fc from 'fast-check';
import { ConsistentHash } from '../../modules/btcp/dispatch/consistent-hash.ts';
import { Lard } from '../../modules/btcp/dispatch/lard.ts';
import { LeastConnections } from '../../modules/btcp/dispatch/least-conns.ts';
import { eligible } from '../../modules/btcp/dispatch/policy.ts';
import type { Decision, DispatchPolicy, DispatchRequest, DispatchView, NodeView } from '../../modules/btcp/dispatch/policy.ts';
import { createPolicy, policyNames } from '../../modules/btcp/dispatch/registry.ts';
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import { UrlPartition } from '../../modules/btcp/dispatch/url-partition.ts';
import { ClusterView } from '../../modules/btcp/dispatch/view.ts';
import { WeightedRoundRobin } from '../../modules/btcp/dispatch/weighted-rr.ts';
import { MS, SEC } from '../../lib/sim/time.ts';

function node(id: string, o: Partial<NodeView> = {}): NodeView {
  return { id, weight: 1, alive: true, draining: false, conns: 0, queueDepth: 0, cpuPermille: 0, ...o };
}

function cluster(nodes: NodeView[], selfId = 'fe'): DispatchView {
  return { selfId, nodes };
}

function req(path: string, o: Partial<DispatchRequest> = {}): DispatchRequest {
  return { method: 'GET', path, host: 'www.example', ...o };
}

const who = (d: Decision) => (d.kind === 'local' ? 'local' : d.id);

function policy(spec: PolicySpec): DispatchPolicy {
  const r = createPolicy(spec);
  if (!r.ok) throw new Error(r.error);
  return r.policy;
}

const allSpecs: PolicySpec[] = [
  { policy: 'url-partition', rules: [{ prefix: '/a', nodes: ['be1', 'be2'] }] },
  { policy: 'lard' },
  { policy: 'weighted-round-robin' },
  { policy: 'consistent-hash' },
  { policy: 'least-connections' },
];

/** Simulates a load: `counts` connections per node, each pick adds one to the chosen node. */
function run(p: DispatchPolicy, nodes: NodeView[], requests: DispatchRequest[], grow = true): string[] {
  const out: string[] = [];
  for (const r of requests) {
    const d = p.pick(r, cluster(nodes));
    const id = who(d);
    out.push(id);
    if (grow) for (const n of nodes) if (n.id === id) n.conns++;
  }
  return out;
}

describe('handoff: dispatch policies', () => {
  describe('every policy', () => {
    for (const spec of allSpecs) {
      describe(spec.policy, () => {
        it('serves locally when no node can take the request', () => {
          const p = policy(spec);
          const nodes = [node('be1', { alive: false }), node('be2', { draining: true }), node('be3', { weight: 0 })];
          expect(who(p.pick(req('/a/x'), cluster(nodes)))).to.equal('local');
        });

        it("answers 'local' when it chooses the front end itself (claims 8, 20, 33)", () => {
          const p = policy(spec);
          const nodes = [node('fe'), node('be1', { alive: false }), node('be2', { alive: false })];
          const d = p.pick(req('/z'), cluster(nodes));
          expect(d).to.deep.equal({ kind: 'local' });
        });

        it('never picks a dead, draining, weightless, excluded or full node (property)', () => {
          const arbNode = (id: string) =>
            fc.record({
              id: fc.constant(id), weight: fc.integer({ min: 0, max: 4 }), alive: fc.boolean(), draining: fc.boolean(),
              conns: fc.integer({ min: 0, max: 200 }), maxConns: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
              queueDepth: fc.constant(0), cpuPermille: fc.constant(0),
            }).map((n) => { const v: NodeView = { ...n }; if (n.maxConns === undefined) delete v.maxConns; return v; });
          fc.assert(
            fc.property(
              fc.tuple(arbNode('be1'), arbNode('be2'), arbNode('be3'), arbNode('be4')),
              fc.array(fc.constantFrom('/a/1', '/a/2', '/b', '/c?q'), { minLength: 1, maxLength: 8 }),
              fc.subarray(['be1', 'be2', 'be3', 'be4']),
              (nodes, paths, excluded) => {
                const p = policy(spec);
                for (const path of paths) {
                  const r = req(path, { exclude: new Set(excluded) });
                  const d = p.pick(r, cluster([...nodes]));
                  if (d.kind === 'backend') {
                    const n = nodes.find((x) => x.id === d.id)!;
                    expect(eligible(n, r), `${spec.policy} picked ${d.id}`).to.equal(true);
                  }
                }
              },
            ),
            { numRuns: 150 },
          );
        });

        it('is deterministic: the same calls give the same answers', () => {
          const paths = Array.from({ length: 60 }, (_, i) => req(`/a/${i % 7}`));
          const mk = () => [node('be1', { weight: 2 }), node('be2'), node('be3')];
          expect(run(policy(spec), mk(), paths)).to.deep.equal(run(policy(spec), mk(), paths));
        });
      });
    }
  });

  describe('URL partition table (claim 25)', () => {
    const table = new UrlPartition({
      rules: [
        { prefix: '/img/', nodes: ['be1', 'be2'] },
        { prefix: '/img/big/', nodes: ['be3'] },
        { prefix: '/', host: 'shop.example', nodes: ['be2'] },
        { prefix: '/cgi/', nodes: ['fe'] },
      ],
      defaultNodes: ['be1', 'be2', 'be3'],
    });
    const nodes = () => [node('fe'), node('be1'), node('be2'), node('be3')];

    it('sends a path to the replicas of its longest matching prefix, host-specific rules first', () => {
      expect(table.replicasFor(req('/img/big/x.jpg'))).to.deep.equal(['be3']);
      expect(table.replicasFor(req('/img/small.png'))).to.deep.equal(['be1', 'be2']);
      expect(table.replicasFor(req('/img/big/x.jpg', { host: 'shop.example' }))).to.deep.equal(['be2']);
      expect(table.replicasFor(req('/index.html'))).to.deep.equal(['be1', 'be2', 'be3']);
      expect(new UrlPartition({ rules: [] }).replicasFor(req('/x'))).to.equal(null);
    });

    it('spreads a replicated prefix over its replicas by load, first replica on ties', () => {
      const ns = nodes();
      expect(run(table, ns, Array.from({ length: 6 }, () => req('/img/a.png')))).to.deep.equal(['be1', 'be2', 'be1', 'be2', 'be1', 'be2']);
      expect(ns.map((n) => n.conns)).to.deep.equal([0, 3, 3, 0]);
    });

    it('weighs load by capacity: a replica of weight 3 takes three times the connections', () => {
      const ns = [node('be1', { weight: 3 }), node('be2')];
      const picks = run(table, ns, Array.from({ length: 40 }, () => req('/img/a.png')));
      expect(picks.filter((p) => p === 'be1')).to.have.length(30);
    });

    it('serves content the FE holds locally', () => {
      expect(who(table.pick(req('/cgi/run'), cluster(nodes())))).to.equal('local');
    });

    it('moves to the surviving replica when one fails, and never to a node without the content', () => {
      const ns = nodes();
      ns[1]!.alive = false;
      expect(run(table, ns, [req('/img/a'), req('/img/b')])).to.deep.equal(['be2', 'be2']);
      ns[2]!.alive = false;
      expect(who(table.pick(req('/img/a'), cluster(ns)))).to.equal('local');
    });

    it('passes over an overloaded replica (at maxConns) and one that refused this request', () => {
      const ns = [node('be1', { conns: 10, maxConns: 10 }), node('be2', { conns: 50 })];
      expect(who(table.pick(req('/img/a'), cluster(ns)))).to.equal('be2');
      expect(who(table.pick(req('/img/a', { exclude: new Set(['be2']) }), cluster(ns)))).to.equal('local');
    });
  });

  describe('LARD', () => {
    it('keeps sending a target to the node that served it: locality (stickiness)', () => {
      const lard = new Lard({ tLow: 2, tHigh: 5 });
      const ns = [node('be1'), node('be2'), node('be3')];
      const picks = run(lard, ns, [req('/x'), req('/y'), req('/z'), req('/x'), req('/x'), req('/y')]);
      expect(picks).to.deep.equal(['be1', 'be2', 'be3', 'be1', 'be1', 'be2']);
    });

    it('assigns a new target to the least-loaded node', () => {
      const lard = new Lard();
      const ns = [node('be1', { conns: 9 }), node('be2', { conns: 3 }), node('be3', { conns: 5 })];
      expect(who(lard.pick(req('/new'), cluster(ns)))).to.equal('be2');
    });

    it('moves a target off a node above T_high while another is below T_low', () => {
      const lard = new Lard({ tLow: 2, tHigh: 5 });
      const ns = [node('be1'), node('be2', { conns: 3 })];
      lard.pick(req('/x'), cluster(ns));
      ns[0]!.conns = 6;
      expect(who(lard.pick(req('/x'), cluster(ns)))).to.equal('be1'); // nobody below T_low: stay
      ns[1]!.conns = 1;
      expect(who(lard.pick(req('/x'), cluster(ns)))).to.equal('be2');
      expect(lard.assigned(req('/x'))).to.equal('be2');
    });

    it('moves a target off a node at 2 x T_high whatever the others carry', () => {
      const lard = new Lard({ tLow: 2, tHigh: 5 });
      const ns = [node('be1'), node('be2', { conns: 9 })];
      lard.pick(req('/x'), cluster(ns));
      ns[0]!.conns = 10;
      expect(who(lard.pick(req('/x'), cluster(ns)))).to.equal('be2');
    });

    it('compares loads per unit of weight', () => {
      const lard = new Lard({ tLow: 2, tHigh: 5 });
      const ns = [node('be1', { weight: 4 }), node('be2', { conns: 1 })];
      lard.pick(req('/x'), cluster(ns));
      ns[0]!.conns = 16; // 4 per unit of weight: below T_high
      expect(who(lard.pick(req('/x'), cluster(ns)))).to.equal('be1');
    });

    it('reassigns the targets of a failed node', () => {
      const lard = new Lard();
      const ns = [node('be1'), node('be2')];
      lard.pick(req('/x'), cluster(ns));
      ns[0]!.alive = false;
      expect(who(lard.pick(req('/x'), cluster(ns)))).to.equal('be2');
      ns[0]!.alive = true;
      expect(who(lard.pick(req('/x'), cluster(ns)))).to.equal('be2');
    });

    it('forgets the least recently used target beyond maxTargets', () => {
      const lard = new Lard({ maxTargets: 3 });
      const v = cluster([node('be1'), node('be2')]);
      for (const p of ['/a', '/b', '/c']) lard.pick(req(p), v);
      lard.pick(req('/a'), v);
      lard.pick(req('/d'), v);
      expect(lard.size).to.equal(3);
      expect(lard.assigned(req('/b'))).to.equal(undefined);
      expect(lard.assigned(req('/a'))).to.not.equal(undefined);
    });

    it('keys targets on host and path, not on the query', () => {
      const lard = new Lard();
      const v = cluster([node('be1'), node('be2', { conns: 1 })]);
      lard.pick(req('/x?a=1'), v);
      expect(lard.assigned(req('/x?b=2'))).to.equal('be1');
      expect(lard.assigned(req('/x', { host: 'other' }))).to.equal(undefined);
    });
  });

  describe('smooth weighted round-robin', () => {
    it('interleaves by weight as nginx does: 5,1,1 gives a a b a c a a', () => {
      const p = new WeightedRoundRobin();
      const ns = [node('a', { weight: 5 }), node('b'), node('c')];
      expect(run(p, ns, Array.from({ length: 7 }, () => req('/')), false)).to.deep.equal(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    });

    it('gives each node exactly its weight in every window of sum(weights) picks (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), (weights, rounds) => {
          const p = new WeightedRoundRobin();
          const ns = weights.map((w, i) => node(`n${i}`, { weight: w }));
          const total = weights.reduce((a, b) => a + b, 0);
          const picks = run(p, ns, Array.from({ length: total * rounds }, () => req('/')), false);
          ns.forEach((n, i) => expect(picks.filter((x) => x === n.id)).to.have.length(weights[i]! * rounds));
        }),
      );
    });

    it('shares a failed node out among the others, and gives it its share again when it returns', () => {
      const p = new WeightedRoundRobin();
      const ns = [node('a', { weight: 2 }), node('b'), node('c')];
      ns[0]!.alive = false;
      const during = run(p, ns, Array.from({ length: 4 }, () => req('/')), false);
      expect(during.filter((x) => x === 'a')).to.have.length(0);
      expect(during.filter((x) => x === 'b')).to.have.length(2);
      ns[0]!.alive = true;
      const after = run(p, ns, Array.from({ length: 8 }, () => req('/')), false);
      expect(after.filter((x) => x === 'a').length).to.be.within(3, 5);
    });

    it('skips an overloaded node (at maxConns)', () => {
      const p = new WeightedRoundRobin();
      const ns = [node('a', { weight: 10, conns: 5, maxConns: 5 }), node('b')];
      expect(run(p, ns, [req('/'), req('/')], false)).to.deep.equal(['b', 'b']);
    });
  });

  describe('consistent hashing', () => {
    const paths = Array.from({ length: 2000 }, (_, i) => req(`/obj/${i}.html`));
    const mapAll = (p: DispatchPolicy, ns: NodeView[]) => paths.map((r) => who(p.pick(r, cluster(ns))));

    it('sends the same key to the same node (stickiness)', () => {
      const p = new ConsistentHash({ loadFactor: Infinity });
      const ns = [node('be1'), node('be2'), node('be3')];
      expect(mapAll(p, ns)).to.deep.equal(mapAll(new ConsistentHash({ loadFactor: Infinity }), ns));
    });

    it('spreads keys roughly in proportion to weight', () => {
      const ns = [node('be1'), node('be2'), node('be3', { weight: 2 })];
      const picks = mapAll(new ConsistentHash({ loadFactor: Infinity, replicas: 128 }), ns);
      const share = (id: string) => picks.filter((x) => x === id).length / picks.length;
      expect(share('be1')).to.be.within(0.25 * 0.7, 0.25 * 1.3);
      expect(share('be2')).to.be.within(0.25 * 0.7, 0.25 * 1.3);
      expect(share('be3')).to.be.within(0.5 * 0.8, 0.5 * 1.2);
    });

    it('moves only the keys of a node that fails, and the same ones when it leaves the configuration', () => {
      const p = new ConsistentHash({ loadFactor: Infinity });
      const ns = [node('be1'), node('be2'), node('be3'), node('be4')];
      const before = mapAll(p, ns);
      const failed = mapAll(p, ns.map((n) => (n.id === 'be2' ? { ...n, alive: false } : n)));
      const removed = mapAll(p, ns.filter((n) => n.id !== 'be2'));
      before.forEach((b, i) => {
        if (b !== 'be2') expect(failed[i], `key ${i}`).to.equal(b);
      });
      expect(removed).to.deep.equal(failed);
      expect(failed).to.not.include('be2');
    });

    it('moves keys only onto a node that joins', () => {
      const p = new ConsistentHash({ loadFactor: Infinity });
      const ns = [node('be1'), node('be2'), node('be3')];
      const before = mapAll(p, ns);
      const after = mapAll(p, [...ns, node('be4')]);
      const moved = before.map((b, i) => [b, after[i]]).filter(([b, a]) => b !== a);
      expect(moved.every(([, a]) => a === 'be4')).to.equal(true);
      expect(moved.length / paths.length).to.be.within(0.15, 0.35);
    });

    it('passes a hot key on to the next node once its node holds more than loadFactor x its share (bounded loads)', () => {
      const bounded = new ConsistentHash({ loadFactor: 1.25 });
      const ns = [node('be1'), node('be2'), node('be3')];
      const hot = Array.from({ length: 300 }, () => req('/hot.html'));
      run(bounded, ns, hot);
      const max = Math.max(...ns.map((n) => n.conns));
      expect(max).to.be.at.most(Math.ceil((1.25 * 300) / 3));
      const unbounded = [node('be1'), node('be2'), node('be3')];
      run(new ConsistentHash({ loadFactor: Infinity }), unbounded, hot);
      expect(Math.max(...unbounded.map((n) => n.conns))).to.equal(300);
    });

    it('can hash on the client address instead of the content', () => {
      const p = new ConsistentHash({ key: 'client', loadFactor: Infinity });
      const ns = [node('be1'), node('be2'), node('be3')];
      const a = who(p.pick(req('/1', { client: 0xcb007105 }), cluster(ns)));
      for (let i = 0; i < 20; i++) expect(who(p.pick(req(`/${i}`, { client: 0xcb007105 }), cluster(ns)))).to.equal(a);
    });
  });

  describe('least connections', () => {
    it('picks the node with the fewest connections per unit of weight', () => {
      const ns = [node('be1', { conns: 10, weight: 2 }), node('be2', { conns: 6 }), node('be3', { conns: 4 })];
      expect(who(new LeastConnections().pick(req('/'), cluster(ns)))).to.equal('be3');
      ns[2]!.conns = 6;
      expect(who(new LeastConnections().pick(req('/'), cluster(ns)))).to.equal('be1');
    });

    it('fills an idle cluster evenly: ties rotate', () => {
      const p = new LeastConnections();
      const ns = [node('be1'), node('be2'), node('be3')];
      expect(run(p, ns, Array.from({ length: 3 }, () => req('/')), false)).to.deep.equal(['be1', 'be2', 'be3']);
    });

    it('keeps loads level as connections arrive (distribution)', () => {
      const ns = [node('be1'), node('be2', { weight: 2 }), node('be3')];
      run(new LeastConnections(), ns, Array.from({ length: 400 }, () => req('/')));
      expect(ns.map((n) => n.conns)).to.deep.equal([100, 200, 100]);
    });

    it('skips failed and overloaded nodes', () => {
      const ns = [node('be1', { alive: false }), node('be2', { conns: 3, maxConns: 3 }), node('be3', { conns: 50 })];
      expect(who(new LeastConnections().pick(req('/'), cluster(ns)))).to.equal('be3');
    });
  });

  describe('cluster view from heartbeats and the connection table', () => {
    const hb = (activeConns: number, draining = false) => ({ type: 'HEARTBEAT' as const, nodeId: 'be1', activeConns, queueDepth: 2, cpuPermille: 300, draining });

    it('counts a node alive only while its channel is up and its heartbeats are fresh', () => {
      const cv = new ClusterView('fe', 3 * SEC);
      cv.configure({ id: 'fe', weight: 1 });
      cv.configure({ id: 'be1', weight: 2, maxConns: 100 });
      const alive = (now: number) => cv.snapshot(now).nodes.map((n) => n.alive);
      expect(alive(0)).to.deep.equal([true, false]);
      cv.channel('be1', true);
      cv.heartbeat('be1', hb(5), 1 * SEC);
      expect(alive(4 * SEC)).to.deep.equal([true, true]);
      expect(alive(4 * SEC + 1 * MS)).to.deep.equal([true, false]);
      cv.channel('be1', false);
      expect(alive(2 * SEC)).to.deep.equal([true, false]);
    });

    it('adds the connections handed off since the last heartbeat to its figure', () => {
      const cv = new ClusterView('fe', 3 * SEC);
      cv.configure({ id: 'be1', weight: 1 });
      cv.channel('be1', true);
      cv.handed('be1', 1);
      cv.heartbeat('be1', hb(10), 0);
      cv.handed('be1', 1);
      cv.handed('be1', 1);
      expect(cv.snapshot(0).nodes[0]!.conns).to.equal(12);
      cv.handed('be1', -1);
      expect(cv.snapshot(0).nodes[0]!.conns).to.equal(11);
      cv.heartbeat('be1', hb(0), 1);
      expect(cv.snapshot(1).nodes[0]!.conns).to.equal(2);
    });

    it('takes draining and load figures from the heartbeat, and the FE load from the caller', () => {
      const cv = new ClusterView('fe', 3 * SEC);
      cv.configure({ id: 'fe', weight: 1 });
      cv.configure({ id: 'be1', weight: 1, maxConns: 7 });
      cv.heartbeat('be1', hb(1, true), 0);
      const [fe, be1] = cv.snapshot(0, 4).nodes;
      expect(fe).to.deep.include({ conns: 4, alive: true, draining: false });
      expect(be1).to.deep.include({ draining: true, queueDepth: 2, cpuPermille: 300, maxConns: 7 });
    });
  });

  describe('registry', () => {
    it('builds every policy by name', () => {
      expect(policyNames).to.have.members(['url-partition', 'lard', 'weighted-round-robin', 'consistent-hash', 'least-connections']);
      for (const spec of allSpecs) expect(policy(spec).name).to.equal(spec.policy);
    });

    it('refuses a bad spec with a message naming the field', () => {
      const bad = [
        { policy: 'random' },
        { policy: 'lard', tLow: 70, tHigh: 65 },
        { policy: 'consistent-hash', loadFactor: 0.5 },
        { policy: 'url-partition', rules: [{ prefix: '/a', nodes: [] }] },
        { policy: 'least-connections', extra: 1 },
      ];
      for (const spec of bad) {
        const r = createPolicy(spec);
        expect(r.ok, JSON.stringify(spec)).to.equal(false);
        if (!r.ok) expect(r.error).to.match(/policy/);
      }
    });
  });
});
