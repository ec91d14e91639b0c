/**
 * Ioctls. The stream head handles the STREAMS ioctls itself (I_PUSH, I_POP, I_LOOK, I_FIND,
 * I_LINK, I_UNLINK, I_FLUSH); every other command travels down as an M_IOCTL carrying an
 * IocBlk. A module that knows the command answers with miocack / miocnak (an M_IOCACK /
 * M_IOCNAK sent back up with qreply); a module that does not passes it on; the driver NAKs
 * what it does not know. The head matches the answer to the request by id.
 */
import type { Mblk } from './mblk.ts';
import { allocproto, freemsg } from './mblk.ts';
import type { Queue } from './queue.ts';
import type { Stream } from './stream.ts';
import { qreply } from './put.ts';
import { Errno, M_IOCACK, M_IOCNAK, M_IOCTL } from './types.ts';

/** STREAMS ioctl commands (SVR4 numbering: 'S' << 8 | n). */
export const I_PUSH = 0x5302;
export const I_POP = 0x5303;
export const I_LOOK = 0x5304;
export const I_FLUSH = 0x5305;
export const I_FIND = 0x530b;
export const I_LINK = 0x530c;
export const I_UNLINK = 0x530d;

/** Default time the head waits for an answer when a time source is attached (SVR4: 15 s). */
export const IOCTL_TIMEOUT_NS = 15_000_000_000;

export interface IocBlk {
  cmd: number;
  /** Matches the answer to the request. */
  id: number;
  /** Argument going down; result data coming back up. */
  data: unknown;
  /** Return value of a successful ioctl. */
  rval: number;
  /** errno of a failed one. */
  error: number;
}

/** What the multiplexing driver receives in the IocBlk data of I_LINK / I_UNLINK. */
export interface LinkBlk {
  /** The upper write queue of the driver (on the stream the ioctl came down). */
  qtop: Queue;
  /** The write queue at the top of the linked stream, now running the driver's muxwinit. */
  qbot: Queue;
  muxid: number;
  upper: Stream;
  lower: Stream;
}

export type IoctlResult = { ok: true; rval: number; data: unknown } | { ok: false; error: number };
export type IoctlCallback = (r: IoctlResult) => void;

export function mkioctl(cmd: number, id: number, data: unknown): Mblk {
  const ioc: IocBlk = { cmd, id, data, rval: 0, error: 0 };
  return allocproto(M_IOCTL, ioc);
}

/** The IocBlk of an M_IOCTL / M_IOCACK / M_IOCNAK message (null for other messages). */
export function iocblk(mp: Mblk): IocBlk | null {
  const t = mp.db.type;
  if (t !== M_IOCTL && t !== M_IOCACK && t !== M_IOCNAK) return null;
  return mp.db.proto as IocBlk;
}

/** Answer an M_IOCTL positively: sends M_IOCACK back up (q is the queue that received it). */
export function miocack(q: Queue, mp: Mblk, data: unknown = undefined, rval = 0): void {
  const ioc = mp.db.proto as IocBlk;
  const ack = allocproto(M_IOCACK, { cmd: ioc.cmd, id: ioc.id, data, rval, error: 0 } satisfies IocBlk);
  freemsg(mp);
  qreply(q, ack);
}

/** Refuse an M_IOCTL: sends M_IOCNAK with errno back up (q is the queue that received it). */
export function miocnak(q: Queue, mp: Mblk, error: number = Errno.EINVAL): void {
  const ioc = mp.db.proto as IocBlk;
  const nak = allocproto(M_IOCNAK, { cmd: ioc.cmd, id: ioc.id, data: undefined, rval: -1, error } satisfies IocBlk);
  freemsg(mp);
  qreply(q, nak);
}

export function ioctlName(cmd: number): string {
  switch (cmd) {
    case I_PUSH:
      return 'I_PUSH';
    case I_POP:
      return 'I_POP';
    case I_LOOK:
      return 'I_LOOK';
    case I_FLUSH:
      return 'I_FLUSH';
    case I_FIND:
      return 'I_FIND';
    case I_LINK:
      return 'I_LINK';
    case I_UNLINK:
      return 'I_UNLINK';
    default:
      return `0x${cmd.toString(16)}`;
  }
}
