/**
 * Running the system's tools (ip, socat) and looking at processes, always with a time bound:
 * a live session must never hang on a tool that hangs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A failure meant for the user: one line, no stack trace. */
export class LiveError extends Error {
  override name = 'LiveError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program (no shell), at most `timeoutMs`; a missing program is code 127. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (e.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${cmd}: not found` });
      if (e.killed) return resolve({ code: 124, stdout, stderr: `${cmd} ${args.join(' ')}: no answer within ${timeoutMs} ms` });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr: stderr || e.message });
    });
  });
}

/** Run, and turn a failure into a one-line LiveError that says what was being done. */
export async function runOrFail(what: string, cmd: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new LiveError(`${what}: ${firstLine(r.stderr) || `${cmd} exited with ${r.code}`}`);
  return r.stdout;
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** Is a process alive? (EPERM means it exists but is not ours: alive.) */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), which tells a
 * live process from a later one that reused its pid. Null when there is no such process.
 */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : null;
}

/** Send a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
