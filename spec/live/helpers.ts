/** Running `handoff live` as a user would, and looking at what it leaves behind. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markerPath } from '../../harness/live/netns.ts';

export const BIN = fileURLToPath(new URL('../../harness/cli/bin.mjs', import.meta.url));

export interface LiveProc {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit status (128+n for signal n). */
  exited: Promise<number>;
  /** The namespace named in the banner, once it printed. */
  waitUp(ms?: number): Promise<string>;
}

const SIGNUM: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** `detached` puts the supervisor in a process group of its own (to kill the whole group). */
export function live(args: string[], opts: { uid?: number; env?: NodeJS.ProcessEnv; detached?: boolean } = {}): LiveProc {
  const proc = spawn(process.execPath, [BIN, 'live', ...args], { stdio: ['ignore', 'pipe', 'pipe'], uid: opts.uid, env: opts.env ?? process.env, detached: opts.detached });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? 128 + (SIGNUM[sig ?? ''] ?? 0))));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitUp(ms = 30_000) {
      let ns: string | undefined;
      await until(() => {
        ns = /up in namespace (\S+)/.exec(out + err)?.[1];
        return ns !== undefined || proc.exitCode !== null;
      }, ms);
      if (ns === undefined) throw new Error(`live did not come up:\n${out}${err}`);
      return ns;
    },
  };
}

/** Run a program inside the namespace (bounded). */
export function inNs(ns: string, args: string[], timeoutMs = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 24 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Poll `cond` every 50 ms for at most `ms` (a bound on waiting for another process). */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n !== '');
}

export function pidsIn(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map(Number);
  } catch {
    return [];
  }
}

export function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Nothing of the session is left: namespace, marker, processes. */
export function gone(ns: string, pids: number[]): boolean {
  return !namespaces().includes(ns) && !existsSync(markerPath(ns)) && pids.every((p) => !alive(p));
}
