/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Speed: the full sum of anything but a short run copies the bytes into a small WebAssembly
 * memory and adds them there as 32-bit words with 128-bit SIMD (checksum.wat), then folds.
 * The one's complement sum is byte-order independent (RFC 1071 §2(B)), so a sum taken in
 * WebAssembly's little-endian words is the big-endian sum with its two bytes swapped.
 * Measured over 1500-byte packets (Node 20, `handoff bench --area wire`): 16-bit byte loop
 * ~1.0-1.4 GB/s, a Uint32Array word loop ~2.4-3.3 GB/s, copy + SIMD ~10-11 GB/s. Below 64
 * bytes the byte loop wins: the copy and the call cost more than they save.
 *
 * Conventions: a "sum" is a folded one's complement sum in 0..0xFFFF (0 only when every word
 * summed is 0); a "checksum" is its complement, as stored in a header.
 */
import type { Ipv4Addr } from './ip-types.ts';
import { CHECKSUM_WASM_BASE64 } from './checksum-wasm.ts';

/** Below this many bytes the plain byte loop beats the copy into WebAssembly. */
const SMALL = 64;
/** Bytes summed per WebAssembly call: even, so every chunk starts at an even position. */
const CHUNK = 1 << 16;

/** The little of the WebAssembly API used here (the project's TypeScript libs have no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { mem: { buffer: ArrayBuffer }; sum: (start: number, len: number) => number } };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const wasm = new Instance(new Module(Buffer.from(CHECKSUM_WASM_BASE64, 'base64'))).exports;
/** The WebAssembly memory's first bytes, where each buffer or chunk is copied (it never grows). */
const wasmBytes = new Uint8Array(wasm.mem.buffer, 0, CHUNK);
const wasmSum = wasm.sum;

/** Fold any non-negative integer (up to 2^53) to 16 bits with end-around carry. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** One's complement addition of two 16-bit sums. */
export function sumAdd(a: number, b: number): number {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
}

function swap16(s: number): number {
  return ((s & 0xff) << 8) | (s >>> 8);
}

/** Byte loop; `odd` says whether buf[from] sits at an odd position of the checksummed data. */
function sumBytes(buf: Uint8Array, from: number, to: number, odd: boolean): number {
  let s = 0;
  let i = from;
  if (odd && i < to) s += buf[i++]!;
  for (; i + 1 < to; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < to) s += buf[i]! << 8;
  return s;
}

/**
 * Folded one's complement sum of buf[off .. off+len), buf[off] being a high-order byte,
 * added to `initial` (another folded sum, e.g. a pseudo-header's).
 */
export function onesSum(buf: Uint8Array, off = 0, len = buf.length - off, initial = 0): number {
  if (len < SMALL) return fold(initial + sumBytes(buf, off, off + len, false));
  if (buf.length <= CHUNK) {
    // The whole buffer in one copy, no view made: summing from `off` inside the copy reads the
    // same words (WebAssembly loads need no alignment, and word parity counts from `off`).
    wasmBytes.set(buf);
    return fold(initial + swap16(fold(wasmSum(off, len))));
  }
  let s = initial;
  for (let at = 0; at < len; at += CHUNK) {
    const n = Math.min(CHUNK, len - at);
    wasmBytes.set(buf.subarray(off + at, off + at + n));
    s += swap16(fold(wasmSum(0, n)));
  }
  return fold(s);
}

/** The Internet checksum of buf[off .. off+len) plus `initial` (a folded sum). */
export function internetChecksum(buf: Uint8Array, off = 0, len = buf.length - off, initial = 0): number {
  return ~onesSum(buf, off, len, initial) & 0xffff;
}

/** Folded sum of the IPv4 pseudo-header (RFC 9293 §3.1): addresses, zero, protocol, length. */
export function pseudoHeaderSum(src: Ipv4Addr | number, dst: Ipv4Addr | number, protocol: number, length: number): number {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length);
}

/**
 * RFC 1624 eqn. 3: the checksum after one 16-bit word of the data changes from `oldWord` to
 * `newWord`: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never yields 0xFFFF (-0) unless the
 * full recomputation would, so it matches a recomputation bit for bit for any data that is
 * not all zero (IPv4 and TCP-with-pseudo-header data never is). An unchanged value returns HC
 * as it was (RFC 1624 erratum 4782), so a stored -0 is never silently turned into +0.
 */
export function csumUpdate16(hc: number, oldWord: number, newWord: number): number {
  if (((oldWord ^ newWord) & 0xffff) === 0) return hc;
  const s = (~hc & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(s) & 0xffff;
}

/** As csumUpdate16 for a 32-bit field (address, seq/ack number, timestamp) at an even offset. */
export function csumUpdate32(hc: number, oldValue: number, newValue: number): number {
  if ((oldValue ^ newValue) === 0) return hc;
  const s =
    (~hc & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff);
  return ~fold(s) & 0xffff;
}

/**
 * As csumUpdate16 for a run of bytes that changed from `before` to `after` (same length).
 * `oddOffset`: the run starts at an odd byte position of the checksummed data (e.g. a SACK
 * block in an option that is not NOP-aligned), which shifts its bytes into the low halves.
 */
export function csumUpdateBytes(hc: number, before: Uint8Array, after: Uint8Array, oddOffset = false): number {
  if (before.length !== after.length) throw new RangeError('csumUpdateBytes: runs differ in length');
  const oldSum = fold(sumBytes(before, 0, before.length, oddOffset));
  const newSum = fold(sumBytes(after, 0, after.length, oddOffset));
  if (oldSum === newSum) return hc;
  const s = (~hc & 0xffff) + (~oldSum & 0xffff) + newSum;
  return ~fold(s) & 0xffff;
}
