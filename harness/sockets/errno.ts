/**
 * errno values as Linux numbers them, by name. The socket calls report names (`'EAGAIN'`), the
 * transport reports numbers (T_DISCON_IND's DISCON_reason, T_ERROR_ACK's UNIX_error), so both
 * directions live here, with the TLI-to-errno mapping a TPI user needs.
 */
import { TLI } from '../../lib/streams/index.ts';

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EPIPE: 32,
  ERANGE: 34,
  ENOSTR: 60,
  ETIME: 62,
  ENOSR: 63,
  EPROTO: 71,
  EBADMSG: 74,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

export type ErrnoName = keyof typeof ERRNO;

const byNumber = new Map<number, ErrnoName>();
for (const [k, v] of Object.entries(ERRNO)) byNumber.set(v, k as ErrnoName);

/** The name of an errno number; unknown numbers (and 0) become EIO, which no call promises. */
export function errnoName(n: number): ErrnoName {
  return byNumber.get(n) ?? 'EIO';
}

export function isErrnoName(s: string): s is ErrnoName {
  return Object.prototype.hasOwnProperty.call(ERRNO, s);
}

/**
 * What a T_ERROR_ACK means to a socket caller. `prim` matters: TOUTSTATE on a bind is EINVAL
 * (already bound), on a connect EISCONN would be a guess, so it stays EINVAL as sockfs does.
 */
export function tliErrno(tli: number, unix: number): ErrnoName {
  switch (tli) {
    case TLI.TSYSERR:
      return unix > 0 ? errnoName(unix) : 'EIO';
    case TLI.TADDRBUSY:
      return 'EADDRINUSE';
    case TLI.TNOADDR:
    case TLI.TBADADDR:
      return 'EADDRNOTAVAIL';
    case TLI.TACCES:
      return 'EACCES';
    case TLI.TBADOPT:
      return 'ENOPROTOOPT';
    case TLI.TNOTSUPPORT:
      return 'EOPNOTSUPP';
    case TLI.TBADSEQ:
      return 'ECONNABORTED';
    default:
      return 'EINVAL';
  }
}
