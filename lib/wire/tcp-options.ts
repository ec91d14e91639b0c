/**
 * TCP options (RFC 9293 §3.2, RFC 7323 window scale and timestamps, RFC 2018 SACK): parse to
 * and emit from the `TcpOption` list in wire order, locate options in place for rewriting,
 * and read the negotiated values out of a list.
 *
 * Parse is lossless for what stacks send: every option keeps its place, unknown kinds keep
 * their bytes, and the zero padding after an End-of-Option-List is kept as one `eol` per byte
 * so the header length survives a round trip. (Non-zero bytes after EOL are ignored, as
 * receivers must; a re-emit writes them as zeros.)
 */
import { seq, type Seq } from './seq.ts';
import type { TcpOption } from './tcp-types.ts';
import { setU16, setU32, u16, u32 } from './layout.ts';
import { fail, ok, type WireResult } from './result.ts';

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
} as const;

/** Fixed lengths of the known options (SACK: 2 + 8 per block). */
const LEN_MSS = 4;
const LEN_WSCALE = 3;
const LEN_SACK_PERMITTED = 2;
const LEN_TIMESTAMPS = 10;
const SACK_BLOCK_LEN = 8;

/** RFC 7323 §2.3: a shift above 14 is used as 14. */
export const MAX_WSCALE = 14;

/** Where one option sits, for rewriting in place. `offset` counts from the start of `bytes` passed in plus `base`. */
export interface TcpOptionSpan {
  kind: number;
  offset: number;
  length: number;
}

/**
 * Length of the option that starts at b[i] (a kind with a length byte: not EOL, not NOP) in an
 * option area ending at `end`, or -1 when its length byte is missing, below 2, past the end,
 * or wrong for its kind. The single place that decides whether an option's length is sane.
 */
function optionLength(b: Uint8Array, i: number, end: number): number {
  if (i + 1 >= end) return -1;
  const len = b[i + 1]!;
  return len < 2 || i + len > end || !lengthFits(b[i]!, len) ? -1 : len;
}

function lengthFits(kind: number, len: number): boolean {
  switch (kind) {
    case TcpOptionKind.MSS:
      return len === LEN_MSS;
    case TcpOptionKind.WSCALE:
      return len === LEN_WSCALE;
    case TcpOptionKind.SACK_PERMITTED:
      return len === LEN_SACK_PERMITTED;
    case TcpOptionKind.TIMESTAMPS:
      return len === LEN_TIMESTAMPS;
    case TcpOptionKind.SACK:
      return len > 2 && (len - 2) % SACK_BLOCK_LEN === 0;
    default:
      return true;
  }
}

/** EOL and NOP carry nothing, so every parse shares one frozen object of each. */
const EOL_OPTION: TcpOption = Object.freeze({ kind: 'eol' });
const NOP_OPTION: TcpOption = Object.freeze({ kind: 'nop' });

/** Parse an option area (the bytes between the fixed TCP header and the data). Views, no copies. */
export function parseTcpOptions(b: Uint8Array): WireResult<TcpOption[]> {
  const out: TcpOption[] = [];
  const bad = decodeTcpOptions(b, 0, b.length, out);
  return bad >= 0 ? fail('bad-option-length', bad) : ok(out);
}

/**
 * Decode the option area b[start..end) into `out` (replacing what it held); returns the offset
 * (from `start`) of a bad option, or -1. The zero padding after an End-of-Option-List becomes
 * one `eol` per byte. Elements are written by index and the length set once at the end: a
 * list emptied with `length = 0` loses its storage and would be reallocated on every call.
 * A timestamp option object already at its place in the list is refilled rather than remade
 * (a receive path that parses every segment into one list makes none).
 */
export function decodeTcpOptions(b: Uint8Array, start: number, end: number, out: TcpOption[]): number {
  let n = 0;
  let bad = -1;
  for (let i = start; i < end; ) {
    const kind = b[i]!;
    if (kind === TcpOptionKind.EOL) {
      for (; i < end; i++) out[n++] = EOL_OPTION;
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      out[n++] = NOP_OPTION;
      i++;
      continue;
    }
    const len = optionLength(b, i, end);
    if (len < 0) {
      bad = i - start;
      break;
    }
    const prev = out[n];
    if (kind === TcpOptionKind.TIMESTAMPS && prev !== undefined && prev.kind === 'ts') {
      // The list's own timestamp object from the last segment: refilled, not remade.
      prev.val = u32(b, i + 2);
      prev.ecr = u32(b, i + 6);
      n++;
    } else {
      out[n++] = decodeOne(b, kind, i, len);
    }
    i += len;
  }
  if (out.length !== n) out.length = n;
  return bad;
}

function decodeOne(b: Uint8Array, kind: number, at: number, len: number): TcpOption {
  switch (kind) {
    case TcpOptionKind.MSS:
      return { kind: 'mss', mss: u16(b, at + 2) };
    case TcpOptionKind.WSCALE:
      return { kind: 'wscale', shift: b[at + 2]! };
    case TcpOptionKind.SACK_PERMITTED:
      return { kind: 'sackOK' };
    case TcpOptionKind.TIMESTAMPS:
      return { kind: 'ts', val: u32(b, at + 2), ecr: u32(b, at + 6) };
    case TcpOptionKind.SACK: {
      const blocks = [];
      for (let p = at + 2; p < at + len; p += SACK_BLOCK_LEN) blocks.push({ left: seq(u32(b, p)), right: seq(u32(b, p + 4)) });
      return { kind: 'sack', blocks };
    }
    default:
      return { kind: 'unknown', code: kind, data: b.subarray(at + 2, at + len) };
  }
}

/**
 * Every option's position, offsets counted from `base` (pass the option area's offset in the
 * TCP header to get header offsets). For BTCP to rewrite SACK edges and timestamps in place.
 */
export function tcpOptionSpans(b: Uint8Array, base = 0): WireResult<TcpOptionSpan[]> {
  const out: TcpOptionSpan[] = [];
  for (let i = 0; i < b.length; ) {
    const kind = b[i]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    const length = optionLength(b, i, b.length);
    if (length < 0) return fail('bad-option-length', base + i);
    out.push({ kind, offset: base + i, length });
    i += length;
  }
  return ok(out);
}

/** Bytes one option takes on the wire. */
export function tcpOptionLen(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return LEN_MSS;
    case 'wscale':
      return LEN_WSCALE;
    case 'sackOK':
      return LEN_SACK_PERMITTED;
    case 'ts':
      return LEN_TIMESTAMPS;
    case 'sack':
      return 2 + SACK_BLOCK_LEN * o.blocks.length;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** Bytes the whole list takes, before padding to a multiple of 4. */
export function tcpOptionsLen(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += tcpOptionLen(o);
  return n;
}

/** Write the options in list order at b[at..]; returns the bytes written (no padding). */
export function emitTcpOptions(options: readonly TcpOption[], b: Uint8Array, at: number): number {
  const start = at;
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        b[at++] = TcpOptionKind.EOL;
        break;
      case 'nop':
        b[at++] = TcpOptionKind.NOP;
        break;
      case 'mss':
        b[at] = TcpOptionKind.MSS;
        b[at + 1] = LEN_MSS;
        setU16(b, at + 2, o.mss);
        at += LEN_MSS;
        break;
      case 'wscale':
        b[at] = TcpOptionKind.WSCALE;
        b[at + 1] = LEN_WSCALE;
        b[at + 2] = o.shift;
        at += LEN_WSCALE;
        break;
      case 'sackOK':
        b[at] = TcpOptionKind.SACK_PERMITTED;
        b[at + 1] = LEN_SACK_PERMITTED;
        at += LEN_SACK_PERMITTED;
        break;
      case 'ts':
        b[at] = TcpOptionKind.TIMESTAMPS;
        b[at + 1] = LEN_TIMESTAMPS;
        setU32(b, at + 2, o.val);
        setU32(b, at + 6, o.ecr);
        at += LEN_TIMESTAMPS;
        break;
      case 'sack': {
        if (o.blocks.length === 0) throw new RangeError('a SACK option needs at least one block');
        b[at] = TcpOptionKind.SACK;
        b[at + 1] = 2 + SACK_BLOCK_LEN * o.blocks.length;
        at += 2;
        for (const blk of o.blocks) {
          setU32(b, at, blk.left);
          setU32(b, at + 4, blk.right);
          at += SACK_BLOCK_LEN;
        }
        break;
      }
      case 'unknown':
        // A known code with odd data is allowed on purpose: conformance scripts craft bad options.
        if (o.code <= TcpOptionKind.NOP) throw new RangeError(`option code ${o.code} has no length byte`);
        if (o.data.length > 253) throw new RangeError(`TCP option ${o.code} too long`);
        b[at] = o.code;
        b[at + 1] = 2 + o.data.length;
        b.set(o.data, at + 2);
        at += 2 + o.data.length;
        break;
    }
  }
  return at - start;
}

/** The MSS option's value, if present. */
export function findMss(options: readonly TcpOption[]): number | undefined {
  for (const o of options) if (o.kind === 'mss') return o.mss;
  return undefined;
}

/** The window-scale shift, if present, clamped to 14 (RFC 7323 §2.3). */
export function findWscale(options: readonly TcpOption[]): number | undefined {
  for (const o of options) if (o.kind === 'wscale') return Math.min(o.shift, MAX_WSCALE);
  return undefined;
}

export function hasSackPermitted(options: readonly TcpOption[]): boolean {
  for (const o of options) if (o.kind === 'sackOK') return true;
  return false;
}

export function findTimestamps(options: readonly TcpOption[]): { val: number; ecr: number } | undefined {
  for (const o of options) if (o.kind === 'ts') return { val: o.val, ecr: o.ecr };
  return undefined;
}

/** SACK blocks of every SACK option, in order (normally there is one option). */
export function findSackBlocks(options: readonly TcpOption[]): Array<{ left: Seq; right: Seq }> {
  const out = [];
  for (const o of options) if (o.kind === 'sack') out.push(...o.blocks);
  return out;
}

/** What a SYN or SYN/ACK offers, in one object (the "initial state" BTCP records). */
export interface NegotiatedOptions {
  mss?: number;
  wscale?: number;
  sackOK: boolean;
  ts?: { val: number; ecr: number };
}

export function negotiatedOptions(options: readonly TcpOption[]): NegotiatedOptions {
  const out: NegotiatedOptions = { sackOK: hasSackPermitted(options) };
  const mss = findMss(options);
  if (mss !== undefined) out.mss = mss;
  const ws = findWscale(options);
  if (ws !== undefined) out.wscale = ws;
  const ts = findTimestamps(options);
  if (ts !== undefined) out.ts = ts;
  return out;
}
