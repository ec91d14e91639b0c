/**
 * One connection as a sequence of arrows between hosts, ready to draw.
 *
 * - A packet a host forwards is matched to the packet it received (same source, IP id, flags
 *   and length; FIFO), so a chain client -> router -> fe -> be1 is known hop by hop. Routers
 *   that only forward are folded away by default: the arrow goes from the sender to the host
 *   that consumed the packet. A host that changed the packet (the front end in forwarding
 *   mode) keeps its own arrow, labelled with what it rewrote.
 * - Sequence numbers are relative, as in Wireshark: the client's from its SYN, the server's
 *   from the SYN/ACK the client received. A rewrite moves a number into another host's
 *   sequence space; the label then says so, and the relative number stays the one both ends
 *   agree on, which is the point of the rewriting.
 * - Control-channel messages come from the trace (`ctl.tx` / `ctl.rx` events with `host`,
 *   `peer` and `msg`, the control message in its JSON form) and are drawn between the front
 *   end and the back end; other events that name the connection's client endpoint (`client`
 *   field) become notes on their host's lane.
 */
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import { seqDiff, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import type { Time } from '../../lib/sim/time.ts';
import type { HostSummary, Role } from '../scenario/summary.ts';
import { endpointText, type Connection } from './connections.ts';
import type { DropRecord, Sighting, TraceRecord } from './packets.ts';

export interface Lane {
  host: string;
  role: Role;
}

export interface Arrow {
  kind: 'packet' | 'control' | 'note';
  from: string;
  /** null: lost on the way (`lost` says where and why). */
  to: string | null;
  /** For a lost arrow, the host it was heading for (null: unknown). */
  toward: string | null;
  tFrom: Time;
  tTo: Time | null;
  /** Label lines, the first one the headline. */
  label: string[];
  /** Longer text for a tooltip: the raw packet line. */
  title: string;
  lost: string | null;
  rewrite: string | null;
  duplicate: boolean;
}

export interface Flow {
  lanes: Lane[];
  arrows: Arrow[];
  /** Arrows before the cut to maxArrows. */
  total: number;
  isnClient: Seq | null;
  isnServer: Seq | null;
}

export interface FlowOptions {
  /** Fold hosts that only forward (routers) into the arrows through them (default true). */
  foldRouters?: boolean;
  maxArrows?: number;
}

interface Offsets {
  seq: number;
  ack: number;
  /** Host whose sequence space the ack is in, when not the server's. */
  ackSpace: string | null;
}

const FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [TcpFlag.SYN, 'SYN'],
  [TcpFlag.FIN, 'FIN'],
  [TcpFlag.RST, 'RST'],
  [TcpFlag.PSH, 'PSH'],
  [TcpFlag.ACK, 'ACK'],
  [TcpFlag.URG, 'URG'],
  [TcpFlag.ECE, 'ECE'],
  [TcpFlag.CWR, 'CWR'],
];

export function flagNames(flags: number): string {
  const n = FLAG_NAMES.filter(([b]) => flags & b).map(([, s]) => s);
  return `[${n.length ? n.join(', ') : 'none'}]`;
}

function sameForwarded(r: Sighting, t: Sighting): boolean {
  const a = r.tcp!;
  const b = t.tcp!;
  if (r.ip!.src !== t.ip!.src || a.srcPort !== b.srcPort || a.flags !== b.flags || a.payload.length !== b.payload.length) return false;
  return r.ip!.id !== 0 ? r.ip!.id === t.ip!.id : a.seq === b.seq || a.ack === b.ack;
}

/** What a forwarding host changed, or null (a router's TTL and checksum do not count). */
export function describeRewrite(r: Sighting, t: Sighting): string | null {
  const changes: string[] = [];
  const ri = r.ip!;
  const ti = t.ip!;
  const rt = r.tcp!;
  const tt = t.tcp!;
  if (ri.src !== ti.src) changes.push(`src ${formatIpv4(ri.src)} → ${formatIpv4(ti.src)}`);
  if (ri.dst !== ti.dst) changes.push(`dst ${formatIpv4(ri.dst)} → ${formatIpv4(ti.dst)}`);
  if (rt.srcPort !== tt.srcPort) changes.push(`sport ${rt.srcPort} → ${tt.srcPort}`);
  if (rt.dstPort !== tt.dstPort) changes.push(`dport ${rt.dstPort} → ${tt.dstPort}`);
  const ds = seqDiff(tt.seq, rt.seq);
  if (ds !== 0) changes.push(`seq ${ds > 0 ? '+' : ''}${ds}`);
  const da = seqDiff(tt.ack, rt.ack);
  if (da !== 0) changes.push(`ack ${da > 0 ? '+' : ''}${da}`);
  if (rt.window !== tt.window) changes.push(`win ${rt.window} → ${tt.window}`);
  const ts = (x: TcpRepr) => x.options.find((o) => o.kind === 'ts') as { val: number; ecr: number } | undefined;
  const a = ts(rt);
  const b = ts(tt);
  if (a && b && (a.val !== b.val || a.ecr !== b.ecr)) changes.push('timestamps');
  return changes.length === 0 ? null : changes.join(', ');
}

/** The first line of an HTTP message in the payload, if it starts with one. */
export function httpLine(payload: Uint8Array): string | null {
  if (payload.length < 8) return null;
  let end = payload.indexOf(0x0d);
  if (end < 0 || end > 120) end = Math.min(payload.length, 120);
  const text = Buffer.from(payload.buffer, payload.byteOffset, end).toString('latin1');
  if (/^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) \S+ HTTP\/\d\.\d$/.test(text) || /^HTTP\/\d\.\d \d{3}/.test(text)) {
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  return null;
}

function optionsText(tcp: TcpRepr): string {
  const parts: string[] = [];
  for (const o of tcp.options) {
    if (o.kind === 'mss') parts.push(`mss ${o.mss}`);
    else if (o.kind === 'wscale') parts.push(`ws ${o.shift}`);
    else if (o.kind === 'sackOK') parts.push('sackOK');
    else if (o.kind === 'ts') parts.push('TS');
    else if (o.kind === 'sack') parts.push(`sack ${o.blocks.length}`);
  }
  return parts.length ? ` <${parts.join(',')}>` : '';
}

function endpointOf(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (typeof x === 'object' && x !== null && 'port' in x) {
    const e = x as { addr: unknown; port: unknown };
    const addr = typeof e.addr === 'number' ? formatIpv4(e.addr) : String(e.addr);
    return `${addr}:${String(e.port)}`;
  }
  return null;
}

/** Lane order: clients, routers, the front end, back ends, anything else. */
const roleOrder: Record<Role, number> = { client: 0, host: 1, router: 2, 'front-end': 3, server: 4, 'back-end': 5 };

export function buildFlow(conn: Connection, hosts: readonly HostSummary[], drops: readonly DropRecord[], events: readonly TraceRecord[], opts: FlowOptions = {}): Flow {
  const fold = opts.foldRouters ?? true;
  const role = new Map(hosts.map((h) => [h.name, h.role] as const));
  const owns = new Map<string, string>();
  for (const h of hosts) for (const a of h.addresses) owns.set(a.address.split('/')[0]!, h.name);
  const isRouter = (h: string) => role.get(h) === 'router';
  const ss = conn.sightings.filter((s) => s.tcp !== null);
  const clientKey = endpointText(conn.client);
  const fromClient = (s: Sighting) => `${formatIpv4(s.ip!.src)}:${s.tcp!.srcPort}` === clientKey;

  // Each packet's transmission, by serial number.
  const txOf = new Map<number, Sighting>();
  for (const s of ss) if (s.dir === 'tx' && !txOf.has(s.n)) txOf.set(s.n, s);
  // Forwarding: which received packet each transmitted one continues (FIFO per host).
  const forwardedFrom = new Map<Sighting, Sighting>();
  const pending = new Map<string, Sighting[]>();
  for (const s of ss) {
    const list = pending.get(s.host) ?? [];
    if (s.dir === 'rx') {
      list.push(s);
      pending.set(s.host, list);
      continue;
    }
    const i = list.findIndex((r) => sameForwarded(r, s));
    if (i >= 0) {
      forwardedFrom.set(s, list[i]!);
      list.splice(i, 1);
    }
  }
  const continues = new Set<Sighting>(); // rx sightings that a host forwarded on
  for (const r of forwardedFrom.values()) continues.add(r);

  const offsets = new Map<Sighting, Offsets>();
  const offsetOf = (t: Sighting): Offsets => {
    const known = offsets.get(t);
    if (known) return known;
    const r = forwardedFrom.get(t);
    const up = r === undefined ? undefined : txOf.get(r.n);
    let o: Offsets = { seq: 0, ack: 0, ackSpace: null };
    if (r !== undefined && up !== undefined) {
      const base = offsetOf(up);
      const ds = seqDiff(t.tcp!.seq, r.tcp!.seq);
      const da = t.tcp!.flags & TcpFlag.ACK ? seqDiff(t.tcp!.ack, r.tcp!.ack) : 0;
      const dst = owns.get(formatIpv4(t.ip!.dst)) ?? null;
      o = { seq: base.seq + ds, ack: base.ack + da, ackSpace: da !== 0 ? dst : base.ackSpace };
    }
    offsets.set(t, o);
    return o;
  };
  // Where an arrow starts: the first sender of a chain folded through routers.
  const originOf = (t: Sighting): Sighting => {
    const r = forwardedFrom.get(t);
    if (!fold || r === undefined || !isRouter(t.host) || describeRewrite(r, t) !== null) return t;
    const up = txOf.get(r.n);
    return up === undefined ? t : originOf(up);
  };

  const syn = ss.find((s) => s.dir === 'tx' && fromClient(s) && (s.tcp!.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN);
  const synAck = ss.find((s) => s.host === conn.clientHost && s.dir === 'rx' && (s.tcp!.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK));
  const isnClient = syn?.tcp!.seq ?? null;
  const isnServer = synAck?.tcp!.seq ?? null;
  const rel = (v: Seq, off: number, isn: Seq | null): number => (isn === null ? v : seqDiff(v, isn) - off);

  const label = (t: Sighting): string[] => {
    const tcp = t.tcp!;
    const o = offsetOf(t);
    const c2s = fromClient(t);
    const len = tcp.payload.length;
    const s0 = rel(tcp.seq, o.seq, c2s ? isnClient : isnServer);
    const parts = [flagNames(tcp.flags), len > 0 ? `seq ${s0}:${s0 + len}` : `seq ${s0}`];
    if (tcp.flags & TcpFlag.ACK) parts.push(`ack ${rel(tcp.ack, o.ack, c2s ? isnServer : isnClient)}`);
    parts.push(`win ${tcp.window}`, `len ${len}`);
    const lines = [parts.join(' ') + (tcp.flags & TcpFlag.SYN ? optionsText(tcp) : '')];
    const http = httpLine(tcp.payload);
    if (http !== null) lines.push(http);
    if (o.ackSpace !== null && tcp.flags & TcpFlag.ACK) lines.push(`(ack in ${o.ackSpace}'s sequence space: ${o.ack > 0 ? '+' : ''}${o.ack} on the wire)`);
    const srcOwner = owns.get(formatIpv4(t.ip!.src));
    const origin = originOf(t);
    if (forwardedFrom.get(origin) === undefined && srcOwner !== undefined && srcOwner !== origin.host) {
      lines.push(`sent by ${origin.host} as ${formatIpv4(t.ip!.src)} (${srcOwner}'s address)`);
    }
    return lines;
  };

  const arrows: Arrow[] = [];
  const dropOf = new Map<number, DropRecord>();
  for (const d of drops) if (d.n !== null && !dropOf.has(d.n)) dropOf.set(d.n, d);
  const rxByN = new Map<number, Sighting[]>();
  for (const s of ss) if (s.dir === 'rx') rxByN.set(s.n, [...(rxByN.get(s.n) ?? []), s]);

  for (const t of ss) {
    if (t.dir !== 'tx') continue;
    const origin = originOf(t);
    const r = forwardedFrom.get(t);
    const rewrite = r !== undefined && origin === t ? describeRewrite(r, t) : null;
    const base = {
      kind: 'packet' as const,
      from: origin.host,
      tFrom: origin.t,
      label: label(t),
      title: `${(origin.t / 1e9).toFixed(6)} ${t.line}`,
      rewrite: rewrite === null ? null : `rewritten at ${t.host}: ${rewrite}`,
    };
    const rxs = (rxByN.get(t.n) ?? []).filter((x) => !(fold && continues.has(x) && isRouter(x.host) && forwardedOn(x)));
    const delivered = rxByN.get(t.n) ?? [];
    if (delivered.length === 0) {
      const d = dropOf.get(t.n);
      const toward = owns.get(formatIpv4(t.ip!.dst)) ?? null;
      arrows.push({ ...base, to: null, toward, tTo: null, lost: d ? `${d.reason} on ${d.where}` : 'never arrived', duplicate: false });
      continue;
    }
    rxs.forEach((x, k) => arrows.push({ ...base, to: x.host, toward: null, tTo: x.t, lost: null, duplicate: k > 0 }));
  }

  function forwardedOn(x: Sighting): boolean {
    // A router's reception continues as an arrow only when the forward was not rewritten.
    for (const [t, r] of forwardedFrom) if (r === x) return describeRewrite(r, t) === null;
    return false;
  }

  addControl(arrows, events, clientKey, conn);
  arrows.sort((a, b) => a.tFrom - b.tFrom);

  const laneHosts = new Set<string>();
  for (const a of arrows) {
    laneHosts.add(a.from);
    if (a.to !== null) laneHosts.add(a.to);
    if (a.toward !== null) laneHosts.add(a.toward);
  }
  const lanes = [...laneHosts]
    .map((h) => ({ host: h, role: h === conn.clientHost ? ('client' as Role) : (role.get(h) ?? 'host') }))
    .sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || a.host.localeCompare(b.host, 'en', { numeric: true }));
  const max = opts.maxArrows ?? 400;
  return { lanes, arrows: arrows.slice(0, max), total: arrows.length, isnClient, isnServer };
}

/** Control-channel messages and handoff notes about this connection, from the trace. */
function addControl(arrows: Arrow[], events: readonly TraceRecord[], clientKey: string, conn: Connection): void {
  const connIds = new Set<string>();
  const rx: TraceRecord[] = [];
  const tx: TraceRecord[] = [];
  for (const e of events) {
    if (e.t < conn.first) continue;
    if (e.ev === 'ctl.tx' || e.ev === 'ctl.rx') {
      const msg = (e.msg ?? {}) as Record<string, unknown>;
      if (endpointOf(msg.client) === clientKey && msg.connId !== undefined) connIds.add(`${String(e.host)}|${String(e.peer)}|${String(msg.connId)}`);
      (e.ev === 'ctl.tx' ? tx : rx).push(e);
    } else if (e.ev.startsWith('handoff.') && typeof e.host === 'string' && endpointOf(e.client) === clientKey) {
      arrows.push({ kind: 'note', from: e.host, to: e.host, toward: null, tFrom: e.t, tTo: e.t, label: [e.ev], title: JSON.stringify(e), lost: null, rewrite: null, duplicate: false });
    }
  }
  const mine = (e: TraceRecord): boolean => {
    const msg = (e.msg ?? {}) as Record<string, unknown>;
    if (endpointOf(msg.client) === clientKey) return true;
    const id = String(msg.connId);
    return connIds.has(`${String(e.host)}|${String(e.peer)}|${id}`) || connIds.has(`${String(e.peer)}|${String(e.host)}|${id}`);
  };
  const used = new Set<TraceRecord>();
  for (const s of tx) {
    if (!mine(s)) continue;
    const msg = s.msg as Record<string, unknown>;
    const r = rx.find((x) => !used.has(x) && x.t >= s.t && x.host === s.peer && x.peer === s.host && mine(x) && (x.msg as Record<string, unknown>).type === msg.type);
    if (r !== undefined) used.add(r);
    const extra = msg.type === 'HANDOFF_ACK' && msg.beIsn !== undefined ? ` (BE ISN ${String(msg.beIsn)})` : msg.reason !== undefined ? ` (${String(msg.reason)})` : '';
    arrows.push({
      kind: 'control',
      from: String(s.host),
      to: r === undefined ? null : String(r.host),
      toward: String(s.peer),
      tFrom: s.t,
      tTo: r?.t ?? null,
      label: [`${String(msg.type)} conn ${String(msg.connId ?? '')}${extra}`],
      title: JSON.stringify(msg),
      lost: r === undefined ? 'no ctl.rx at the peer' : null,
      rewrite: null,
      duplicate: false,
    });
  }
}
