/**
 * The classic M_FLUSH rules, as helpers so that every module and driver gets them right:
 * - a module flushes its own queue(s) for the flags given and passes the message on;
 * - a driver (the bottom of a stream) flushes its write queue for FLUSHW and, for FLUSHR,
 *   flushes its read queue and turns the message around up the read side with FLUSHW cleared.
 * The stream head's half lives in head.ts.
 */
import type { Mblk } from './mblk.ts';
import { freemsg } from './mblk.ts';
import type { Queue } from './queue.ts';
import { flushband, flushq } from './queue.ts';
import { putnext, qreply } from './put.ts';
import { flushreq, reflag } from './msgs.ts';
import { FLUSHBAND, FLUSHDATA, FLUSHR, FLUSHW } from './types.ts';

function flushSide(q: Queue, band: number, banded: boolean): void {
  if (banded) flushband(q, band, FLUSHDATA);
  else flushq(q, FLUSHDATA);
}

/** M_FLUSH in a module's put procedure (either side): flush what the flags name, pass it on. */
export function modflush(q: Queue, mp: Mblk): void {
  const { flag, band } = flushreq(mp);
  const banded = (flag & FLUSHBAND) !== 0;
  const wq = q.isRead ? q.other : q;
  if (flag & FLUSHW) flushSide(wq, band, banded);
  if (flag & FLUSHR) flushSide(wq.other, band, banded);
  putnext(q, mp);
}

/** M_FLUSH arriving on a driver's write queue: flush, and turn FLUSHR around up the read side. */
export function drvflush(wq: Queue, mp: Mblk): void {
  const { flag, band } = flushreq(mp);
  const banded = (flag & FLUSHBAND) !== 0;
  if (flag & FLUSHW) flushSide(wq, band, banded);
  if (flag & FLUSHR) {
    flushSide(wq.other, band, banded);
    qreply(wq, reflag(mp, flag & ~FLUSHW));
  } else {
    freemsg(mp);
  }
}
