/**
 * Lab 2 (docs/labs/02-dispatch): the same workload under four dispatch policies, run through
 * `handoff run`, compared with the lab's locality tool — the observations the lab asks for.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
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

  it('gives the figures of the table in the lab text', () => {
    const row = (p: Policy) => {
      const l = get(p).loc;
      return [load(p).be1, load(p).be2, load(p).be3, ...['be1', 'be2', 'be3'].map((b) => l.perBackEnd.get(b)?.size ?? 0), l.spread, Number(l.backEndsPerUrl.toFixed(2))];
    };
    expect(row('url-partition')).to.deep.equal([21, 28, 11, 6, 7, 3, 2, 1.14]);
    expect(row('lard')).to.deep.equal([25, 22, 13, 7, 4, 3, 0, 1]);
    expect(row('weighted-rr')).to.deep.equal([30, 15, 15, 11, 7, 8, 8, 1.86]);
    expect(row('least-conns')).to.deep.equal([30, 15, 15, 14, 9, 7, 11, 2.14]);
  });

  it('loses LARD its locality when its thresholds are below the load the FE counts (step 5)', async () => {
    const doc = JSON.parse(readFileSync(join(LABS, '02-dispatch', 'lard.json'), 'utf8')) as { cluster: { policy: unknown } };
    doc.cluster.policy = { policy: 'lard', tLow: 2, tHigh: 4 };
    const out = tempOut('dispatch-lard-low');
    const file = join(out, '..', 'lard-low.json');
    writeFileSync(file, JSON.stringify(doc));
    const sum = await handoffRun(file, out);
    const loc = locality(out);
    expect(sum.cluster!.handoffs).to.deep.equal({ be1: 30, be2: 15, be3: 15 });
    expect(loc.spread).to.equal(8);
    expect(Number(loc.backEndsPerUrl.toFixed(2))).to.equal(1.93);
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
