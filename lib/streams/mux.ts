/**
 * Multiplexing: I_LINK / I_UNLINK. Linking puts a whole stream (`lower`) under the driver of
 * another stream (`upper`): the lower stream's head queues get the driver's muxrinit /
 * muxwinit, then the driver is told with an M_IOCTL (I_LINK, data LinkBlk) sent down `upper`;
 * if it NAKs, the lower head is restored. Unlinking is the reverse. Messages waiting at the
 * lower head when it is linked are handed to the driver's lower read put, in order.
 */
import type { Stream } from './stream.ts';
import type { IoctlCallback, LinkBlk } from './ioctl.ts';
import { I_LINK, I_UNLINK } from './ioctl.ts';
import { headRinit, headWinit } from './head.ts';
import { sendIoctl } from './head-ioctl.ts';
import { drainq } from './queue.ts';
import { put, putnext } from './put.ts';
import { isMux } from './module.ts';
import { Errno, QMUXLOWER, QWANTR } from './types.ts';

function setLowerHead(lower: Stream, upper: Stream): void {
  const st = upper.driver.streamtab;
  lower.rq.setqinit(st.muxrinit!);
  lower.wq.setqinit(st.muxwinit!);
  lower.rq.ptr = lower.wq.ptr = undefined;
  lower.rq.flag |= QMUXLOWER | QWANTR;
  lower.wq.flag |= QMUXLOWER | QWANTR;
}

function restoreLowerHead(lower: Stream): void {
  lower.env.unschedq(lower.rq);
  lower.env.unschedq(lower.wq);
  lower.rq.setqinit(headRinit);
  lower.wq.setqinit(headWinit);
  lower.rq.ptr = lower.wq.ptr = lower;
  lower.rq.flag &= ~QMUXLOWER;
  lower.wq.flag &= ~QMUXLOWER;
  lower.linkedUnder = null;
}

/** Is `s` (transitively) below `target` through links? Refuses link cycles. */
function isBelow(s: Stream, target: Stream): boolean {
  for (let u = s.linkedUnder; u !== null; u = u.upper.linkedUnder) if (u.upper === target) return true;
  return false;
}

export function linkStream(upper: Stream, lower: Stream, cb: IoctlCallback): number {
  const fail = (error: number): number => (cb({ ok: false, error }), 0);
  if (upper.closed || lower === undefined || lower === null || lower.closed) return fail(Errno.EINVAL);
  if (!isMux(upper.driver)) return fail(Errno.EINVAL);
  if (lower === upper || lower.linkedUnder !== null || upper.linkedUnder !== null) return fail(Errno.EINVAL);
  if (isBelow(upper, lower)) return fail(Errno.EINVAL);
  const env = upper.env;
  const muxid = env.nextMuxId();
  setLowerHead(lower, upper);
  lower.linkedUnder = { upper, muxid };
  const lb: LinkBlk = { qtop: upper.drvwq, qbot: lower.wq, muxid, upper, lower };
  return sendIoctl(upper, I_LINK, lb, (r) => {
    if (!r.ok) {
      restoreLowerHead(lower);
      return cb(r);
    }
    upper.links.set(muxid, lower);
    if (env.tracing) env.trace.emit('link', { t: env.now(), upper, lower, muxid });
    // Data that was waiting for the application now belongs to the multiplexor.
    for (const mp of drainq(lower.rq)) put(lower.rq, mp);
    cb({ ok: true, rval: muxid, data: undefined });
  });
}

function finishUnlink(upper: Stream, lower: Stream, muxid: number): void {
  upper.links.delete(muxid);
  const wleft = drainq(lower.wq);
  restoreLowerHead(lower);
  for (const mp of wleft) putnext(lower.wq, mp);
  const env = upper.env;
  if (env.tracing) env.trace.emit('unlink', { t: env.now(), upper, lower, muxid });
  if (!lower.appOpen) lower.close();
}

export function unlinkStream(upper: Stream, muxid: number, cb: IoctlCallback): number {
  const lower = upper.links.get(muxid);
  if (lower === undefined || upper.closed) return cb({ ok: false, error: Errno.EINVAL }), 0;
  const lb: LinkBlk = { qtop: upper.drvwq, qbot: lower.wq, muxid, upper, lower };
  return sendIoctl(upper, I_UNLINK, lb, (r) => {
    if (!r.ok) return cb(r);
    finishUnlink(upper, lower, muxid);
    cb({ ok: true, rval: 0, data: undefined });
  });
}

/** Unlink during close: tell the driver, then restore the lower stream whatever it answers. */
export function forceUnlink(upper: Stream, muxid: number): void {
  const lower = upper.links.get(muxid);
  if (lower === undefined) return;
  const lb: LinkBlk = { qtop: upper.drvwq, qbot: lower.wq, muxid, upper, lower };
  const id = sendIoctl(upper, I_UNLINK, lb, () => {}, 0);
  upper.ioctls.delete(id);
  if (upper.links.has(muxid)) finishUnlink(upper, lower, muxid);
}
