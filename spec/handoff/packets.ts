/** Packet builders for the rewrite specs: whole IPv4+TCP packets from readable fields. */
import { encodeIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import type { Ipv4TcpHeader } from '../../lib/wire/ipv4-tcp.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seq } from '../../lib/wire/seq.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';
import type { Endpoint } from '../../modules/control/frame.ts';

export const CLIENT: Endpoint = { addr: ipv4('203.0.113.5'), port: 40000 };
export const VIP: Endpoint = { addr: ipv4('198.51.100.1'), port: 80 };
export const BE: Endpoint = { addr: ipv4('10.0.0.11'), port: 8080 };

export interface Seg {
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: TcpOption[];
  payload?: string | Uint8Array;
  ipId?: number;
}

export function tcpRepr(s: Seg): TcpRepr {
  return {
    srcPort: s.src.port,
    dstPort: s.dst.port,
    seq: seq(s.seq),
    ack: seq(s.ack ?? 0),
    flags: s.flags,
    window: s.window ?? 65535,
    urgent: 0,
    options: s.options ?? [],
    payload: typeof s.payload === 'string' ? new TextEncoder().encode(s.payload) : (s.payload ?? new Uint8Array(0)),
  };
}

export function packet(s: Seg): Uint8Array {
  const ip: Ipv4TcpHeader = { src: s.src.addr, dst: s.dst.addr, id: s.ipId ?? 0x1234, ttl: 64 };
  return encodeIpv4Tcp(ip, tcpRepr(s));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
