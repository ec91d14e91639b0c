/**
 * `handoff` command dispatcher. Each sub-command lives in its own file and exports a
 * `Command`; errors are one clear line on stderr and a non-zero exit.
 */
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { benchCommand } from './bench.ts';
import { contentCommand } from './content.ts';
import { conformanceCommand } from './conformance.ts';
import { liveCommand } from './live.ts';
import { demoCommand } from './demo.ts';
import { runCommand } from './run.ts';
import { shellCommand } from './shell.ts';
import { modulesCommand } from './modules.ts';

const commands: Command[] = [demoCommand, runCommand, shellCommand, modulesCommand, benchCommand, contentCommand, conformanceCommand, liveCommand];

function usage(): string {
  const lines = ['usage: handoff <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`handoff: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`handoff ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
