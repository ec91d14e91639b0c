/**
 * counter: counts messages and data bytes in each direction, answers COUNTER_GET and
 * COUNTER_RESET ioctls and passes every other ioctl down. The write side uses the canonical
 * put (queue only when something is queued already or the next queue is full) and service.
 */
import {
  canputnext,
  defineModule,
  INFPSZ,
  iocblk,
  M_FLUSH,
  M_IOCTL,
  miocack,
  modflush,
  msgdsize,
  passQueued,
  putnext,
  putq,
  QPCTL,
} from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

/** Per-stream state. */
export interface Counts {
  rmsgs: number;
  rbytes: number;
  wmsgs: number;
  wbytes: number;
}

/** Module ioctls ('C' << 8 | n). */
export const COUNTER_GET = 0x4301;
export const COUNTER_RESET = 0x4302;

const cntminfo: ModuleInfo = { id: 9003, name: 'counter', minpsz: 0, maxpsz: INFPSZ, hiwat: 8192, lowat: 2048 };

const cntrinit: QInit = { put: cntrput, open: cntopen, close: cntclose, minfo: cntminfo };
const cntwinit: QInit = { put: cntwput, service: cntwsrv, minfo: cntminfo };

export const cntstab: StreamTab = { rdinit: cntrinit, wrinit: cntwinit };

export default defineModule(cntstab, 'counts messages and bytes each way; COUNTER_GET / COUNTER_RESET ioctls');

function cntopen(q: Queue, _ctx: OpenCtx): number {
  const c: Counts = { rmsgs: 0, rbytes: 0, wmsgs: 0, wbytes: 0 };
  q.ptr = q.other.ptr = c;
  return 0;
}

function cntclose(q: Queue): void {
  q.ptr = q.other.ptr = undefined;
}

function cntrput(q: Queue, mp: Mblk): void {
  const c = q.ptr as Counts;
  if (mp.db.type === M_FLUSH) return modflush(q, mp);
  c.rmsgs++;
  c.rbytes += msgdsize(mp);
  putnext(q, mp);
}

function cntwput(q: Queue, mp: Mblk): void {
  const c = q.ptr as Counts;
  switch (mp.db.type) {
    case M_FLUSH:
      return modflush(q, mp);
    case M_IOCTL:
      return cntioctl(q, mp, c);
  }
  c.wmsgs++;
  c.wbytes += msgdsize(mp);
  // Queue behind anything already queued, so order is kept.
  if (mp.db.type < QPCTL && (q.first !== null || !canputnext(q))) putq(q, mp);
  else putnext(q, mp);
}

function cntwsrv(q: Queue): void {
  passQueued(q);
}

function cntioctl(q: Queue, mp: Mblk, c: Counts): void {
  const ioc = iocblk(mp)!;
  switch (ioc.cmd) {
    case COUNTER_GET:
      return miocack(q, mp, { ...c });
    case COUNTER_RESET:
      c.rmsgs = c.rbytes = c.wmsgs = c.wbytes = 0;
      return miocack(q, mp);
    default:
      // Not ours: someone below may know it; the driver NAKs it otherwise.
      putnext(q, mp);
  }
}
