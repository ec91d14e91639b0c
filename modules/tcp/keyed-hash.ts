/**
 * HalfSipHash-2-4 (Aumasson & Bernstein; the 32-bit variant Linux uses as hsiphash): a keyed
 * pseudo-random function over a few 32-bit words. It serves as RFC 6528's F() for initial
 * sequence numbers and for the per-connection timestamp offset (RFC 7323 §7.1).
 */

export type HashKey = readonly [number, number];

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

/** Hash `words` (each taken as a little-endian 32-bit word) under `key`; returns a u32. */
export function halfSipHash(key: HashKey, words: readonly number[]): number {
  let v0 = key[0] >>> 0;
  let v1 = key[1] >>> 0;
  let v2 = (0x6c796765 ^ key[0]) >>> 0;
  let v3 = (0x74656462 ^ key[1]) >>> 0;
  const round = (): void => {
    v0 = (v0 + v1) >>> 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) >>> 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) >>> 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) >>> 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
  };
  for (let i = 0; i < words.length; i++) {
    const m = words[i]! >>> 0;
    v3 = (v3 ^ m) >>> 0;
    round();
    round();
    v0 = (v0 ^ m) >>> 0;
  }
  const b = ((words.length * 4) & 0xff) << 24;
  v3 = (v3 ^ b) >>> 0;
  round();
  round();
  v0 = (v0 ^ b) >>> 0;
  v2 = (v2 ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  return (v1 ^ v3) >>> 0;
}
