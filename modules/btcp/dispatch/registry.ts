/**
 * Dispatch policies by name, from a JSON-able spec (scenario files, the CLI, an ioctl), with
 * the spec checked against its schema first.
 */
import { Ajv } from 'ajv';
import type { SchemaObject } from 'ajv';
import { ConsistentHash } from './consistent-hash.ts';
import type { ConsistentHashConfig } from './consistent-hash.ts';
import { Lard } from './lard.ts';
import type { LardConfig } from './lard.ts';
import { LeastConnections } from './least-conns.ts';
import type { DispatchPolicy } from './policy.ts';
import { UrlPartition } from './url-partition.ts';
import type { UrlPartitionConfig } from './url-partition.ts';
import { WeightedRoundRobin } from './weighted-rr.ts';

export type PolicySpec =
  | ({ policy: 'url-partition' } & UrlPartitionConfig)
  | ({ policy: 'lard' } & LardConfig)
  | { policy: 'weighted-round-robin' }
  | ({ policy: 'consistent-hash' } & ConsistentHashConfig)
  | { policy: 'least-connections' };

const nodeId = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };
const count = { type: 'integer', minimum: 1 };

const variants: SchemaObject[] = [
  {
    properties: {
      policy: { const: 'url-partition' },
      rules: {
        type: 'array',
        maxItems: 100_000,
        items: {
          type: 'object',
          required: ['prefix', 'nodes'],
          additionalProperties: false,
          properties: {
            prefix: { type: 'string', maxLength: 2048 },
            host: { type: 'string', maxLength: 255 },
            nodes: { type: 'array', minItems: 1, items: nodeId },
          },
        },
      },
      defaultNodes: { type: 'array', items: nodeId },
    },
    required: ['policy', 'rules'],
  },
  {
    properties: { policy: { const: 'lard' }, tLow: { type: 'number', minimum: 0 }, tHigh: { type: 'number', minimum: 0 }, maxTargets: count },
    required: ['policy'],
  },
  { properties: { policy: { const: 'weighted-round-robin' } }, required: ['policy'] },
  {
    properties: {
      policy: { const: 'consistent-hash' },
      replicas: count,
      key: { enum: ['content', 'client'] },
      loadFactor: { type: 'number', exclusiveMinimum: 1 },
    },
    required: ['policy'],
  },
  { properties: { policy: { const: 'least-connections' } }, required: ['policy'] },
];

/** The schema of a PolicySpec, for embedding in scenario schemas. */
export const policySpecSchema: SchemaObject = {
  $id: 'dispatch/policy',
  type: 'object',
  required: ['policy'],
  properties: { policy: { enum: variants.map((v) => v.properties.policy.const) } },
  discriminator: { propertyName: 'policy' },
  oneOf: variants.map((v) => ({ ...v, type: 'object', additionalProperties: false })),
};

const ajv = new Ajv({ discriminator: true, strict: true });
const validate = ajv.compile(policySpecSchema);

export type PolicyResult = { ok: true; policy: DispatchPolicy } | { ok: false; error: string };

export function createPolicy(spec: unknown): PolicyResult {
  if (!validate(spec)) return { ok: false, error: ajv.errorsText(validate.errors, { dataVar: 'policy' }) };
  const s = spec as PolicySpec;
  switch (s.policy) {
    case 'url-partition':
      return { ok: true, policy: new UrlPartition(s) };
    case 'lard': {
      const tLow = s.tLow ?? 25;
      const tHigh = s.tHigh ?? 65;
      if (!(tLow < tHigh)) return { ok: false, error: `policy: LARD needs tLow < tHigh (got ${tLow}, ${tHigh})` };
      return { ok: true, policy: new Lard(s) };
    }
    case 'weighted-round-robin':
      return { ok: true, policy: new WeightedRoundRobin() };
    case 'consistent-hash':
      return { ok: true, policy: new ConsistentHash(s) };
    case 'least-connections':
      return { ok: true, policy: new LeastConnections() };
  }
}

/** The names createPolicy knows. */
export const policyNames: readonly PolicySpec['policy'][] = variants.map((v) => v.properties.policy.const);
