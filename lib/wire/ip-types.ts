/**
 * IPv4 addresses and the parsed IPv4 header. Addresses are unsigned 32-bit integers on the
 * hot path (cheap to compare, hash and checksum); `ipv4()` and `formatIpv4()` convert.
 * Dotted-quad text is typed with a template literal so a typo fails to compile.
 */

export type Ipv4Addr = number & { readonly __ipv4: unique symbol };
export type Ipv4Text = `${number}.${number}.${number}.${number}`;

export const IpProto = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  /** A tiny test protocol for specs that run below TCP (RFC 3692 experimental number). */
  TEST: 253,
} as const;

export function ipv4(text: Ipv4Text | string): Ipv4Addr {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
    n = n * 256 + Number(p);
  }
  return n as Ipv4Addr;
}

export function formatIpv4(a: Ipv4Addr | number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export interface Ipv4Repr {
  src: Ipv4Addr;
  dst: Ipv4Addr;
  protocol: number;
  ttl: number;
  id: number;
  tos: number;
  dontFrag: boolean;
  /** Fragmentation: set only on fragments (parse leaves them out when MF is clear and offset 0). */
  moreFrags?: boolean;
  /** Fragment offset in bytes (a multiple of 8); absent means 0. */
  fragOffset?: number;
  /** Header options, kept as bytes (rare; 0..40 bytes, a multiple of 4). */
  options: Uint8Array;
  payload: Uint8Array;
}
