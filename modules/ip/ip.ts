/**
 * ip: the IPv4 multiplexing driver (contract: proto.ts; configuration: ioctl.ts).
 *
 * Upper side: clone opens. A transport opens one stream, binds its protocol with IP_BIND_REQ
 * and exchanges whole IPv4 packets as M_DATA; IP_ROUTE_REQ is answered at once. The stream the
 * harness uses to I_LINK interface drivers below is an upper stream too (unbound).
 * Lower side: one linked netdrv stream per interface, configured with IP_IOC_IFCONFIG.
 *
 * Messages IP has no use for (M_CTL, M_PCCTL, unknown types and primitives) pass through: from
 * an upper stream down every linked interface stream, from an interface up every bound upper
 * stream (a multiplexor has no single "next" queue). With nowhere to go they are counted and
 * freed. M_FLUSH is answered as a driver answers it, per stream; it never crosses the mux.
 */
import {
  defineDriver,
  dupmsg,
  Errno,
  freemsg,
  flushq,
  FLUSHDATA,
  FLUSHR,
  FLUSHW,
  flushreq,
  I_LINK,
  I_UNLINK,
  INFPSZ,
  iocblk,
  M_DATA,
  M_FLUSH,
  M_IOCACK,
  M_IOCNAK,
  M_IOCTL,
  M_PCPROTO,
  M_PROTO,
  miocack,
  miocnak,
  mkioctl,
  mkproto,
  putnext,
  qreply,
  RD,
  reflag,
  WR,
} from '../../lib/streams/index.ts';
import type { LinkBlk, Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { IpAddrInfo, IpBindAck, IpBindReq, IpErrorAck, IpPrimitive, IpRouteAck, IpRouteReq } from './proto.ts';
import {
  IP_IOC_ADDADDR,
  IP_IOC_ADDROUTE,
  IP_IOC_DELROUTE,
  IP_IOC_FORWARDING,
  IP_IOC_IFCONFIG,
  IP_IOC_IFIOCTL,
  IP_IOC_ROUTES,
  MAX_IF_IOCTLS,
  IP_IOC_STATS,
  type IpAddAddr,
  type IpIfAddr,
  type IpIfConfig,
  type IpIfIoctl,
  type IpRouteSpec,
} from './ioctl.ts';
import { IpState, type IpIf, type IpUpper } from './state.ts';
import { ipInput } from './input.ts';
import { ipOutput } from './output.ts';

const ipminfo: ModuleInfo = { id: 9200, name: 'ip', minpsz: 0, maxpsz: INFPSZ, hiwat: 64 * 1024, lowat: 16 * 1024 };

const iprinit: QInit = { put: iprput, open: ipopen, close: ipclose, minfo: ipminfo };
const ipwinit: QInit = { put: ipwput, minfo: ipminfo };
const iplrinit: QInit = { put: iplrput, minfo: ipminfo };
const iplwinit: QInit = { put: iplwput, minfo: ipminfo };

export const iptab: StreamTab = { rdinit: iprinit, wrinit: ipwinit, muxrinit: iplrinit, muxwinit: iplwinit };

export default defineDriver(iptab, 'IPv4: route, check, deliver by protocol, forward; interfaces linked below');

/** The IP instance of the host whose StreamsEnv this is. */
export function ipStateOf(env: OpenCtx['env']): IpState {
  return env.shared('ip', () => new IpState());
}

// ---- open / close -----------------------------------------------------------------------------

function ipopen(q: Queue, ctx: OpenCtx): number | void {
  if (ctx.sflag === 'module') return Errno.EINVAL;
  const ip = ipStateOf(ctx.env);
  const up: IpUpper = { ip, rq: q, wq: WR(q), minor: ip.nextMinor(), protocol: null };
  ctx.minor = up.minor;
  q.ptr = up;
  WR(q).ptr = up;
  ip.uppers.add(up);
}

function ipclose(q: Queue): void {
  const up = q.ptr as IpUpper;
  if (up.protocol !== null && up.ip.protocols.get(up.protocol) === up) up.ip.protocols.delete(up.protocol);
  up.ip.uppers.delete(up);
  for (const [id, r] of up.ip.relays) {
    if (r.q !== WR(q)) continue;
    up.ip.relays.delete(id);
    freemsg(r.mp);
  }
  flushq(q, FLUSHDATA);
  flushq(WR(q), FLUSHDATA);
}

// ---- upper side -------------------------------------------------------------------------------

function ipwput(q: Queue, mp: Mblk): void {
  const up = q.ptr as IpUpper;
  switch (mp.db.type) {
    case M_DATA:
      return ipOutput(up.ip, q, mp);
    case M_PROTO:
    case M_PCPROTO:
      if (ipproto(q, up, mp)) return;
      break;
    case M_FLUSH:
      return ipflush(q, mp);
    case M_IOCTL:
      return ipioctl(q, up.ip, mp);
  }
  passDown(up.ip, mp);
}

/** Read-side put of an upper stream: what IP delivers is already flow-checked. */
function iprput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}

/** IP primitives; false when the primitive is not IP's (it then passes through). */
function ipproto(q: Queue, up: IpUpper, mp: Mblk): boolean {
  const p = mp.db.proto as Partial<IpPrimitive> | null;
  switch (p?.prim) {
    case 'IP_BIND_REQ':
      ipbind(q, up, mp, p as IpBindReq);
      return true;
    case 'IP_ROUTE_REQ':
      iproutereq(q, up.ip, mp, p as IpRouteReq);
      return true;
  }
  return false;
}

function ipbind(q: Queue, up: IpUpper, mp: Mblk, req: IpBindReq): void {
  freemsg(mp);
  const ip = up.ip;
  const proto = req.protocol;
  const refuse = (reason: string): void => qreply(q, mkproto<IpErrorAck>({ prim: 'IP_ERROR_ACK', errorPrim: 'IP_BIND_REQ', reason }, null, M_PCPROTO));
  if (!Number.isInteger(proto) || proto < 0 || proto > 255) return refuse(`bad protocol number ${String(proto)}`);
  const holder = ip.protocols.get(proto);
  if (holder !== undefined && holder !== up) return refuse(`protocol ${proto} is already bound`);
  if (up.protocol !== null && up.protocol !== proto) ip.protocols.delete(up.protocol);
  up.protocol = proto;
  ip.protocols.set(proto, up);
  qreply(q, mkproto<IpBindAck>({ prim: 'IP_BIND_ACK', protocol: proto, addrs: addrInfo(ip) }, null, M_PCPROTO));
}

function iproutereq(q: Queue, ip: IpState, mp: Mblk, req: IpRouteReq): void {
  freemsg(mp);
  let src: Ipv4Addr | null = null;
  let mtu = 0;
  if (ip.isLocal(req.dst)) {
    src = req.dst;
    mtu = 65535;
  } else {
    const r = ip.route(req.dst);
    if (r !== null) {
      src = r.src;
      mtu = r.ifp.mtu;
    }
  }
  qreply(q, mkproto<IpRouteAck>({ prim: 'IP_ROUTE_ACK', token: req.token, dst: req.dst, src, mtu }, null, M_PCPROTO));
}

function addrInfo(ip: IpState): IpAddrInfo[] {
  const out: IpAddrInfo[] = [];
  for (const f of ip.ifs.values()) {
    if (f.name === null) continue;
    for (const a of f.addrs) out.push({ ifname: f.name, addr: a.addr, prefixLen: a.prefixLen, mtu: f.mtu });
  }
  return out;
}

/** M_FLUSH on an upper stream: IP is that stream's driver. */
function ipflush(q: Queue, mp: Mblk): void {
  const { flag } = flushreq(mp);
  if (flag & FLUSHW) flushq(q, FLUSHDATA);
  if (flag & FLUSHR) {
    flushq(RD(q), FLUSHDATA);
    qreply(q, reflag(mp, flag & ~FLUSHW));
  } else {
    freemsg(mp);
  }
}

function passDown(ip: IpState, mp: Mblk): void {
  const targets = [...ip.ifs.values()].map((f) => f.wq);
  fanOut(ip, targets, mp);
}

function passUp(ip: IpState, mp: Mblk): void {
  const targets: Queue[] = [];
  for (const up of ip.uppers) if (up.protocol !== null) targets.push(up.rq);
  fanOut(ip, targets, mp);
}

/** putnext to every queue: copies share the data (dupmsg), the last one gets the original. */
function fanOut(ip: IpState, targets: Queue[], mp: Mblk): void {
  if (targets.length === 0) {
    ip.stats.ctlDropped++;
    freemsg(mp);
    return;
  }
  ip.stats.ctlPassed++;
  for (let i = 0; i < targets.length - 1; i++) putnext(targets[i]!, dupmsg(mp));
  putnext(targets[targets.length - 1]!, mp);
}

// ---- ioctls -----------------------------------------------------------------------------------

function ipioctl(q: Queue, ip: IpState, mp: Mblk): void {
  const ioc = iocblk(mp)!;
  switch (ioc.cmd) {
    case I_LINK:
      return iplink(q, ip, mp, ioc.data as LinkBlk);
    case I_UNLINK:
      return ipunlink(q, ip, mp, ioc.data as LinkBlk);
    case IP_IOC_IFCONFIG:
      return answer(q, mp, ifconfig(ip, ioc.data as IpIfConfig));
    case IP_IOC_ADDADDR:
      return answer(q, mp, addaddr(ip, ioc.data as IpAddAddr));
    case IP_IOC_ADDROUTE:
      return answer(q, mp, addroute(ip, ioc.data as IpRouteSpec));
    case IP_IOC_DELROUTE: {
      const d = ioc.data as { dst: number; prefixLen: number };
      return answer(q, mp, ip.routes.remove(d.dst, d.prefixLen) ? 0 : Errno.ENOENT);
    }
    case IP_IOC_FORWARDING:
      ip.forwarding = ioc.data === true;
      return miocack(q, mp);
    case IP_IOC_STATS:
      return miocack(q, mp, { ...ip.stats });
    case IP_IOC_ROUTES:
      return miocack(q, mp, ip.routes.list());
    case IP_IOC_IFIOCTL:
      return relayIoctl(q, ip, mp, ioc.data as IpIfIoctl);
  }
  miocnak(q, mp, Errno.EINVAL);
}

function answer(q: Queue, mp: Mblk, errno: number): void {
  if (errno === 0) miocack(q, mp);
  else miocnak(q, mp, errno);
}

function relayIoctl(q: Queue, ip: IpState, mp: Mblk, r: IpIfIoctl): void {
  const ifp = typeof r?.ifname === 'string' ? ip.ifByName(r.ifname) : undefined;
  if (ifp === undefined) return miocnak(q, mp, Errno.ENXIO);
  if (ip.relays.size >= MAX_IF_IOCTLS) return miocnak(q, mp, Errno.EAGAIN);
  const id = q.env.nextIoctlId();
  ip.relays.set(id, { q, mp });
  putnext(ifp.wq, mkioctl(r.cmd, id, r.data));
}

/** A driver answered a relayed ioctl: answer the one that asked. */
function relayAnswer(ip: IpState, mp: Mblk): void {
  const ioc = iocblk(mp)!;
  const acked = mp.db.type === M_IOCACK;
  const r = ip.relays.get(ioc.id);
  freemsg(mp);
  if (r === undefined) return;
  ip.relays.delete(ioc.id);
  if (acked) miocack(r.q, r.mp, ioc.data, ioc.rval);
  else miocnak(r.q, r.mp, ioc.error || Errno.EINVAL);
}

function iplink(q: Queue, ip: IpState, mp: Mblk, lb: LinkBlk): void {
  const ifp: IpIf = { ip, muxid: lb.muxid, wq: lb.qbot, rq: RD(lb.qbot), name: null, addrs: [], mtu: 0, pointToPoint: false };
  lb.qbot.ptr = ifp;
  RD(lb.qbot).ptr = ifp;
  ip.ifs.set(lb.muxid, ifp);
  miocack(q, mp);
}

function ipunlink(q: Queue, ip: IpState, mp: Mblk, lb: LinkBlk): void {
  const ifp = ip.ifs.get(lb.muxid);
  if (ifp !== undefined) {
    if (ifp.name !== null) ip.routes.removeIf(ifp.name);
    ip.ifs.delete(lb.muxid);
    ip.rebuildLocal();
  }
  miocack(q, mp);
}

function checkAddr(a: IpIfAddr): boolean {
  return a.family === 'ipv4' && Number.isInteger(a.prefixLen) && a.prefixLen >= 0 && a.prefixLen <= 32 && Number.isInteger(a.addr) && a.addr >= 0 && a.addr <= 0xffffffff;
}

function ifconfig(ip: IpState, c: IpIfConfig): number {
  const ifp = ip.ifs.get(c.muxid);
  if (ifp === undefined) return Errno.ENXIO;
  if (typeof c.ifname !== 'string' || c.ifname === '' || !Array.isArray(c.addrs) || !c.addrs.every(checkAddr)) return Errno.EINVAL;
  if (!(Number.isInteger(c.mtu) && c.mtu >= 68 && c.mtu <= 65535)) return Errno.EINVAL;
  const other = ip.ifByName(c.ifname);
  if (other !== undefined && other !== ifp) return Errno.EBUSY;
  if (ifp.name !== null) ip.routes.removeIf(ifp.name);
  ip.forgetRoutes();
  ifp.name = c.ifname;
  ifp.mtu = c.mtu;
  ifp.pointToPoint = c.pointToPoint === true;
  ifp.addrs = [];
  for (const a of c.addrs) {
    const e = addAddrTo(ip, ifp, a);
    if (e !== 0) return e;
  }
  ip.rebuildLocal();
  return 0;
}

function addaddr(ip: IpState, r: IpAddAddr): number {
  const ifp = ip.ifByName(r.ifname);
  if (ifp === undefined) return Errno.ENXIO;
  if (!checkAddr(r.addr)) return Errno.EINVAL;
  const e = addAddrTo(ip, ifp, r.addr);
  ip.rebuildLocal();
  return e;
}

function addAddrTo(ip: IpState, ifp: IpIf, a: IpIfAddr): number {
  ifp.addrs.push({ family: 'ipv4', addr: a.addr, prefixLen: a.prefixLen });
  const err = ip.routes.add({ family: 'ipv4', dst: a.addr, prefixLen: a.prefixLen, gateway: null, ifname: ifp.name!, origin: 'connected' });
  return err === null ? 0 : Errno.ENOSR;
}

function addroute(ip: IpState, r: IpRouteSpec): number {
  if (r.gateway !== null && !Number.isInteger(r.gateway)) return Errno.EINVAL;
  if (r.ifname !== undefined && ip.ifByName(r.ifname) === undefined) return Errno.ENXIO;
  const err = ip.routes.add({ family: r.family, dst: r.dst, prefixLen: r.prefixLen, gateway: r.gateway, ifname: r.ifname, origin: 'static' });
  return err === null ? 0 : Errno.EINVAL;
}

// ---- lower side -------------------------------------------------------------------------------

/** From an interface driver. */
function iplrput(q: Queue, mp: Mblk): void {
  const ifp = q.ptr as IpIf;
  const ip = ifp.ip;
  switch (mp.db.type) {
    case M_DATA:
      return ipInput(ip, ifp, q, mp);
    case M_FLUSH: {
      // IP is the head of the lower stream: answer as a stream head does.
      const { flag } = flushreq(mp);
      if (flag & FLUSHW) {
        flushq(WR(q), FLUSHDATA);
        return putnext(WR(q), reflag(mp, flag & ~FLUSHR));
      }
      return freemsg(mp);
    }
    case M_IOCACK:
    case M_IOCNAK:
      return relayAnswer(ip, mp);
  }
  passUp(ip, mp);
}

/** Something put on a lower write queue directly: send it on to the driver. */
function iplwput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}
