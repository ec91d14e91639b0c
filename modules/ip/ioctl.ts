/**
 * IP's configuration ioctls (sent down the stream interfaces are linked through) and their
 * payloads. Addresses carry their family so IPv6 can be added beside IPv4 without changing
 * these shapes; today IP accepts 'ipv4' only.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';

const IOC = (n: number): number => (0x49 << 8) | n; // 'I' n

/** Configure a linked interface: name, addresses, MTU (data: IpIfConfig). */
export const IP_IOC_IFCONFIG = IOC(1);
/** Add a route (data: IpRouteSpec). */
export const IP_IOC_ADDROUTE = IOC(2);
/** Delete a route (data: { dst, prefixLen }). */
export const IP_IOC_DELROUTE = IOC(3);
/** Turn forwarding on or off (data: boolean). */
export const IP_IOC_FORWARDING = IOC(4);
/** Answer with an IpStats snapshot. */
export const IP_IOC_STATS = IOC(5);
/** Answer with the route table (IpRouteEntry[], most specific first). */
export const IP_IOC_ROUTES = IOC(6);
/** Add one address to a configured interface (data: { ifname, addr: IpIfAddr }). */
export const IP_IOC_ADDADDR = IOC(7);

/**
 * Pass an ioctl to an interface's driver and relay its answer (data: IpIfIoctl). A stream
 * linked under IP takes no ioctls of its own, so this is how a driver's counters are read.
 */
export const IP_IOC_IFIOCTL = IOC(8);

/** Most relayed ioctls waiting for a driver's answer at once. */
export const MAX_IF_IOCTLS = 64;

export interface IpIfIoctl {
  ifname: string;
  cmd: number;
  data?: unknown;
}

export interface IpIfAddr {
  family: 'ipv4';
  addr: Ipv4Addr;
  prefixLen: number;
}

export interface IpIfConfig {
  /** The muxid I_LINK returned for the interface's driver stream. */
  muxid: number;
  ifname: string;
  addrs: IpIfAddr[];
  mtu: number;
  /**
   * A point-to-point link needs no next hop: IP sends bare M_DATA. Otherwise every packet goes
   * down as DL_UNITDATA_REQ(next hop) + M_DATA.
   */
  pointToPoint?: boolean;
}

export interface IpRouteSpec {
  family: 'ipv4';
  dst: Ipv4Addr;
  prefixLen: number;
  /** Next-hop router, or null for a destination on the link itself. */
  gateway: Ipv4Addr | null;
  /** Outgoing interface; found from the gateway's connected route when omitted. */
  ifname?: string;
}

export interface IpRouteEntry extends IpRouteSpec {
  /** 'connected' routes come from interface addresses; 'static' from IP_IOC_ADDROUTE. */
  origin: 'connected' | 'static';
}

export interface IpAddAddr {
  ifname: string;
  addr: IpIfAddr;
}
