/**
 * Control message -> frame bytes. The message is checked against its schema first, so a
 * frame this side emits always decodes on the other side.
 */
import {
  DEFAULT_MAX_BODY,
  FRAME_MAGIC,
  FRAME_VERSION,
  HEADER_SIZE,
  KNOWN_FLAGS,
  MsgType,
  NakReason,
  TerminateReason,
} from './frame.ts';
import type { ControlEncodeError, ControlMessage, SynOptions } from './frame.ts';
import { bodyLayouts, headerLayout, HeartbeatBit, SynOptBit } from './layout.ts';
import type { RawSynOptions } from './layout.ts';
import { checkControlMessage } from './schema.ts';

export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: ControlEncodeError };

export interface EncodeOptions {
  /** Frame id: the sender's frame number, or for a reply the id of the frame it answers. */
  id: number;
  /** OR of FrameFlag bits; default none. */
  flags?: number;
  /** Bound on the body; default DEFAULT_MAX_BODY. Use the peer's HELLO maxBody. */
  maxBody?: number;
}

const utf8 = new TextEncoder();

function rawSynOptions(o: SynOptions): RawSynOptions {
  return {
    present:
      (o.mss !== null ? SynOptBit.MSS : 0) |
      (o.wscale !== null ? SynOptBit.WSCALE : 0) |
      (o.sackOk ? SynOptBit.SACK_OK : 0) |
      (o.tsVal !== null ? SynOptBit.TS : 0),
    mss: o.mss ?? 0,
    wscale: o.wscale ?? 0,
    tsVal: o.tsVal ?? 0,
  };
}

/** The plain object the body layout of msg.type encodes. */
function rawBody(msg: ControlMessage): object {
  switch (msg.type) {
    case 'HELLO':
      return { ...msg, nodeId: utf8.encode(msg.nodeId) };
    case 'HEARTBEAT':
      return { ...msg, nodeId: utf8.encode(msg.nodeId), flags: msg.draining ? HeartbeatBit.DRAINING : 0 };
    case 'HANDOFF_REQ':
      return {
        ...msg,
        clientOpts: rawSynOptions(msg.clientOpts),
        feOpts: rawSynOptions(msg.feOpts),
        data: msg.data.map((bytes) => ({ bytes })),
      };
    case 'HANDOFF_ACK':
      return { ...msg, beOpts: rawSynOptions(msg.beOpts) };
    case 'HANDOFF_NAK':
      return { connId: msg.connId, reason: NakReason[msg.reason] };
    case 'TERMINATE':
      return { connId: msg.connId, reason: TerminateReason[msg.reason] };
  }
}

/** Encodes one frame. Never throws: a bad message or id comes back as an error. */
export function encodeFrame(msg: ControlMessage, opts: EncodeOptions): EncodeResult {
  const check = checkControlMessage(msg);
  if (!check.ok) return { ok: false, error: { reason: 'invalid', detail: check.detail } };
  const flags = opts.flags ?? 0;
  if (!Number.isInteger(opts.id) || opts.id < 0 || opts.id > 0xffffffff || (flags & ~KNOWN_FLAGS) !== 0) {
    return { ok: false, error: { reason: 'invalid', detail: `bad frame id ${opts.id} or flags ${flags}` } };
  }
  const maxBody = opts.maxBody ?? DEFAULT_MAX_BODY;
  const layout = bodyLayouts[MsgType[msg.type]]!;
  const raw = rawBody(msg);
  // Size the body before writing: the layout knows variable-length spans only from bytes,
  // so count them from the message (the schema already bounded every field).
  const bodyLen = bodySize(msg);
  if (bodyLen > maxBody) {
    return { ok: false, error: { reason: 'too-large', detail: `body ${bodyLen} bytes > ${maxBody}` } };
  }
  const out = new Uint8Array(HEADER_SIZE + bodyLen);
  headerLayout.encode(
    { magic: FRAME_MAGIC, version: FRAME_VERSION, type: MsgType[msg.type], flags, id: opts.id, length: bodyLen },
    out,
    0,
  );
  try {
    const written = layout.encode(raw, out, HEADER_SIZE);
    if (written !== bodyLen) throw new RangeError(`layout wrote ${written} bytes, expected ${bodyLen}`);
  } catch (e) {
    // Only a disagreement between bodySize() and layout.ts gets here: a bug, kept out of the stack.
    return { ok: false, error: { reason: 'invalid', detail: `layout: ${(e as Error).message}` } };
  }
  return { ok: true, bytes: out };
}

const SYN_OPTIONS_SIZE = 8;
const ENDPOINT_SIZE = 6;

/** Body size of msg on the wire (see layout.ts). */
export function bodySize(msg: ControlMessage): number {
  switch (msg.type) {
    case 'HELLO':
      return 1 + utf8.encode(msg.nodeId).length + 2 + 4 + 4 + 4;
    case 'HEARTBEAT':
      return 1 + utf8.encode(msg.nodeId).length + 4 + 4 + 2 + 1;
    case 'HANDOFF_REQ': {
      let n = 4 + 3 * ENDPOINT_SIZE + 4 + SYN_OPTIONS_SIZE + 4 + SYN_OPTIONS_SIZE + 4;
      n += 2 + msg.syn.length + 2 + msg.ack.length + 1;
      for (const d of msg.data) n += 2 + d.length;
      return n;
    }
    case 'HANDOFF_ACK':
      return 4 + 4 + SYN_OPTIONS_SIZE;
    case 'HANDOFF_NAK':
    case 'TERMINATE':
      return 4 + 1;
  }
}
