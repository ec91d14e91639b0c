/**
 * `handoff run <scenario.json> [--out DIR] [--seed N] [--push HOST:PLACE:MODULE[@TIME]]...
 *  [--pop HOST:PLACE:MODULE[@TIME]]... [--conn N|ADDR:PORT]`
 *
 * Loads and checks the scenario (every problem one line: `file: /json/path: expected ...,
 * found ...`), runs it, and writes pcaps, the trace, summary.json and the report into DIR
 * (default out/), all or nothing. Exit status: 0 done, 1 bad scenario or failed run, 2 bad
 * arguments.
 */
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { progressLine, type ProgressSink } from './progress.ts';
import { builtinRegistry } from '../scenario/builtins.ts';
import { checkContext, formatDiagnostics, loadScenarioFile } from '../scenario/load.ts';
import { checkExtraModules } from '../scenario/checks.ts';
import type { ModuleAction } from '../scenario/model.ts';
import { OutputDir } from '../scenario/output.ts';
import type { ScenarioPlugins } from '../scenario/plugins.ts';
import { parsePushFlag } from '../scenario/push-flag.ts';
import { runScenario } from '../scenario/run.ts';
import { ScenarioRuntimeError } from '../scenario/schedule.ts';
import type { RunSummary } from '../scenario/summary.ts';
import '../scenario/installed.ts';

export interface RunIo {
  out(text: string): void;
  err(text: string): void;
  /** Where the progress line goes (a TTY gets one; anything else stays quiet). */
  progress: ProgressSink;
  /** Plug-ins (default: those installed in this process). */
  plugins?: ScenarioPlugins;
}

export const RUN_USAGE = 'usage: handoff run <scenario.json> [--out DIR] [--seed N] [--push HOST:PLACE:MODULE[@TIME]]... [--pop ...] [--conn N]';

interface RunArgs {
  file: string;
  outDir: string;
  seed: number | string | undefined;
  pushes: string[];
  pops: string[];
  conn: string | undefined;
}

function parseArgs(argv: string[]): RunArgs {
  const a: RunArgs = { file: '', outDir: 'out', seed: undefined, pushes: [], pops: [], conn: undefined };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new CliError(`${flag} needs a value\n${RUN_USAGE}`, 2);
      return v;
    };
    switch (flag) {
      case '--out':
      case '-o':
        a.outDir = value();
        break;
      case '--seed': {
        const v = value();
        a.seed = /^\d+$/.test(v) ? Number(v) : v;
        break;
      }
      case '--push':
        a.pushes.push(value());
        break;
      case '--pop':
        a.pops.push(value());
        break;
      case '--conn':
        a.conn = value();
        break;
      default:
        if (arg.startsWith('-')) throw new CliError(`unknown option '${arg}'\n${RUN_USAGE}`, 2);
        files.push(arg);
    }
  }
  if (files.length !== 1) throw new CliError(files.length === 0 ? RUN_USAGE : `one scenario file, not ${files.length}\n${RUN_USAGE}`, 2);
  a.file = files[0]!;
  return a;
}

/** "12.3 ms" / "4.56 s" */
function human(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`;
}

export function describeEnd(sum: RunSummary): string {
  return { idle: 'nothing left to do', time: 'reached its end time', done: 'workload done', events: 'event cap reached' }[sum.end];
}

export function makeRunCommand(io: RunIo): Command {
  return {
    name: 'run',
    summary: 'run a scenario file: pcaps, trace, report into --out DIR (default out/); --seed N, --push HOST:PLACE:MODULE',
    async run(argv) {
      const args = parseArgs(argv);
      const registry = builtinRegistry();
      const loaded = loadScenarioFile(args.file, {
        registry,
        amend: (doc) => {
          if (args.seed !== undefined) doc.seed = args.seed;
        },
      });
      if (!loaded.ok) {
        for (const line of formatDiagnostics(args.file, loaded.diagnostics)) io.err(`${line}\n`);
        return 1;
      }
      const s = loaded.scenario;
      const extra: ModuleAction[] = [];
      for (const [flags, kind] of [
        [args.pushes, 'push'],
        [args.pops, 'pop'],
      ] as const) {
        for (const f of flags) {
          const p = parsePushFlag(f, process.cwd(), kind);
          if (!p.ok) throw new CliError(p.error, 2);
          extra.push(p.action);
        }
      }
      const extraDiags = checkExtraModules(s, extra, checkContext(registry));
      const diags = [...loaded.warnings, ...extraDiags];
      for (const d of diags) {
        io.err(d.path.startsWith('--') ? `handoff run: ${d.path}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}\n` : `${formatDiagnostics(args.file, [d])[0]}\n`);
      }
      if (extraDiags.some((d) => d.severity === 'error')) return 1;

      const out = new OutputDir(args.outDir);
      const onSigint = (): void => {
        out.abort();
        process.exit(130);
      };
      process.once('SIGINT', onSigint);
      const bar = progressLine(io.progress);
      try {
        const r = await runScenario(s, { out, registry, plugins: io.plugins, extraModules: extra, conn: args.conn, progress: (p) => bar.update(p) });
        bar.done();
        out.commit();
        const sum = r.summary;
        io.out(`${args.file}: ${sum.scenario} (seed ${sum.seed})\n`);
        for (const n of sum.notices) io.out(`note: ${n}\n`);
        io.out(`ran ${sum.virtualTimeText} of virtual time in ${sum.events.toLocaleString('en-US')} events (CPU ${human(sum.cpuMs)}, wall ${human(sum.wallMs)}); ${describeEnd(sum)}\n`);
        const pcaps = sum.interfaces.filter((i) => i.pcap !== null).length;
        io.out(`wrote ${args.outDir}/: ${pcaps} pcap${pcaps === 1 ? '' : 's'}, ${sum.trace.file === null ? 'no trace' : `trace.jsonl (${sum.trace.lines.toLocaleString('en-US')} lines)`}, report.html, report.md, summary.json\n`);
        return 0;
      } catch (e) {
        bar.done();
        out.abort();
        if (e instanceof ScenarioRuntimeError) throw new CliError(`${e.ptr.startsWith('--') ? e.ptr : `${args.file}: ${e.ptr}`}: ${e.message}`);
        throw e;
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    },
  };
}

export const runCommand: Command = makeRunCommand({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: process.stderr,
});
