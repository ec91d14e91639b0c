/**
 * The route table: longest-prefix match over IPv4 prefixes, connected routes (from interface
 * addresses) and static ones (from IP_IOC_ADDROUTE). Entries are kept most specific first, in
 * insertion order among equals, so a lookup is the first match of a short linear scan and two
 * runs always pick the same route. Bounded: at most MAX_ROUTES entries.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { IpRouteEntry } from './ioctl.ts';

export const MAX_ROUTES = 4096;

export function maskOf(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

export function inPrefix(a: number, net: number, prefixLen: number): boolean {
  const m = maskOf(prefixLen);
  return ((a & m) >>> 0) === ((net & m) >>> 0);
}

export class RouteTable {
  private readonly entries: IpRouteEntry[] = [];
  /** Bumped by every change (route caches compare it). */
  version = 0;

  get size(): number {
    return this.entries.length;
  }

  list(): IpRouteEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** Add (or replace the route to the same prefix). Returns an error text, or null. */
  add(e: IpRouteEntry): string | null {
    if (e.family !== 'ipv4') return `address family ${String(e.family)} not supported`;
    if (!Number.isInteger(e.prefixLen) || e.prefixLen < 0 || e.prefixLen > 32) return `bad prefix length ${e.prefixLen}`;
    const dst = ((e.dst & maskOf(e.prefixLen)) >>> 0) as Ipv4Addr;
    const entry: IpRouteEntry = { ...e, dst };
    const same = this.entries.findIndex((x) => x.dst === dst && x.prefixLen === e.prefixLen);
    this.version++;
    if (same >= 0) {
      this.entries[same] = entry;
      return null;
    }
    if (this.entries.length >= MAX_ROUTES) return `route table full (${MAX_ROUTES} routes)`;
    let i = 0;
    while (i < this.entries.length && this.entries[i]!.prefixLen >= e.prefixLen) i++;
    this.entries.splice(i, 0, entry);
    return null;
  }

  remove(dst: number, prefixLen: number): boolean {
    const net = (dst & maskOf(prefixLen)) >>> 0;
    const i = this.entries.findIndex((x) => x.dst === net && x.prefixLen === prefixLen);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    this.version++;
    return true;
  }

  /** Remove every route through an interface (it went away). */
  removeIf(ifname: string): void {
    this.version++;
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.ifname === ifname) this.entries.splice(i, 1);
  }

  /** The most specific route covering dst, or null. */
  lookup(dst: number): IpRouteEntry | null {
    for (const e of this.entries) if (inPrefix(dst, e.dst, e.prefixLen)) return e;
    return null;
  }

  /** The most specific connected route covering dst (where a gateway lives). */
  lookupConnected(dst: number): IpRouteEntry | null {
    for (const e of this.entries) if (e.origin === 'connected' && inPrefix(dst, e.dst, e.prefixLen)) return e;
    return null;
  }
}
