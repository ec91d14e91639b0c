/**
 * STREAMS constants: message types, queue flags, flush flags, errno values. Numbers follow
 * SVR4 <sys/stream.h> where SVR4 has them, so a trace reads like a kernel one.
 */

/** Message types. Types >= QPCTL are high priority: they jump the queue and ignore flow control. */
export const M_DATA = 0x00;
export const M_PROTO = 0x01;
export const M_CTL = 0x0d;
export const M_IOCTL = 0x0e;
export const M_SETOPTS = 0x10;
export const QPCTL = 0x80;
export const M_IOCACK = 0x81;
export const M_IOCNAK = 0x82;
export const M_PCPROTO = 0x83;
export const M_FLUSH = 0x86;
export const M_HANGUP = 0x89;
export const M_ERROR = 0x8a;
/** Like M_CTL but high priority (illumos has it too): for urgent module-to-module notes. */
export const M_PCCTL = 0x8f;

export type MsgType =
  | typeof M_DATA
  | typeof M_PROTO
  | typeof M_CTL
  | typeof M_IOCTL
  | typeof M_SETOPTS
  | typeof M_IOCACK
  | typeof M_IOCNAK
  | typeof M_PCPROTO
  | typeof M_FLUSH
  | typeof M_HANGUP
  | typeof M_ERROR
  | typeof M_PCCTL;

const typeNames: Record<number, string> = {
  [M_DATA]: 'M_DATA',
  [M_PROTO]: 'M_PROTO',
  [M_CTL]: 'M_CTL',
  [M_IOCTL]: 'M_IOCTL',
  [M_SETOPTS]: 'M_SETOPTS',
  [M_IOCACK]: 'M_IOCACK',
  [M_IOCNAK]: 'M_IOCNAK',
  [M_PCPROTO]: 'M_PCPROTO',
  [M_FLUSH]: 'M_FLUSH',
  [M_HANGUP]: 'M_HANGUP',
  [M_ERROR]: 'M_ERROR',
  [M_PCCTL]: 'M_PCCTL',
};

export function msgTypeName(t: number): string {
  return typeNames[t] ?? `M_0x${t.toString(16)}`;
}

/** True for data messages in the SVR4 sense (flushed by FLUSHDATA): M_DATA, M_PROTO, M_PCPROTO. */
export function datamsg(t: number): boolean {
  return t === M_DATA || t === M_PROTO || t === M_PCPROTO;
}

/** Queue flags (q.flag). */
export const QENAB = 0x0001; // on the run list
export const QWANTR = 0x0002; // a reader found the queue empty: putq enables
export const QWANTW = 0x0004; // a writer was refused: back-enable when below lowat
export const QFULL = 0x0008; // count >= hiwat
export const QREADR = 0x0010; // read side of the pair
export const QNOENB = 0x0040; // putq must not enable (noenable)
export const QPROCSON = 0x0080; // put and service procedures are live (qprocson)
export const QHEAD = 0x0100; // stream head queue
export const QDRIVER = 0x0200; // driver queue (upper side of a driver)
export const QMUXLOWER = 0x0400; // head of a stream linked under a multiplexor
export const QCLOSED = 0x0800; // stream closed: puts are dropped

export const queueFlagNames: ReadonlyArray<readonly [number, string]> = [
  [QENAB, 'QENAB'],
  [QWANTR, 'QWANTR'],
  [QWANTW, 'QWANTW'],
  [QFULL, 'QFULL'],
  [QNOENB, 'QNOENB'],
  [QPROCSON, 'QPROCSON'],
];

/** M_FLUSH flags. */
export const FLUSHR = 0x01;
export const FLUSHW = 0x02;
export const FLUSHRW = 0x03;
export const FLUSHBAND = 0x04;

/** flushq() modes. */
export const FLUSHDATA = 0;
export const FLUSHALL = 1;

/** Packet size meaning "no limit". */
export const INFPSZ = -1;

/** Default stream head water marks (SVR4 STRHIGH / STRLOW). */
export const STRHIGH = 5120;
export const STRLOW = 1024;

/** Bytes a block carrying a typed primitive (and no bytes) counts for in q.count. */
export const PROTO_WEIGHT = 32;

/** The errno values the framework uses (Linux numbering). */
export const Errno = {
  OK: 0,
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  EBUSY: 16,
  EINVAL: 22,
  ERANGE: 34,
  ENOSR: 63,
  ETIME: 62,
  ENOSTR: 60,
  EPROTO: 71,
  EBADMSG: 74,
} as const;
export type ErrnoName = keyof typeof Errno;

export function errnoName(e: number): string {
  for (const [k, v] of Object.entries(Errno)) if (v === e) return k;
  return `errno ${e}`;
}
