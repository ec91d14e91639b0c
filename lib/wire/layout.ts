/**
 * Header layouts are declared once with @solana/buffer-layout (readable, and the bench's
 * reference decoder); the hot path reads and writes bytes directly at offsets derived from
 * those declarations, so the offsets live in exactly one place. Why direct access on the hot
 * path: buffer-layout wraps the bytes in a fresh Buffer for every field it reads, and the
 * wire bench measures it at roughly a tenth of the direct accessors' rate.
 */
import type { Structure } from '@solana/buffer-layout';

/** The byte offset of every named field of a structure layout. */
export function fieldOffsets<T>(layout: Structure<T>): { readonly [K in keyof T]: number } {
  const out: Record<string, number> = {};
  for (const f of layout.fields) {
    if (f.property === undefined) continue;
    const at = layout.offsetOf(f.property);
    if (at === undefined) throw new Error(`layout field ${f.property} has no fixed offset`);
    out[f.property] = at;
  }
  return out as { [K in keyof T]: number };
}

export function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v;
}

export function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
