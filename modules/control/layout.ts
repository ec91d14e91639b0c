/**
 * Byte layouts of the control frames, declared once with @solana/buffer-layout and used by
 * both encode.ts and decode.ts. Everything is big-endian (network order). Variable-length
 * fields carry their length in front of them; the layouts here see plain numbers and bytes,
 * the typed messages of frame.ts are built in encode.ts / decode.ts.
 */
import { blob, offset, seq, struct, u16be, u32be, u8 } from '@solana/buffer-layout';
import type { Layout } from '@solana/buffer-layout';
import { MsgType } from './frame.ts';

/** Raw header fields; see frame.ts FrameHeader. */
export interface RawHeader {
  magic: number;
  version: number;
  type: number;
  flags: number;
  id: number;
  length: number;
}

export const headerLayout = struct<RawHeader>([
  u16be('magic'),
  u8('version'),
  u8('type'),
  u16be('flags'),
  u32be('id'),
  u32be('length'),
]);

/** SynOptions on the wire: presence bits plus fixed fields (0 when absent). */
export interface RawSynOptions {
  present: number;
  mss: number;
  wscale: number;
  tsVal: number;
}

/** Bits of RawSynOptions.present. */
export const SynOptBit = { MSS: 0x1, WSCALE: 0x2, SACK_OK: 0x4, TS: 0x8 } as const;

export interface RawEndpoint {
  addr: number;
  port: number;
}

/** A length-prefixed byte string: u16 length, then the bytes. */
export interface RawBytes16 {
  len?: number;
  bytes: Uint8Array;
}

// Each layout owns its own instances: buffer-layout layouts carry their property name.
const synOptions = (property: string) =>
  struct<RawSynOptions>([u8('present'), u16be('mss'), u8('wscale'), u32be('tsVal')], property);
const endpoint = (property: string) => struct<RawEndpoint>([u32be('addr'), u16be('port')], property);

// The length field sits right before the bytes, so the blob finds it at offset -N.
const bytes16 = (lenName: string, property: string): Layout<any>[] => [
  u16be(lenName),
  blob(offset(u16be(), -2), property),
];
const bytes8 = (lenName: string, property: string): Layout<any>[] => [
  u8(lenName),
  blob(offset(u8(), -1), property),
];

export interface RawHello {
  nodeIdLen?: number;
  nodeId: Uint8Array;
  version: number;
  capabilities: number;
  addr: number;
  maxBody: number;
}

const helloLayout = struct<RawHello>([
  ...bytes8('nodeIdLen', 'nodeId'),
  u16be('version'),
  u32be('capabilities'),
  u32be('addr'),
  u32be('maxBody'),
]);

export interface RawHeartbeat {
  nodeIdLen?: number;
  nodeId: Uint8Array;
  activeConns: number;
  queueDepth: number;
  cpuPermille: number;
  flags: number;
}

/** Bits of RawHeartbeat.flags. */
export const HeartbeatBit = { DRAINING: 0x1 } as const;

const heartbeatLayout = struct<RawHeartbeat>([
  ...bytes8('nodeIdLen', 'nodeId'),
  u32be('activeConns'),
  u32be('queueDepth'),
  u16be('cpuPermille'),
  u8('flags'),
]);

export interface RawHandoffReq {
  connId: number;
  client: RawEndpoint;
  vip: RawEndpoint;
  target: RawEndpoint;
  clientIsn: number;
  clientOpts: RawSynOptions;
  feIsn: number;
  feOpts: RawSynOptions;
  feTsNow: number;
  synLen?: number;
  syn: Uint8Array;
  ackLen?: number;
  ack: Uint8Array;
  dataCount?: number;
  data: RawBytes16[];
}

/** At most this many recorded data segments travel in one HANDOFF_REQ (a u8 count). */
export const MAX_DATA_SEGMENTS = 255;

const handoffReqLayout = struct<RawHandoffReq>([
  u32be('connId'),
  endpoint('client'),
  endpoint('vip'),
  endpoint('target'),
  u32be('clientIsn'),
  synOptions('clientOpts'),
  u32be('feIsn'),
  synOptions('feOpts'),
  u32be('feTsNow'),
  ...bytes16('synLen', 'syn'),
  ...bytes16('ackLen', 'ack'),
  u8('dataCount'),
  seq(struct<RawBytes16>(bytes16('len', 'bytes')), offset(u8(), -1), 'data'),
]);

export interface RawHandoffAck {
  connId: number;
  beIsn: number;
  beOpts: RawSynOptions;
}

const handoffAckLayout = struct<RawHandoffAck>([u32be('connId'), u32be('beIsn'), synOptions('beOpts')]);

/** HANDOFF_NAK and TERMINATE: a connection id and a reason code. */
export interface RawConnReason {
  connId: number;
  reason: number;
}

const connReasonLayout = struct<RawConnReason>([u32be('connId'), u8('reason')]);

/** The body layout of each message type, by wire code. */
export const bodyLayouts: Record<number, Layout<any>> = {
  [MsgType.HELLO]: helloLayout,
  [MsgType.HEARTBEAT]: heartbeatLayout,
  [MsgType.HANDOFF_REQ]: handoffReqLayout,
  [MsgType.HANDOFF_ACK]: handoffAckLayout,
  [MsgType.HANDOFF_NAK]: connReasonLayout,
  [MsgType.TERMINATE]: connReasonLayout,
};
