/**
 * qprocson / qprocsoff: a module's put and service procedures go live when it joins the flow
 * of messages and stop when it leaves. While off, the neighbours' `next` pointers skip the
 * module; its own `next` pointers still lead to them, so it can send (an open routine may
 * putnext) and so that a stale put to it is forwarded rather than lost.
 *
 * Leaving with messages still queued: SVR4 frees them; here they are passed on in order to
 * the neighbour in their direction of travel ("popping loses nothing"), and both neighbours
 * are back-enabled so that nobody waits for a back-enable that would never come.
 */
import type { Mblk } from './mblk.ts';
import { freemsg } from './mblk.ts';
import type { Queue } from './queue.ts';
import { drainq, qbackenable } from './queue.ts';
import { put, putnext } from './put.ts';
import { qcanceltimers } from './timers.ts';
import { QDRIVER, QHEAD, QPROCSON } from './types.ts';

/** Put procedure of a queue whose module has left: pass the message along. */
function forwardPut(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}

export function qprocson(q: Queue): void {
  const rq = q.isRead ? q : q.other;
  const wq = rq.other;
  if ((rq.flag & QPROCSON) !== 0) return;
  rq.flag |= QPROCSON;
  wq.flag |= QPROCSON;
  rq.putp = rq.qinfo.put;
  rq.srvp = rq.qinfo.service ?? null;
  wq.putp = wq.qinfo.put;
  wq.srvp = wq.qinfo.service ?? null;
  rq.stream.relink();
}

export function qprocsoff(q: Queue): void {
  const rq = q.isRead ? q : q.other;
  const wq = rq.other;
  if ((rq.flag & QPROCSON) === 0) return;
  rq.flag &= ~QPROCSON;
  wq.flag &= ~QPROCSON;
  rq.putp = forwardPut;
  wq.putp = forwardPut;
  rq.srvp = null;
  wq.srvp = null;
  rq.env.unschedq(rq);
  rq.env.unschedq(wq);
  rq.stream.relink();
  const isModule = (rq.flag & (QDRIVER | QHEAD)) === 0;
  // The usual case (a stream closing, a module popped when idle): nothing queued, no arrays.
  if (wq.first === null && rq.first === null) {
    if (isModule) {
      qbackenable(wq);
      qbackenable(rq);
    }
    return;
  }
  const wleft = drainq(wq);
  const rleft = drainq(rq);
  if (!isModule) {
    for (const mp of wleft) freemsg(mp);
    for (const mp of rleft) freemsg(mp);
    return;
  }
  // Our `next` pointers still name the neighbours: hand them what we held, in order.
  for (const mp of wleft) forwardTo(wq.next, mp);
  for (const mp of rleft) forwardTo(rq.next, mp);
  qbackenable(wq);
  qbackenable(rq);
}

function forwardTo(q: Queue | null, mp: Mblk): void {
  if (q === null) freemsg(mp);
  else put(q, mp);
}

/** Cancel the timers of both queues of a pair. */
export function qpaircanceltimers(q: Queue): void {
  qcanceltimers(q);
  qcanceltimers(q.other);
}
