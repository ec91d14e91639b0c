/**
 * Writing a run's captures and trace to disk (the harness owns files; lib and modules never
 * touch them). Each file is written under a temporary name and renamed into place, so a crash
 * never leaves a half-written pcap that looks complete.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { World } from './world.ts';

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** One pcap per interface, "<host>.<ifname>.pcap" in dir. Returns the paths written. */
export function writeCaptures(world: World, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const c of world.captures()) {
    const p = join(dir, `${c.name}.pcap`);
    writeAtomic(p, c.pcap);
    paths.push(p);
  }
  return paths;
}

/** The JSON-lines trace to `path`. */
export function writeTrace(world: World, path: string): void {
  writeAtomic(path, world.jsonl.text());
}
