/**
 * sockmod: the module the socket layer pushes at the top of every transport stream, as SVR4
 * pushed sockmod / timod. The socket needs to see connection primitives the moment they
 * arrive, not when the reader reaches them behind queued data (a write after a reset must
 * fail at once, poll must report a peer's FIN). So the read put procedure hands every message
 * to the socket first: TPI acknowledgements and connection primitives are consumed there,
 * data and STREAMS control messages go on to the head in order.
 *
 * No service procedures: canput from the transport looks through this module to the head's
 * read queue, and canputnext from the head looks through it to the transport, so flow control
 * is exactly what it would be without the module.
 */
import { defineModule, INFPSZ, putnext } from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

/** What sockmod calls: the socket at the top of the stream. */
export interface SockUpcalls {
  /** A message came up. Return it (or what should go on instead) for the head, or null when consumed. */
  up(mp: Mblk): Mblk | null;
}

const sockminfo: ModuleInfo = { id: 9100, name: 'sockmod', minpsz: 0, maxpsz: INFPSZ, hiwat: 0, lowat: 0 };

const sockrinit: QInit = { put: sockrput, open: sockopen, close: sockclose, minfo: sockminfo };
const sockwinit: QInit = { put: sockwput, minfo: sockminfo };

export const sockstab: StreamTab = { rdinit: sockrinit, wrinit: sockwinit };

export default defineModule(sockstab, 'socket glue: TPI primitives to socket state, data on to the head');

function sockopen(q: Queue, ctx: OpenCtx): number {
  const up = ctx.args as SockUpcalls | undefined;
  if (up === undefined || typeof up.up !== 'function') return 22; // EINVAL: only the socket layer pushes it
  q.ptr = q.other.ptr = up;
  return 0;
}

function sockclose(q: Queue): void {
  q.ptr = q.other.ptr = undefined;
}

function sockrput(q: Queue, mp: Mblk): void {
  const up = q.ptr as SockUpcalls | undefined;
  const out = up === undefined ? mp : up.up(mp);
  if (out !== null) putnext(q, out);
}

function sockwput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}
