/**
 * The network namespaces of live sessions: made, emptied and removed with `ip netns`, and found
 * again after a run that could not clean up (killed with SIGKILL, machine crash of the
 * supervisor).
 *
 * Ownership: a namespace is ours when its name is NS_PREFIX + the supervisor's pid. The
 * supervisor writes a marker (MARKER_DIR/<name>.json: pid and process start time) *before*
 * making the namespace and removes it only *after* deleting it, so a namespace of ours with no
 * marker, or whose marker names a process that no longer runs (or a later process that reused
 * the pid), is stale and any start may remove it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MARKER_DIR, NS_PREFIX, ownerPid } from './plan.ts';
import { delay, firstLine, LiveError, pidAlive, processStartTime, run, runOrFail, signal } from './sys.ts';

export interface Marker {
  ns: string;
  /** The supervisor. */
  pid: number;
  /** Its start time in clock ticks since boot (tells it from a process that reused its pid). */
  start: number;
  created: string;
}

export function markerPath(ns: string, dir = MARKER_DIR): string {
  return join(dir, `${ns}.json`);
}

export function writeMarker(m: Marker, dir = MARKER_DIR): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(markerPath(m.ns, dir), JSON.stringify(m) + '\n');
}

export function readMarker(ns: string, dir = MARKER_DIR): Marker | null {
  try {
    const m = JSON.parse(readFileSync(markerPath(ns, dir), 'utf8')) as Partial<Marker>;
    if (m.ns !== ns || typeof m.pid !== 'number' || typeof m.start !== 'number') return null;
    return m as Marker;
  } catch {
    return null;
  }
}

export function removeMarker(ns: string, dir = MARKER_DIR): void {
  rmSync(markerPath(ns, dir), { force: true });
}

/** A marker for the calling process. */
export function markerForSelf(ns: string): Marker {
  return { ns, pid: process.pid, start: processStartTime(process.pid) ?? -1, created: new Date().toISOString() };
}

/** Is the owner named in this marker still the process that wrote it? */
export function ownerAlive(m: Marker | null): boolean {
  if (m === null || !pidAlive(m.pid)) return false;
  return processStartTime(m.pid) === m.start;
}

/** Names of every namespace `ip netns` knows. */
export async function listNamespaces(): Promise<string[]> {
  const out = await runOrFail('listing network namespaces', 'ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** Pids of the processes in a namespace (none when it does not exist). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 1);
}

/**
 * Stop every process in the namespace: SIGTERM, then SIGKILL for what still runs after
 * `graceMs`. Bounded: a few rounds, then it reports what survived.
 */
export async function emptyNamespace(ns: string, graceMs = 1000): Promise<number[]> {
  let pids = await namespacePids(ns);
  if (pids.length === 0) return [];
  for (const p of pids) signal(p, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    await delay(50);
    pids = pids.filter(pidAlive);
    if (pids.length === 0) return [];
  }
  for (let round = 0; round < 5; round++) {
    for (const p of await namespacePids(ns)) signal(p, 'SIGKILL');
    await delay(50);
    pids = await namespacePids(ns);
    if (pids.length === 0) return [];
  }
  return pids;
}

/**
 * Make the namespace with its loopback up; the marker is written first. On failure nothing of
 * it is left: the marker and any half-made namespace are removed before the error is thrown.
 */
export async function createNamespace(ns: string, markerDir = MARKER_DIR): Promise<void> {
  try {
    writeMarker(markerForSelf(ns), markerDir);
  } catch (err) {
    throw new LiveError(`cannot write ${markerPath(ns, markerDir)}: ${(err as Error).message}`);
  }
  const add = await run('ip', ['netns', 'add', ns]);
  if (add.code !== 0) {
    removeMarker(ns, markerDir);
    throw new LiveError(`cannot make network namespace ${ns}: ${firstLine(add.stderr) || `ip exited with ${add.code}`}`);
  }
  const lo = await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  if (lo.code !== 0) {
    await destroyNamespace(ns, markerDir);
    throw new LiveError(`cannot bring up loopback in ${ns}: ${firstLine(lo.stderr)}`);
  }
}

/** Empty and delete the namespace, then remove its marker. Safe to call twice. */
export async function destroyNamespace(ns: string, markerDir = MARKER_DIR): Promise<{ survivors: number[] }> {
  const survivors = await emptyNamespace(ns);
  const del = await run('ip', ['netns', 'del', ns]);
  const gone = del.code === 0 || !(await listNamespaces().catch(() => [ns])).includes(ns);
  if (gone) removeMarker(ns, markerDir);
  return { survivors };
}

export interface StaleEntry {
  ns: string;
  reason: string;
}

/** Namespaces (and markers) of ours whose owner is gone. */
export async function findStale(markerDir = MARKER_DIR): Promise<StaleEntry[]> {
  const out: StaleEntry[] = [];
  const names = new Set((await listNamespaces()).filter((n) => ownerPid(n) !== null));
  for (const ns of names) {
    const m = readMarker(ns, markerDir);
    if (m === null) out.push({ ns, reason: 'no marker' });
    else if (!ownerAlive(m)) out.push({ ns, reason: `owner ${m.pid} is gone` });
  }
  // Markers whose namespace is already gone: leftovers of a teardown cut short.
  let files: string[] = [];
  try {
    files = readdirSync(markerDir);
  } catch {
    // no marker directory yet
  }
  for (const f of files) {
    if (!f.startsWith(NS_PREFIX) || !f.endsWith('.json')) continue;
    const ns = f.slice(0, -'.json'.length);
    if (names.has(ns)) continue;
    if (!ownerAlive(readMarker(ns, markerDir))) out.push({ ns, reason: 'marker without namespace' });
  }
  return out;
}

/** Remove every stale namespace of ours; returns what was removed. */
export async function removeStale(markerDir = MARKER_DIR): Promise<StaleEntry[]> {
  const stale = await findStale(markerDir);
  for (const s of stale) await destroyNamespace(s.ns, markerDir);
  return stale;
}
