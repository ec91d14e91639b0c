/**
 * Schema validation of a parsed scenario: ajv (strict, every error, with the failing data),
 * then messages.ts for the lines people read. The compiled validator is made once.
 */
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { explainSchemaErrors, type Diagnostic } from './messages.ts';
import { scenarioSchema } from './schema.ts';
import type { ScenarioDoc } from './types.ts';

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (compiled === null) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, discriminator: true });
    compiled = ajv.compile(scenarioSchema);
  }
  return compiled;
}

/** Check a parsed document against the schema; no diagnostics means it conforms. */
export function validateSchema(doc: unknown): { ok: true; doc: ScenarioDoc } | { ok: false; diagnostics: Diagnostic[] } {
  const v = validator();
  if (v(doc)) return { ok: true, doc: doc as ScenarioDoc };
  return { ok: false, diagnostics: explainSchemaErrors(v.errors ?? []) };
}
