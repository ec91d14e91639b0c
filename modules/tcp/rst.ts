/**
 * Resets for segments that have no connection to go to (RFC 9293 §3.10.7.1, CLOSED, and
 * the unacceptable-ACK cases of LISTEN, SYN-SENT and SYN-RECEIVED):
 *   with ACK:    <SEQ=SEG.ACK><CTL=RST>
 *   without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
 * A RST is never answered with a RST.
 */
import { seq, seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { NO_OPTIONS } from './options.ts';

const EMPTY = new Uint8Array(0);

/** The RST answering `seg`, or null when `seg` is itself a RST. */
export function rstFor(seg: TcpRepr): TcpRepr | null {
  if (seg.flags & TcpFlag.RST) return null;
  const base = {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    window: 0,
    urgent: 0,
    options: NO_OPTIONS,
    payload: EMPTY,
  };
  if (seg.flags & TcpFlag.ACK) {
    return { ...base, seq: seg.ack, ack: seq(0), flags: TcpFlag.RST };
  }
  const len = seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0);
  return { ...base, seq: seq(0), ack: seqAdd(seg.seq, len), flags: TcpFlag.RST | TcpFlag.ACK };
}
