/** Running CLI commands in-process with their output captured. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../../harness/cli/command.ts';
import { CliError } from '../../harness/cli/command.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export interface Captured {
  out(text: string): void;
  err(text: string): void;
  progress: { isTTY: boolean; write(s: string): boolean };
  result(code: number): CliResult;
}

export function capture(): Captured {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    progress: { isTTY: false, write: () => true },
    result: (code) => ({ code, out, err }),
  };
}

/** Run a command as main.ts would: a CliError becomes "handoff NAME: message" and its code. */
export async function runCommand(cmd: Command, argv: string[], io: Captured): Promise<CliResult> {
  try {
    return io.result(await cmd.run(argv));
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.err(`handoff ${cmd.name}: ${e.message}\n`);
    return io.result(e.exitCode);
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'handoff-cli-'));
}

/** Write a scenario file (an object as JSON, a string as is) and return its path. */
export function scenarioFile(dir: string, name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
}
