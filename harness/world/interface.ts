/**
 * A network interface of a host: a name, addresses, an MTU, one cable (a Link) to a network,
 * a capture. It is the NetDevice the host's network driver (modules/netdrv) talks to.
 */
import { formatPacket } from '../../lib/wire/format.ts';
import type { NetDevice, NetDeviceEvents, NeighbourAddr } from '../../modules/netdrv/device.ts';
import type { IfAddr } from './addr.ts';
import type { Capture } from './capture.ts';
import type { Frame, WorldContext } from './context.ts';
import type { Link, LinkEndpoint } from './link.ts';

export interface InterfaceCounters {
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  /** Sends refused: no cable, or the cable is down. */
  txNoCarrier: number;
  /** Sends refused: larger than the interface MTU. */
  txTooBig: number;
  /** Packets that arrived with no driver bound. */
  rxNoDriver: number;
}

export class Interface implements NetDevice, LinkEndpoint {
  readonly names: readonly string[];
  readonly addrs: IfAddr[] = [];
  link: Link | null = null;
  capture: Capture | null = null;
  readonly counters: InterfaceCounters = {
    txPackets: 0,
    txBytes: 0,
    rxPackets: 0,
    rxBytes: 0,
    txNoCarrier: 0,
    txTooBig: 0,
    rxNoDriver: 0,
  };
  private driver: NetDeviceEvents | null = null;

  constructor(
    private readonly ctx: WorldContext,
    readonly host: string,
    readonly name: string,
    readonly mtu: number,
    /** The network this interface is attached to. */
    readonly network: string,
  ) {
    this.names = [host, `${host}.${name}`];
  }

  /** "host.ifname" */
  get fullName(): string {
    return this.names[1]!;
  }

  get carrier(): boolean {
    return this.link !== null && this.link.isUp;
  }

  bind(events: NetDeviceEvents | null): void {
    this.driver = events;
  }

  transmit(packet: Uint8Array, nextHop: NeighbourAddr | null): boolean {
    const c = this.counters;
    const link = this.link;
    if (link === null || !link.isUp) {
      c.txNoCarrier++;
      this.traceDrop(packet, 'no-carrier');
      return false;
    }
    if (packet.length > this.mtu) {
      c.txTooBig++;
      this.traceDrop(packet, 'too-big');
      return false;
    }
    const frame: Frame = { data: packet, nextHop, id: this.ctx.packetId() };
    c.txPackets++;
    c.txBytes += packet.length;
    this.capture?.record(this.ctx.sched.now(), packet);
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'pkt.tx', if: this.fullName, n: frame.id, len: packet.length, pkt: formatPacket(packet) });
    link.dirFrom(this).send(frame);
    return true;
  }

  receiveFrame(frame: Frame): void {
    const c = this.counters;
    c.rxPackets++;
    c.rxBytes += frame.data.length;
    this.capture?.record(this.ctx.sched.now(), frame.data);
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'pkt.rx', if: this.fullName, n: frame.id, len: frame.data.length, pkt: formatPacket(frame.data) });
    if (this.driver === null) {
      c.rxNoDriver++;
      return;
    }
    this.driver.receive(frame.data);
  }

  carrierChanged(up: boolean): void {
    this.driver?.carrier?.(up);
  }

  private traceDrop(packet: Uint8Array, reason: string): void {
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'pkt.drop', if: this.fullName, reason, len: packet.length, pkt: formatPacket(packet) });
  }
}
