/**
 * ajv's errors as one line each, for people: the JSON path, what was expected, what was found.
 *
 *   /hosts/2/links/0/latency: expected a duration like "2ms" or a number of ns, found "fast"
 *
 * Every alternative (anyOf) in the schema sits in a node with a description, which is what
 * the line says was expected (ajv's verbose errors carry the node); when the value is an object and one alternative is
 * an object, that alternative's own errors are more useful ("unknown property") and are shown
 * instead. Unknown properties get a "did you mean" from the allowed names.
 */
import type { ErrorObject, SchemaObject } from 'ajv';

export interface Diagnostic {
  /** JSON pointer into the scenario ("" for the root). */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/** "path: message" (the file name is added by the caller). */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.path === '' ? '/' : d.path}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

/** A value as it appeared in the file, shortened. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function article(type: string): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    default:
      return `a ${type}`;
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest allowed name, when it is close enough to be a typo. */
export function didYouMean(word: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(word, a);
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

/** One error as a sentence (no path). */
function sentence(e: ErrorObject): { path: string; message: string } {
  const found = `found ${shown(e.data)}`;
  const owner = e.parentSchema as SchemaObject | undefined;
  // A titled node is a whole document: its description is prose, not an expectation.
  const described = typeof owner?.description === 'string' && owner.title === undefined ? `expected ${owner.description}, ${found}` : null;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const allowed = Object.keys((owner?.properties as Record<string, unknown> | undefined) ?? {});
      const guess = didYouMean(name, allowed);
      const hint = guess !== null ? `did you mean "${guess}"?` : `expected one of: ${allowed.join(', ')}`;
      return { path: e.instancePath, message: `unknown property "${name}" (${hint})` };
    }
    case 'required':
      return { path: e.instancePath, message: `missing required property "${String(p.missingProperty)}"` };
    case 'type':
      return { path: e.instancePath, message: described ?? `expected ${String(p.type).split(',').map(article).join(' or ')}, ${found}` };
    case 'pattern':
    case 'format':
    case 'maxLength':
    case 'minLength':
      return { path: e.instancePath, message: described ?? `expected ${e.message ?? 'something else'}, ${found}` };
    case 'enum':
      return { path: e.instancePath, message: `expected one of ${(p.allowedValues as unknown[]).map((v) => shown(v)).join(', ')}, ${found}` };
    case 'const':
      return { path: e.instancePath, message: `expected ${shown(p.allowedValue)}, ${found}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: e.instancePath, message: described ?? `expected a number ${String(p.comparison)} ${String(p.limit)}, ${found}` };
    case 'minItems':
      return { path: e.instancePath, message: `expected at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}, found ${(e.data as unknown[]).length}` };
    case 'maxItems':
      return { path: e.instancePath, message: `expected at most ${String(p.limit)} items, found ${(e.data as unknown[]).length}` };
    case 'discriminator': {
      const tag = String(p.tag);
      const allowed = ((owner?.oneOf as SchemaObject[] | undefined) ?? []).map((v) => (v.properties as Record<string, SchemaObject>)[tag]?.const);
      const value = (e.data as Record<string, unknown> | null)?.[tag];
      return { path: `${e.instancePath}/${tag}`, message: `expected one of ${allowed.map((v) => shown(v)).join(', ')}, found ${shown(value)}` };
    }
    case 'anyOf':
      return { path: e.instancePath, message: typeof owner?.description === 'string' ? `expected ${owner.description}, ${found}` : `expected something else, ${found}` };
    default:
      return { path: e.instancePath, message: `${e.message ?? e.keyword}, ${found}` };
  }
}

/**
 * ajv's errors (allErrors and verbose on: each error carries its schema node) as diagnostics,
 * one per problem, in document order. Branch errors of an alternative share its schemaPath
 * prefix (ajv compiles a $ref'd shape on its own, with paths from its root, so paths are only
 * compared within one alternative).
 */
export function explainSchemaErrors(errors: readonly ErrorObject[]): Diagnostic[] {
  const dropped = new Set<ErrorObject>();
  const anyOfPaths = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const prefix = `${e.schemaPath}/`;
    const branches = errors.filter((b) => b !== e && b.schemaPath.startsWith(prefix) && b.instancePath.startsWith(e.instancePath));
    const alts = (e.schema as SchemaObject[] | undefined) ?? [];
    const t = jsonType(e.data);
    // The object alternative explains an object better than "expected X or Y" does.
    const i = t === 'object' ? alts.findIndex((a) => a.type === 'object') : -1;
    const chosen = i >= 0 ? branches.filter((b) => b.schemaPath.startsWith(`${prefix}${i}/`) && b.schemaPath !== `${prefix}${i}/type`) : [];
    for (const b of branches) if (!chosen.includes(b)) dropped.add(b);
    if (chosen.length > 0) dropped.add(e);
    else anyOfPaths.add(e.instancePath);
  }
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (dropped.has(e)) continue;
    // One line per value: an alternative that failed says it all.
    if (e.keyword !== 'anyOf' && anyOfPaths.has(e.instancePath)) continue;
    // A failed oneOf with a discriminator has already said which branch and why.
    if (e.keyword === 'oneOf') continue;
    const { path, message } = sentence(e);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message, severity: 'error' });
  }
  return out;
}
