/**
 * upper: the module of the "write your first module" walkthrough in docs/streams.md. It turns
 * written ASCII letters to upper case, counts what it changed, and answers UP_GET with the count.
 */
import { copyOnWrite, defineModule, INFPSZ, iocblk, M_DATA, M_FLUSH, M_IOCTL, miocack, modflush, putnext } from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

/** Per-stream state, shared by both queues of the pair. */
interface UpState {
  changed: number;
}

/** ioctl: how many letters were changed. */
export const UP_GET = 0x5501;

const upminfo: ModuleInfo = { id: 9101, name: 'upper', minpsz: 0, maxpsz: INFPSZ, hiwat: 8192, lowat: 2048 };

const uprinit: QInit = { put: uprput, open: upopen, close: upclose, minfo: upminfo };
const upwinit: QInit = { put: upwput, minfo: upminfo };

export const upstab: StreamTab = { rdinit: uprinit, wrinit: upwinit };

export default defineModule(upstab, 'upper-cases written letters; UP_GET ioctl');

function upopen(q: Queue, _ctx: OpenCtx): number {
  const st: UpState = { changed: 0 };
  q.ptr = q.other.ptr = st;
  return 0;
}

function upclose(q: Queue): void {
  q.ptr = q.other.ptr = undefined;
}

function uprput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}

function upwput(q: Queue, mp: Mblk): void {
  const st = q.ptr as UpState;
  switch (mp.db.type) {
    case M_FLUSH:
      return modflush(q, mp);
    case M_IOCTL:
      return upioctl(q, mp, st);
    case M_DATA:
      return putnext(q, upcase(mp, st));
    default:
      return putnext(q, mp);
  }
}

/** The data block may be shared (a tee above sent a dupmsg of it back up): change a private one. */
function upcase(mp: Mblk, st: UpState): Mblk {
  const w = copyOnWrite(mp);
  const b = w.data();
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c >= 97 && c <= 122) {
      b[i] = c - 32;
      st.changed++;
    }
  }
  return w;
}

function upioctl(q: Queue, mp: Mblk, st: UpState): void {
  const ioc = iocblk(mp)!;
  if (ioc.cmd !== UP_GET) return putnext(q, mp);
  miocack(q, mp, st.changed);
}
