/**
 * The published copy of the scenario schema, docs/scenario.schema.json, made from schema.ts
 * (the one the loader compiles). Regenerate after changing the schema:
 *
 *   npx tsx harness/scenario/schema-doc.ts
 *
 * spec/scenario/schema-doc.spec.ts fails while the two differ.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scenarioSchema } from './schema.ts';

export const SCHEMA_DOC_PATH = fileURLToPath(new URL('../../docs/scenario.schema.json', import.meta.url));

export function schemaDocument(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...scenarioSchema }, null, 2)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SCHEMA_DOC_PATH, schemaDocument());
  process.stdout.write(`wrote ${SCHEMA_DOC_PATH}\n`);
}
