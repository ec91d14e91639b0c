/**
 * Packets of a run, from the trace and the captures together. The trace says where and when a
 * packet was sent or received and its serial number (shared by a packet's copies along one
 * link); the capture of the same interface holds its bytes, record for record in the same
 * order (an interface records to its capture just before it traces). Zipping the two gives
 * every sighting its bytes, parsed with lib/wire.
 */
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import type { Ipv4Repr } from '../../lib/wire/ip-types.ts';
import { parsePcap } from '../../lib/wire/pcap.ts';
import type { TcpRepr } from '../../lib/wire/tcp-types.ts';
import type { Time } from '../../lib/sim/time.ts';

export interface TraceRecord {
  t: number;
  ev: string;
  [field: string]: unknown;
}

export interface Sighting {
  t: Time;
  host: string;
  ifname: string;
  dir: 'tx' | 'rx';
  /** The packet's serial number (the same on both ends of one link). */
  n: number;
  len: number;
  /** tcpdump-like line from the trace. */
  line: string;
  /** Parsed from the capture; null when the capture lacks it or it is not IPv4+TCP. */
  ip: Ipv4Repr | null;
  tcp: TcpRepr | null;
}

export interface DropRecord {
  t: Time;
  n: number | null;
  reason: string;
  where: string;
}

export interface PacketIndex {
  sightings: Sighting[];
  drops: DropRecord[];
  warnings: string[];
}

/** Trace event kinds the report reads (run.ts filters the trace file with these). */
export const packetEventKinds = ['pkt.tx', 'pkt.rx', 'pkt.drop'] as const;

export function indexPackets(events: readonly TraceRecord[], pcaps: ReadonlyMap<string, Uint8Array>): PacketIndex {
  const warnings: string[] = [];
  const records = new Map<string, { data: Uint8Array; origLen: number }[]>();
  for (const [name, bytes] of pcaps) {
    const r = parsePcap(bytes);
    if (r.ok) records.set(name, r.value.records);
    else warnings.push(`capture of ${name} is unreadable (${r.error}); its packets show without headers`);
  }
  const cursor = new Map<string, number>();
  const mismatched = new Set<string>();
  const sightings: Sighting[] = [];
  const drops: DropRecord[] = [];
  for (const e of events) {
    if (e.ev === 'pkt.drop') {
      drops.push({ t: e.t, n: typeof e.n === 'number' ? e.n : null, reason: String(e.reason), where: String(e.link ?? e.switch ?? e.if ?? '?') });
      continue;
    }
    if (e.ev !== 'pkt.tx' && e.ev !== 'pkt.rx') continue;
    const ifFull = String(e.if);
    const dot = ifFull.indexOf('.');
    const s: Sighting = {
      t: e.t,
      host: ifFull.slice(0, dot),
      ifname: ifFull.slice(dot + 1),
      dir: e.ev === 'pkt.tx' ? 'tx' : 'rx',
      n: Number(e.n),
      len: Number(e.len),
      line: String(e.pkt ?? ''),
      ip: null,
      tcp: null,
    };
    const recs = records.get(ifFull);
    if (recs !== undefined && !mismatched.has(ifFull)) {
      const k = cursor.get(ifFull) ?? 0;
      const rec = recs[k];
      if (rec === undefined || rec.origLen !== s.len) {
        mismatched.add(ifFull);
        warnings.push(`capture of ${ifFull} does not match the trace from packet ${k + 1} on (bounded capture or filtered trace); later packets show without headers`);
      } else {
        cursor.set(ifFull, k + 1);
        const p = parseIpv4Tcp(rec.data, { verifyChecksum: false });
        if (p.ok) {
          s.ip = p.value.ip;
          s.tcp = p.value.tcp;
        }
      }
    }
    sightings.push(s);
  }
  return { sightings, drops, warnings };
}
