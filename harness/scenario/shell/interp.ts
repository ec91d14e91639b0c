/**
 * Running one shell line: split it, find the command (with a "did you mean" for typos), run
 * it, and turn any failure into one `error: ...` line. Returns 'quit' for quit/exit, 'error'
 * when the line failed, 'ok' otherwise; the shell's exit status counts the errors.
 */
import { didYouMean } from '../messages.ts';
import { ScenarioRuntimeError } from '../schedule.ts';
import { commands } from './commands.ts';
import { ShellError, type Session } from './session.ts';
import { splitWords } from './words.ts';

export type LineResult = 'ok' | 'error' | 'quit';

export async function runLine(s: Session, line: string): Promise<LineResult> {
  const split = splitWords(line);
  if (!split.ok) {
    s.print(`error: ${split.error}`);
    return 'error';
  }
  const [name, ...args] = split.words;
  if (name === undefined) return 'ok';
  if (name === 'exit' || name === 'quit') return 'quit';
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    const g = didYouMean(name, commands.map((c) => c.name));
    s.print(`error: unknown command '${name}'${g ? ` (did you mean '${g}'?)` : ''}; type 'help' for the list`);
    return 'error';
  }
  try {
    await cmd.run(s, args);
    return 'ok';
  } catch (e) {
    if (e instanceof ShellError) s.print(`error: ${e.message}`);
    else if (e instanceof ScenarioRuntimeError) s.print(`error: ${e.ptr}: ${e.message}`);
    else s.print(`error: ${name}: ${(e as Error).message}`);
    return 'error';
  }
}
