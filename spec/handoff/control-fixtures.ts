/** Sample control messages and fast-check arbitraries for the control-channel specs. */
import fc from 'fast-check';
import type {
  ControlMessage,
  HandoffAck,
  HandoffNak,
  HandoffReq,
  Heartbeat,
  Hello,
  SynOptions,
  Terminate,
} from '../../modules/control/frame.ts';
import { NakReason, TerminateReason } from '../../modules/control/frame.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { seq } from '../../lib/wire/seq.ts';
import type { Seq } from '../../lib/wire/seq.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).map((_, i) => (fill + i) & 0xff);

export const samples: Record<ControlMessage['type'], ControlMessage> = {
  HELLO: {
    type: 'HELLO',
    nodeId: 'be1',
    version: 1,
    capabilities: 7,
    addr: ipv4('10.0.0.11'),
    maxBody: 65536,
  } satisfies Hello,
  HEARTBEAT: {
    type: 'HEARTBEAT',
    nodeId: 'be1',
    activeConns: 12,
    queueDepth: 3,
    cpuPermille: 415,
    draining: false,
  } satisfies Heartbeat,
  HANDOFF_REQ: {
    type: 'HANDOFF_REQ',
    connId: 42,
    client: { addr: ipv4('203.0.113.5'), port: 40000 },
    vip: { addr: ipv4('198.51.100.1'), port: 80 },
    target: { addr: ipv4('10.0.0.11'), port: 8080 },
    clientIsn: seq(0xfffffff0),
    clientOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: 123456 },
    feIsn: seq(1000),
    feOpts: { mss: 1460, wscale: 6, sackOk: true, tsVal: 999 },
    feTsNow: 1004,
    syn: bytes(60, 1),
    ack: bytes(52, 2),
    data: [bytes(300, 3), bytes(41, 4)],
  } satisfies HandoffReq,
  HANDOFF_ACK: {
    type: 'HANDOFF_ACK',
    connId: 42,
    beIsn: seq(0x80000000),
    beOpts: { mss: 1400, wscale: null, sackOk: false, tsVal: null },
  } satisfies HandoffAck,
  HANDOFF_NAK: { type: 'HANDOFF_NAK', connId: 42, reason: 'no-listener' } satisfies HandoffNak,
  TERMINATE: { type: 'TERMINATE', connId: 42, reason: 'fin' } satisfies Terminate,
};

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const addr = u32.map((n) => n as Ipv4Addr);
const sq = u32.map((n) => seq(n) as Seq);
const port = fc.integer({ min: 1, max: 0xffff });
const endpoint = fc.record({ addr, port });
const nodeId = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const packet = (max: number) => fc.uint8Array({ minLength: 40, maxLength: max });
const synOptions: fc.Arbitrary<SynOptions> = fc.record({
  mss: fc.option(fc.integer({ min: 1, max: 0xffff })),
  wscale: fc.option(fc.integer({ min: 0, max: 14 })),
  sackOk: fc.boolean(),
  tsVal: fc.option(u32),
});

export const arbMessage: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({
    type: fc.constant('HELLO' as const),
    nodeId,
    version: fc.integer({ min: 1, max: 0xffff }),
    capabilities: u32,
    addr,
    maxBody: fc.integer({ min: 1024, max: 0xffffffff }),
  }),
  fc.record({
    type: fc.constant('HEARTBEAT' as const),
    nodeId,
    activeConns: u32,
    queueDepth: u32,
    cpuPermille: fc.integer({ min: 0, max: 0xffff }),
    draining: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('HANDOFF_REQ' as const),
    connId: u32,
    client: endpoint,
    vip: endpoint,
    target: endpoint,
    clientIsn: sq,
    clientOpts: synOptions,
    feIsn: sq,
    feOpts: synOptions,
    feTsNow: u32,
    syn: packet(80),
    ack: packet(80),
    data: fc.array(packet(400), { maxLength: 6 }),
  }),
  fc.record({ type: fc.constant('HANDOFF_ACK' as const), connId: u32, beIsn: sq, beOpts: synOptions }),
  fc.record({
    type: fc.constant('HANDOFF_NAK' as const),
    connId: u32,
    reason: fc.constantFrom(...(Object.keys(NakReason) as (keyof typeof NakReason)[])),
  }),
  fc.record({
    type: fc.constant('TERMINATE' as const),
    connId: u32,
    reason: fc.constantFrom(...(Object.keys(TerminateReason) as (keyof typeof TerminateReason)[])),
  }),
);
