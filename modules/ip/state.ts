/**
 * IP's per-host state, shared by every stream of the ip driver in one StreamsEnv (one host):
 * the interfaces linked below, the addresses, the route table, which upper stream serves which
 * protocol, the counters, and whether the host forwards.
 */
import type { Mblk, Queue } from '../../lib/streams/index.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { IpIfAddr } from './ioctl.ts';
import { inPrefix, RouteTable } from './route.ts';
import { zeroIpStats, type IpStats } from './stats.ts';

/** One interface: the lower stream linked under IP. */
export interface IpIf {
  /** The IP instance it belongs to (the lower read side finds its state here, not by lookup). */
  ip: IpState;
  muxid: number;
  /** Write queue at the top of the lower stream (putnext goes to the driver). */
  wq: Queue;
  rq: Queue;
  /** Set by IP_IOC_IFCONFIG; until then received packets are dropped. */
  name: string | null;
  addrs: IpIfAddr[];
  mtu: number;
  pointToPoint: boolean;
}

/** One upper stream (a clone open). */
export interface IpUpper {
  ip: IpState;
  rq: Queue;
  wq: Queue;
  minor: number;
  /** Bound protocol, or null. */
  protocol: number | null;
}

export interface RouteResult {
  ifp: IpIf;
  /** Neighbour to hand the packet to: the gateway, or the destination itself. */
  nextHop: Ipv4Addr;
  /** Preferred source address for this destination. */
  src: Ipv4Addr;
}

export class IpState {
  readonly ifs = new Map<number, IpIf>();
  readonly routes = new RouteTable();
  readonly protocols = new Map<number, IpUpper>();
  readonly uppers = new Set<IpUpper>();
  readonly local = new Set<number>();
  /** Ioctls relayed to interface drivers, by the id of the M_IOCTL sent down. */
  readonly relays = new Map<number, { q: Queue; mp: Mblk }>();
  stats: IpStats = zeroIpStats();
  forwarding = false;
  private ident = 0;
  private lastMinor = 0;
  /**
   * Routing decisions by destination, valid for one version of the route table and of the
   * interfaces' addresses (every change to either empties it). Bounded.
   */
  private readonly routeCache = new Map<number, RouteResult | null>();
  private cachedFor = -1;

  nextMinor(): number {
    return ++this.lastMinor;
  }

  /** Identification for a packet the transport left at 0 (never 0 itself). */
  nextIdent(): number {
    this.ident = (this.ident % 0xffff) + 1;
    return this.ident;
  }

  ifByName(name: string): IpIf | undefined {
    for (const f of this.ifs.values()) if (f.name === name) return f;
    return undefined;
  }

  /** Interfaces or addresses changed: routing decisions must be made again. */
  forgetRoutes(): void {
    this.routeCache.clear();
  }

  rebuildLocal(): void {
    this.routeCache.clear();
    this.local.clear();
    for (const f of this.ifs.values()) for (const a of f.addrs) this.local.add(a.addr);
  }

  isLocal(a: number): boolean {
    return this.local.has(a);
  }

  /** Where a packet to dst goes, or null when no route reaches it. */
  route(dst: Ipv4Addr): RouteResult | null {
    const cache = this.routeCache;
    if (this.cachedFor !== this.routes.version) {
      cache.clear();
      this.cachedFor = this.routes.version;
    }
    const hit = cache.get(dst);
    if (hit !== undefined) return hit;
    const r = this.lookupRoute(dst);
    if (cache.size >= ROUTE_CACHE_MAX) cache.clear();
    cache.set(dst, r);
    return r;
  }

  private lookupRoute(dst: Ipv4Addr): RouteResult | null {
    const r = this.routes.lookup(dst);
    if (r === null) return null;
    const nextHop = r.gateway ?? dst;
    let ifname = r.ifname;
    if (ifname === undefined) {
      const c = this.routes.lookupConnected(nextHop);
      if (c === null) return null;
      ifname = c.ifname;
    }
    const ifp = ifname === undefined ? undefined : this.ifByName(ifname);
    if (ifp === undefined || ifp.addrs.length === 0) return null;
    return { ifp, nextHop, src: sourceFor(ifp, nextHop) };
  }
}

const ROUTE_CACHE_MAX = 4096;

/** The interface address on the next hop's subnet, else the interface's first address. */
function sourceFor(ifp: IpIf, nextHop: number): Ipv4Addr {
  for (const a of ifp.addrs) if (inPrefix(nextHop, a.addr, a.prefixLen)) return a.addr;
  return ifp.addrs[0]!.addr;
}
