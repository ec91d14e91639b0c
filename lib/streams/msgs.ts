/**
 * Builders and accessors for the control messages whose payload is a typed object:
 * M_FLUSH, M_ERROR, M_HANGUP, M_SETOPTS, M_CTL / M_PCCTL, M_PROTO / M_PCPROTO. Plus putctl-style
 * helpers that build and send in one call.
 */
import type { Mblk } from './mblk.ts';
import { allocproto } from './mblk.ts';
import type { Queue } from './queue.ts';
import { putnext } from './put.ts';
import { M_CTL, M_ERROR, M_FLUSH, M_HANGUP, M_PCPROTO, M_PROTO, M_SETOPTS } from './types.ts';

export interface FlushReq {
  /** FLUSHR | FLUSHW, optionally FLUSHBAND. */
  flag: number;
  band: number;
}

export interface ErrorReq {
  /** errno for reads (0 clears, undefined leaves unchanged). */
  rerror?: number;
  /** errno for writes (0 clears, undefined leaves unchanged). */
  werror?: number;
}

/** M_SETOPTS: options a module or driver sets on the stream head. */
export interface StrOpts {
  /** Read queue water marks of the head. */
  hiwat?: number;
  lowat?: number;
  /** Bytes of headroom the head reserves in front of written data (for headers below). */
  wroff?: number;
}

export function mkflush(flag: number, band = 0): Mblk {
  return allocproto(M_FLUSH, { flag, band } satisfies FlushReq);
}
export function flushreq(mp: Mblk): FlushReq {
  return mp.db.proto as FlushReq;
}
/** Same request with other flags (a driver turning FLUSHR around clears FLUSHW). */
export function reflag(mp: Mblk, flag: number): Mblk {
  const f = mp.db.proto as FlushReq;
  mp.db.proto = { flag, band: f.band } satisfies FlushReq;
  return mp;
}

export function mkerror(err: ErrorReq): Mblk {
  return allocproto(M_ERROR, { ...err });
}
export function errorreq(mp: Mblk): ErrorReq {
  return mp.db.proto as ErrorReq;
}

export function mkhangup(): Mblk {
  return allocproto(M_HANGUP, null);
}

export function mksetopts(opts: StrOpts): Mblk {
  return allocproto(M_SETOPTS, { ...opts });
}
export function stropts(mp: Mblk): StrOpts {
  return mp.db.proto as StrOpts;
}

/** M_CTL carrying a typed payload (how modules talk to each other across a stream). */
export function mkctl<T>(payload: T, type: number = M_CTL): Mblk {
  return allocproto(type, payload);
}

/** M_PROTO (or M_PCPROTO) carrying a primitive, with optional data blocks after it. */
export function mkproto<T>(prim: T, cont: Mblk | null = null, type: typeof M_PROTO | typeof M_PCPROTO = M_PROTO): Mblk {
  return allocproto(type, prim, cont);
}

/** Send an M_FLUSH to the queue after q (putnextctl1(q, M_FLUSH, flag)). */
export function putnextflush(q: Queue, flag: number): void {
  putnext(q, mkflush(flag));
}
