/**
 * The control channel between the UTCP modules of a front end and a back end: what travels
 * on it. This file holds only constants and types; encode.ts and decode.ts do bytes,
 * layout.ts declares the byte layouts, schema.ts the JSON schemas. docs/handoff.md has the
 * byte-level reference and the sequence diagrams.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Seq } from '../../lib/wire/seq.ts';

/** "HO" — the first two bytes of every frame; a stream that loses framing fails fast. */
export const FRAME_MAGIC = 0x484f;

/** The frame format spoken by this file. A frame of another version ends the channel. */
export const FRAME_VERSION = 1;

/** magic u16, version u8, type u8, flags u16, id u32, body length u32 — big-endian. */
export const HEADER_SIZE = 14;

/** Default bound on a frame body; a HANDOFF_REQ carries at most this many bytes of packets. */
export const DEFAULT_MAX_BODY = 64 * 1024;

/** Wire codes of the message types. */
export const MsgType = {
  /** First frame each side sends on a fresh channel: who I am, what I speak. */
  HELLO: 1,
  /** Periodic liveness and load report (BE to FE); feeds the dispatch policies. */
  HEARTBEAT: 2,
  /** FE asks a BE to take over a connection (claims 3, 4, 13, 29, 30, 34). */
  HANDOFF_REQ: 3,
  /** BE took the connection; carries the BE initial state (claims 5, 15, 35). */
  HANDOFF_ACK: 4,
  /** BE refused the connection; the FE tries another BE or serves locally. */
  HANDOFF_NAK: 5,
  /** A handed-off connection is over; the receiver frees its state (claims 10, 19, 37). */
  TERMINATE: 6,
} as const;

export type MsgTypeName = keyof typeof MsgType;

/** Header flag bits. Bits not listed here must be zero. */
export const FrameFlag = {
  /** The frame answers the frame whose id it carries (HELLO reply, HANDOFF_ACK/NAK). */
  REPLY: 0x0001,
} as const;

/** Header flag bits this version understands. */
export const KNOWN_FLAGS = FrameFlag.REPLY;

/** The fixed header in front of every body. */
export interface FrameHeader {
  version: number;
  /** A MsgType code (possibly one this version does not know). */
  type: number;
  /** OR of FrameFlag bits. */
  flags: number;
  /** Sender's frame number; a reply carries the id of the frame it answers. */
  id: number;
  /** Body length in bytes, header excluded. */
  length: number;
}

/** An address and port. */
export interface Endpoint {
  addr: Ipv4Addr;
  port: number;
}

/**
 * The options one side put in its SYN or SYN/ACK, as far as handoff cares. null / false is
 * "not sent". Which options are in force follows RFC 7323 / 2018: both SYNs carried them.
 */
export interface SynOptions {
  mss: number | null;
  /** Window scale shift, 0..14. */
  wscale: number | null;
  sackOk: boolean;
  /** TSval of the SYN (client) or SYN/ACK (server); null when timestamps were not offered. */
  tsVal: number | null;
}

/** Protocol features a node supports, announced in HELLO. */
export const Capability = {
  /** Rewrites TSval / TSecr between the FE's and the BE's timestamp clocks. */
  TIMESTAMPS: 0x1,
  /** Maps SACK blocks from FE sequence space into the BE's. */
  SACK: 0x2,
  /** Rescales window fields when the FE's and the BE's window scales differ. */
  WINDOW_RESCALE: 0x4,
} as const;

/** First frame on a channel, sent by both sides; the answer has FrameFlag.REPLY. */
export interface Hello {
  type: 'HELLO';
  /** Node name, [A-Za-z0-9._-], 1..64 bytes. */
  nodeId: string;
  /** Highest protocol version the sender speaks. */
  version: number;
  /** OR of Capability bits. */
  capabilities: number;
  /** The sender's own address on the cluster LAN (a BE's rewrite target). */
  addr: Ipv4Addr;
  /** Largest frame body the sender accepts. */
  maxBody: number;
}

/** Liveness and load, sent periodically. */
export interface Heartbeat {
  type: 'HEARTBEAT';
  nodeId: string;
  /** Connections the sender serves now (handed off to it or local). */
  activeConns: number;
  /** Requests accepted but not yet served (listen queue, application backlog). */
  queueDepth: number;
  /** Busy share of the sender's CPU in the last period, per mille (may exceed 1000 on SMP). */
  cpuPermille: number;
  /** The sender takes no new handoffs (it is going down); existing ones continue. */
  draining: boolean;
}

/**
 * The FE hands a connection to a BE: everything the BE needs to rebuild it in its own TCP
 * and to rewrite its packets so the client sees the FE's connection.
 */
export interface HandoffReq {
  type: 'HANDOFF_REQ';
  /** Chosen by the FE, unique among its connections in flight on this channel. */
  connId: number;
  client: Endpoint;
  /** The address and port the client connected to. */
  vip: Endpoint;
  /** Where the BE must rebuild the connection (its LAN address and the service port). */
  target: Endpoint;
  clientIsn: Seq;
  /** What the client offered in its SYN. */
  clientOpts: SynOptions;
  /** The FE's initial state: its ISN and what its SYN/ACK offered (claims 4, 30). */
  feIsn: Seq;
  feOpts: SynOptions;
  /**
   * The FE's timestamp clock when the request was sent: no smaller than any TSval the
   * client has seen from the FE. 0 when timestamps are off.
   */
  feTsNow: number;
  /** The client's SYN as recorded (whole IPv4 packet). */
  syn: Uint8Array;
  /** The client's ACK of the handshake as recorded (whole IPv4 packet). */
  ack: Uint8Array;
  /** The request so far: the client's data segments as recorded, in order (whole IPv4 packets). */
  data: Uint8Array[];
}

/** The BE has rebuilt the connection; its initial state lets the FE map sequence numbers. */
export interface HandoffAck {
  type: 'HANDOFF_ACK';
  connId: number;
  beIsn: Seq;
  /** What the BE's SYN/ACK offered; tsVal is the base of the BE's timestamp clock. */
  beOpts: SynOptions;
}

/** Why a BE refused a handoff. */
export const NakReason = {
  /** Policy or administration: the BE does not take this connection (e.g. draining). */
  refused: 1,
  /** The BE is over its load limit. */
  overloaded: 2,
  /** The BE's TCP answered the replayed SYN with RST: nothing listens on the target port. */
  'no-listener': 3,
  /** The recorded packets do not form a connection (malformed, wrong addresses). */
  'bad-request': 4,
  /** The BE's TCP could not agree to options the FE already agreed with the client. */
  'option-mismatch': 5,
  /** The BE's TCP did not answer the replayed SYN in time. */
  timeout: 6,
} as const;
export type NakReasonName = keyof typeof NakReason;

export interface HandoffNak {
  type: 'HANDOFF_NAK';
  connId: number;
  reason: NakReasonName;
}

/** Why a handed-off connection ended. */
export const TerminateReason = {
  /** Closed in order: FIN seen both ways and acknowledged. */
  fin: 1,
  /** Reset by the client or the BE. */
  rst: 2,
  /** No traffic for longer than the connection's idle limit. */
  timeout: 3,
  /** FE to BE: the FE gave up on this handoff (late ACK, client gone); reset your copy. */
  aborted: 4,
} as const;
export type TerminateReasonName = keyof typeof TerminateReason;

/** Either side: the connection is over; free its state (a BE also resets its TCP's copy). */
export interface Terminate {
  type: 'TERMINATE';
  connId: number;
  reason: TerminateReasonName;
}

/** Every control message; `type` discriminates. */
export type ControlMessage = Hello | Heartbeat | HandoffReq | HandoffAck | HandoffNak | Terminate;

/** A decoded frame: its header and its validated message. */
export interface Frame {
  header: FrameHeader;
  msg: ControlMessage;
}

/** Why bytes were not accepted as a frame. */
export const DecodeErrorReason = {
  /** The first two bytes are not FRAME_MAGIC: the stream lost framing (fatal). */
  badMagic: 'bad-magic',
  /** A frame format this version does not speak (fatal). */
  badVersion: 'bad-version',
  /** The header announces a body above the bound (fatal: the rest cannot be trusted). */
  tooLarge: 'too-large',
  /** A message type this version does not know; its body was skipped. */
  unknownType: 'unknown-type',
  /** Header flag bits this version does not know are set; the frame was skipped. */
  badFlags: 'bad-flags',
  /** The body ends before its layout does. */
  truncated: 'truncated',
  /** The body goes on after its layout ends. */
  trailingBytes: 'trailing-bytes',
  /** A string field is not valid UTF-8. */
  badUtf8: 'bad-utf8',
  /** The decoded message breaks its schema (a value out of range, an unknown reason code). */
  invalid: 'invalid',
} as const;
export type DecodeErrorReason = (typeof DecodeErrorReason)[keyof typeof DecodeErrorReason];

/**
 * A rejected frame. Fatal errors mean the byte stream can no longer be framed: the channel
 * must be closed and reconnected. Non-fatal ones drop that frame only.
 */
export interface ControlDecodeError {
  reason: DecodeErrorReason;
  fatal: boolean;
  /** Human-readable detail for traces (which field, which value). */
  detail: string;
  /** The header, when it was readable. */
  header?: FrameHeader;
}

/** Why a message could not be encoded. */
export const EncodeErrorReason = {
  /** The message breaks its schema. */
  invalid: 'invalid',
  /** The body would exceed the bound. */
  tooLarge: 'too-large',
} as const;
export type EncodeErrorReason = (typeof EncodeErrorReason)[keyof typeof EncodeErrorReason];

export interface ControlEncodeError {
  reason: EncodeErrorReason;
  detail: string;
}
