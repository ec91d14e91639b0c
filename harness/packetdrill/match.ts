/**
 * Compare a segment the stack sent (already mapped into script space, conn-map.ts) with the
 * script's outbound packet, field by field in packetdrill's order, and name the first field that
 * differs. Rules:
 * - every flag bit is compared; seq and payload length always;
 * - ack when the script packet has ACK (or writes `ack N`); window when written; urg when written
 *   or URG is set;
 * - options unless `<...>`: a missing list means "no options"; kinds must come in the same order;
 *   TS val within tolerance when a TS tick is configured, TS ecr exactly when asked to;
 * - IP ECN / TOS / TTL when the script names them.
 */
import type { TcpPacketSpec } from './ast.ts';
import { formatTcpFlags } from './flags.ts';
import { formatTcpOption, formatTcpOptions } from './format.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

export interface MatchOptions {
  /** Microseconds per TS val tick; 0 disables the TS val check (packetdrill's default). */
  tsTickUsecs: number;
  toleranceUsecs: number;
  /** Check the outbound TS ecr exactly (packetdrill does not). */
  checkTsEcr: boolean;
}

export interface Mismatch {
  field: string;
  expected: string;
  actual: string;
}

/** The IP header fields of the actual segment the script may constrain. */
export interface ActualIp {
  tos: number;
  ttl: number;
}

const FLAG_MASK =
  TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST | TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG | TcpFlag.ECE | TcpFlag.CWR;

const ECN_BITS: Record<string, number> = { noecn: 0, ect1: 1, ect0: 2, ce: 3 };
const ECN_NAMES = ['noecn', 'ect1', 'ect0', 'ce'];

export function matchOutbound(
  expected: TcpPacketSpec,
  actual: TcpRepr,
  ip: ActualIp,
  opts: MatchOptions,
): Mismatch | null {
  const ef = expected.flagBits & FLAG_MASK;
  const af = actual.flags & FLAG_MASK;
  if (ef !== af) return { field: 'flags', expected: formatTcpFlags(ef) || '-', actual: formatTcpFlags(af) || '-' };
  if (actual.seq >>> 0 !== expected.seq >>> 0) return num('seq', expected.seq, actual.seq);
  if (actual.payload.length !== expected.len) return num('payload length', expected.len, actual.payload.length);
  if (expected.flagBits & TcpFlag.ACK || expected.ack !== undefined) {
    if (actual.ack >>> 0 !== (expected.ack ?? 0) >>> 0) return num('ack', expected.ack ?? 0, actual.ack);
  }
  if (expected.win !== undefined && actual.window !== expected.win) return num('win', expected.win, actual.window);
  if (expected.urg !== undefined || expected.flagBits & TcpFlag.URG) {
    if (actual.urgent !== (expected.urg ?? 0)) return num('urg', expected.urg ?? 0, actual.urgent);
  }
  if (expected.options !== 'any') {
    const m = matchOptions(expected.options, actual.options, opts);
    if (m) return m;
  }
  return matchIp(expected, ip);
}

function num(field: string, expected: number, actual: number): Mismatch {
  return { field, expected: String(expected >>> 0), actual: String(actual >>> 0) };
}

function matchOptions(expected: TcpOption[], actual: TcpOption[], opts: MatchOptions): Mismatch | null {
  const kinds = (l: TcpOption[]): string => l.map((o) => (o.kind === 'unknown' ? `opt${o.code}` : o.kind)).join(',');
  if (kinds(expected) !== kinds(actual)) {
    return { field: 'TCP options', expected: formatTcpOptions(expected), actual: formatTcpOptions(actual) };
  }
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    const bad = (): Mismatch => ({ field: `TCP option ${e.kind}`, expected: formatTcpOption(e), actual: formatTcpOption(a) });
    switch (e.kind) {
      case 'ts': {
        const at = a as Extract<TcpOption, { kind: 'ts' }>;
        const drift = Math.abs(((at.val - e.val) | 0) * opts.tsTickUsecs);
        if (opts.tsTickUsecs > 0 && drift > opts.toleranceUsecs) {
          return { field: `TS val (tolerance ${opts.toleranceUsecs} usecs)`, expected: formatTcpOption(e), actual: formatTcpOption(a) };
        }
        if (opts.checkTsEcr && at.ecr >>> 0 !== e.ecr >>> 0) return { field: 'TS ecr', expected: formatTcpOption(e), actual: formatTcpOption(a) };
        break;
      }
      case 'eol':
      case 'nop':
      case 'sackOK':
        break;
      default:
        if (formatTcpOption(e) !== formatTcpOption(a)) return bad();
    }
  }
  return null;
}

function matchIp(expected: TcpPacketSpec, ip: ActualIp): Mismatch | null {
  const ecn = ip.tos & 3;
  const want = expected.ip;
  if (want.ecn === 'ect01') {
    if (ecn !== 1 && ecn !== 2) return { field: 'IP ECN', expected: 'ect0 or ect1', actual: ECN_NAMES[ecn]! };
  } else if (want.ecn !== undefined && ECN_BITS[want.ecn] !== ecn) {
    return { field: 'IP ECN', expected: want.ecn, actual: ECN_NAMES[ecn]! };
  }
  if (want.tos !== undefined && want.tos !== ip.tos) {
    return { field: 'IP TOS', expected: `0x${want.tos.toString(16)}`, actual: `0x${ip.tos.toString(16)}` };
  }
  if (want.ttl !== undefined && want.ttl !== ip.ttl) return num('IP TTL', want.ttl, ip.ttl);
  return null;
}

/**
 * Whether `next` continues `prev` as one TSO/GSO burst that a script may write as a single
 * packet (packetdrill aggregates such segments): contiguous sequence numbers, same ack, window
 * and flags except PSH/FIN, which only the last one may carry.
 */
export function continuesBurst(prev: TcpRepr, next: TcpRepr): boolean {
  const core = FLAG_MASK & ~(TcpFlag.PSH | TcpFlag.FIN);
  return (
    prev.payload.length > 0 &&
    next.payload.length > 0 &&
    (prev.flags & (TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST)) === 0 &&
    (prev.flags & core) === (next.flags & core) &&
    ((prev.seq + prev.payload.length) >>> 0) === next.seq >>> 0 &&
    prev.ack >>> 0 === next.ack >>> 0 &&
    prev.window === next.window
  );
}

/** Merge a burst into one segment: first header, all payload, flags of the last one added. */
export function mergeBurst(parts: TcpRepr[]): TcpRepr {
  const first = parts[0]!;
  const total = parts.reduce((n, p) => n + p.payload.length, 0);
  const payload = new Uint8Array(total);
  let off = 0;
  let flags = first.flags;
  for (const p of parts) {
    payload.set(p.payload, off);
    off += p.payload.length;
    flags |= p.flags;
  }
  return { ...first, flags, payload };
}
