/**
 * qpass: a pass-through that defers all normal-priority work to its service procedures (putq
 * in put, the canonical loop in service). It shows the put/service split and flow control;
 * the benchmark uses it for the "putq + service" path.
 */
import { canputnext, defineModule, getq, INFPSZ, M_FLUSH, modflush, putbq, putnext, putq, QPCTL } from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

const qpminfo: ModuleInfo = { id: 9002, name: 'qpass', minpsz: 0, maxpsz: INFPSZ, hiwat: 8192, lowat: 2048 };

const qprinit: QInit = { put: qpput, service: qpsrv, minfo: qpminfo };
const qpwinit: QInit = { put: qpput, service: qpsrv, minfo: qpminfo };

export const qpstab: StreamTab = { rdinit: qprinit, wrinit: qpwinit };

export default defineModule(qpstab, 'pass-through that queues everything for its service procedures');

/** Same on both sides: high priority goes on at once (flushing first), the rest is queued. */
function qpput(q: Queue, mp: Mblk): void {
  if (mp.db.type >= QPCTL) {
    if (mp.db.type === M_FLUSH) modflush(q, mp);
    else putnext(q, mp);
    return;
  }
  putq(q, mp);
}

/** The canonical service loop: pass on while the next queue takes more, else put back and stop. */
function qpsrv(q: Queue): void {
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) {
    if (mp.db.type < QPCTL && !canputnext(q)) {
      putbq(q, mp);
      return;
    }
    putnext(q, mp);
  }
}
