/**
 * IP's receive path: check the packet, deliver it to the transport bound to its protocol, or
 * forward it when this host is a router. Every refusal is counted under one reason (stats.ts)
 * and the packet freed; nothing here throws on bad bytes.
 */
import { canputnext, putnext } from '../../lib/streams/index.ts';
import type { Mblk, Queue } from '../../lib/streams/index.ts';
import { Ipv4Packet } from '../../lib/wire/ipv4.ts';
import type { WireError } from '../../lib/wire/result.ts';
import type { IpIf, IpState } from './state.ts';
import type { IpCounter } from './stats.ts';
import { transmit } from './output.ts';
import { ipDrop, ownMsg } from './packet.ts';

const parseCounter: Partial<Record<WireError, IpCounter>> = {
  truncated: 'inTruncated',
  'bad-version': 'inBadVersion',
  'bad-header-length': 'inBadHeaderLen',
  'bad-total-length': 'inBadTotalLength',
};

/** A packet from interface `ifp` (null: looped back from this host's own output). */
export function ipInput(ip: IpState, ifp: IpIf | null, q: Queue, mp: Mblk): void {
  ip.stats.inReceives++;
  if (ifp !== null && ifp.name === null) return ipDrop(ip, q, mp, 'inUnconfigured');
  mp = ownMsg(mp);
  const checked = Ipv4Packet.newChecked(mp.data());
  if (!checked.ok) return ipDrop(ip, q, mp, parseCounter[checked.error] ?? 'inTruncated');
  const pkt = checked.value;
  if (!pkt.verifyChecksum()) return ipDrop(ip, q, mp, 'inBadChecksum');
  if (pkt.moreFrags || pkt.fragOffset !== 0) return ipDrop(ip, q, mp, 'inFragments');
  // Link padding past the total length is not part of the packet.
  mp.wptr = mp.rptr + pkt.totalLen;
  if (ip.isLocal(pkt.dst)) return deliver(ip, pkt.protocol, q, mp);
  if (!ip.forwarding || ifp === null) return ipDrop(ip, q, mp, 'inNotForUs');
  forward(ip, q, mp);
}

function deliver(ip: IpState, protocol: number, q: Queue, mp: Mblk): void {
  const upper = ip.protocols.get(protocol);
  if (upper === undefined) return ipDrop(ip, q, mp, 'inNoProto');
  if (!canputnext(upper.rq)) return ipDrop(ip, q, mp, 'inUpperFull');
  ip.stats.inDelivers++;
  putnext(upper.rq, mp);
}

function forward(ip: IpState, q: Queue, mp: Mblk): void {
  const pkt = Ipv4Packet.newUnchecked(mp.data());
  if (pkt.ttl <= 1) return ipDrop(ip, q, mp, 'fwdTtlExpired');
  const r = ip.route(pkt.dst);
  if (r === null) return ipDrop(ip, q, mp, 'fwdNoRoute');
  if (pkt.totalLen > r.ifp.mtu) return ipDrop(ip, q, mp, 'fwdTooBig');
  pkt.rewriteTtl(pkt.ttl - 1);
  ip.stats.forwarded++;
  transmit(r, mp);
}
