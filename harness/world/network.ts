/**
 * A network connects interfaces. Two kinds:
 * - 'switch' (default): any number of interfaces, each on its own cable to a switch, so a
 *   packet crosses two links (sender -> switch -> receiver); faults and queues are set per cable
 *   and per direction, and `partition()` splits the switch into groups.
 * - 'p2p': exactly two interfaces on one link (a WAN line, a router's uplink).
 * Link parameters given to the network are the defaults for every cable; attach may override.
 */
import type { WorldContext } from './context.ts';
import type { LinkParams } from './direction.ts';
import { checkLinkParams } from './direction.ts';
import type { Interface } from './interface.ts';
import { Link } from './link.ts';
import { Switch, type SwitchPort } from './switch.ts';
import type { NeighbourAddr } from '../../modules/netdrv/device.ts';

export type NetworkKind = 'switch' | 'p2p';

export interface NetworkOptions extends Partial<LinkParams> {
  kind?: NetworkKind;
}

export class Network {
  readonly kind: NetworkKind;
  readonly linkDefaults: Partial<LinkParams>;
  readonly interfaces: Interface[] = [];
  readonly links: Link[] = [];
  /** The switch of a switched network (null for p2p). */
  readonly switch: Switch | null;
  private readonly portOf = new Map<Interface, SwitchPort>();

  constructor(
    private readonly ctx: WorldContext,
    readonly name: string,
    opts: NetworkOptions = {},
  ) {
    const { kind = 'switch', ...params } = opts;
    if (kind !== 'switch' && kind !== 'p2p') throw new Error(`network ${name}: kind must be 'switch' or 'p2p', got ${JSON.stringify(kind)}`);
    checkLinkParams(params);
    this.kind = kind;
    this.linkDefaults = params;
    this.switch = kind === 'switch' ? new Switch(ctx, name) : null;
  }

  /** Connect an interface; returns its cable (p2p: the link, once both ends are there). */
  attach(iface: Interface, params: Partial<LinkParams> = {}): Link | null {
    if (this.interfaces.some((i) => i.host === iface.host)) {
      throw new Error(`network ${this.name}: host ${iface.host} is already attached`);
    }
    const p = { ...this.linkDefaults, ...params };
    if (this.switch !== null) {
      for (const a of iface.addrs) this.switch.checkFree(a.addr, iface.host);
      const port = this.switch.addPort(iface.host);
      const link = new Link(this.ctx, `${this.name}:${iface.host}`, iface, port, p);
      port.link = link;
      iface.link = link;
      this.portOf.set(iface, port);
      this.interfaces.push(iface);
      this.links.push(link);
      for (const a of iface.addrs) this.switch.learn(a.addr, port);
      return link;
    }
    if (this.interfaces.length >= 2) throw new Error(`network ${this.name} is point-to-point and already has two interfaces`);
    this.interfaces.push(iface);
    if (this.interfaces.length < 2) return null;
    const [a, b] = this.interfaces as [Interface, Interface];
    const link = new Link(this.ctx, `${this.name}:${a.host}-${b.host}`, a, b, p);
    a.link = link;
    b.link = link;
    this.links.push(link);
    return link;
  }

  /** An interface on this network gained an address (the switch learns where it lives). */
  addressAdded(iface: Interface, addr: NeighbourAddr): void {
    const port = this.portOf.get(iface);
    if (port !== undefined) this.switch!.learn(addr, port);
  }

  /** The cable of `host` (switch), or the link (p2p). */
  linkOf(host: string): Link {
    const iface = this.interfaces.find((i) => i.host === host);
    if (iface === undefined) throw new Error(`network ${this.name}: no host ${host}`);
    if (iface.link === null) throw new Error(`network ${this.name}: ${host} has no peer yet`);
    return iface.link;
  }

  /** Split a switched network: hosts in `a` and in `b` stop reaching each other. */
  partition(a: readonly string[], b: readonly string[]): void {
    if (this.switch === null) throw new Error(`network ${this.name} is point-to-point: partition a link direction instead`);
    this.switch.partition(a, b);
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'net.partition', net: this.name, a: [...a], b: [...b] });
  }

  heal(): void {
    this.switch?.heal();
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'net.heal', net: this.name });
  }
}
