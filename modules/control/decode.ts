/**
 * Frame bytes -> control messages. decodeFrame takes one whole frame; FrameDecoder takes the
 * channel's byte stream in chunks cut anywhere and keeps at most one frame's bytes. Nothing
 * here throws on bad input: every rejection is a ControlDecodeError with a reason.
 */
import { DEFAULT_MAX_BODY, FRAME_MAGIC, FRAME_VERSION, HEADER_SIZE, KNOWN_FLAGS, MsgType, NakReason, TerminateReason } from './frame.ts';
import type {
  ControlDecodeError,
  ControlMessage,
  DecodeErrorReason,
  Frame,
  FrameHeader,
  MsgTypeName,
  SynOptions,
} from './frame.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { seq } from '../../lib/wire/seq.ts';
import { bodyLayouts, headerLayout, HeartbeatBit, SynOptBit } from './layout.ts';
import type { RawHandoffAck, RawHandoffReq, RawHeartbeat, RawHello, RawConnReason, RawSynOptions } from './layout.ts';
import { checkControlMessage } from './schema.ts';

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: ControlDecodeError };

const typeNames = new Map<number, MsgTypeName>(
  (Object.entries(MsgType) as [MsgTypeName, number][]).map(([name, code]) => [code, name]),
);
const nakNames = new Map(Object.entries(NakReason).map(([name, code]) => [code, name]));
const terminateNames = new Map(Object.entries(TerminateReason).map(([name, code]) => [code, name]));
const utf8 = new TextDecoder('utf-8', { fatal: true });

function reject(reason: DecodeErrorReason, detail: string, header?: FrameHeader, fatal = false): DecodeResult {
  return { ok: false, error: header ? { reason, fatal, detail, header } : { reason, fatal, detail } };
}

/** Reads the fixed header at bytes[at..at+HEADER_SIZE) (the caller checked the length). */
function readHeader(bytes: Uint8Array, at: number): FrameHeader & { magic: number } {
  return headerLayout.decode(bytes, at);
}

/** The header faults that make the rest of the stream unreadable, or null. */
function fatalHeaderFault(h: FrameHeader & { magic: number }, maxBody: number): ControlDecodeError | null {
  const header: FrameHeader = { version: h.version, type: h.type, flags: h.flags, id: h.id, length: h.length };
  if (h.magic !== FRAME_MAGIC) {
    return { reason: 'bad-magic', fatal: true, detail: `magic 0x${h.magic.toString(16)}`, header };
  }
  if (h.version !== FRAME_VERSION) {
    return { reason: 'bad-version', fatal: true, detail: `version ${h.version}`, header };
  }
  if (h.length > maxBody) {
    return { reason: 'too-large', fatal: true, detail: `body ${h.length} bytes > ${maxBody}`, header };
  }
  return null;
}

function synOptions(raw: RawSynOptions): SynOptions {
  return {
    mss: raw.present & SynOptBit.MSS ? raw.mss : null,
    wscale: raw.present & SynOptBit.WSCALE ? raw.wscale : null,
    sackOk: (raw.present & SynOptBit.SACK_OK) !== 0,
    tsVal: raw.present & SynOptBit.TS ? raw.tsVal : null,
  };
}

/** A private copy: the layout's bytes are a view into the (reused) receive buffer. */
const own = (b: Uint8Array): Uint8Array => new Uint8Array(b);

class BadField extends Error {
  constructor(
    readonly reason: DecodeErrorReason,
    detail: string,
  ) {
    super(detail);
  }
}

function text(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new BadField('bad-utf8', 'nodeId is not UTF-8');
  }
}

function code<T>(names: Map<number, string>, n: number, what: string): T {
  const name = names.get(n);
  if (name === undefined) throw new BadField('invalid', `unknown ${what} code ${n}`);
  return name as T;
}

function message(type: MsgTypeName, raw: any): ControlMessage {
  switch (type) {
    case 'HELLO': {
      const r = raw as RawHello;
      return {
        type,
        nodeId: text(r.nodeId),
        version: r.version,
        capabilities: r.capabilities,
        addr: r.addr as Ipv4Addr,
        maxBody: r.maxBody,
      };
    }
    case 'HEARTBEAT': {
      const r = raw as RawHeartbeat;
      return {
        type,
        nodeId: text(r.nodeId),
        activeConns: r.activeConns,
        queueDepth: r.queueDepth,
        cpuPermille: r.cpuPermille,
        draining: (r.flags & HeartbeatBit.DRAINING) !== 0,
      };
    }
    case 'HANDOFF_REQ': {
      const r = raw as RawHandoffReq;
      return {
        type,
        connId: r.connId,
        client: { addr: r.client.addr as Ipv4Addr, port: r.client.port },
        vip: { addr: r.vip.addr as Ipv4Addr, port: r.vip.port },
        target: { addr: r.target.addr as Ipv4Addr, port: r.target.port },
        clientIsn: seq(r.clientIsn),
        clientOpts: synOptions(r.clientOpts),
        feIsn: seq(r.feIsn),
        feOpts: synOptions(r.feOpts),
        feTsNow: r.feTsNow,
        syn: own(r.syn),
        ack: own(r.ack),
        data: r.data.map((d) => own(d.bytes)),
      };
    }
    case 'HANDOFF_ACK': {
      const r = raw as RawHandoffAck;
      return { type, connId: r.connId, beIsn: seq(r.beIsn), beOpts: synOptions(r.beOpts) };
    }
    case 'HANDOFF_NAK': {
      const r = raw as RawConnReason;
      return { type, connId: r.connId, reason: code(nakNames, r.reason, 'NAK reason') };
    }
    case 'TERMINATE': {
      const r = raw as RawConnReason;
      return { type, connId: r.connId, reason: code(terminateNames, r.reason, 'TERMINATE reason') };
    }
  }
}

/** Decodes a body whose header passed fatalHeaderFault; body.length === header.length. */
function decodeBody(header: FrameHeader, body: Uint8Array): DecodeResult {
  const type = typeNames.get(header.type);
  if (type === undefined) return reject('unknown-type', `type ${header.type}`, header);
  if ((header.flags & ~KNOWN_FLAGS) !== 0) {
    return reject('bad-flags', `flags 0x${header.flags.toString(16)}`, header);
  }
  const layout = bodyLayouts[header.type]!;
  let span: number;
  try {
    span = layout.getSpan(body, 0);
  } catch {
    return reject('truncated', `${type} body of ${body.length} bytes ends inside a length field`, header);
  }
  if (span > body.length) return reject('truncated', `${type} needs ${span} bytes, body has ${body.length}`, header);
  if (span < body.length) {
    return reject('trailing-bytes', `${type} ends at ${span} bytes, body has ${body.length}`, header);
  }
  let msg: ControlMessage;
  try {
    msg = message(type, layout.decode(body, 0));
  } catch (e) {
    if (e instanceof BadField) return reject(e.reason, e.message, header);
    return reject('truncated', `${type}: ${(e as Error).message}`, header);
  }
  const check = checkControlMessage(msg);
  if (!check.ok) return reject('invalid', check.detail, header);
  return { ok: true, frame: { header, msg } };
}

function plainHeader(h: FrameHeader): FrameHeader {
  return { version: h.version, type: h.type, flags: h.flags, id: h.id, length: h.length };
}

/** Decodes exactly one whole frame (header and body, nothing after). */
export function decodeFrame(bytes: Uint8Array, maxBody = DEFAULT_MAX_BODY): DecodeResult {
  if (bytes.length < HEADER_SIZE) return reject('truncated', `${bytes.length} bytes, header needs ${HEADER_SIZE}`);
  const h = readHeader(bytes, 0);
  const fault = fatalHeaderFault(h, maxBody);
  if (fault) return { ok: false, error: fault };
  const header = plainHeader(h);
  const end = HEADER_SIZE + h.length;
  if (bytes.length < end) return reject('truncated', `frame needs ${end} bytes, got ${bytes.length}`, header);
  if (bytes.length > end) return reject('trailing-bytes', `frame ends at ${end} bytes, got ${bytes.length}`, header);
  return decodeBody(header, bytes.subarray(HEADER_SIZE));
}

/**
 * Frames out of a byte stream cut at arbitrary points. Holds at most one incomplete frame
 * (HEADER_SIZE + maxBody bytes). After a fatal error it accepts nothing more: the channel
 * has lost framing and must be reconnected.
 */
export class FrameDecoder {
  private pending = new Uint8Array(0);
  private have = 0;
  /** Body length of the pending frame once its header is in, else -1. */
  private bodyLen = -1;
  private fatal: ControlDecodeError | null = null;
  /** Frames accepted and rejected so far. */
  readonly counts = { frames: 0, rejected: 0 };

  constructor(readonly maxBody = DEFAULT_MAX_BODY) {}

  /** The fatal error that stopped this decoder, or null. */
  get failed(): ControlDecodeError | null {
    return this.fatal;
  }

  /** Bytes held from an incomplete frame. */
  get buffered(): number {
    return this.have;
  }

  /** Feeds the next chunk; returns the frames (and rejections) it completes, in order. */
  push(chunk: Uint8Array): DecodeResult[] {
    const out: DecodeResult[] = [];
    let pos = 0;
    while (this.fatal === null && pos < chunk.length) {
      if (this.have === 0 && chunk.length - pos >= HEADER_SIZE) {
        // Fast path: a frame that starts at a chunk boundary is decoded in place.
        const h = readHeader(chunk, pos);
        if (!this.admitHeader(h, out)) break;
        const end = pos + HEADER_SIZE + h.length;
        if (end <= chunk.length) {
          this.emit(decodeBody(plainHeader(h), chunk.subarray(pos + HEADER_SIZE, end)), out);
          pos = end;
          continue;
        }
        this.bodyLen = h.length;
      }
      pos = this.fill(chunk, pos, out);
    }
    return out;
  }

  /** Copies from chunk into the pending frame; completes it when it can. Returns the new pos. */
  private fill(chunk: Uint8Array, pos: number, out: DecodeResult[]): number {
    const want = this.bodyLen < 0 ? HEADER_SIZE : HEADER_SIZE + this.bodyLen;
    this.reserve(want);
    const n = Math.min(want - this.have, chunk.length - pos);
    this.pending.set(chunk.subarray(pos, pos + n), this.have);
    this.have += n;
    pos += n;
    if (this.have < want) return pos;
    if (this.bodyLen < 0) {
      const h = readHeader(this.pending, 0);
      if (!this.admitHeader(h, out)) return pos;
      this.bodyLen = h.length;
      if (h.length > 0) return pos;
    }
    const h = plainHeader(readHeader(this.pending, 0));
    this.emit(decodeBody(h, this.pending.subarray(HEADER_SIZE, HEADER_SIZE + this.bodyLen)), out);
    this.have = 0;
    this.bodyLen = -1;
    return pos;
  }

  private admitHeader(h: FrameHeader & { magic: number }, out: DecodeResult[]): boolean {
    const fault = fatalHeaderFault(h, this.maxBody);
    if (fault === null) return true;
    this.fatal = fault;
    this.have = 0;
    this.pending = new Uint8Array(0);
    this.emit({ ok: false, error: fault }, out);
    return false;
  }

  private emit(r: DecodeResult, out: DecodeResult[]): void {
    if (r.ok) this.counts.frames++;
    else this.counts.rejected++;
    out.push(r);
  }

  private reserve(size: number): void {
    if (this.pending.length >= size) return;
    const grown = new Uint8Array(Math.max(size, Math.min(2 * this.pending.length, HEADER_SIZE + this.maxBody)));
    grown.set(this.pending.subarray(0, this.have));
    this.pending = grown;
  }
}
