/**
 * The bridge: an endpoint of the emulated world whose far side is a real TUN device. It is an
 * ordinary world Interface (named "tun.hoff0", with the real client's address, a capture) on
 * one of the world's networks; packets the real client sends leave that interface onto the
 * emulated link as if a client host had sent them (to the destination itself when it is on the
 * client's network, else to the gateway), and packets the world delivers to it go out
 * through `wire` (the UDP socket to socat, udp-bridge.ts) to the client's kernel.
 *
 * Outside code enters the simulation only through `enter` (RealtimeDriver.post), which first
 * brings the virtual clock up to the wall clock. Sends to the real side are bounded like a NIC
 * transmit ring: past `maxInFlight` unconfirmed sends, packets are dropped and counted.
 */
import type { World } from '../world/world.ts';
import { Interface } from '../world/interface.ts';
import { inPrefix, parsePrefix, type Prefix } from '../world/addr.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Capture } from '../world/capture.ts';
import type { NetDeviceEvents } from '../../modules/netdrv/device.ts';
import type { BridgeStats } from './protocol.ts';
import { LIVE_MTU, TUN_NAME } from './plan.ts';

/** Hand one packet to the real side; call done once it is gone (or failed). */
export type Wire = (packet: Uint8Array, done: (err: Error | null) => void) => void;

export interface BridgeOptions {
  world: World;
  /** The network the real client sits on (its other end: the emulated gateway). */
  network: string;
  /** The real client's address and prefix, e.g. "192.0.2.2/24". */
  addr: string;
  /** Next hop for destinations off the client's network (its default gateway). */
  gateway: string;
  /** How outside code runs inside the simulation (RealtimeDriver.post, or a spec's runner). */
  enter: (fn: () => void) => void;
  mtu?: number;
  /** Name of the endpoint in traces and captures (default "tun"). */
  host?: string;
  ifname?: string;
  /** Unconfirmed sends to the real side before packets are dropped (default 4096). */
  maxInFlight?: number;
  capture?: Capture | null;
}

export function zeroBridgeStats(): BridgeStats {
  return { fromTun: 0, fromTunBytes: 0, toTun: 0, toTunBytes: 0, dropNotIpv4: 0, dropForeign: 0, dropTooBig: 0, dropTxBusy: 0, sendErrors: 0 };
}

export class TunBridge {
  readonly iface: Interface;
  readonly stats: BridgeStats = zeroBridgeStats();
  private readonly enter: (fn: () => void) => void;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private wire: Wire | null = null;
  private readonly prefix: Prefix;
  private readonly gateway: Ipv4Addr;

  constructor(opts: BridgeOptions) {
    const net = opts.world.getNetwork(opts.network);
    this.enter = opts.enter;
    this.maxInFlight = opts.maxInFlight ?? 4096;
    this.iface = new Interface(opts.world, opts.host ?? 'tun', opts.ifname ?? TUN_NAME, opts.mtu ?? LIVE_MTU, net.name);
    this.prefix = parsePrefix(opts.addr);
    this.gateway = ipv4(opts.gateway);
    this.iface.addrs.push(this.prefix);
    this.iface.capture = opts.capture ?? null;
    net.attach(this.iface);
    const toReal: NetDeviceEvents = { receive: (p) => this.toTun(p) };
    this.iface.bind(toReal);
  }

  /** Connect the real side (packets the world sends before this are dropped as busy). */
  connect(wire: Wire | null): void {
    this.wire = wire;
  }

  /** A datagram from the real client: one raw IPv4 packet, onto the emulated link. */
  fromTun(packet: Uint8Array): void {
    const s = this.stats;
    if (packet.length < 20 || packet[0]! >> 4 !== 4) {
      // IPv6 router solicitations and the like: the emulated networks are IPv4 only.
      s.dropNotIpv4++;
      return;
    }
    if (packet.length > this.iface.mtu) {
      s.dropTooBig++;
      return;
    }
    s.fromTun++;
    s.fromTunBytes += packet.length;
    const dst = ((packet[16]! << 24) | (packet[17]! << 16) | (packet[18]! << 8) | packet[19]!) >>> 0;
    const nextHop = inPrefix(dst as Ipv4Addr, this.prefix) ? dst : this.gateway;
    this.enter(() => this.iface.transmit(packet, nextHop));
  }

  private toTun(packet: Uint8Array): void {
    const s = this.stats;
    const wire = this.wire;
    if (wire === null || this.inFlight >= this.maxInFlight) {
      s.dropTxBusy++;
      return;
    }
    this.inFlight++;
    s.toTun++;
    s.toTunBytes += packet.length;
    wire(packet, (err) => {
      this.inFlight--;
      if (err !== null) s.sendErrors++;
    });
  }
}
