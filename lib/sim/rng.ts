/**
 * Seeded random numbers: xoshiro128** (Blackman & Vigna), 32-bit arithmetic only, so the same
 * seed gives the same stream on every platform. Seeds are strings or numbers; the 128-bit state
 * comes from hashing the seed text (cyrb128-style mixing, then a splitmix step per word).
 *
 * `fork(label)` derives a child from the parent's *seed path* and the label, not from the
 * parent's current state: a child is the same whatever the parent has drawn, so adding a link
 * or drawing one more number somewhere does not shift any other stream. Forking the same label
 * twice gives the same stream; labels must be unique among siblings.
 */
import type { Rng } from './types.ts';

export class SeededRng implements Rng {
  /** The seed path, e.g. "42/link:lan:fe/up/loss". */
  readonly seedPath: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    this.seedPath = String(seed);
    [this.a, this.b, this.c, this.d] = hash128(this.seedPath);
    // Discard the first outputs: nearby seeds should not start nearby.
    for (let i = 0; i < 8; i++) this.u32();
  }

  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  float(): number {
    return this.u32() / 4294967296;
  }

  fork(label: string): SeededRng {
    return new SeededRng(`${this.seedPath}/${label}`);
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32, without modulo bias. */
  int(n: number): number {
    if (!(n > 0) || n > 4294967296) throw new RangeError(`int: bad bound ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. Draws exactly one number whatever p is, so streams stay aligned. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Exponentially distributed value with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick: empty list');
    return items[this.int(items.length)]!;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** 128 bits from a string: four independently mixed 32-bit lanes, never all zero. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  const out = [splitmix(h1), splitmix(h2), splitmix(h3), splitmix(h4)] as [number, number, number, number];
  if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 1;
  return out;
}

function splitmix(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
