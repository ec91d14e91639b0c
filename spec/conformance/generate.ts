/**
 * Writes the systematic part of the suite (spec/conformance/gen/ holds the families), one file
 * per case, for each profile. Run it after changing a family:
 *
 *   npx tsx spec/conformance/generate.ts
 *
 * The files are committed like hand-written ones and start with a header that says they are
 * generated; before writing, every file with that header is removed, so a case taken out of a
 * family disappears too. Hand-written scripts are never touched.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEADER, PROFILES, type GeneratedScript } from './gen/profile.ts';
import { synchronizedStates } from './gen/synchronized.ts';
import { closedState, listenState, synReceivedCommon, synReceivedRst, synSentState } from './gen/opening.ts';
import { mssFamily, synAckOptions, synOptions } from './gen/options.ts';

const here = dirname(fileURLToPath(import.meta.url));

function generatedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...generatedFiles(p));
    else if (e.name.endsWith('.pkt') && readFileSync(p, 'utf8').startsWith(HEADER)) out.push(p);
  }
  return out;
}

const scripts: GeneratedScript[] = [];
for (const p of PROFILES) {
  scripts.push(...synchronizedStates(p), ...closedState(p), ...listenState(p), ...synSentState(p), ...synReceivedRst(p), ...synReceivedCommon(p));
  scripts.push(...synAckOptions(p), ...synOptions(p), ...mssFamily(p));
}

const paths = new Set<string>();
for (const s of scripts) {
  if (paths.has(s.path)) throw new Error(`two generated scripts at ${s.path}`);
  paths.add(s.path);
}
for (const f of generatedFiles(here)) unlinkSync(f);
for (const s of scripts) {
  const path = join(here, s.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, s.text);
}
// Directories a family no longer writes to are left empty: remove them.
function prune(dir: string): boolean {
  let empty = true;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!(e.isDirectory() && prune(join(dir, e.name)))) empty = false;
  }
  if (empty) rmdirSync(dir);
  return empty;
}
for (const e of readdirSync(here, { withFileTypes: true })) if (e.isDirectory()) prune(join(here, e.name));
console.log(`${scripts.length} generated scripts`);
