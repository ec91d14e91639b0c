/**
 * A host: a name, interfaces, and (once built, harness/world/stack.ts) a STREAMS stack whose IP
 * owns its routes. A router is a host whose IP forwards.
 */
import type { Interface } from './interface.ts';
import type { HostStack } from './stack.ts';

export interface HostOptions {
  /** Forward packets not addressed to this host (a router). */
  forwarding?: boolean;
}

export class Host {
  readonly interfaces: Interface[] = [];
  readonly forwarding: boolean;
  /** The STREAMS stack, built when the host is created. */
  stack!: HostStack;

  constructor(
    readonly name: string,
    opts: HostOptions = {},
  ) {
    this.forwarding = opts.forwarding ?? false;
  }

  /** The interface called `ifname`, or the one attached to network `ifname`. */
  iface(ifname: string): Interface {
    const i = this.interfaces.find((x) => x.name === ifname) ?? this.interfaces.find((x) => x.network === ifname);
    if (i === undefined) throw new Error(`host ${this.name} has no interface or network '${ifname}'`);
    return i;
  }

  nextIfName(): string {
    return `eth${this.interfaces.length}`;
  }
}
