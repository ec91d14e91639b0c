/**
 * tcp: the userland TCP as a STREAMS multiplexing driver (DESIGN.md §1-2).
 *
 * Upper side: clone opens, one stream per TPI endpoint (driver/upper.ts); the stream head or
 * a socket module above speaks TPI. Lower side: one IP stream, bound to protocol 6 and linked
 * with I_LINK (driver/lower.ts), carrying whole IPv4 packets. The protocol itself is the pure
 * state machine in this directory (stack.ts, endpoint.ts, ...); timers run on one qtimeout
 * (driver/host.ts). TCP knows nothing of handoff: M_CTL passes through in both directions.
 */
import {
  canputnext,
  defineDriver,
  drvflush,
  Errno,
  flushq,
  FLUSHALL,
  freemsg,
  getq,
  I_LINK,
  I_UNLINK,
  INFPSZ,
  iocblk,
  M_DATA,
  M_FLUSH,
  M_IOCTL,
  M_PCPROTO,
  M_PROTO,
  miocack,
  miocnak,
  mkproto,
  putbq,
  putnext,
  putq,
  QPCTL,
  tprim,
  WR,
} from '../../lib/streams/index.ts';
import type { LinkBlk, Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import type { IpBindReq } from '../ip/proto.ts';
import { tcpHostOf, type TcpDriverArgs, type TcpHost } from './driver/host.ts';
import { tcpIoctl } from './driver/ioctl-handler.ts';
import { isCtl, lowerInput, passDown } from './driver/lower.ts';
import { closeUpper, newUpper, ordrel, pump, tpiRequest, writeData, type TcpUpper } from './driver/upper.ts';

const tcpminfo: ModuleInfo = { id: 9300, name: 'tcp', minpsz: 0, maxpsz: INFPSZ, hiwat: 64 * 1024, lowat: 16 * 1024 };

const tcprinit: QInit = { put: tcprput, service: tcprsrv, open: tcpopen, close: tcpclose, minfo: tcpminfo };
const tcpwinit: QInit = { put: tcpwput, service: tcpwsrv, minfo: tcpminfo };
const tcplrinit: QInit = { put: tcplrput, minfo: tcpminfo };
const tcplwinit: QInit = { put: tcplwput, minfo: tcpminfo };

export const tcptab: StreamTab = { rdinit: tcprinit, wrinit: tcpwinit, muxrinit: tcplrinit, muxwinit: tcplwinit };

export default defineDriver(tcptab, 'TCP (RFC 9293): one upper stream per TPI endpoint, IP linked below');

// ---- open / close -----------------------------------------------------------------------------

function tcpopen(q: Queue, ctx: OpenCtx): number | void {
  if (ctx.sflag === 'module') return Errno.EINVAL;
  const host = tcpHostOf(ctx.env, ctx.args as TcpDriverArgs | undefined);
  const u = newUpper(host, q, WR(q), ctx.stream.id);
  q.ptr = u;
  WR(q).ptr = u;
  ctx.minor = ctx.stream.id;
  host.uppers.set(u.streamId, u);
}

function tcpclose(q: Queue): void {
  const u = q.ptr as TcpUpper;
  const host = u.host;
  host.uppers.delete(u.streamId);
  const leftover: Mblk[] = [];
  for (let mp = getq(WR(q)); mp !== null; mp = getq(WR(q))) leftover.push(mp);
  closeUpper(u, leftover);
  flushq(q, FLUSHALL);
  host.queueGone(q);
  q.ptr = WR(q).ptr = undefined;
}

// ---- upper write side -------------------------------------------------------------------------

function tcpwput(q: Queue, mp: Mblk): void {
  const u = q.ptr as TcpUpper;
  switch (mp.db.type) {
    case M_DATA:
      if (q.first !== null || u.writeBlocked) return void putq(q, mp);
      return requeue(q, writeData(u, mp));
    case M_PROTO:
    case M_PCPROTO: {
      const p = tprim(mp);
      if (p === null) return passDown(u.host, mp);
      if (p.PRIM_type === 'T_DATA_REQ' || p.PRIM_type === 'T_ORDREL_REQ') {
        // These keep their place behind data waiting for room in the send buffer.
        if (q.first !== null || u.writeBlocked) return void putq(q, mp);
        return orderly(q, u, mp);
      }
      return tpiRequest(u, mp, p);
    }
    case M_FLUSH:
      return drvflush(q, mp);
    case M_IOCTL:
      return tcpioctl(q, u, mp);
  }
  if (isCtl(mp.db.type)) return passDown(u.host, mp);
  freemsg(mp);
}

/** T_DATA_REQ (data after the primitive) or T_ORDREL_REQ, in stream order. */
function orderly(q: Queue, u: TcpUpper, mp: Mblk): void {
  const p = tprim(mp)!;
  if (p.PRIM_type === 'T_ORDREL_REQ') {
    freemsg(mp);
    return ordrel(u);
  }
  const data = mp.cont;
  mp.cont = null;
  freemsg(mp);
  if (data !== null) requeue(q, writeData(u, data));
}

function requeue(q: Queue, rest: Mblk | null): void {
  if (rest !== null) putbq(q, rest);
}

function tcpwsrv(q: Queue): void {
  const u = q.ptr as TcpUpper;
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) {
    if (mp.db.type === M_DATA) {
      const rest = writeData(u, mp);
      if (rest !== null) return void putbq(q, rest);
    } else {
      orderly(q, u, mp);
      if (u.writeBlocked) return;
    }
  }
}

function tcpioctl(q: Queue, u: TcpUpper, mp: Mblk): void {
  const ioc = iocblk(mp)!;
  const host = u.host;
  switch (ioc.cmd) {
    case I_LINK:
      return link(q, host, mp, ioc.data as LinkBlk);
    case I_UNLINK:
      return unlink(q, host, mp, ioc.data as LinkBlk);
  }
  tcpIoctl(q, u, mp, ioc);
}

function link(q: Queue, host: TcpHost, mp: Mblk, lb: LinkBlk): void {
  if (host.lower !== null) return miocnak(q, mp, Errno.EBUSY);
  host.lower = { wq: lb.qbot, rq: lb.qbot.other, muxid: lb.muxid };
  lb.qbot.ptr = lb.qbot.other.ptr = host;
  miocack(q, mp);
  putnext(lb.qbot, mkproto<IpBindReq>({ prim: 'IP_BIND_REQ', protocol: IpProto.TCP }, null, M_PROTO));
  const next = host.stack.nextDeadline();
  if (next !== Number.POSITIVE_INFINITY) host.arm(next);
}

function unlink(q: Queue, host: TcpHost, mp: Mblk, lb: LinkBlk): void {
  if (host.lower === null || host.lower.muxid !== lb.muxid) return miocnak(q, mp, Errno.EINVAL);
  const rq = host.lower.rq;
  host.lower = null;
  host.addrs = [];
  host.queueGone(rq);
  miocack(q, mp);
}

// ---- upper read side --------------------------------------------------------------------------

/** Messages are sent up with putnext directly; anything put here goes on in order. */
function tcprput(q: Queue, mp: Mblk): void {
  if (mp.db.type < QPCTL && (q.first !== null || !canputnext(q))) putq(q, mp);
  else putnext(q, mp);
}

/** Back-enabled when the reader made room: move queued messages, then more received data. */
function tcprsrv(q: Queue): void {
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) {
    if (mp.db.type < QPCTL && !canputnext(q)) return void putbq(q, mp);
    putnext(q, mp);
  }
  const u = q.ptr as TcpUpper | undefined;
  if (u !== undefined) pump(u);
}

// ---- lower side -------------------------------------------------------------------------------

function tcplrput(q: Queue, mp: Mblk): void {
  lowerInput(q.ptr as TcpHost, q, mp);
}

function tcplwput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}
