/**
 * Lab 2 (docs/labs/02-dispatch): the same workload under four dispatch policies, run through
 * `handoff run`, compared with the lab's locality tool — the observations the lab asks for.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { locality, type Locality } from '../../docs/labs/02-dispatch/locality.ts';
import type { RunSummary } from '../../harness/scenario/summary.ts';
import { handoffRun, LABS, tempOut } from './support.ts';

const POLICIES = ['url-partition', 'lard', 'weighted-rr', 'least-conns'] as const;
type Policy = (typeof POLICIES)[number];

describe('lab 2: dispatch policies on the same workload', function () {
  this.timeout(120_000);
  const runs = new Map<Policy, { sum: RunSummary; loc: Locality }>();
  const get = (p: Policy) => runs.get(p)!;
  const load = (p: Policy) => get(p).sum.cluster!.handoffs;

  before(async () => {
    for (const p of POLICIES) {
      const out = tempOut(`dispatch-${p}`);
      const sum = await handoffRun(join(LABS, '02-dispatch', `${p}.json`), out);
      runs.set(p, { sum, loc: locality(out) });
    }
  });

  it('hands every request of the workload to a back end under each policy', () => {
    for (const p of POLICIES) {
      const { sum, loc } = get(p);
      expect(sum.workload, p).to.deep.include({ requestsDone: 60, requestsFailed: 0 });
      expect(sum.cluster, p).to.deep.include({ localServes: 0, failedHandoffs: 0 });
      expect(loc.handoffs, p).to.equal(60);
      // The tool's per-back-end counts (from the captures) agree with the FE's own counters.
      for (const [be, urls] of loc.perBackEnd) expect([...urls.values()].reduce((a, b) => a + b, 0), `${p} ${be}`).to.equal(load(p)[be]);
    }
  });

  it('keeps each partitioned prefix on its one back end under URL partition', () => {
    const per = get('url-partition').loc.perBackEnd;
    const owners = (prefix: string) => [...per].filter(([, urls]) => [...urls.keys()].some((u) => u.startsWith(prefix))).map(([be]) => be);
    expect(owners('/img/')).to.deep.equal(['be1']);
    expect(owners('/docs/')).to.deep.equal(['be2']);
    expect(owners('/data/')).to.deep.equal(['be3']);
  });

  it('sends every URL to exactly one back end under LARD, below its thresholds', () => {
    expect(get('lard').loc.backEndsPerUrl).to.equal(1);
    expect(get('lard').loc.spread).to.equal(0);
  });

  it('splits connections 2:1:1 by weight under weighted round-robin', () => {
    expect(load('weighted-rr')).to.deep.equal({ be1: 30, be2: 15, be3: 15 });
  });

  it('gives least-connections the same split as round-robin here: a connection counts until its TERMINATE, 3 s after it closed', () => {
    expect(load('least-conns')).to.deep.equal(load('weighted-rr'));
  });

  it('spreads URLs over more back ends under the load-only policies than under the content-aware ones', () => {
    for (const blind of ['weighted-rr', 'least-conns'] as const) {
      for (const aware of ['url-partition', 'lard'] as const) expect(get(blind).loc.backEndsPerUrl, `${blind} vs ${aware}`).to.be.greaterThan(get(aware).loc.backEndsPerUrl);
    }
  });

  it('balances load worst under URL partition: the partition follows the content, not the load', () => {
    const skew = (p: Policy) => {
      const l = load(p);
      const w: Record<string, number> = { be1: 2, be2: 1, be3: 1 };
      const per = Object.entries(l).map(([be, n]) => n / w[be]!);
      return Math.max(...per) / Math.min(...per);
    };
    for (const p of ['lard', 'weighted-rr', 'least-conns'] as const) expect(skew('url-partition'), p).to.be.greaterThan(skew(p));
  });
});
