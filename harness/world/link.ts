/**
 * A link: a cable between two endpoints (two interfaces, or an interface and a switch port),
 * with one LinkDirection each way. Faults and parameters are per direction; down/up is per
 * link (a cut cable loses both ways, including what is queued and in flight).
 */
import type { Frame, WorldContext } from './context.ts';
import { LinkDirection, type LinkParams } from './direction.ts';
import type { FaultSettings } from './faults.ts';

export interface LinkEndpoint {
  /** Names this end answers to in `from()` / `to()`: a host name, "host.ifname", "switch". */
  readonly names: readonly string[];
  receiveFrame(frame: Frame): void;
  carrierChanged(up: boolean): void;
}

export class Link {
  /** Direction a -> b. */
  readonly ab: LinkDirection;
  /** Direction b -> a. */
  readonly ba: LinkDirection;
  private carrier = true;

  constructor(
    private readonly ctx: WorldContext,
    /** e.g. "lan:fe" for fe's cable on the switched network lan, "wan:client-router". */
    readonly name: string,
    readonly a: LinkEndpoint,
    readonly b: LinkEndpoint,
    params: Partial<LinkParams>,
  ) {
    this.ab = new LinkDirection(ctx, `${name}:${a.names[0]}>${b.names[0]}`, params);
    this.ba = new LinkDirection(ctx, `${name}:${b.names[0]}>${a.names[0]}`, params);
    this.ab.deliver = (f) => b.receiveFrame(f);
    this.ba.deliver = (f) => a.receiveFrame(f);
  }

  get isUp(): boolean {
    return this.carrier;
  }

  /** The direction leaving the endpoint called `name`. */
  from(name: string): LinkDirection {
    if (this.a.names.includes(name)) return this.ab;
    if (this.b.names.includes(name)) return this.ba;
    throw new Error(`link ${this.name} has no end called '${name}' (ends: ${this.a.names.join('|')}, ${this.b.names.join('|')})`);
  }

  /** The direction arriving at the endpoint called `name`. */
  to(name: string): LinkDirection {
    return this.from(name) === this.ab ? this.ba : this.ab;
  }

  /** The direction leaving `end`. */
  dirFrom(end: LinkEndpoint): LinkDirection {
    return end === this.a ? this.ab : this.ba;
  }

  get directions(): readonly [LinkDirection, LinkDirection] {
    return [this.ab, this.ba];
  }

  /** Same change both ways. */
  setFaults(change: Partial<FaultSettings>): void {
    this.ab.setFaults(change);
    this.ba.setFaults(change);
  }

  clearFaults(): void {
    this.ab.clearFaults();
    this.ba.clearFaults();
  }

  configure(change: Partial<LinkParams>): void {
    this.ab.configure(change);
    this.ba.configure(change);
  }

  /** Cut the cable: queued and in-flight packets are lost, sends are refused. */
  down(): void {
    this.setUp(false);
  }

  /** Mend the cable. */
  up(): void {
    this.setUp(true);
  }

  setUp(up: boolean): void {
    if (up === this.carrier) return;
    this.carrier = up;
    this.ab.setUp(up);
    this.ba.setUp(up);
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: up ? 'link.up' : 'link.down', link: this.name });
    this.a.carrierChanged(up);
    this.b.carrierChanged(up);
  }
}
