/**
 * Ioctls of the tcp driver (sent down any upper stream of it), for the harness and tools:
 * choosing the profile, sysctl get/set (the conformance runner's `sysctl`), counters
 * (`netstat -s`), the connection table (`ss`, `sockstat`) and dropping a connection
 * (`tcpdrop`). Answers are plain values in the M_IOCACK.
 */
import type { Ipv4Addr } from '../../../lib/wire/ip-types.ts';
import type { TcpInfo } from '../info.ts';
import type { TcpProfile } from '../profile.ts';

const BASE = 0x54430000; // 'TC'

/** data: profile name ('linux' | 'freebsd') or a whole TcpProfile; answers the profile name. */
export const TCP_IOC_PROFILE = BASE | 1;
/** data: { name }; answers the value as the real sysctl prints it (ENOENT when unknown). */
export const TCP_IOC_SYSCTL_GET = BASE | 2;
/** data: { name, value }; EINVAL (with the reason in the answer's data) on a bad value. */
export const TCP_IOC_SYSCTL_SET = BASE | 3;
/** Answers every sysctl name the current profile knows. */
export const TCP_IOC_SYSCTL_LIST = BASE | 4;
/** Answers the MIB counters (TcpMib snapshot plus the driver's own). */
export const TCP_IOC_MIB = BASE | 5;
/** Answers TcpSocketRow[]: every listener and connection. */
export const TCP_IOC_SOCKETS = BASE | 6;
/** data: { local, remote } (TcpAddr each); RST the connection, ENOENT when there is none. */
export const TCP_IOC_DROP = BASE | 7;
/** The stream wants the M_CTL / M_PCCTL messages that come up from below (data: boolean). */
export const TCP_IOC_CTL_SUBSCRIBE = BASE | 8;
/** Answers the current profile object. */
export const TCP_IOC_GET_PROFILE = BASE | 9;

export interface TcpAddr {
  addr: Ipv4Addr;
  port: number;
}

export interface TcpSocketRow {
  /** RFC 9293 spelling, e.g. "ESTABLISHED", "LISTEN". */
  state: string;
  local: TcpAddr;
  remote: TcpAddr;
  recvQ: number;
  sendQ: number;
  /** Id of the upper stream that owns it (the socket), or null for orphans and embryos. */
  streamId: number | null;
  /** Listeners: connections waiting for accept and the backlog. */
  backlog?: { queued: number; limit: number };
  /** Connections: TCP_INFO-like details. */
  info?: TcpInfo;
  /** Profile dialect, for tools that print state names their own way. */
  profile: TcpProfile['name'];
}

/** Driver counters beyond the TCP MIB. */
export interface TcpDriverCounters {
  /** IPv4 packets from below that did not parse as TCP (other than a bad TCP checksum). */
  badPackets: number;
  /** M_CTL / M_PCCTL messages passed through, and dropped for lack of a destination. */
  ctlPassedUp: number;
  ctlPassedDown: number;
  ctlDropped: number;
  /** Segments produced while no IP stream was linked below. */
  noLowerDrops: number;
}
