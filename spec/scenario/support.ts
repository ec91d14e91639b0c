/** A small valid scenario the scenario and CLI specs change one thing in, and helpers. */
import { builtinRegistry } from '../../harness/scenario/builtins.ts';
import { formatDiagnostics, loadScenarioDoc, type LoadResult } from '../../harness/scenario/load.ts';
import type { Scenario } from '../../harness/scenario/model.ts';
import type { ScenarioDoc } from '../../harness/scenario/types.ts';

/** client1 -- public -- router -- lan -- fe (VIP 203.0.113.10), be1. hosts[2] is fe. */
export function smallDoc(): ScenarioDoc {
  return {
    seed: 1,
    networks: [
      { name: 'public', prefix: '198.51.100.0/24', link: { latency: '2ms' } },
      { name: 'lan', prefix: '192.0.2.0/24', link: { latency: '50us' } },
    ],
    hosts: [
      { name: 'client1', links: [{ network: 'public', address: '198.51.100.10/24' }], routes: [{ to: 'default', via: '198.51.100.1' }] },
      {
        name: 'router',
        router: true,
        links: [
          { network: 'public', address: '198.51.100.1/24' },
          { network: 'lan', address: '192.0.2.1/24' },
        ],
        routes: [{ to: '203.0.113.10/32', via: '192.0.2.10' }],
        stack: { tcp: false },
      },
      { name: 'fe', links: [{ network: 'lan', address: '192.0.2.10/24', aliases: ['203.0.113.10/32'] }], routes: [{ to: 'default', via: '192.0.2.1' }] },
      { name: 'be1', links: [{ network: 'lan', address: '192.0.2.11/24' }], routes: [{ to: 'default', via: '192.0.2.1' }] },
    ],
    cluster: { vip: '203.0.113.10', frontEnd: 'fe', backEnds: ['be1'] },
    apps: { servers: [{ host: 'fe' }, { host: 'be1' }], clients: [{ host: 'client1', target: '203.0.113.10:80' }] },
  };
}

/** The same, without TCP anywhere (what runs to the end in this build). */
export function ipOnlyDoc(): ScenarioDoc {
  const d = smallDoc();
  delete d.cluster;
  delete d.apps;
  for (const h of d.hosts) h.stack = { ...h.stack, tcp: false };
  return d;
}

export function load(doc: unknown, baseDir = process.cwd()): LoadResult {
  return loadScenarioDoc(doc, 'scenario.json', baseDir, { registry: builtinRegistry() });
}

export function loaded(doc: unknown, baseDir = process.cwd()): Scenario {
  const r = load(doc, baseDir);
  if (!r.ok) throw new Error(formatDiagnostics('scenario.json', r.diagnostics).join('\n'));
  return r.scenario;
}

/** The error lines for a document changed by `change`. */
export function problems(change: (d: ScenarioDoc) => void): string[] {
  const d = smallDoc();
  change(d);
  const r = load(d);
  return r.ok ? [] : formatDiagnostics('scenario.json', r.diagnostics.filter((x) => x.severity === 'error'));
}
