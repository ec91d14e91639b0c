/**
 * TCP header (RFC 9293 §3.1): `TcpPacket`, a zero-copy view with typed getters/setters and
 * in-place rewrites that keep the checksum right incrementally (RFC 1624), and parseTcp /
 * emitTcp / tcpBufferLen for the parsed `TcpRepr` (tcp-types.ts). The checksum covers the
 * IPv4 pseudo-header, so parse, emit and the checksum methods take the two addresses.
 *
 * Layout declared with buffer-layout, offsets derived from it, bytes accessed directly on the
 * hot path (measured 25-40x faster; see layout.ts and `handoff bench --area wire`).
 */
import { struct, u16be, u32be } from '@solana/buffer-layout';
import { csumUpdate16, csumUpdate32, csumUpdateBytes, internetChecksum, onesSum, pseudoHeaderSum } from './checksum.ts';
import { IpProto, type Ipv4Addr } from './ip-types.ts';
import { fieldOffsets, setU16, setU32, u16, u32 } from './layout.ts';
import { fail, ok, type WireFailure, type WireResult } from './result.ts';
import { seq, type Seq } from './seq.ts';
import { decodeTcpOptions, emitTcpOptions, tcpOptionSpans, tcpOptionsLen, type TcpOptionSpan } from './tcp-options.ts';
import { TcpFlag, type TcpRepr } from './tcp-types.ts';

export interface TcpHeaderFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Data offset (4 bits), reserved (3), flags (9). */
  offsetFlags: number;
  window: number;
  checksum: number;
  urgent: number;
}

/** The fixed 20-byte TCP header. */
export const TCP_HEADER_LAYOUT = struct<TcpHeaderFields>([
  u16be('srcPort'),
  u16be('dstPort'),
  u32be('seq'),
  u32be('ack'),
  u16be('offsetFlags'),
  u16be('window'),
  u16be('checksum'),
  u16be('urgent'),
]);

const F = fieldOffsets(TCP_HEADER_LAYOUT);
export const TCP_MIN_HEADER_LEN = TCP_HEADER_LAYOUT.span;
export const TCP_MAX_HEADER_LEN = 60;
export const TCP_MAX_OPTIONS_LEN = TCP_MAX_HEADER_LEN - TCP_MIN_HEADER_LEN;
const FLAGS_MASK = 0x0fff;

export interface TcpParseOptions {
  /** Verify the checksum against the pseudo-header (default true). */
  verifyChecksum?: boolean;
}

/** Folded sum of a TCP segment's pseudo-header. */
function pseudo(src: Ipv4Addr, dst: Ipv4Addr, length: number): number {
  return pseudoHeaderSum(src, dst, IpProto.TCP, length);
}

/**
 * A view over the bytes of one TCP segment (header, options, data; exactly the IP payload).
 * `newChecked` proves the fixed header and the data offset fit in the buffer.
 */
export class TcpPacket {
  private constructor(readonly bytes: Uint8Array) {}

  static newUnchecked(bytes: Uint8Array): TcpPacket {
    return new TcpPacket(bytes);
  }

  static newChecked(bytes: Uint8Array): WireResult<TcpPacket> {
    const err = checkTcp(bytes);
    return err === null ? ok(new TcpPacket(bytes)) : fail(err);
  }

  get srcPort(): number {
    return u16(this.bytes, F.srcPort);
  }
  set srcPort(v: number) {
    setU16(this.bytes, F.srcPort, v);
  }
  get dstPort(): number {
    return u16(this.bytes, F.dstPort);
  }
  set dstPort(v: number) {
    setU16(this.bytes, F.dstPort, v);
  }
  get seqNumber(): Seq {
    return u32(this.bytes, F.seq) as Seq;
  }
  set seqNumber(s: Seq) {
    setU32(this.bytes, F.seq, s);
  }
  get ackNumber(): Seq {
    return u32(this.bytes, F.ack) as Seq;
  }
  set ackNumber(s: Seq) {
    setU32(this.bytes, F.ack, s);
  }
  /** Header length in bytes (data offset * 4). */
  get headerLen(): number {
    return (this.bytes[F.offsetFlags]! >>> 4) * 4;
  }
  set headerLen(n: number) {
    this.bytes[F.offsetFlags] = ((n >>> 2) << 4) | (this.bytes[F.offsetFlags]! & 0x0f);
  }
  /** The 12 bits after the data offset: TcpFlag bits plus the reserved ones. */
  get flags(): number {
    return u16(this.bytes, F.offsetFlags) & FLAGS_MASK;
  }
  set flags(v: number) {
    setU16(this.bytes, F.offsetFlags, (u16(this.bytes, F.offsetFlags) & ~FLAGS_MASK) | (v & FLAGS_MASK));
  }
  hasFlag(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
  get window(): number {
    return u16(this.bytes, F.window);
  }
  set window(v: number) {
    setU16(this.bytes, F.window, v);
  }
  get checksum(): number {
    return u16(this.bytes, F.checksum);
  }
  set checksum(v: number) {
    setU16(this.bytes, F.checksum, v);
  }
  get urgent(): number {
    return u16(this.bytes, F.urgent);
  }
  set urgent(v: number) {
    setU16(this.bytes, F.urgent, v);
  }
  /** The option area (a view). */
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(TCP_MIN_HEADER_LEN, this.headerLen);
  }
  /** The data (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }
  /** Sequence space the segment occupies: data plus one each for SYN and FIN. */
  get segmentLen(): number {
    const f = this.flags;
    return this.bytes.length - this.headerLen + (f & TcpFlag.SYN ? 1 : 0) + (f & TcpFlag.FIN ? 1 : 0);
  }

  /** Where each option sits, offsets from the start of the TCP header. */
  optionSpans(): WireResult<TcpOptionSpan[]> {
    return tcpOptionSpans(this.optionBytes, TCP_MIN_HEADER_LEN);
  }

  fillChecksum(src: Ipv4Addr, dst: Ipv4Addr): void {
    setU16(this.bytes, F.checksum, 0);
    setU16(this.bytes, F.checksum, internetChecksum(this.bytes, 0, this.bytes.length, pseudo(src, dst, this.bytes.length)));
  }

  verifyChecksum(src: Ipv4Addr, dst: Ipv4Addr): boolean {
    return onesSum(this.bytes, 0, this.bytes.length, pseudo(src, dst, this.bytes.length)) === 0xffff;
  }

  // In-place rewrites for BTCP: each keeps the checksum equal to a full recomputation.

  rewriteSrcPort(p: number): void {
    this.checksum = csumUpdate16(this.checksum, this.srcPort, p);
    this.srcPort = p;
  }
  rewriteDstPort(p: number): void {
    this.checksum = csumUpdate16(this.checksum, this.dstPort, p);
    this.dstPort = p;
  }
  rewriteSeq(s: Seq): void {
    this.checksum = csumUpdate32(this.checksum, this.seqNumber, s);
    this.seqNumber = s;
  }
  rewriteAck(s: Seq): void {
    this.checksum = csumUpdate32(this.checksum, this.ackNumber, s);
    this.ackNumber = s;
  }
  rewriteWindow(w: number): void {
    this.checksum = csumUpdate16(this.checksum, this.window, w);
    this.window = w;
  }
  /**
   * Overwrite a 32-bit value at any header offset (a SACK edge, a timestamp); options need
   * not be aligned, so odd offsets are handled.
   */
  rewriteU32(at: number, v: number): void {
    if ((at & 1) === 0) {
      this.checksum = csumUpdate32(this.checksum, u32(this.bytes, at), v);
      setU32(this.bytes, at, v);
      return;
    }
    const before = this.bytes.slice(at, at + 4);
    setU32(this.bytes, at, v);
    this.checksum = csumUpdateBytes(this.checksum, before, this.bytes.subarray(at, at + 4), true);
  }
  /** Overwrite bytes at a header offset (e.g. a whole option). */
  rewriteBytes(at: number, data: Uint8Array): void {
    const before = this.bytes.slice(at, at + data.length);
    this.bytes.set(data, at);
    this.checksum = csumUpdateBytes(this.checksum, before, data, (at & 1) === 1);
  }
  /** Fix the checksum after the IP layer changed one of the pseudo-header's addresses. */
  adjustForAddress(oldAddr: Ipv4Addr, newAddr: Ipv4Addr): void {
    this.checksum = csumUpdate32(this.checksum, oldAddr, newAddr);
  }
}

type TcpCheckError = 'truncated' | 'bad-header-length';

/** Check the segment at b[at .. at+len) (the whole array by default). */
function checkTcp(b: Uint8Array, at = 0, len = b.length): TcpCheckError | null {
  if (len < TCP_MIN_HEADER_LEN) return 'truncated';
  const hl = (b[at + F.offsetFlags]! >>> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN) return 'bad-header-length';
  if (len < hl) return 'truncated';
  return null;
}

/**
 * Parse a TCP segment (the whole IP payload) sent from `src` to `dst`. Options' data and the
 * payload are views into `bytes`.
 */
export function parseTcp(bytes: Uint8Array, src: Ipv4Addr, dst: Ipv4Addr, opts?: TcpParseOptions): WireResult<TcpRepr> {
  const out = emptyTcpRepr();
  const bad = parseTcpInto(bytes, src, dst, out, opts);
  return bad === null ? ok(out) : bad;
}

/** A repr to parse into: zero fields, no options, no payload. */
export function emptyTcpRepr(): TcpRepr {
  return { srcPort: 0, dstPort: 0, seq: seq(0), ack: seq(0), flags: 0, window: 0, urgent: 0, options: [], payload: EMPTY_PAYLOAD };
}

const EMPTY_PAYLOAD = new Uint8Array(0);

/**
 * parseTcp into `out`, whose option list is emptied and refilled (nothing else of it is
 * kept): for a receive path that is done with each segment before it parses the next, so
 * no repr or list is made per segment. The segment is bytes[at .. at+len) (the whole array by
 * default), so a caller holding a whole packet needs no view of its TCP part. Returns null, or
 * the failure parseTcp would return (then `out` holds nothing meaningful).
 */
export function parseTcpInto(
  bytes: Uint8Array,
  src: Ipv4Addr,
  dst: Ipv4Addr,
  out: TcpRepr,
  opts?: TcpParseOptions,
  at = 0,
  len = bytes.length - at,
): WireFailure | null {
  const err = checkTcp(bytes, at, len);
  if (err !== null) return fail(err);
  if (opts?.verifyChecksum !== false && onesSum(bytes, at, len, pseudo(src, dst, len)) !== 0xffff) {
    return fail('bad-checksum', F.checksum);
  }
  const hl = (bytes[at + F.offsetFlags]! >>> 4) * 4;
  const options = out.options;
  if (hl > TCP_MIN_HEADER_LEN) {
    const bad = decodeTcpOptions(bytes, at + TCP_MIN_HEADER_LEN, at + hl, options);
    if (bad >= 0) return fail('bad-option-length', TCP_MIN_HEADER_LEN + bad);
  } else if (options.length !== 0) {
    options.length = 0;
  }
  out.srcPort = u16(bytes, at + F.srcPort);
  out.dstPort = u16(bytes, at + F.dstPort);
  out.seq = seq(u32(bytes, at + F.seq));
  out.ack = seq(u32(bytes, at + F.ack));
  out.flags = u16(bytes, at + F.offsetFlags) & FLAGS_MASK;
  out.window = u16(bytes, at + F.window);
  out.urgent = u16(bytes, at + F.urgent);
  out.payload = bytes.subarray(at + hl, at + len);
  return null;
}

/** Header length emitTcp will write: 20 plus the options padded to a multiple of 4. */
export function tcpHeaderLen(repr: Pick<TcpRepr, 'options'>): number {
  return TCP_MIN_HEADER_LEN + ((tcpOptionsLen(repr.options) + 3) & ~3);
}

/** Segment length emitTcp will write. */
export function tcpBufferLen(repr: Pick<TcpRepr, 'options' | 'payload'>): number {
  return tcpHeaderLen(repr) + repr.payload.length;
}

/**
 * Write the segment (header, options padded with EOL zeros, data, checksum) at buf[off..];
 * returns the bytes written. Throws RangeError if options exceed 40 bytes or buf is short.
 */
export function emitTcp(repr: TcpRepr, src: Ipv4Addr, dst: Ipv4Addr, buf: Uint8Array, off = 0): number {
  const optLen = tcpOptionsLen(repr.options);
  if (optLen > TCP_MAX_OPTIONS_LEN) throw new RangeError(`TCP options too long: ${optLen} bytes`);
  const hl = TCP_MIN_HEADER_LEN + ((optLen + 3) & ~3);
  const total = hl + repr.payload.length;
  if (buf.length - off < total) throw new RangeError(`buffer too small for TCP segment: ${buf.length - off} < ${total}`);
  // Offsets rather than a subarray (see emitIpv4Header).
  setU16(buf, off + F.srcPort, repr.srcPort);
  setU16(buf, off + F.dstPort, repr.dstPort);
  setU32(buf, off + F.seq, repr.seq);
  setU32(buf, off + F.ack, repr.ack);
  setU16(buf, off + F.offsetFlags, ((hl >>> 2) << 12) | (repr.flags & FLAGS_MASK));
  setU16(buf, off + F.window, repr.window);
  setU16(buf, off + F.checksum, 0);
  setU16(buf, off + F.urgent, repr.urgent);
  if (optLen > 0) emitTcpOptions(repr.options, buf, off + TCP_MIN_HEADER_LEN);
  for (let i = off + TCP_MIN_HEADER_LEN + optLen; i < off + hl; i++) buf[i] = 0;
  if (repr.payload.length > 0) buf.set(repr.payload, off + hl);
  setU16(buf, off + F.checksum, internetChecksum(buf, off, total, pseudo(src, dst, total)));
  return total;
}

/** emitTcp into a new buffer of exactly the right size. */
export function encodeTcp(repr: TcpRepr, src: Ipv4Addr, dst: Ipv4Addr): Uint8Array {
  const buf = new Uint8Array(tcpBufferLen(repr));
  emitTcp(repr, src, dst, buf);
  return buf;
}
