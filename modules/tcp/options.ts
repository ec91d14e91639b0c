/**
 * TCP options as this TCP uses them: reading the ones that matter from a parsed segment,
 * and laying out the ones we send. Byte encoding is lib/wire's job; here the order and the
 * NOP/EOL padding are chosen, because that is what a packet capture compares.
 */
import type { Seq } from '../../lib/wire/seq.ts';
import type { TcpOption } from '../../lib/wire/tcp-types.ts';
import type { SynOptionLayout } from './profile.ts';

export interface SackBlock {
  left: Seq;
  right: Seq;
}

/** The options of one received segment. Numeric fields are -1 when absent. */
export interface ReceivedOptions {
  mss: number;
  wscale: number;
  sackOK: boolean;
  hasTs: boolean;
  tsVal: number;
  tsEcr: number;
  sack: SackBlock[] | null;
  /** The segment's ACK field, kept alongside for SACK processing. */
  ackSeen: Seq;
}

export function emptyReceivedOptions(): ReceivedOptions {
  return { mss: -1, wscale: -1, sackOK: false, hasTs: false, tsVal: 0, tsEcr: 0, sack: null, ackSeen: 0 as Seq };
}

/** Fill `out` from a segment's option list (reuses `out`: no allocation per segment). */
export function readOptions(options: readonly TcpOption[], out: ReceivedOptions): ReceivedOptions {
  out.mss = -1;
  out.wscale = -1;
  out.sackOK = false;
  out.hasTs = false;
  out.tsVal = 0;
  out.tsEcr = 0;
  out.sack = null;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    switch (o.kind) {
      case 'mss':
        out.mss = o.mss;
        break;
      case 'wscale':
        out.wscale = o.shift;
        break;
      case 'sackOK':
        out.sackOK = true;
        break;
      case 'ts':
        out.hasTs = true;
        out.tsVal = o.val >>> 0;
        out.tsEcr = o.ecr >>> 0;
        break;
      case 'sack':
        out.sack = o.blocks;
        break;
      case 'eol':
        return out;
      default:
        break;
    }
  }
  return out;
}

const NOP: TcpOption = Object.freeze({ kind: 'nop' });
const EOL: TcpOption = Object.freeze({ kind: 'eol' });
const SACK_OK: TcpOption = Object.freeze({ kind: 'sackOK' });

/** What a SYN or SYN/ACK announces. */
export interface SynOptionSet {
  mss: number;
  /** Our shift, or -1 to leave the option out. */
  wscale: number;
  sackOK: boolean;
  /** Timestamp to send, or null to leave the option out. */
  ts: { val: number; ecr: number } | null;
}

/** Lay out SYN options the way the profile's stack does. */
export function synOptions(layout: SynOptionLayout, o: SynOptionSet): TcpOption[] {
  return layout === 'linux' ? linuxSynOptions(o) : freebsdSynOptions(o);
}

function linuxSynOptions(o: SynOptionSet): TcpOption[] {
  const out: TcpOption[] = [{ kind: 'mss', mss: o.mss }];
  if (o.ts) {
    // tcp_options_write: sackOK shares the TS word instead of two NOPs.
    if (o.sackOK) out.push(SACK_OK);
    else out.push(NOP, NOP);
    out.push({ kind: 'ts', val: o.ts.val >>> 0, ecr: o.ts.ecr >>> 0 });
  } else if (o.sackOK) {
    out.push(NOP, NOP, SACK_OK);
  }
  if (o.wscale >= 0) out.push(NOP, { kind: 'wscale', shift: o.wscale });
  return out;
}

function freebsdSynOptions(o: SynOptionSet): TcpOption[] {
  // tcp_addoptions: each option is NOP-aligned to its preferred offset, in flag order.
  const out: TcpOption[] = [{ kind: 'mss', mss: o.mss }];
  let len = 4;
  if (o.wscale >= 0) {
    while (len % 2 !== 1) {
      out.push(NOP);
      len++;
    }
    out.push({ kind: 'wscale', shift: o.wscale });
    len += 3;
  }
  if (o.sackOK) {
    while (len % 2 !== 0) {
      out.push(NOP);
      len++;
    }
    out.push(SACK_OK);
    len += 2;
  }
  if (o.ts) {
    while (len % 4 !== 2) {
      out.push(NOP);
      len++;
    }
    out.push({ kind: 'ts', val: o.ts.val >>> 0, ecr: o.ts.ecr >>> 0 });
    len += 10;
  }
  // Terminate and pad to a 4-byte boundary with EOL bytes.
  while (len % 4 !== 0) {
    out.push(EOL);
    len++;
  }
  return out;
}

/** Room for SACK blocks: 40 option bytes, less the aligned timestamp (12), less 2 NOPs + header. */
export function maxSackBlocks(withTs: boolean): number {
  return withTs ? 3 : 4;
}

/** Options of a non-SYN segment: NOP,NOP,TS then NOP,NOP,SACK — the same on both stacks. */
export function segmentOptions(tsVal: number, tsEcr: number, withTs: boolean, sack: SackBlock[] | null): TcpOption[] {
  if (!withTs && !sack) return NO_OPTIONS;
  return segmentOptionsInto([], null, tsVal, tsEcr, withTs, sack);
}

/**
 * segmentOptions into `out` (emptied first), writing the timestamps into `ts` when given
 * rather than into a new option object: for a stack whose segments are built in one reused
 * repr (stack.ts `newSegment`).
 */
export function segmentOptionsInto(
  out: TcpOption[],
  ts: Extract<TcpOption, { kind: 'ts' }> | null,
  tsVal: number,
  tsEcr: number,
  withTs: boolean,
  sack: SackBlock[] | null,
): TcpOption[] {
  // Written by index, the length set once: `length = 0` would drop the list's storage.
  let n = 0;
  if (withTs) {
    const t = ts ?? { kind: 'ts' as const, val: 0, ecr: 0 };
    t.val = tsVal >>> 0;
    t.ecr = tsEcr >>> 0;
    out[n++] = NOP;
    out[n++] = NOP;
    out[n++] = t;
  }
  if (sack && sack.length > 0) {
    out[n++] = NOP;
    out[n++] = NOP;
    out[n++] = { kind: 'sack', blocks: sack };
  }
  if (out.length !== n) out.length = n;
  return out;
}

/** Shared empty option list (never mutated). */
export const NO_OPTIONS: TcpOption[] = Object.freeze([]) as unknown as TcpOption[];

/** Bytes of options on a full-sized data segment, which the MSS must leave room for. */
export function dataOptionBytes(withTs: boolean): number {
  return withTs ? 12 : 0;
}
