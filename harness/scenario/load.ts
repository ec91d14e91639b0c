/**
 * Loading a scenario: read the file, parse JSON (with line and column on a syntax error),
 * validate against the schema, resolve to the model, run the semantic checks. Never throws for
 * bad input: the result lists every problem, one line each, prefixed with the file name:
 *
 *   scenario.json: /hosts/2/links/0/latency: expected a duration like "2ms" or a number of ns, found "fast"
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Registry } from '../../lib/streams/index.ts';
import { checkScenario, type CheckContext } from './checks.ts';
import { formatDiagnostic, type Diagnostic } from './messages.ts';
import type { Scenario } from './model.ts';
import { resolveScenario } from './resolve.ts';
import type { ScenarioDoc } from './types.ts';
import { validateSchema } from './validate.ts';

export type LoadResult =
  | { ok: true; scenario: Scenario; warnings: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

export interface LoadOptions {
  /** What module names exist (default: the built-ins). */
  registry?: Registry;
  fileExists?: (path: string) => boolean;
  /** Change the document before validation (--seed, --push). */
  amend?: (doc: Record<string, unknown>) => void;
}

function checkContext(reg: Registry | undefined, fileExists?: (p: string) => boolean): CheckContext {
  return {
    hasModule: (n) => reg?.get(n)?.kind === 'module',
    moduleNames: () => (reg?.list() ?? []).filter((m) => m.kind === 'module').map((m) => m.name),
    fileExists,
  };
}

/** Line and column of a character offset. */
function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return `line ${line} column ${pos - before.lastIndexOf('\n')}`;
}

function incomplete(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch (e) {
    const msg = (e as Error).message;
    const at = /at position (\d+)/.exec(msg);
    // A complaint about the place right after the text is about the text ending.
    return /end of JSON input|Unterminated string/.test(msg) || (at !== null && Number(at[1]) >= text.length);
  }
}

/**
 * Where JSON.parse gives up, when its message does not say (V8 often quotes the text instead):
 * the shortest prefix that is wrong rather than unfinished ends at the bad character.
 */
function errorOffset(text: string, message: string): number | null {
  const m = /at position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  if (incomplete(text)) return null;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (incomplete(text.slice(0, mid + 1))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** JSON.parse with a one-line message that says where. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const msg = (e as Error).message;
    if (text.trim() === '') return { ok: false, message: 'not valid JSON (the file is empty)' };
    const at = errorOffset(text, msg);
    if (at === null) return { ok: false, message: 'not valid JSON: the file ends in the middle of a value' };
    const v8 = msg.replace(/ in JSON at position \d+.*$/, '');
    const what = /^Unexpected token/.test(msg) || !/ in JSON at position/.test(msg) ? `unexpected ${JSON.stringify(text[at] ?? '')}` : v8[0]!.toLowerCase() + v8.slice(1);
    return { ok: false, message: `not valid JSON at ${lineCol(text, at)}: ${what}` };
  }
}

/** Validate and resolve a parsed document. `source` names it in messages; `baseDir` anchors module paths. */
export function loadScenarioDoc(value: unknown, source: string, baseDir: string, opts: LoadOptions = {}): LoadResult {
  if (opts.amend && typeof value === 'object' && value !== null && !Array.isArray(value)) opts.amend(value as Record<string, unknown>);
  const v = validateSchema(value);
  if (!v.ok) return { ok: false, diagnostics: v.diagnostics };
  const scenario = resolveScenario(v.doc as ScenarioDoc, source, baseDir);
  const diags = checkScenario(scenario, checkContext(opts.registry, opts.fileExists));
  const errors = diags.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { ok: false, diagnostics: diags };
  return { ok: true, scenario, warnings: diags };
}

/** Read, parse, validate and resolve a scenario file. */
export function loadScenarioFile(path: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a scenario file' : (e as Error).message;
    return { ok: false, diagnostics: [{ path: '', message: why, severity: 'error' }] };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, diagnostics: [{ path: '', message: parsed.message, severity: 'error' }] };
  return loadScenarioDoc(parsed.value, path, dirname(resolve(path)), opts);
}

/** "file: /path: message", one per diagnostic. */
export function formatDiagnostics(source: string, diags: readonly Diagnostic[]): string[] {
  return diags.map((d) => (d.path === '' && d.severity === 'error' ? `${source}: ${d.message}` : `${source}: ${formatDiagnostic(d)}`));
}

export { checkContext };
