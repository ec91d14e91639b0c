/**
 * Numeric values of the symbols scripts use (flags, errno names), per profile, so that
 * `O_RDWR | O_NONBLOCK`, `= 0x02 (flags O_RDWR)` and `[ECONNREFUSED]` mean what they mean on
 * the stack the script was written for. Values from the Linux and FreeBSD system headers.
 */
import { POLL } from './target.ts';

export type ProfileName = 'linux' | 'freebsd';

const COMMON: Record<string, number> = {
  AF_UNSPEC: 0,
  AF_INET: 2,
  PF_INET: 2,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  IPPROTO_IP: 0,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  MSG_OOB: 1,
  MSG_PEEK: 2,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  POLLIN: POLL.IN,
  POLLPRI: POLL.PRI,
  POLLOUT: POLL.OUT,
  POLLERR: POLL.ERR,
  POLLHUP: POLL.HUP,
  POLLNVAL: POLL.NVAL,
  POLLRDNORM: POLL.RDNORM,
  POLLRDBAND: POLL.RDBAND,
  POLLWRBAND: POLL.WRBAND,
  INADDR_ANY: 0,
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EINVAL: 22,
  EPIPE: 32,
};

const LINUX: Record<string, number> = {
  ...COMMON,
  AF_INET6: 10,
  SOL_SOCKET: 1,
  O_NONBLOCK: 0x800,
  MSG_DONTWAIT: 0x40,
  MSG_WAITALL: 0x100,
  MSG_NOSIGNAL: 0x4000,
  POLLWRNORM: POLL.WRNORM,
  POLLRDHUP: POLL.RDHUP,
  EAGAIN: 11,
  EWOULDBLOCK: 11,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
};

const FREEBSD: Record<string, number> = {
  ...COMMON,
  AF_INET6: 28,
  SOL_SOCKET: 0xffff,
  O_NONBLOCK: 0x4,
  MSG_DONTWAIT: 0x80,
  MSG_WAITALL: 0x40,
  MSG_NOSIGNAL: 0x20000,
  // FreeBSD's POLLWRNORM is POLLOUT.
  POLLWRNORM: POLL.OUT,
  POLLRDHUP: POLL.RDHUP,
  EAGAIN: 35,
  EWOULDBLOCK: 35,
  EINPROGRESS: 36,
  EALREADY: 37,
  ENOTSOCK: 38,
  EDESTADDRREQ: 39,
  EMSGSIZE: 40,
  EPROTOTYPE: 41,
  ENOPROTOOPT: 42,
  EPROTONOSUPPORT: 43,
  EOPNOTSUPP: 45,
  EAFNOSUPPORT: 47,
  EADDRINUSE: 48,
  EADDRNOTAVAIL: 49,
  ENETUNREACH: 51,
  ECONNABORTED: 53,
  ECONNRESET: 54,
  ENOBUFS: 55,
  EISCONN: 56,
  ENOTCONN: 57,
  ETIMEDOUT: 60,
  ECONNREFUSED: 61,
  EHOSTUNREACH: 65,
};

const TABLES: Record<ProfileName, Record<string, number>> = { linux: LINUX, freebsd: FREEBSD };

export function symbolValue(profile: ProfileName, name: string): number | undefined {
  return TABLES[profile][name];
}

/** Errno names that are the same error (EWOULDBLOCK is EAGAIN on both systems). */
export function sameErrno(a: string, b: string): boolean {
  const canon = (s: string): string => (s === 'EWOULDBLOCK' ? 'EAGAIN' : s);
  return canon(a) === canon(b);
}

/** The errno name for a number, for reports (first name wins: EAGAIN over EWOULDBLOCK). */
export function errnoName(profile: ProfileName, n: number): string | undefined {
  for (const [k, v] of Object.entries(TABLES[profile])) if (k.startsWith('E') && v === n) return k;
  return undefined;
}
