/**
 * The JSON schema of scenario files: the one source of both the schema the loader compiles and
 * the one published as docs/scenario.schema.json (spec/scenario/schema-doc.spec.ts checks they
 * are identical). Objects refuse unknown properties, so a typo is an error, not a silent
 * default. Shapes that repeat live in $defs; messages.ts turns a failure inside one of them
 * into a sentence ("expected a duration like "2ms" or a number of ns").
 */
import type { SchemaObject } from 'ajv';
import { policySpecSchema } from '../../modules/btcp/dispatch/registry.ts';
import { bandwidthPattern, durationPattern, sizePattern } from './units.ts';

export const SCHEMA_ID = 'https://streams-handoff.invalid/scenario.schema.json';

const octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const ipv4Re = `${octet}(\\.${octet}){3}`;
const plen = '(3[0-2]|[12]?[0-9])';

const ref = (name: string): SchemaObject => ({ $ref: `#/$defs/${name}` });
const obj = (properties: Record<string, SchemaObject>, required: string[] = [], description?: string): SchemaObject => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: false,
});
const arr = (items: SchemaObject, extra: SchemaObject = {}): SchemaObject => ({ type: 'array', items, ...extra });
const count = (minimum = 1): SchemaObject => ({ type: 'integer', minimum });

/** The dispatch policy schema without its $id, so it can sit in $defs of a single-file schema. */
function embeddedPolicy(): SchemaObject {
  const { $id: _id, ...rest } = policySpecSchema;
  return structuredClone(rest);
}

const nameSchema: SchemaObject = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: 64 };
const pathSchema: SchemaObject = { type: 'string', pattern: '^/' };

const defs: Record<string, SchemaObject> = {
  name: { ...nameSchema, description: 'a name of letters, digits, - and _ that starts with a letter (at most 64)' },
  ifname: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]*$', maxLength: 15, description: 'an interface name like "eth0" (at most 15 characters)' },
  address: { type: 'string', pattern: `^${ipv4Re}$`, description: 'an IPv4 address like "192.0.2.10"' },
  addressWithPrefix: {
    type: 'string',
    pattern: `^${ipv4Re}(/${plen})?$`,
    description: 'an IPv4 address like "192.0.2.10/24" (the prefix length is optional)',
  },
  prefix: { type: 'string', pattern: `^${ipv4Re}/${plen}$`, description: 'a network prefix like "198.51.100.0/24"' },
  routeTarget: {
    anyOf: [{ const: 'default' }, { type: 'string', pattern: `^${ipv4Re}/${plen}$` }],
    description: '"default" or a prefix like "10.1.0.0/16"',
  },
  endpoint: { type: 'string', pattern: `^${ipv4Re}(:[0-9]{1,5})?$`, description: 'an address like "203.0.113.10" or "203.0.113.10:80"' },
  port: { type: 'integer', minimum: 1, maximum: 65535, description: 'a port number 1..65535' },
  duration: {
    anyOf: [
      { type: 'string', pattern: durationPattern },
      { type: 'integer', minimum: 0 },
    ],
    description: 'a duration like "2ms" or a number of ns',
  },
  bandwidth: {
    anyOf: [
      { type: 'string', pattern: bandwidthPattern },
      { type: 'number', exclusiveMinimum: 0 },
    ],
    description: 'a bandwidth like "100Mbit", "1Gbps", "unlimited" or a number of bit/s',
  },
  size: {
    anyOf: [
      { type: 'string', pattern: sizePattern },
      { type: 'integer', minimum: 1 },
    ],
    description: 'a size like "64KiB" or a number of bytes',
  },
  mtu: { type: 'integer', minimum: 68, maximum: 65535, description: 'an MTU in bytes, 68..65535' },
  probability: { type: 'number', minimum: 0, maximum: 1, description: 'a probability between 0 and 1' },
  seed: {
    anyOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', minLength: 1, maxLength: 200 },
    ],
    description: 'a seed: an integer >= 0 or a non-empty string',
  },
  queue: obj({ packets: count(), bytes: ref('size') }, [], "the bound of each direction's queue"),
  window: obj({ from: ref('duration'), to: ref('duration') }, ['from']),
  faults: obj(
    {
      loss: ref('probability'),
      duplicate: ref('probability'),
      reorder: ref('probability'),
      reorderDelay: ref('duration'),
      corrupt: ref('probability'),
      corruptBits: count(),
    },
    [],
    'per-packet probabilities of one direction',
  ),
  where: {
    anyOf: [{ enum: ['top', 'bottom'] }, obj({ above: { type: 'string' } }, ['above']), obj({ below: { type: 'string' } }, ['below'])],
    description: '"top", "bottom", {"above": "module"} or {"below": "module"}',
  },
  backEnd: {
    anyOf: [nameSchema, obj({ host: ref('name'), weight: { type: 'number', minimum: 0 }, maxConns: count() }, ['host'])],
    description: 'a host name, or {"host": name, "weight": w, "maxConns": n}',
  },
  url: {
    anyOf: [pathSchema, obj({ path: pathSchema, weight: { type: 'number', exclusiveMinimum: 0 } }, ['path'])],
    description: 'a path like "/index.html", or {"path": "/x", "weight": w}',
  },
  pcapSelection: {
    anyOf: [{ type: 'boolean' }, arr({ type: 'string', minLength: 1 })],
    description: 'true, false, or a list of hosts and "host.ifname" interfaces',
  },
  policy: embeddedPolicy(),
};

const linkParams: Record<string, SchemaObject> = {
  latency: ref('duration'),
  bandwidth: ref('bandwidth'),
  mtu: ref('mtu'),
  queue: ref('queue'),
};

const network = obj(
  {
    name: ref('name'),
    kind: { enum: ['switch', 'p2p'] },
    prefix: ref('prefix'),
    link: obj(linkParams, [], 'defaults for every cable on this network'),
    partitions: arr(
      obj({ from: ref('duration'), to: ref('duration'), groups: arr(arr(ref('name'), { minItems: 1 }), { minItems: 2 }) }, ['from', 'groups']),
    ),
  },
  ['name', 'prefix'],
);

const hostLink = obj(
  {
    network: ref('name'),
    interface: ref('ifname'),
    address: ref('addressWithPrefix'),
    aliases: arr(ref('addressWithPrefix')),
    ...linkParams,
    faults: obj({ out: ref('faults'), in: ref('faults'), both: ref('faults') }),
    partitions: arr(obj({ from: ref('duration'), to: ref('duration'), direction: { enum: ['out', 'in', 'both'] } }, ['from'])),
    down: arr(ref('window')),
  },
  ['network', 'address'],
);

const moduleAction = obj(
  {
    module: { type: 'string', minLength: 1 },
    at: { type: 'string', minLength: 1, description: 'an interface name, "tcp-lower" or "tcp-upper"' },
    where: ref('where'),
    time: ref('duration'),
    action: { enum: ['push', 'pop'] },
  },
  ['module', 'at'],
);

const host = obj(
  {
    name: ref('name'),
    router: { type: 'boolean' },
    links: arr(hostLink, { minItems: 1 }),
    routes: arr(obj({ to: ref('routeTarget'), via: ref('address'), interface: ref('ifname') }, ['to'])),
    stack: obj({ tcp: { enum: ['linux', 'freebsd', false] }, modules: arr(moduleAction) }),
  },
  ['name', 'links'],
);

const cluster = obj(
  {
    vip: ref('address'),
    port: ref('port'),
    frontEnd: ref('name'),
    backEnds: arr(ref('backEnd'), { minItems: 1 }),
    control: obj({ network: ref('name'), port: ref('port') }),
    policy: ref('policy'),
    serveLocally: { type: 'boolean' },
  },
  ['vip', 'frontEnd', 'backEnds'],
);

const client = obj(
  {
    host: ref('name'),
    count: count(),
    requests: count(),
    target: ref('endpoint'),
    urls: arr(ref('url'), { minItems: 1 }),
    keepAlive: { type: 'boolean' },
    pipeline: count(),
    thinkTime: ref('duration'),
    post: obj({ share: ref('probability'), bytes: ref('size'), path: pathSchema }, ['share', 'bytes']),
    start: ref('duration'),
  },
  ['host', 'target'],
);

/** The scenario schema (draft 2020-12 subset that ajv's default draft-07 mode accepts). */
export const scenarioSchema: SchemaObject = {
  $id: SCHEMA_ID,
  title: 'streams-handoff scenario',
  description: 'A topology, its stacks, the cluster roles, the workload and what to record. See docs/scenarios.md.',
  type: 'object',
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', maxLength: 200 },
    description: { type: 'string' },
    seed: ref('seed'),
    networks: arr(network, { minItems: 1 }),
    hosts: arr(host, { minItems: 1 }),
    cluster,
    apps: obj({ servers: arr(obj({ host: ref('name'), port: ref('port') }, ['host'])), clients: arr(client) }),
    capture: obj({ pcap: ref('pcapSelection'), trace: { type: 'boolean' }, moduleCounts: { type: 'boolean' } }),
    run: obj({ until: ref('duration'), maxEvents: count() }),
  },
  required: ['networks', 'hosts'],
  additionalProperties: false,
  $defs: defs,
};
