/**
 * The script's remote peer as a host on the wire: a raw IP endpoint bound to TCP on the peer
 * host of the world. Inbound script packets are whole IPv4/TCP packets the peer's IP sends
 * down its driver onto the link, so they reach the host under test through its interface,
 * driver and IP exactly as real traffic does (and show in the captures); whatever that host
 * sends to the peer comes back up the peer's IP to here.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { parseTcp } from '../../lib/wire/tcp.ts';
import type { RawIp, RawPacket } from '../world/raw.ts';
import type { ScriptWire, WireSegment } from './target.ts';

export class WorldWire implements ScriptWire {
  private handler: ((seg: WireSegment) => void) | null = null;
  /** Packets from the host that did not parse as TCP (they cannot match a script line). */
  unparsed = 0;

  constructor(
    private readonly raw: RawIp,
    readonly peerAddr: Ipv4Addr,
    readonly hostAddr: Ipv4Addr,
  ) {
    raw.onPacket = (p) => this.arrived(p);
  }

  inject(seg: WireSegment): void {
    this.raw.sendBytes(encodeIpv4Tcp({ src: seg.src, dst: seg.dst, ttl: seg.ttl, tos: seg.tos }, seg.tcp));
  }

  onSegment(handler: (seg: WireSegment) => void): void {
    this.handler = handler;
  }

  private arrived(p: RawPacket): void {
    const tcp = parseTcp(p.ip.payload, p.ip.src, p.ip.dst);
    if (!tcp.ok) {
      this.unparsed++;
      return;
    }
    this.handler?.({ src: p.ip.src, dst: p.ip.dst, tos: p.ip.tos, ttl: p.ip.ttl, tcp: tcp.value });
  }
}
