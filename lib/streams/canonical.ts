/**
 * The canonical put and service pair every flow-controlled module writes (STYLE.md; SVR4's
 * classic xxput / xxsrv). modules/examples/qpass.ts spells it out for students; everything else
 * calls these so the idiom lives in one place.
 */
import type { Mblk } from './mblk.ts';
import type { Queue } from './queue.ts';
import { canputnext, getq, putbq, putq } from './queue.ts';
import { putnext } from './put.ts';
import { QPCTL } from './types.ts';

/**
 * Pass `mp` on, or queue it behind anything already queued (so order is kept) or when the next
 * queue is full. High-priority messages ignore flow control and go straight on.
 */
export function putInOrder(q: Queue, mp: Mblk): void {
  if (mp.db.type < QPCTL && (q.first !== null || !canputnext(q))) putq(q, mp);
  else putnext(q, mp);
}

/**
 * Pass queued messages on while the next queue can take them; the first one that cannot goes
 * back to the front and the loop stops (the full queue back-enables this one later).
 */
export function passQueued(q: Queue): void {
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) {
    if (mp.db.type < QPCTL && !canputnext(q)) {
      putbq(q, mp);
      return;
    }
    putnext(q, mp);
  }
}
