/**
 * JSON schemas of the control messages (one per type, and one for any message), checked with
 * ajv. The same schemas validate decoded frames (byte fields are Uint8Array) and the JSON form
 * written to traces by json.ts (byte fields are base64 strings): the custom keyword
 * `byteString` accepts either.
 */
import { Ajv } from 'ajv';
import type { SchemaObject, ValidateFunction } from 'ajv';
import { MAX_DATA_SEGMENTS } from './layout.ts';
import { NakReason, TerminateReason } from './frame.ts';
import type { MsgTypeName } from './frame.ts';

const u32 = { type: 'integer', minimum: 0, maximum: 0xffffffff };
const u16 = { type: 'integer', minimum: 0, maximum: 0xffff };
const port = { type: 'integer', minimum: 1, maximum: 0xffff };
const nodeId = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };

/** Smallest packet a recorded segment can be: IPv4 and TCP headers without options. */
const MIN_PACKET = 40;
const packet = { byteString: { minLength: MIN_PACKET, maxLength: 0xffff } };

const endpoint = {
  type: 'object',
  required: ['addr', 'port'],
  additionalProperties: false,
  properties: { addr: u32, port },
};

const synOptions = {
  type: 'object',
  required: ['mss', 'wscale', 'sackOk', 'tsVal'],
  additionalProperties: false,
  properties: {
    mss: { type: ['integer', 'null'], minimum: 1, maximum: 0xffff },
    // RFC 7323 §2.3: a larger shift is taken as 14, so a parser stores at most 14.
    wscale: { type: ['integer', 'null'], minimum: 0, maximum: 14 },
    sackOk: { type: 'boolean' },
    tsVal: { type: ['integer', 'null'], minimum: 0, maximum: 0xffffffff },
  },
};

function message(type: MsgTypeName, properties: Record<string, unknown>): SchemaObject {
  return {
    $id: `control/${type}`,
    type: 'object',
    required: ['type', ...Object.keys(properties)],
    additionalProperties: false,
    properties: { type: { const: type }, ...properties },
  };
}

/** The schema of each message type. */
export const messageSchemas: Record<MsgTypeName, SchemaObject> = {
  HELLO: message('HELLO', {
    nodeId,
    version: { type: 'integer', minimum: 1, maximum: 0xffff },
    capabilities: u32,
    addr: u32,
    maxBody: { type: 'integer', minimum: 1024, maximum: 0xffffffff },
  }),
  HEARTBEAT: message('HEARTBEAT', {
    nodeId,
    activeConns: u32,
    queueDepth: u32,
    cpuPermille: u16,
    draining: { type: 'boolean' },
  }),
  HANDOFF_REQ: message('HANDOFF_REQ', {
    connId: u32,
    client: endpoint,
    vip: endpoint,
    target: endpoint,
    clientIsn: u32,
    clientOpts: synOptions,
    feIsn: u32,
    feOpts: synOptions,
    feTsNow: u32,
    syn: packet,
    ack: packet,
    data: { type: 'array', maxItems: MAX_DATA_SEGMENTS, items: packet },
  }),
  HANDOFF_ACK: message('HANDOFF_ACK', { connId: u32, beIsn: u32, beOpts: synOptions }),
  HANDOFF_NAK: message('HANDOFF_NAK', { connId: u32, reason: { enum: Object.keys(NakReason) } }),
  TERMINATE: message('TERMINATE', { connId: u32, reason: { enum: Object.keys(TerminateReason) } }),
};

/** Any control message: one of the above, chosen by `type`. */
export const controlMessageSchema: SchemaObject = {
  $id: 'control/message',
  type: 'object',
  required: ['type'],
  properties: { type: { enum: Object.keys(messageSchemas) } },
  discriminator: { propertyName: 'type' },
  oneOf: Object.values(messageSchemas),
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function byteLength(data: unknown): number | null {
  if (data instanceof Uint8Array) return data.length;
  if (typeof data === 'string' && BASE64.test(data)) {
    const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
    return (data.length / 4) * 3 - pad;
  }
  return null;
}

const ajv = new Ajv({ discriminator: true, strict: true, allErrors: false });
ajv.addKeyword({
  keyword: 'byteString',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    required: ['maxLength'],
    additionalProperties: false,
    properties: { minLength: { type: 'integer', minimum: 0 }, maxLength: { type: 'integer', minimum: 0 } },
  },
  validate: (schema: { minLength?: number; maxLength: number }, data: unknown) => {
    const n = byteLength(data);
    return n !== null && n >= (schema.minLength ?? 0) && n <= schema.maxLength;
  },
});

const validateAny: ValidateFunction = ajv.compile(controlMessageSchema);

export type SchemaCheck = { ok: true } | { ok: false; detail: string };

/** Checks a message (decoded or in JSON form) against its schema. */
export function checkControlMessage(msg: unknown): SchemaCheck {
  if (validateAny(msg)) return { ok: true };
  return { ok: false, detail: ajv.errorsText(validateAny.errors, { dataVar: 'msg' }) };
}
