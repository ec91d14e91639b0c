/**
 * The switch at the centre of a switched network. It forwards each frame to the port whose
 * interface owns the frame's next hop (or, with no next hop, the packet's destination) — a
 * switch after ARP has run, with a static table filled as interfaces get addresses. It adds no
 * delay of its own: queueing happens on the egress cable (the switch -> host direction), which
 * is where a real switch drops when many senders converge on one port.
 */
import { formatPacket } from '../../lib/wire/format.ts';
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import type { NeighbourAddr } from '../../modules/netdrv/device.ts';
import type { Frame, WorldContext } from './context.ts';
import type { Link, LinkEndpoint } from './link.ts';

export interface SwitchCounters {
  forwarded: number;
  /** Next hop not on this network. */
  unknownDest: number;
  /** Blocked by a partition between port groups. */
  partitionDrops: number;
}

export class SwitchPort implements LinkEndpoint {
  readonly names: readonly string[];
  link: Link | null = null;

  constructor(
    readonly sw: Switch,
    /** Host at the other end of the cable. */
    readonly host: string,
  ) {
    this.names = ['switch', sw.network];
  }

  receiveFrame(frame: Frame): void {
    this.sw.forward(this, frame);
  }

  carrierChanged(): void {}
}

export class Switch {
  readonly ports: SwitchPort[] = [];
  readonly counters: SwitchCounters = { forwarded: 0, unknownDest: 0, partitionDrops: 0 };
  private readonly table = new Map<NeighbourAddr, SwitchPort>();
  /** "a|b" for host pairs that cannot reach each other. */
  private readonly blocked = new Set<string>();

  constructor(
    private readonly ctx: WorldContext,
    readonly network: string,
  ) {}

  addPort(host: string): SwitchPort {
    const p = new SwitchPort(this, host);
    this.ports.push(p);
    return p;
  }

  /** Throw if `addr` already lives behind a port of another host. */
  checkFree(addr: NeighbourAddr, host: string): void {
    const owner = this.table.get(addr);
    if (owner !== undefined && owner.host !== host) {
      throw new Error(`network ${this.network}: address ${typeof addr === 'number' ? formatIpv4(addr) : addr} is already used by ${owner.host}`);
    }
  }

  /** Teach the switch that `addr` lives behind `port`; refuses an address another host owns. */
  learn(addr: NeighbourAddr, port: SwitchPort): void {
    this.checkFree(addr, port.host);
    this.table.set(addr, port);
  }

  forget(addr: NeighbourAddr): void {
    this.table.delete(addr);
  }

  /** Hosts in `a` and hosts in `b` can no longer reach each other (both ways). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) {
      this.blocked.add(`${x}|${y}`);
      this.blocked.add(`${y}|${x}`);
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  forward(from: SwitchPort, frame: Frame): void {
    const d = frame.data;
    let dest = frame.nextHop;
    if (dest === null && d.length >= 20) dest = ((d[16]! << 24) | (d[17]! << 16) | (d[18]! << 8) | d[19]!) >>> 0;
    const to = dest === null ? undefined : this.table.get(dest);
    if (to === undefined || to === from || to.link === null) {
      this.counters.unknownDest++;
      this.traceDrop(frame, 'unknown-dest');
      return;
    }
    if (this.blocked.size > 0 && this.blocked.has(`${from.host}|${to.host}`)) {
      this.counters.partitionDrops++;
      this.traceDrop(frame, 'partition');
      return;
    }
    this.counters.forwarded++;
    to.link.dirFrom(to).send(frame);
  }

  private traceDrop(frame: Frame, reason: string): void {
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'pkt.drop', switch: this.network, reason, n: frame.id, len: frame.data.length, pkt: formatPacket(frame.data) });
  }
}
