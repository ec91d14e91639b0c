/**
 * The units a scenario file may write: durations ("2ms", or a number of ns), bandwidths
 * ("100Mbit", "1Gbps", or a number of bit/s) and sizes ("64KiB", or a number of bytes). The
 * patterns here are the ones the schema uses, so a value the schema accepts always parses.
 */
import { MS, NS, SEC, US, type Time } from '../../lib/sim/time.ts';

export const durationPattern = '^[0-9]+(\\.[0-9]+)?\\s*(ns|us|µs|ms|s|min)$';
export const bandwidthPattern = '^[0-9]+(\\.[0-9]+)?\\s*(bit|kbit|Mbit|Gbit|bps|kbps|Mbps|Gbps)(/s)?$|^unlimited$';
export const sizePattern = '^[0-9]+(\\.[0-9]+)?\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)$';

export type Duration = string | number;
export type Bandwidth = string | number;
export type Size = string | number;

const timeUnits: Record<string, number> = { ns: NS, us: US, µs: US, ms: MS, s: SEC, min: 60 * SEC };
const bitUnits: Record<string, number> = { bit: 1, kbit: 1e3, Mbit: 1e6, Gbit: 1e9, bps: 1, kbps: 1e3, Mbps: 1e6, Gbps: 1e9 };
const byteUnits: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };

function split(text: string): [number, string] {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(.*?)(?:\/s)?$/.exec(text.trim());
  if (m === null) throw new RangeError(`not a quantity: ${JSON.stringify(text)}`);
  return [Number(m[1]), m[2]!];
}

/** A duration in integer nanoseconds (fractions of a nanosecond round up). */
export function parseDuration(d: Duration): Time {
  if (typeof d === 'number') return Math.ceil(d);
  const [n, unit] = split(d);
  const k = timeUnits[unit];
  if (k === undefined) throw new RangeError(`unknown time unit in ${JSON.stringify(d)}`);
  return Math.ceil(n * k);
}

/** Bits per second; Infinity for "unlimited". */
export function parseBandwidth(b: Bandwidth): number {
  if (typeof b === 'number') return b;
  if (b === 'unlimited') return Infinity;
  const [n, unit] = split(b);
  const k = bitUnits[unit];
  if (k === undefined) throw new RangeError(`unknown bandwidth unit in ${JSON.stringify(b)}`);
  return n * k;
}

/** Bytes (rounded down to a whole byte). */
export function parseSize(s: Size): number {
  if (typeof s === 'number') return Math.floor(s);
  const [n, unit] = split(s);
  const k = byteUnits[unit];
  if (k === undefined) throw new RangeError(`unknown size unit in ${JSON.stringify(s)}`);
  return Math.floor(n * k);
}

/** A virtual time for people: "1.5s", "250ms", "12us", "0s". */
export function formatDuration(t: Time): string {
  if (t === 0) return '0s';
  if (t >= SEC) return `${+(t / SEC).toFixed(6)}s`;
  if (t >= MS) return `${+(t / MS).toFixed(3)}ms`;
  if (t >= US) return `${+(t / US).toFixed(3)}us`;
  return `${t}ns`;
}
