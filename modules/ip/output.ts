/**
 * IP's send path: a transport hands down a complete IPv4 packet; IP fills the identification
 * (when 0) and the header checksum, routes it by destination, enforces the interface MTU (no
 * fragmentation) and gives it to the interface's driver. Packets to one of this host's own
 * addresses are looped back to the input path on the next turn of the clock, never
 * synchronously, so a transport is not re-entered from its own put procedure.
 */
import { mkproto, putnext, qtimeout } from '../../lib/streams/index.ts';
import type { Mblk, Queue } from '../../lib/streams/index.ts';
import { Ipv4Packet } from '../../lib/wire/ipv4.ts';
import type { DlUnitdataReq } from '../netdrv/dlpi.ts';
import type { IpState, RouteResult } from './state.ts';
import { ipInput } from './input.ts';
import { ipDrop, ownMsg } from './packet.ts';

export function ipOutput(ip: IpState, q: Queue, mp: Mblk): void {
  ip.stats.outRequests++;
  mp = ownMsg(mp);
  const checked = Ipv4Packet.newChecked(mp.data());
  if (!checked.ok) return ipDrop(ip, q, mp, 'outMalformed');
  const pkt = checked.value;
  mp.wptr = mp.rptr + pkt.totalLen;
  if (pkt.ident === 0) pkt.ident = ip.nextIdent();
  pkt.fillChecksum();
  if (ip.isLocal(pkt.dst)) {
    ip.stats.outLoopback++;
    if (q.env.time === null) return ipInput(ip, null, q, mp);
    qtimeout(q, () => ipInput(ip, null, q, mp), 0);
    return;
  }
  const r = ip.route(pkt.dst);
  if (r === null) return ipDrop(ip, q, mp, 'outNoRoute');
  if (pkt.totalLen > r.ifp.mtu) return ipDrop(ip, q, mp, 'outTooBig');
  ip.stats.outSent++;
  transmit(r, mp);
}

/** Hand a finished packet to the route's interface driver. */
export function transmit(r: RouteResult, mp: Mblk): void {
  if (r.ifp.pointToPoint) return putnext(r.ifp.wq, mp);
  putnext(r.ifp.wq, mkproto<DlUnitdataReq>({ prim: 'DL_UNITDATA_REQ', dst: r.nextHop }, mp));
}
