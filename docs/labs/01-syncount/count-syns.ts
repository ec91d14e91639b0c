/**
 * Lab 1 helper: run a scenario the way `handoff run` does (same loader, same --push parser,
 * same runScenario, same output directory), then read the counts of every module that was
 * pushed and is still in place, and print them. The modules must answer like syncount
 * (modules/examples/syncount.ts): SYNCOUNT_GET, and SYNCOUNT_ASK for the tcp-lower place.
 *
 *   npx tsx docs/labs/01-syncount/count-syns.ts SCENARIO.json [--out DIR] [--seed N]
 *       [--push HOST:PLACE:MODULE[@TIME]]...
 *
 * Why a script: it reads the modules after a whole run (the shell's `ioctl` command asks the same
 * way, in a live emulation), and a stream linked under a
 * multiplexor (tcp-lower, eth0) takes no ioctls of its own. The counts are read as a user
 * program would read them:
 *   - at an interface place: IP_IOC_IFIOCTL, which IP relays down that interface's stream
 *     (the ioctl passes the modules there on its way to the driver);
 *   - at tcp-lower: a new TCP stream with syncount pushed on it asks with SYNCOUNT_ASK, which
 *     the module turns into an M_CTL that TCP passes down, and TCP passes the answer back up
 *     to the streams subscribed with TCP_IOC_CTL_SUBSCRIBE.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Stream } from '../../../lib/streams/index.ts';
import { SYNCOUNT_ASK, SYNCOUNT_GET, type SynCounts } from '../../../modules/examples/syncount.ts';
import { IP_IOC_IFIOCTL } from '../../../modules/ip/ioctl.ts';
import { TCP_IOC_CTL_SUBSCRIBE } from '../../../modules/tcp/driver/ioctl.ts';
import { loadedModuleName, type BuiltScenario } from '../../../harness/scenario/build.ts';
import { builtinRegistry } from '../../../harness/scenario/builtins.ts';
import { formatDiagnostics, loadScenarioFile } from '../../../harness/scenario/load.ts';
import type { ModuleAction } from '../../../harness/scenario/model.ts';
import { OutputDir } from '../../../harness/scenario/output.ts';
import { parsePushFlag } from '../../../harness/scenario/push-flag.ts';
import { runScenario } from '../../../harness/scenario/run.ts';
import type { RunSummary } from '../../../harness/scenario/summary.ts';
import '../../../harness/scenario/installed.ts';

export interface SynReading {
  host: string;
  at: string;
  /** The module's name (its module_info name; a file's own choice). */
  module: string;
  counts: SynCounts;
}

export interface CountRun {
  summary: RunSummary;
  readings: SynReading[];
}

/** Read the counts of the syncount module at `at` ("tcp-lower", "eth0" or a network name) on `host`. */
export function readSynCounts(built: BuiltScenario, host: string, at: string, module = 'syncount'): SynCounts {
  const h = built.world.getHost(host);
  if (at === 'tcp-lower') return askThroughTcp(h.stack.env.open('tcp', { clone: true, label: 'syncount-reader', autopush: false }), module);
  const ifname = h.interfaces.some((i) => i.name === at) ? at : built.world.iface(host, at).name;
  return answer(h.stack.ip.ioctlSync(IP_IOC_IFIOCTL, { ifname, cmd: SYNCOUNT_GET }), `${host} ${at}`);
}

function askThroughTcp(st: Stream, module: string): SynCounts {
  try {
    st.push(module);
    answer(st.ioctlSync(TCP_IOC_CTL_SUBSCRIBE, true), 'subscribe');
    return answer(st.ioctlSync(SYNCOUNT_ASK, null), 'SYNCOUNT_ASK');
  } finally {
    st.close();
  }
}

function answer(r: { ok: true; data: unknown } | { ok: false; error: number }, what: string): SynCounts {
  if (!r.ok) throw new Error(`${what}: refused with errno ${r.error} (is syncount there?)`);
  return r.data as SynCounts;
}

/** Load, push, run and read, as `handoff run` would; writes `outDir` when given. */
export async function countSyns(file: string, opts: { pushes?: string[]; outDir?: string; seed?: number; cwd?: string } = {}): Promise<CountRun> {
  const registry = builtinRegistry();
  const loaded = loadScenarioFile(file, {
    registry,
    amend: (doc) => {
      if (opts.seed !== undefined) doc.seed = opts.seed;
    },
  });
  if (!loaded.ok) throw new Error(formatDiagnostics(file, loaded.diagnostics).join('\n'));
  const extra: ModuleAction[] = [];
  for (const f of opts.pushes ?? []) {
    const p = parsePushFlag(f, opts.cwd ?? process.cwd(), 'push');
    if (!p.ok) throw new Error(p.error);
    extra.push(p.action);
  }
  const out = opts.outDir === undefined ? null : new OutputDir(opts.outDir);
  try {
    const r = await runScenario(loaded.scenario, { out, registry, extraModules: extra });
    const readings: SynReading[] = [];
    const seen = new Set<string>();
    for (const a of [...loaded.scenario.hosts.flatMap((h) => h.modules), ...extra]) {
      const key = `${a.host} ${a.at}`;
      // Registered modules (counter, tee...) do not answer SYNCOUNT: only files are read.
      if (!a.isFile) continue;
      const name = loadedModuleName(r.built.registry, a.module);
      if (a.action !== 'push' || name === undefined || seen.has(key) || !r.built.place(a.host, a.at).modules().includes(name)) continue;
      seen.add(key);
      readings.push({ host: a.host, at: a.at, module: name, counts: readSynCounts(r.built, a.host, a.at, name) });
    }
    out?.commit();
    return { summary: r.summary, readings };
  } catch (e) {
    out?.abort();
    throw e;
  }
}

async function main(argv: string[]): Promise<void> {
  const pushes: string[] = [];
  let file: string | undefined;
  let outDir: string | undefined;
  let seed: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--push') pushes.push(argv[++i] ?? '');
    else if (a === '--out') outDir = argv[++i];
    else if (a === '--seed') seed = Number(argv[++i]);
    else file = a;
  }
  if (file === undefined) throw new Error('usage: count-syns.ts SCENARIO.json [--out DIR] [--seed N] [--push HOST:PLACE:MODULE[@TIME]]...');
  const r = await countSyns(file, { pushes, outDir, seed });
  console.log(`${file}: ${r.summary.scenario}, ran ${r.summary.virtualTimeText}; handoffs ${JSON.stringify(r.summary.cluster?.handoffs ?? {})}`);
  if (r.readings.length === 0) console.log('no syncount module in place at the end of the run');
  for (const x of r.readings) {
    const c = x.counts;
    console.log(`${x.host} ${x.at}${x.module === 'syncount' ? '' : ` (${x.module})`}: in (up)  SYN ${c.synIn}  SYN/ACK ${c.synAckIn}  RST ${c.rstIn} | out (down)  SYN ${c.synOut}  SYN/ACK ${c.synAckOut}  RST ${c.rstOut}`);
  }
  if (outDir !== undefined) console.log(`wrote ${outDir}/`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
