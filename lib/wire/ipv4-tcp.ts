/**
 * Whole IPv4+TCP packets, the unit TCP and IP exchange (modules/ip/proto.ts): build one from
 * reprs, parse one into both reprs, and rewrite an address in place keeping both checksums
 * (IP header and TCP pseudo-header) equal to a recomputation.
 */
import { IpProto, type Ipv4Addr, type Ipv4Repr } from './ip-types.ts';
import { Ipv4Packet, emitIpv4Header, ipv4HeaderLen, parseIpv4, type Ipv4ParseOptions } from './ipv4.ts';
import { fail, ok, type WireResult } from './result.ts';
import { TcpPacket, emitTcp, parseTcp, tcpBufferLen } from './tcp.ts';
import type { TcpRepr } from './tcp-types.ts';

/** The IP fields a TCP sender chooses; the rest have the usual defaults. */
export interface Ipv4TcpHeader {
  src: Ipv4Addr;
  dst: Ipv4Addr;
  /** Default 64. */
  ttl?: number;
  /** Default 0 (IP fills it in on the way down). */
  id?: number;
  /** Default 0. */
  tos?: number;
  /** Default true (TCP does path-MTU discovery). */
  dontFrag?: boolean;
  /** Default none. */
  options?: Uint8Array;
}

export interface Ipv4TcpParsed {
  ip: Ipv4Repr;
  tcp: TcpRepr;
}

const NO_OPTIONS = new Uint8Array(0);

/** Build a complete IPv4 packet carrying `tcp`, both checksums filled. */
export function encodeIpv4Tcp(ip: Ipv4TcpHeader, tcp: TcpRepr): Uint8Array {
  const options = ip.options ?? NO_OPTIONS;
  const hl = ipv4HeaderLen({ options });
  const buf = new Uint8Array(hl + tcpBufferLen(tcp));
  const segLen = emitTcp(tcp, ip.src, ip.dst, buf, hl);
  const header: Omit<Ipv4Repr, 'payload'> = {
    src: ip.src,
    dst: ip.dst,
    protocol: IpProto.TCP,
    ttl: ip.ttl ?? 64,
    id: ip.id ?? 0,
    tos: ip.tos ?? 0,
    dontFrag: ip.dontFrag ?? true,
    options,
  };
  emitIpv4Header(header, segLen, buf);
  return buf;
}

/**
 * Parse an IPv4 packet and the TCP segment it carries; both checksums verified unless
 * `verifyChecksum: false`. Errors: any IPv4 or TCP parse error, 'not-tcp', 'fragment'.
 */
export function parseIpv4Tcp(bytes: Uint8Array, opts?: Ipv4ParseOptions): WireResult<Ipv4TcpParsed> {
  const ipr = parseIpv4(bytes, opts);
  if (!ipr.ok) return ipr;
  const ip = ipr.value;
  if (ip.protocol !== IpProto.TCP) return fail('not-tcp');
  if (ip.moreFrags || ip.fragOffset) return fail('fragment');
  const tcpr = parseTcp(ip.payload, ip.src, ip.dst, opts);
  if (!tcpr.ok) return fail(tcpr.error, tcpr.offset === undefined ? undefined : ip.payload.byteOffset - bytes.byteOffset + tcpr.offset);
  return ok({ ip, tcp: tcpr.value });
}

/**
 * Views over a packet already known to be a well-formed IPv4+TCP packet (parseIpv4Tcp said so),
 * for in-place rewriting.
 */
export function ipv4TcpViews(bytes: Uint8Array): { ip: Ipv4Packet; tcp: TcpPacket } {
  const ip = Ipv4Packet.newUnchecked(bytes);
  const tcp = TcpPacket.newUnchecked(bytes.subarray(ip.headerLen, ip.totalLen));
  return { ip, tcp };
}

/** Rewrite the source address, updating the IP header checksum and the TCP checksum. */
export function rewriteIpv4TcpSrc(bytes: Uint8Array, addr: Ipv4Addr): void {
  const { ip, tcp } = ipv4TcpViews(bytes);
  tcp.adjustForAddress(ip.src, addr);
  ip.rewriteSrc(addr);
}

/** Rewrite the destination address, updating both checksums. */
export function rewriteIpv4TcpDst(bytes: Uint8Array, addr: Ipv4Addr): void {
  const { ip, tcp } = ipv4TcpViews(bytes);
  tcp.adjustForAddress(ip.dst, addr);
  ip.rewriteDst(addr);
}
