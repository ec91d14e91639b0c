/**
 * TCP connections of a run, found from the packets: a connection starts with a SYN sent by a
 * host (not forwarded by a router) and is named by its client endpoint. Every packet with the
 * client endpoint at one end belongs to it, whatever happened to the other end on the way
 * (a handoff rewrites the server side: the VIP becomes a back end's address and back; the
 * client side never changes), so one connection gathers the client's, the front end's and the
 * back end's packets.
 */
import { formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { Time } from '../../lib/sim/time.ts';
import type { PacketIndex, Sighting } from './packets.ts';

export interface Endpoint {
  addr: Ipv4Addr;
  port: number;
}

export interface Connection {
  /** 1-based, in order of the first SYN. */
  index: number;
  clientHost: string;
  client: Endpoint;
  /** Where the client connected to (the VIP for a cluster). */
  server: Endpoint;
  first: Time;
  last: Time;
  sightings: Sighting[];
  /** Hosts that sent or received its packets. */
  hosts: string[];
  /** Between two cluster nodes (a control channel). */
  control: boolean;
}

export function endpointText(e: Endpoint): string {
  return `${formatIpv4(e.addr)}:${e.port}`;
}

/** "a.b.c.d:port" of a sighting's source and destination. */
function ends(s: Sighting): [string, string] {
  return [`${s.ip!.src}:${s.tcp!.srcPort}`, `${s.ip!.dst}:${s.tcp!.dstPort}`];
}

export function listConnections(idx: PacketIndex, routers: ReadonlySet<string>, clusterNodes: ReadonlySet<string>): Connection[] {
  const conns: Connection[] = [];
  // Client endpoint key -> connections with that client endpoint, latest last.
  const byClient = new Map<string, Connection[]>();
  const isns = new Map<string, number>();
  for (const s of idx.sightings) {
    if (s.tcp === null || s.ip === null) continue;
    const [src, dst] = ends(s);
    const syn = (s.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (syn && s.dir === 'tx' && !routers.has(s.host) && isns.get(src) !== s.tcp.seq) {
      isns.set(src, s.tcp.seq);
      const c: Connection = {
        index: conns.length + 1,
        clientHost: s.host,
        client: { addr: s.ip.src, port: s.tcp.srcPort },
        server: { addr: s.ip.dst, port: s.tcp.dstPort },
        first: s.t,
        last: s.t,
        sightings: [],
        hosts: [],
        control: false,
      };
      conns.push(c);
      const list = byClient.get(src) ?? [];
      list.push(c);
      byClient.set(src, list);
    }
    const list = byClient.get(src) ?? byClient.get(dst);
    const c = list?.[list.length - 1];
    if (c === undefined) continue;
    c.sightings.push(s);
    c.last = s.t;
    if (!c.hosts.includes(s.host)) c.hosts.push(s.host);
  }
  for (const c of conns) {
    const serverHosts = c.hosts.filter((h) => h !== c.clientHost && !routers.has(h));
    c.control = clusterNodes.has(c.clientHost) && serverHosts.length > 0 && serverHosts.every((h) => clusterNodes.has(h));
  }
  return conns;
}

/**
 * The connection to draw: `spec` is its number in the list or its client endpoint
 * ("198.51.100.10:40001"); by default the first that reached a back end, else the first that
 * is not a control channel, else the first.
 */
export function chooseConnection(conns: readonly Connection[], backEnds: ReadonlySet<string>, spec?: string): Connection | { error: string } | null {
  if (spec !== undefined) {
    const byIndex = /^\d+$/.test(spec) ? conns[Number(spec) - 1] : undefined;
    const found = byIndex ?? conns.find((c) => endpointText(c.client) === spec);
    if (found !== undefined) return found;
    return { error: `no connection ${spec} in this run (${conns.length === 0 ? 'it has none' : `1..${conns.length} or a client endpoint like ${endpointText(conns[0]!.client)}`})` };
  }
  return conns.find((c) => !c.control && c.hosts.some((h) => backEnds.has(h))) ?? conns.find((c) => !c.control) ?? conns[0] ?? null;
}
