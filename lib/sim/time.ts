/**
 * Virtual time. The whole project counts time in integer nanoseconds held in a JS number:
 * exact up to 2^53 ns (about 104 days of virtual time), fine enough for the serialisation
 * delay of one byte on a 100 Gbit/s link.
 */
export type Time = number;

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;

/** Format a virtual time as seconds with microsecond precision, e.g. "1.000250". */
export function formatTime(t: Time): string {
  const us = Math.round(t / US);
  const s = Math.floor(us / 1_000_000);
  return `${s}.${String(us % 1_000_000).padStart(6, '0')}`;
}
