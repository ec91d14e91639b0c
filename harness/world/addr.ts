/**
 * Interface addresses and prefixes, as the world declares them ("10.0.0.2/24"). Tagged by
 * family so IPv6 can join later without changing every signature; today only 'ipv4' exists.
 */
import { ipv4, formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';

export interface Ipv4Prefix {
  family: 'ipv4';
  addr: Ipv4Addr;
  prefixLen: number;
}

/** An address with its prefix length; more families join this union later. */
export type IfAddr = Ipv4Prefix;
export type Prefix = Ipv4Prefix;

/** Parse "a.b.c.d/len" (len defaults to 32) or "default" (0.0.0.0/0). Throws on bad text. */
export function parsePrefix(text: string): Prefix {
  if (text === 'default') return { family: 'ipv4', addr: 0 as Ipv4Addr, prefixLen: 0 };
  const [a, l, extra] = text.split('/');
  if (a === undefined || extra !== undefined) throw new Error(`bad prefix ${JSON.stringify(text)}`);
  const prefixLen = l === undefined ? 32 : Number(l);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32 || (l !== undefined && !/^\d+$/.test(l))) {
    throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  }
  return { family: 'ipv4', addr: ipv4(a), prefixLen };
}

export function maskOf(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** The network address of a prefix (host bits cleared). */
export function networkOf(p: Prefix): Ipv4Addr {
  return ((p.addr & maskOf(p.prefixLen)) >>> 0) as Ipv4Addr;
}

export function inPrefix(a: Ipv4Addr, p: Prefix): boolean {
  const m = maskOf(p.prefixLen);
  return ((a & m) >>> 0) === ((p.addr & m) >>> 0);
}

export function formatPrefix(p: Prefix): string {
  return `${formatIpv4(p.addr)}/${p.prefixLen}`;
}
