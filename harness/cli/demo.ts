/**
 * `handoff demo [--out DIR] [--seed N]`: no set-up. Runs the embedded default cluster's
 * workload (harness/scenario/default.ts), prints a summary table and writes DIR (default out/):
 * a pcap per interface, the trace, the report.
 *
 * It reports only what happened: handoffs come from the cluster plug-in's counters, local
 * serves from the front end's; without the handoff modules the front end serves everything
 * and the table says so. Without TCP and sockets there is no workload to run, and the demo
 * says that and exits 1 rather than show empty numbers.
 */
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { progressLine, type ProgressSink } from './progress.ts';
import { describeEnd } from './run.ts';
import { builtinRegistry } from '../scenario/builtins.ts';
import { NO_APPS_NOTICE, NO_TCP_NOTICE } from '../scenario/build.ts';
import { defaultScenarioDoc } from '../scenario/default.ts';
import { formatDiagnostics, loadScenarioDoc } from '../scenario/load.ts';
import { OutputDir } from '../scenario/output.ts';
import { scenarioPlugins, type ScenarioPlugins } from '../scenario/plugins.ts';
import { runScenario } from '../scenario/run.ts';
import type { RunSummary } from '../scenario/summary.ts';
import { bytes } from '../report/text.ts';
import '../scenario/installed.ts';

export interface DemoIo {
  out(text: string): void;
  err(text: string): void;
  progress: ProgressSink;
  plugins?: ScenarioPlugins;
}

/** The demo's table: one figure per line, only numbers the run produced. */
export function summaryTable(sum: RunSummary): string {
  const rows: [string, string][] = [];
  const w = sum.workload;
  if (w !== null) {
    rows.push(['requests', `${w.requestsStarted} (${w.requestsDone} done, ${w.requestsFailed} failed)`]);
  }
  const c = sum.cluster;
  if (c !== null) {
    const per = Object.entries(c.handoffs);
    rows.push(['handoffs', `${per.length === 0 ? '0' : per.map(([h, n]) => `${h} ${n}`).join(', ')} (connections)`]);
    rows.push(['local serves', `${c.localServes} (connections the front end kept)`]);
    if (c.failedHandoffs > 0) rows.push(['failed handoffs', String(c.failedHandoffs)]);
  } else {
    rows.push(['handoffs', 'none: the handoff cluster is not set up in this build']);
    const fe = sum.hosts.find((h) => h.role === 'front-end');
    if (w !== null && fe !== undefined) rows.push(['local serves', `${w.served[fe.name] ?? 0} (every request the front end answered)`]);
  }
  if (w !== null) {
    const served = Object.entries(w.served).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    rows.push(['answered by', `${served.map(([h, n]) => `${h} ${n}`).join(', ') || '-'} (requests)`]);
    rows.push(['bytes', bytes(w.bytes)]);
  }
  rows.push(['virtual time', sum.virtualTimeText], ['events', sum.events.toLocaleString('en-US')], ['CPU time', `${(sum.cpuMs / 1000).toFixed(2)} s`], ['ended', describeEnd(sum)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

export function makeDemoCommand(io: DemoIo): Command {
  return {
    name: 'demo',
    summary: 'run the default cluster (client, router, FE, three BEs) with a mixed workload; table + out/',
    async run(argv) {
      let outDir = 'out';
      let seed: number | undefined;
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        const v = argv[i + 1];
        if ((a === '--out' || a === '--seed') && v === undefined) throw new CliError(`${a} needs a value`, 2);
        if (a === '--out') outDir = argv[++i]!;
        else if (a === '--seed') {
          seed = Number(argv[++i]);
          if (!Number.isInteger(seed) || seed < 0) throw new CliError(`--seed needs an integer >= 0, not ${v}`, 2);
        } else throw new CliError(`unknown option '${a}'\nusage: handoff demo [--out DIR] [--seed N]`, 2);
      }
      const plugins = io.plugins ?? scenarioPlugins();
      if (plugins.tcp === undefined || plugins.apps === undefined) {
        io.err(`handoff demo: ${plugins.tcp === undefined ? NO_TCP_NOTICE : NO_APPS_NOTICE}.\n`);
        io.err('The demo runs a web workload, so it waits for them. Meanwhile: `handoff shell` explores the default cluster (IP only), `handoff modules` lists the modules, `handoff run FILE` runs a scenario.\n');
        return 1;
      }
      const registry = builtinRegistry();
      const loaded = loadScenarioDoc(defaultScenarioDoc(seed === undefined ? {} : { seed }), 'default cluster', process.cwd(), { registry });
      if (!loaded.ok) throw new CliError(`the default scenario is invalid: ${formatDiagnostics('default', loaded.diagnostics).join('; ')}`);
      const out = new OutputDir(outDir);
      const bar = progressLine(io.progress);
      try {
        const r = await runScenario(loaded.scenario, { out, registry, plugins, progress: (p) => bar.update(p) });
        bar.done();
        out.commit();
        io.out(`handoff demo: the default cluster (client1, router, fe owning ${r.summary.vip}, be1-be3), seed ${r.summary.seed}\n`);
        for (const n of r.summary.notices) io.out(`note: ${n}\n`);
        io.out(summaryTable(r.summary));
        io.out(`wrote ${outDir}/: a pcap per interface, trace.jsonl, report.html, report.md, summary.json\n`);
        return 0;
      } catch (e) {
        bar.done();
        out.abort();
        throw e;
      }
    },
  };
}

export const demoCommand: Command = makeDemoCommand({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: process.stderr,
});
