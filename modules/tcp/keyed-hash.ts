/**
 * HalfSipHash-2-4 (Aumasson & Bernstein; the 32-bit variant Linux uses as hsiphash): a keyed
 * pseudo-random function over a few 32-bit words. It serves as RFC 6528's F() for initial
 * sequence numbers and for the per-connection timestamp offset (RFC 7323 §7.1).
 */

export type HashKey = readonly [number, number];

/**
 * Hash `words` (each taken as a little-endian 32-bit word) under `key`; returns a u32.
 * The state stays in locals as int32 (`| 0` arithmetic is the same modulo 2^32): values kept
 * in closures or module variables, or as uint32 above 2^31, would be boxed on every step.
 */
export function halfSipHash(key: HashKey, words: readonly number[]): number {
  let v0 = key[0] | 0;
  let v1 = key[1] | 0;
  let v2 = (0x6c796765 ^ key[0]) | 0;
  let v3 = (0x74656462 ^ key[1]) | 0;
  // Rounds to run: 2 per word (c = 2), 2 after the length block, then 4 (d = 4).
  const n = words.length;
  for (let i = 0; i <= n + 1; i++) {
    let m = 0;
    let rounds = 2;
    if (i < n) {
      m = words[i]! | 0;
      v3 ^= m;
    } else if (i === n) {
      m = ((n * 4) & 0xff) << 24;
      v3 ^= m;
    } else {
      v2 ^= 0xff;
      rounds = 4;
    }
    for (let r = 0; r < rounds; r++) {
      v0 = (v0 + v1) | 0;
      v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
      v2 = (v2 << 16) | (v2 >>> 16);
    }
    if (i <= n) v0 ^= m;
  }
  return (v1 ^ v3) >>> 0;
}
