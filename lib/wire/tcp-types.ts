/**
 * The parsed form of a TCP segment (smoltcp's `Repr`): what the state machine consumes and
 * produces. Byte views, parse and emit live in tcp.ts and tcp-options.ts.
 */
import type { Seq } from './seq.ts';

/** TCP header flag bits, as on the wire. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  /** The bit left of CWR (once NS, RFC 3540; AE in AccECN). The flags field is 12 bits wide. */
  AE: 0x100,
} as const;

/** One TCP option, in wire order. Emit writes them in exactly this order. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<{ left: Seq; right: Seq }> }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'unknown'; code: number; data: Uint8Array };

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: Seq;
  ack: Seq;
  /** OR of TcpFlag bits: the 12 bits after the data offset, reserved bits included (kept as read). */
  flags: number;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  urgent: number;
  options: TcpOption[];
  payload: Uint8Array;
}
