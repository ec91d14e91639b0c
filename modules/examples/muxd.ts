/**
 * muxd: an example multiplexing driver. Any number of upper streams (clone opens) share one
 * lower stream linked with I_LINK: what any upper stream writes goes down the lower stream,
 * and what comes up the lower stream is fanned out to every upper stream (dupmsg). It shows
 * the I_LINK / I_UNLINK ioctls, flow control across the multiplexor (the lower write service
 * re-enables the upper writers), and the driver rules (M_FLUSH turned around, ioctls NAKed).
 */
import {
  canputnext,
  defineDriver,
  drvflush,
  dupmsg,
  Errno,
  FLUSHDATA,
  flushq,
  FLUSHR,
  flushreq,
  FLUSHW,
  freemsg,
  getq,
  I_LINK,
  I_UNLINK,
  INFPSZ,
  iocblk,
  M_FLUSH,
  M_IOCTL,
  miocack,
  miocnak,
  passQueued,
  putbq,
  putInOrder,
  putnext,
  putq,
  qenable,
  QPCTL,
  qreply,
  reflag,
} from '../../lib/streams/index.ts';
import type { LinkBlk, Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

/** Per-stack state shared by all upper streams. */
interface MuxGlobal {
  /** Read queues of the open upper streams, in open order. */
  uppers: Queue[];
  /** Write queue at the top of the linked lower stream. */
  lower: Queue | null;
  muxid: number;
}

const muxminfo: ModuleInfo = { id: 9011, name: 'muxd', minpsz: 0, maxpsz: INFPSZ, hiwat: 8192, lowat: 2048 };

const muxurinit: QInit = { put: muxursrvput, service: muxursrv, open: muxopen, close: muxclose, minfo: muxminfo };
const muxuwinit: QInit = { put: muxuwput, service: muxuwsrv, minfo: muxminfo };
const muxlrinit: QInit = { put: muxlrput, minfo: muxminfo };
const muxlwinit: QInit = { put: muxlwput, service: muxlwsrv, minfo: muxminfo };

export const muxstab: StreamTab = { rdinit: muxurinit, wrinit: muxuwinit, muxrinit: muxlrinit, muxwinit: muxlwinit };

export default defineDriver(muxstab, 'example multiplexor: many upper streams share one linked lower stream');

function muxglobal(ctx: OpenCtx): MuxGlobal {
  return ctx.env.shared<MuxGlobal>('muxd', () => ({ uppers: [], lower: null, muxid: 0 }));
}

function muxopen(q: Queue, ctx: OpenCtx): number {
  const g = muxglobal(ctx);
  q.ptr = q.other.ptr = g;
  g.uppers.push(q);
  if (ctx.sflag === 'clone') ctx.minor = g.uppers.length;
  return 0;
}

function muxclose(q: Queue): void {
  const g = q.ptr as MuxGlobal;
  g.uppers = g.uppers.filter((u) => u !== q);
  q.ptr = q.other.ptr = undefined;
}

// ---- upper side ----------------------------------------------------------------------------

function muxuwput(q: Queue, mp: Mblk): void {
  const g = q.ptr as MuxGlobal;
  switch (mp.db.type) {
    case M_FLUSH:
      return drvflush(q, mp);
    case M_IOCTL:
      return muxioctl(q, mp, g);
  }
  if (g.lower === null) {
    freemsg(mp);
    return;
  }
  if (mp.db.type < QPCTL && (q.first !== null || !canputnext(g.lower))) putq(q, mp);
  else putnext(g.lower, mp);
}

function muxuwsrv(q: Queue): void {
  const g = q.ptr as MuxGlobal;
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) {
    if (g.lower === null) {
      freemsg(mp);
      continue;
    }
    if (mp.db.type < QPCTL && !canputnext(g.lower)) {
      putbq(q, mp);
      return;
    }
    putnext(g.lower, mp);
  }
}

function muxioctl(q: Queue, mp: Mblk, g: MuxGlobal): void {
  const ioc = iocblk(mp)!;
  switch (ioc.cmd) {
    case I_LINK: {
      if (g.lower !== null) return miocnak(q, mp, Errno.EBUSY);
      const lb = ioc.data as LinkBlk;
      g.lower = lb.qbot;
      g.muxid = lb.muxid;
      lb.qbot.ptr = lb.qbot.other.ptr = g;
      return miocack(q, mp);
    }
    case I_UNLINK: {
      const lb = ioc.data as LinkBlk;
      if (g.lower !== lb.qbot) return miocnak(q, mp, Errno.EINVAL);
      g.lower = null;
      g.muxid = 0;
      return miocack(q, mp);
    }
    default:
      return miocnak(q, mp);
  }
}

/** Upper read side: canonical put and service, so each upper stream has its own flow control. */
function muxursrvput(q: Queue, mp: Mblk): void {
  putInOrder(q, mp);
}

function muxursrv(q: Queue): void {
  passQueued(q);
}

// ---- lower side ----------------------------------------------------------------------------

/** From the lower stream: we are its head, so M_FLUSH is answered here; data fans out. */
function muxlrput(q: Queue, mp: Mblk): void {
  const g = q.ptr as MuxGlobal | undefined;
  if (mp.db.type === M_FLUSH) {
    const { flag } = flushreq(mp);
    if (flag & FLUSHR) flushq(q, FLUSHDATA);
    if (flag & FLUSHW) {
      flushq(q.other, FLUSHDATA);
      qreply(q, reflag(mp, flag & ~FLUSHR));
    } else {
      freemsg(mp);
    }
    return;
  }
  const ups = g?.uppers ?? [];
  if (ups.length === 0) {
    freemsg(mp);
    return;
  }
  for (let i = 0; i < ups.length - 1; i++) muxursrvput(ups[i]!, dupmsg(mp));
  muxursrvput(ups[ups.length - 1]!, mp);
}

/** Nothing is ever queued on the lower write side; its put only exists for completeness. */
function muxlwput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}

/** Back-enabled when the lower stream drains: let every upper writer go on. */
function muxlwsrv(q: Queue): void {
  const g = q.ptr as MuxGlobal | undefined;
  for (const u of g?.uppers ?? []) qenable(u.other);
}
