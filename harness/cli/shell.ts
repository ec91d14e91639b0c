/**
 * `handoff shell [scenario.json] [--seed N] [--push HOST:PLACE:MODULE[@TIME]]... [--workload]`:
 * an interactive shell over a live emulation (the embedded default cluster without a file). It
 * reads commands from stdin: typed at a terminal (with a prompt), or piped, which makes it
 * scriptable and testable. The servers and the cluster start; the scenario's clients only with
 * --workload (otherwise requests are the user's, with `request`). A failed command prints one
 * `error:` line and the shell goes on; the exit status is 1 if any command failed, 0 otherwise.
 */
import { createInterface } from 'node:readline';
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { builtinRegistry } from '../scenario/builtins.ts';
import { checkExtraModules } from '../scenario/checks.ts';
import { defaultScenarioDoc } from '../scenario/default.ts';
import { checkContext, formatDiagnostics, loadScenarioDoc, loadScenarioFile, type LoadResult } from '../scenario/load.ts';
import type { ModuleAction } from '../scenario/model.ts';
import type { ScenarioPlugins } from '../scenario/plugins.ts';
import { parsePushFlag } from '../scenario/push-flag.ts';
import { ScenarioRuntimeError } from '../scenario/schedule.ts';
import { runLine } from '../scenario/shell/interp.ts';
import { Session } from '../scenario/shell/session.ts';
import '../scenario/installed.ts';

export interface ShellIo {
  out(text: string): void;
  err(text: string): void;
  /** The command lines. */
  lines(): AsyncIterable<string>;
  /** A person at a terminal: show a prompt and a greeting. */
  interactive: boolean;
  plugins?: ScenarioPlugins;
}

const USAGE = 'usage: handoff shell [scenario.json] [--seed N] [--push HOST:PLACE:MODULE[@TIME]]... [--workload]';

export function makeShellCommand(io: ShellIo): Command {
  return {
    name: 'shell',
    summary: 'interactive shell over a live emulation (default cluster, or a scenario file); scriptable on stdin',
    async run(argv) {
      let file: string | undefined;
      let seed: number | string | undefined;
      let workload = false;
      const extra: ModuleAction[] = [];
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === '--workload') {
          workload = true;
        } else if (a === '--seed' || a === '--push') {
          const v = argv[++i];
          if (v === undefined) throw new CliError(`${a} needs a value\n${USAGE}`, 2);
          if (a === '--seed') seed = /^\d+$/.test(v) ? Number(v) : v;
          else {
            const p = parsePushFlag(v);
            if (!p.ok) throw new CliError(p.error, 2);
            extra.push(p.action);
          }
        } else if (a.startsWith('-')) {
          throw new CliError(`unknown option '${a}'\n${USAGE}`, 2);
        } else if (file === undefined) {
          file = a;
        } else {
          throw new CliError(`one scenario file at most\n${USAGE}`, 2);
        }
      }
      const registry = builtinRegistry();
      const amend = (doc: Record<string, unknown>): void => {
        if (seed !== undefined) doc.seed = seed;
      };
      const source = file ?? 'default cluster';
      const loaded: LoadResult =
        file === undefined ? loadScenarioDoc(defaultScenarioDoc(), source, process.cwd(), { registry, amend }) : loadScenarioFile(file, { registry, amend });
      if (!loaded.ok) {
        for (const line of formatDiagnostics(source, loaded.diagnostics)) io.err(`${line}\n`);
        return 1;
      }
      const extraDiags = checkExtraModules(loaded.scenario, extra, checkContext(registry));
      for (const d of [...loaded.warnings, ...extraDiags]) io.err(`${formatDiagnostics(source, [d])[0]}\n`);
      if (extraDiags.some((d) => d.severity === 'error')) return 1;

      let session: Session;
      try {
        session = await Session.open(loaded.scenario, (l) => io.out(`${l}\n`), { plugins: io.plugins, extraModules: extra, clients: workload });
      } catch (e) {
        if (e instanceof ScenarioRuntimeError) throw new CliError(`${source}: ${e.ptr}: ${e.message}`);
        throw e;
      }
      if (io.interactive) io.out(`handoff shell: ${loaded.scenario.name}, ${session.world.hosts.size} hosts; type 'help' for the commands\n`);
      for (const n of session.built.notices) io.out(`note: ${n}\n`);
      let errors = 0;
      if (io.interactive) io.out('handoff> ');
      for await (const line of io.lines()) {
        const r = await runLine(session, line);
        if (r === 'quit') break;
        if (r === 'error') errors++;
        if (io.interactive) io.out('handoff> ');
      }
      if (io.interactive) io.out('\n');
      return errors === 0 ? 0 : 1;
    },
  };
}

export const shellCommand: Command = makeShellCommand({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  lines: () => createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false }),
  interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
});
