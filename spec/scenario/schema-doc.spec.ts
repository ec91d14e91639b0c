import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { SCHEMA_DOC_PATH, schemaDocument } from '../../harness/scenario/schema-doc.ts';
import { defaultScenarioDoc } from '../../harness/scenario/default.ts';

describe('the published scenario schema (docs/scenario.schema.json)', () => {
  it('is the schema the loader uses (regenerate: npx tsx harness/scenario/schema-doc.ts)', () => {
    expect(readFileSync(SCHEMA_DOC_PATH, 'utf8')).to.equal(schemaDocument());
  });

  it('validates on its own: the default scenario passes, a typo fails', () => {
    const ajv = new Ajv({ strict: true, discriminator: true, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_DOC_PATH, 'utf8')) as object);
    expect(validate(defaultScenarioDoc()), ajv.errorsText(validate.errors)).to.equal(true);
    expect(validate({ ...defaultScenarioDoc(), sead: 3 })).to.equal(false);
  });
});
