/**
 * The lower side of the tcp driver: the IP stream linked below (modules/ip/proto.ts). Whole
 * IPv4 packets come up and are parsed (a bad TCP checksum is counted and dropped, never
 * thrown); IP's own primitives (bind, route answers) are consumed; anything else — M_CTL
 * above all, which modules below TCP use to talk to modules above it — passes through.
 */
import {
  dupmsg,
  flushq,
  FLUSHDATA,
  FLUSHR,
  FLUSHW,
  flushreq,
  freemsg,
  M_CTL,
  M_DATA,
  M_FLUSH,
  M_IOCACK,
  M_IOCNAK,
  M_PCCTL,
  M_PCPROTO,
  M_PROTO,
  msgbytes,
  putnext,
  reflag,
  WR,
  type Mblk,
  type Queue,
} from '../../../lib/streams/index.ts';
import { IpProto } from '../../../lib/wire/ip-types.ts';
import { Ipv4Packet } from '../../../lib/wire/ipv4.ts';
import { emptyTcpRepr, parseTcpInto } from '../../../lib/wire/tcp.ts';
import type { IpPrimitive } from '../../ip/proto.ts';
import type { TcpHost } from './host.ts';

/** A message from IP. */
export function lowerInput(host: TcpHost, q: Queue, mp: Mblk): void {
  switch (mp.db.type) {
    case M_DATA:
      return packetIn(host, mp);
    case M_PROTO:
    case M_PCPROTO:
      if (ipPrimitive(host, mp)) return;
      return passUp(host, mp);
    case M_FLUSH: {
      // TCP is the head of the lower stream: turn a write flush around, as a stream head does.
      const { flag } = flushreq(mp);
      if (flag & FLUSHW) {
        flushq(WR(q), FLUSHDATA);
        return putnext(WR(q), reflag(mp, flag & ~FLUSHR));
      }
      return freemsg(mp);
    }
    case M_IOCACK:
    case M_IOCNAK:
      return freemsg(mp);
    default:
      return passUp(host, mp);
  }
}

/**
 * An IPv4 packet from IP: checked as parseIpv4Tcp checks it (lengths, TCP, not a fragment,
 * TCP checksum), but read through the IPv4 view with only the TCP segment parsed, so no IPv4
 * repr or views are made per packet. The header checksum is IP's to verify and IP did (as
 * Linux's tcp_v4_rcv trusts ip_rcv); the lengths are checked again because a module pushed
 * between IP and TCP may hand down anything.
 */
function packetIn(host: TcpHost, mp: Mblk): void {
  const bytes = mp.cont === null ? mp.data() : msgbytes(mp);
  freemsg(mp);
  const checked = Ipv4Packet.newChecked(bytes);
  if (!checked.ok) return badPacket(host, false);
  const pkt = checked.value;
  if (pkt.protocol !== IpProto.TCP || pkt.moreFrags || pkt.fragOffset !== 0) return badPacket(host, false);
  const src = pkt.src;
  const dst = pkt.dst;
  // TCP keeps nothing of a segment but its payload, so one repr serves every packet — unless
  // a packet arrives while the last is still being processed (loopback), which gets its own.
  const reuse = !host.parsing;
  const seg = reuse ? host.segScratch : emptyTcpRepr();
  const bad = parseTcpInto(bytes, src, dst, seg, undefined, pkt.headerLen, pkt.totalLen - pkt.headerLen);
  // IP verified its header checksum, so a checksum error here is TCP's.
  if (bad !== null) return badPacket(host, bad.error === 'bad-checksum');
  host.parsing = true;
  try {
    host.stack.input(src, dst, seg, host.env.now());
  } finally {
    if (reuse) {
      host.parsing = false;
      seg.payload = NO_BYTES;
    }
  }
}

const NO_BYTES = new Uint8Array(0);

function badPacket(host: TcpHost, checksum: boolean): void {
  const mib = host.stack.mib;
  if (checksum) mib.InCsumErrors++;
  else host.counters.badPackets++;
  mib.InErrs++;
}

/** IP_BIND_ACK / IP_ERROR_ACK / IP_ROUTE_ACK; false when the primitive is not IP's. */
function ipPrimitive(host: TcpHost, mp: Mblk): boolean {
  const p = mp.db.proto as Partial<IpPrimitive> | null;
  switch (p?.prim) {
    case 'IP_BIND_ACK':
      host.addrs = p.addrs ?? [];
      break;
    case 'IP_ERROR_ACK':
      host.counters.badPackets++;
      break;
    case 'IP_ROUTE_ACK': {
      const wait = host.routeWaits.get(p.token!);
      host.routeWaits.delete(p.token!);
      freemsg(mp);
      wait?.(p.src ?? null, p.mtu ?? 0);
      return true;
    }
    default:
      return false;
  }
  freemsg(mp);
  return true;
}

/**
 * A message for the modules above: to every upper stream that subscribed (TCP_IOC_CTL_SUBSCRIBE),
 * or, when none did, to every listening stream. Copies share the data (dupmsg).
 */
function passUp(host: TcpHost, mp: Mblk): void {
  const targets: Queue[] = [];
  for (const u of host.uppers.values()) if (u.wantCtl) targets.push(u.rq);
  if (targets.length === 0) for (const u of host.uppers.values()) if (u.listener !== null) targets.push(u.rq);
  if (targets.length === 0) {
    host.counters.ctlDropped++;
    freemsg(mp);
    return;
  }
  host.counters.ctlPassedUp++;
  for (let i = 0; i < targets.length - 1; i++) {
    const copy = dupmsg(mp);
    if (copy !== null) putnext(targets[i]!, copy);
  }
  putnext(targets[targets.length - 1]!, mp);
}

/** A message for the modules below (M_CTL from above, unknown primitives). */
export function passDown(host: TcpHost, mp: Mblk): void {
  if (host.lower === null) {
    host.counters.ctlDropped++;
    freemsg(mp);
    return;
  }
  host.counters.ctlPassedDown++;
  putnext(host.lower.wq, mp);
}

export function isCtl(type: number): boolean {
  return type === M_CTL || type === M_PCCTL;
}
