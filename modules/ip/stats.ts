/**
 * IP's counters. Every packet IP drops is counted under exactly one reason, so
 * inReceives = inDelivers + forwarded + (all in* and fwd* drops), and
 * outRequests = sent + (all out* drops) + outLoopback.
 */
export interface IpStats {
  /** Packets received from interfaces. */
  inReceives: number;
  /** Handed to a bound transport. */
  inDelivers: number;
  /** Shorter than the IPv4 header or than its total length. */
  inTruncated: number;
  inBadVersion: number;
  inBadHeaderLen: number;
  inBadTotalLength: number;
  inBadChecksum: number;
  /** Fragments: this stack does not reassemble. */
  inFragments: number;
  /** Arrived on an interface that has no IP configuration yet. */
  inUnconfigured: number;
  /** For this host, but no stream bound to its protocol. */
  inNoProto: number;
  /** For this host, but the bound transport's queue was full. */
  inUpperFull: number;
  /** Not for this host, and this host does not forward. */
  inNotForUs: number;

  /** Forwarded by this router. */
  forwarded: number;
  fwdTtlExpired: number;
  fwdNoRoute: number;
  fwdTooBig: number;

  /** Packets transports asked IP to send. */
  outRequests: number;
  /** Sent on an interface (locally originated). */
  outSent: number;
  /** Addressed to this host: looped back to the input path. */
  outLoopback: number;
  /** Not a well-formed IPv4 packet. */
  outMalformed: number;
  outNoRoute: number;
  /** Larger than the outgoing interface's MTU (no fragmentation). */
  outTooBig: number;

  /** M_CTL and other unknown messages passed on through IP. */
  ctlPassed: number;
  /** ...or dropped because there was nowhere to pass them. */
  ctlDropped: number;
}

export type IpCounter = keyof IpStats;

export function zeroIpStats(): IpStats {
  return {
    inReceives: 0,
    inDelivers: 0,
    inTruncated: 0,
    inBadVersion: 0,
    inBadHeaderLen: 0,
    inBadTotalLength: 0,
    inBadChecksum: 0,
    inFragments: 0,
    inUnconfigured: 0,
    inNoProto: 0,
    inUpperFull: 0,
    inNotForUs: 0,
    forwarded: 0,
    fwdTtlExpired: 0,
    fwdNoRoute: 0,
    fwdTooBig: 0,
    outRequests: 0,
    outSent: 0,
    outLoopback: 0,
    outMalformed: 0,
    outNoRoute: 0,
    outTooBig: 0,
    ctlPassed: 0,
    ctlDropped: 0,
  };
}
