/**
 * The address ranges a scenario may use: documentation (RFC 5737), private (RFC 1918) and
 * benchmarking (RFC 2544). Scenarios never name real Internet hosts, so a world bridged to a
 * real client (harness/live) cannot leak toward one, and examples stay copyable.
 */
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { inPrefix, type Prefix } from '../world/addr.ts';

function p(addr: string, prefixLen: number): Prefix {
  return { family: 'ipv4', addr: ipv4(addr), prefixLen };
}

export const allowedRanges: readonly { prefix: Prefix; text: string; what: string }[] = [
  { prefix: p('192.0.2.0', 24), text: '192.0.2.0/24', what: 'documentation' },
  { prefix: p('198.51.100.0', 24), text: '198.51.100.0/24', what: 'documentation' },
  { prefix: p('203.0.113.0', 24), text: '203.0.113.0/24', what: 'documentation' },
  { prefix: p('10.0.0.0', 8), text: '10.0.0.0/8', what: 'private' },
  { prefix: p('172.16.0.0', 12), text: '172.16.0.0/12', what: 'private' },
  { prefix: p('192.168.0.0', 16), text: '192.168.0.0/16', what: 'private' },
  { prefix: p('198.18.0.0', 15), text: '198.18.0.0/15', what: 'benchmarking' },
];

export function inAllowedRange(a: Ipv4Addr): boolean {
  return allowedRanges.some((r) => inPrefix(a, r.prefix));
}

/** A whole prefix lies inside one allowed range. */
export function prefixAllowed(pr: Prefix): boolean {
  return allowedRanges.some((r) => r.prefix.prefixLen <= pr.prefixLen && inPrefix(pr.addr, r.prefix));
}

export const allowedRangesText = 'documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), private (10/8, 172.16/12, 192.168/16) or benchmarking (198.18/15)';
