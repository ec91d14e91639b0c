/**
 * TCP sequence numbers: unsigned 32-bit values compared and added modulo 2^32 (RFC 9293 §3.4).
 * Every piece of sequence arithmetic in the project goes through this file.
 */

/** A sequence (or acknowledgment) number, always kept in 0 .. 2^32-1. */
export type Seq = number & { readonly __seq: unique symbol };

/** Wrap any integer into sequence space. */
export function seq(n: number): Seq {
  return (n >>> 0) as Seq;
}

/** a + n, modulo 2^32 (n may be negative). */
export function seqAdd(a: Seq, n: number): Seq {
  return ((a + n) >>> 0) as Seq;
}

/** The signed distance a - b, in -2^31 .. 2^31-1. */
export function seqDiff(a: Seq, b: Seq): number {
  return (a - b) | 0;
}

export function seqLt(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: Seq, b: Seq): boolean {
  return ((a - b) | 0) >= 0;
}

export function seqMax(a: Seq, b: Seq): Seq {
  return seqGe(a, b) ? a : b;
}

export function seqMin(a: Seq, b: Seq): Seq {
  return seqLe(a, b) ? a : b;
}

/** lo <= s < hi in sequence space (an empty window, lo == hi, holds nothing). */
export function seqInRange(s: Seq, lo: Seq, hi: Seq): boolean {
  return seqLe(lo, s) && seqLt(s, hi);
}
