/**
 * A raw IP endpoint for specs that run below TCP: an upper IP stream bound to one protocol
 * (IpProto.TEST by convention). It sends IPv4 packets built with lib/wire and keeps what
 * arrives, with the virtual time of arrival. The packets kept are bounded.
 */
import { errnoName, esballoc, freemsg, M_DATA, M_PCPROTO, mkproto, msgbytes, qsetwater, type Stream } from '../../lib/streams/index.ts';
import type { Scheduler } from '../../lib/sim/scheduler.ts';
import type { Time } from '../../lib/sim/time.ts';
import { ipv4, type Ipv4Addr, type Ipv4Repr } from '../../lib/wire/ip-types.ts';
import { encodeIpv4, parseIpv4 } from '../../lib/wire/ipv4.ts';
import type { IpAddrInfo, IpBindAck, IpErrorAck, IpPrimitive, IpRouteAck, IpRouteReq } from '../../modules/ip/proto.ts';

export interface RawPacket {
  time: Time;
  /** The whole packet as IP delivered it. */
  bytes: Uint8Array;
  ip: Ipv4Repr;
}

export interface RawSend {
  dst: Ipv4Addr | string;
  /** Default: the source IP would use toward dst (IP_ROUTE_REQ). */
  src?: Ipv4Addr | string;
  payload: Uint8Array;
  ttl?: number;
  /** 0 lets IP pick one. */
  id?: number;
  tos?: number;
  dontFrag?: boolean;
}

export class RawIp {
  readonly received: RawPacket[] = [];
  /** Packets not kept because `received` was at its bound. */
  overflow = 0;
  /** Addresses IP reported at bind time. */
  readonly addrs: IpAddrInfo[];
  onPacket: ((p: RawPacket) => void) | null = null;
  private readonly routeAcks = new Map<number, IpRouteAck>();
  private token = 0;

  constructor(
    readonly stream: Stream,
    readonly protocol: number,
    private readonly sched: Scheduler,
    private readonly maxKept = 100_000,
  ) {
    // The head is the application's socket buffer: roomy, so a spec's bursts are not cut.
    qsetwater(stream.rq, 4 * 1024 * 1024, 1024 * 1024);
    this.put(mkproto({ prim: 'IP_BIND_REQ', protocol } satisfies IpPrimitive));
    const ack = this.takePrimitive();
    if (ack?.prim !== 'IP_BIND_ACK') {
      throw new Error(`raw IP bind of protocol ${protocol} refused: ${(ack as IpErrorAck | null)?.reason ?? 'no answer'}`);
    }
    this.addrs = (ack as IpBindAck).addrs;
    stream.on('readable', () => this.drain());
    // Read until empty: the head announces 'readable' only to a reader that found it empty.
    this.drain();
  }

  /** Build and send one packet (IP fills the id when 0, and the header checksum). */
  send(s: RawSend): void {
    const dst = typeof s.dst === 'string' ? ipv4(s.dst) : s.dst;
    const src = s.src === undefined ? this.sourceFor(dst) : typeof s.src === 'string' ? ipv4(s.src) : s.src;
    const bytes = encodeIpv4({
      src,
      dst,
      protocol: this.protocol,
      ttl: s.ttl ?? 64,
      id: s.id ?? 0,
      tos: s.tos ?? 0,
      dontFrag: s.dontFrag ?? true,
      options: new Uint8Array(0),
      payload: s.payload,
    });
    this.sendBytes(bytes);
  }

  /** Send any bytes as they are (malformed packets included). IP and the wire own them now. */
  sendBytes(bytes: Uint8Array): void {
    this.put(esballoc(bytes));
  }

  /** Ask IP for the source address and MTU toward dst (answered at once). */
  route(dst: Ipv4Addr): IpRouteAck {
    const token = ++this.token;
    this.put(mkproto({ prim: 'IP_ROUTE_REQ', token, dst } satisfies IpRouteReq, null, M_PCPROTO));
    this.drain();
    const ack = this.routeAcks.get(token);
    if (ack === undefined) throw new Error('IP did not answer IP_ROUTE_REQ');
    this.routeAcks.delete(token);
    return ack;
  }

  close(): void {
    this.stream.close();
  }

  private sourceFor(dst: Ipv4Addr): Ipv4Addr {
    const r = this.route(dst);
    if (r.src === null) throw new Error(`raw IP: no route to ${dst}`);
    return r.src;
  }

  private put(mp: ReturnType<typeof esballoc>): void {
    const err = this.stream.write(mp);
    if (err !== 0) {
      freemsg(mp);
      throw new Error(`raw IP write refused: ${errnoName(err)}`);
    }
  }

  private takePrimitive(): IpPrimitive | null {
    const mp = this.stream.read();
    if (mp === null) return null;
    const p = mp.db.proto as IpPrimitive;
    freemsg(mp);
    return p;
  }

  private drain(): void {
    for (let mp = this.stream.read(); mp !== null; mp = this.stream.read()) {
      if (mp.db.type === M_DATA) {
        // A single unshared block is ours to keep; anything else is copied out.
        const bytes = mp.cont === null && mp.db.ref === 1 ? mp.data() : msgbytes(mp);
        const r = parseIpv4(bytes);
        if (r.ok) this.keep({ time: this.sched.now(), bytes, ip: r.value });
      } else {
        const p = mp.db.proto as IpPrimitive | undefined;
        if (p?.prim === 'IP_ROUTE_ACK') this.routeAcks.set(p.token, p);
      }
      freemsg(mp);
    }
  }

  private keep(p: RawPacket): void {
    if (this.received.length < this.maxKept) this.received.push(p);
    else this.overflow++;
    this.onPacket?.(p);
  }
}
