/**
 * pcap capture files (the classic libpcap format, which Wireshark and tshark read): a writer
 * that turns (virtual time, packet) pairs into byte chunks for a sink, and a reader that
 * parses a whole file back. No file I/O here: the harness owns files.
 *
 * The writer defaults to the nanosecond magic 0xa1b23c4d so virtual-ns timestamps survive
 * exactly; microsecond files (0xa1b2c3d4) are written on request. It writes little-endian;
 * the reader takes both magics in both byte orders. The global header is declared and coded
 * with buffer-layout (once per file); record headers, one per packet, use a DataView.
 */
import { s32, s32be, struct, u16, u16be, u32, u32be, type Structure } from '@solana/buffer-layout';
import type { Time } from '../sim/time.ts';
import { fieldOffsets } from './layout.ts';
import { fail, ok, type WireResult } from './result.ts';

/** Raw IPv4/IPv6, no link header: what the emulated interfaces carry. */
export const LINKTYPE_RAW = 101;
export const LINKTYPE_ETHERNET = 1;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;

/** libpcap's upper bound on a record (MAXIMUM_SNAPLEN); anything larger is a corrupt file. */
export const PCAP_MAX_RECORD = 262144;
const DEFAULT_SNAPLEN = 65535;

export type PcapResolution = 'ns' | 'us';

export interface PcapOptions {
  /** Default LINKTYPE_RAW. */
  linktype?: number;
  /** Bytes kept of each packet (default 65535); longer packets are cut and keep origLen. */
  snaplen?: number;
  /** Timestamp resolution (default 'ns'). */
  resolution?: PcapResolution;
}

export interface PcapHeader {
  linktype: number;
  snaplen: number;
  resolution: PcapResolution;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
}

export interface PcapRecord {
  /** Virtual time in nanoseconds (microsecond files give multiples of 1000). */
  time: Time;
  /** The captured bytes (a view into the file when read). */
  data: Uint8Array;
  /** The packet's length on the wire (>= data.length). */
  origLen: number;
}

export interface PcapFile {
  header: PcapHeader;
  records: PcapRecord[];
}

interface GlobalHeaderFields {
  magic: number;
  versionMajor: number;
  versionMinor: number;
  thiszone: number;
  sigfigs: number;
  snaplen: number;
  network: number;
}

function globalHeaderLayout(littleEndian: boolean): Structure<GlobalHeaderFields> {
  const w32 = littleEndian ? u32 : u32be;
  const w16 = littleEndian ? u16 : u16be;
  const s32w = littleEndian ? s32 : s32be;
  return struct<GlobalHeaderFields>([
    w32('magic'),
    w16('versionMajor'),
    w16('versionMinor'),
    s32w('thiszone'),
    w32('sigfigs'),
    w32('snaplen'),
    w32('network'),
  ]);
}

const GLOBAL_LE = globalHeaderLayout(true);
const GLOBAL_BE = globalHeaderLayout(false);
export const PCAP_GLOBAL_HEADER_LEN = GLOBAL_LE.span;

interface RecordHeaderFields {
  tsSec: number;
  tsFrac: number;
  inclLen: number;
  origLen: number;
}

const RECORD_LAYOUT = struct<RecordHeaderFields>([u32('tsSec'), u32('tsFrac'), u32('inclLen'), u32('origLen')]);
const R = fieldOffsets(RECORD_LAYOUT);
export const PCAP_RECORD_HEADER_LEN = RECORD_LAYOUT.span;

function resolved(opts?: PcapOptions): Required<PcapOptions> {
  return {
    linktype: opts?.linktype ?? LINKTYPE_RAW,
    snaplen: opts?.snaplen ?? DEFAULT_SNAPLEN,
    resolution: opts?.resolution ?? 'ns',
  };
}

/** The 24-byte file header. */
export function pcapGlobalHeader(opts?: PcapOptions): Uint8Array {
  const o = resolved(opts);
  const buf = new Uint8Array(PCAP_GLOBAL_HEADER_LEN);
  GLOBAL_LE.encode(
    {
      magic: o.resolution === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US,
      versionMajor: 2,
      versionMinor: 4,
      thiszone: 0,
      sigfigs: 0,
      snaplen: o.snaplen,
      network: o.linktype,
    },
    buf,
  );
  return buf;
}

/** One record: its 16-byte header followed by the (possibly cut) packet bytes. */
export function pcapRecord(time: Time, packet: Uint8Array, opts?: PcapOptions, origLen = packet.length): Uint8Array {
  const o = resolved(opts);
  if (!(time >= 0) || !Number.isFinite(time)) throw new RangeError(`pcap: bad timestamp ${time}`);
  const incl = Math.min(packet.length, o.snaplen);
  const buf = new Uint8Array(PCAP_RECORD_HEADER_LEN + incl);
  const dv = new DataView(buf.buffer);
  const t = Math.floor(time);
  const sec = Math.floor(t / 1e9);
  const ns = t - sec * 1e9;
  dv.setUint32(R.tsSec, sec, true);
  dv.setUint32(R.tsFrac, o.resolution === 'ns' ? ns : Math.floor(ns / 1000), true);
  dv.setUint32(R.inclLen, incl, true);
  dv.setUint32(R.origLen, Math.max(origLen, incl), true);
  buf.set(incl === packet.length ? packet : packet.subarray(0, incl), PCAP_RECORD_HEADER_LEN);
  return buf;
}

/**
 * Streams a capture to `sink`: the global header at construction, then one chunk per packet.
 * The sink decides where bytes go (a file the harness opened, an array in a spec).
 */
export class PcapWriter {
  private readonly opts: Required<PcapOptions>;
  private count = 0;

  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    opts?: PcapOptions,
  ) {
    this.opts = resolved(opts);
    sink(pcapGlobalHeader(this.opts));
  }

  /** Packets written so far. */
  get packets(): number {
    return this.count;
  }

  write(time: Time, packet: Uint8Array, origLen = packet.length): void {
    this.sink(pcapRecord(time, packet, this.opts, origLen));
    this.count++;
  }
}

/** A whole capture in one buffer. */
export function encodePcap(records: Iterable<{ time: Time; data: Uint8Array; origLen?: number }>, opts?: PcapOptions): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), opts);
  for (const r of records) w.write(r.time, r.data, r.origLen);
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Parse a whole capture. Record data are views into `buf`. */
export function parsePcap(buf: Uint8Array): WireResult<PcapFile> {
  if (buf.length < PCAP_GLOBAL_HEADER_LEN) return fail('truncated', 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, false);
  let littleEndian: boolean;
  if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) littleEndian = false;
  else if (magic === PCAP_MAGIC_US_SWAPPED || magic === PCAP_MAGIC_NS_SWAPPED) littleEndian = true;
  else return fail('bad-magic', 0);
  const resolution: PcapResolution = magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_NS_SWAPPED ? 'ns' : 'us';
  const g = (littleEndian ? GLOBAL_LE : GLOBAL_BE).decode(buf, 0);
  const header: PcapHeader = {
    linktype: g.network,
    snaplen: g.snaplen,
    resolution,
    littleEndian,
    versionMajor: g.versionMajor,
    versionMinor: g.versionMinor,
  };
  const records: PcapRecord[] = [];
  const fracToNs = resolution === 'ns' ? 1 : 1000;
  let at = PCAP_GLOBAL_HEADER_LEN;
  while (at < buf.length) {
    if (buf.length - at < PCAP_RECORD_HEADER_LEN) return fail('truncated', at);
    const incl = dv.getUint32(at + R.inclLen, littleEndian);
    if (incl > PCAP_MAX_RECORD) return fail('bad-record-length', at);
    const start = at + PCAP_RECORD_HEADER_LEN;
    if (buf.length - start < incl) return fail('truncated', at);
    records.push({
      time: dv.getUint32(at + R.tsSec, littleEndian) * 1e9 + dv.getUint32(at + R.tsFrac, littleEndian) * fracToNs,
      data: buf.subarray(start, start + incl),
      origLen: dv.getUint32(at + R.origLen, littleEndian),
    });
    at = start + incl;
  }
  return ok({ header, records });
}
