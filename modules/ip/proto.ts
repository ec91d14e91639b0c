/**
 * The contract between the IP multiplexing driver and the transport protocols above it
 * (TCP, the test protocol). Transports exchange whole IPv4 packets with IP so that a module
 * pushed between them (BTCP) sees and can rewrite every header field.
 *
 * - An upper stream of IP is opened per protocol and bound with IP_BIND_REQ (M_PROTO); IP
 *   answers IP_BIND_ACK with the host's addresses, or IP_ERROR_ACK.
 * - Down (transport -> IP): M_DATA holding a complete IPv4 packet. The transport sets src, dst,
 *   protocol, ttl and total length, and the transport checksum; IP fills the identification
 *   (when 0) and the header checksum, routes by destination and hands it to an interface.
 * - Up (IP -> transport): M_DATA holding a complete, verified IPv4 packet addressed to this
 *   host (header checksum good), for the bound protocol.
 * - IP_ROUTE_REQ (M_PCPROTO) asks for the source address and path MTU toward a destination;
 *   IP answers IP_ROUTE_ACK at once (src null when there is no route).
 * - Anything else (M_CTL in particular) passes through IP untouched in both directions.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';

export interface IpAddrInfo {
  ifname: string;
  addr: Ipv4Addr;
  prefixLen: number;
  mtu: number;
}

export interface IpBindReq {
  prim: 'IP_BIND_REQ';
  protocol: number;
}

export interface IpBindAck {
  prim: 'IP_BIND_ACK';
  protocol: number;
  addrs: IpAddrInfo[];
}

export interface IpErrorAck {
  prim: 'IP_ERROR_ACK';
  errorPrim: IpPrimitive['prim'];
  reason: string;
}

export interface IpRouteReq {
  prim: 'IP_ROUTE_REQ';
  /** Echoed in the answer so a transport can match answers to questions. */
  token: number;
  dst: Ipv4Addr;
}

export interface IpRouteAck {
  prim: 'IP_ROUTE_ACK';
  token: number;
  dst: Ipv4Addr;
  /** The source address IP would use, or null when no route reaches dst. */
  src: Ipv4Addr | null;
  /** MTU of the outgoing interface. */
  mtu: number;
}

export type IpPrimitive = IpBindReq | IpBindAck | IpErrorAck | IpRouteReq | IpRouteAck;
