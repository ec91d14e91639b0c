/** Message helpers shared by IP's input and output paths. */
import { esballoc, freemsg, msgbytes } from '../../lib/streams/index.ts';
import type { Mblk, Queue } from '../../lib/streams/index.ts';
import type { IpState } from './state.ts';
import type { IpCounter } from './stats.ts';

/** Count, trace and free a packet IP will not use. */
export function ipDrop(ip: IpState, q: Queue, mp: Mblk, why: IpCounter): void {
  ip.stats[why]++;
  if (q.env.tracing) q.env.traceDrop(q, mp, `ip: ${why}`);
  freemsg(mp);
}

/**
 * The message as one block IP may write: as it is when nobody shares it, else a copy (a
 * transport may keep the original for retransmission).
 */
export function ownMsg(mp: Mblk): Mblk {
  if (mp.cont === null && mp.db.ref === 1) return mp;
  const copy = esballoc(msgbytes(mp));
  freemsg(mp);
  return copy;
}
