/**
 * The vocabulary of the socket calls: results, addresses and the Linux constants a
 * packetdrill script names (SHUT_*, MSG_*, O_NONBLOCK, F_*, POLL*). Values are Linux's, so a
 * script's numbers mean what they mean on Linux.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { ErrnoName } from './errno.ts';

/** What every call returns: `ret` as the C call would, and the errno name when it failed. */
export interface SysResult {
  ret: number;
  errno: ErrnoName | null;
}

export interface SockAddr {
  addr: Ipv4Addr;
  port: number;
}

/** An address as callers may write it: the address as a u32 or dotted text. */
export interface SockAddrIn {
  addr: Ipv4Addr | string;
  port: number;
}

export interface ReadResult extends SysResult {
  /** The bytes read (empty on EOF or error). */
  data: Uint8Array;
}

export interface AcceptResult extends SysResult {
  /** The peer of the accepted connection (null on error). */
  peer: SockAddr | null;
}

export interface SockoptResult extends SysResult {
  /** Numbers for integer and boolean options, text for TCP_CONGESTION, {onoff, linger} for SO_LINGER, `tcpi_*` fields for TCP_INFO. */
  value: SockoptValue | null;
}

export interface Linger {
  onoff: boolean;
  /** Seconds. */
  linger: number;
}

export type SockoptValue = number | string | Linger | Readonly<Record<string, number | boolean | string>>;

export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const IPPROTO_TCP = 6;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const MSG_PEEK = 0x2;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;

export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_RDWR = 0x2;
export const O_NONBLOCK = 0x800;

export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDHUP = 0x2000;

/** The result of every call that returns 0: one frozen object (results are read, never changed). */
const OK0: SysResult = Object.freeze({ ret: 0, errno: null });
/** Failures, one frozen object per errno name, made on first use (bounded). */
const FAILED = new Map<ErrnoName, SysResult>();

export function ok(ret = 0): SysResult {
  return ret === 0 ? OK0 : { ret, errno: null };
}

export function fail(errno: ErrnoName): SysResult {
  let r = FAILED.get(errno);
  if (r === undefined) {
    r = Object.freeze({ ret: -1, errno });
    if (FAILED.size < 256) FAILED.set(errno, r);
  }
  return r;
}
