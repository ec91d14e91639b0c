/**
 * The world: one virtual clock, one seeded RNG, one trace, and the hosts and networks of a run.
 * Topologies are declared step by step:
 *
 *   const w = new World({ seed: 1 });
 *   const wan = w.network('wan', { kind: 'p2p', latency: 5 * MS, bandwidth: 100e6 });
 *   const lan = w.network('lan', { latency: 50 * US, bandwidth: 1e9 });
 *   w.host('client'); w.router('router'); w.host('fe');
 *   w.attach('client', 'wan', '198.51.100.10/24');
 *   w.attach('router', 'wan', '198.51.100.1/24');
 *   w.attach('router', 'lan', '10.0.0.1/24');
 *   w.attach('fe', 'lan', '10.0.0.2/24');
 *   w.route('client', 'default', '198.51.100.1');
 *   w.route('fe', 'default', '10.0.0.1');
 *   w.link('client', 'wan').from('client').setFaults({ loss: 0.01 });
 *
 * or from a plain object with buildWorld (topology.ts). Everything random comes from the seed:
 * the same seed and the same declarations give byte-identical captures and trace.
 */
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { SeededRng } from '../../lib/sim/rng.ts';
import { JsonlTrace, noTrace, type JsonlTraceOptions, type TraceSink } from '../../lib/sim/trace.ts';
import { runAsync, type AsyncRunOptions, type AsyncRunResult } from '../../lib/sim/async.ts';
import type { RunLimits, RunResult } from '../../lib/sim/scheduler.ts';
import type { Time } from '../../lib/sim/time.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Registry } from '../../lib/streams/index.ts';
import { parsePrefix, type IfAddr } from './addr.ts';
import { Capture, type CaptureOptions } from './capture.ts';
import type { WorldContext } from './context.ts';
import type { LinkParams } from './direction.ts';
import { Host, type HostOptions } from './host.ts';
import { Interface } from './interface.ts';
import type { Link } from './link.ts';
import { Network, type NetworkOptions } from './network.ts';
import { HostStack } from './stack.ts';

export interface WorldOptions {
  /** Seed of every random choice in the run (default 1). */
  seed?: string | number;
  /** Keep a JSON-lines trace (true, or options); default off. */
  trace?: boolean | JsonlTraceOptions;
  /** Capture every interface to pcap (true, or options); default off. */
  capture?: boolean | CaptureOptions;
  /** Registry the hosts' STREAMS envs use (default: the process-wide fmodsw). */
  registry?: Registry;
}

export interface AttachOptions {
  /** Interface name (default eth0, eth1... in attach order). */
  ifname?: string;
  /** Interface MTU (default: the link's MTU). */
  mtu?: number;
  /** Overrides of the network's link parameters for this interface's cable. */
  link?: Partial<LinkParams>;
}

export class World implements WorldContext {
  readonly sched = new Scheduler(4096);
  readonly rng: SeededRng;
  readonly trace: TraceSink;
  readonly hosts = new Map<string, Host>();
  readonly networks = new Map<string, Network>();
  private readonly captureOpts: CaptureOptions | null;
  private readonly registry: Registry | undefined;
  private lastPacketId = 0;

  constructor(opts: WorldOptions = {}) {
    this.rng = new SeededRng(opts.seed ?? 1);
    this.trace = opts.trace ? new JsonlTrace(this.sched, opts.trace === true ? {} : opts.trace) : noTrace;
    this.captureOpts = opts.capture ? (opts.capture === true ? {} : opts.capture) : null;
    this.registry = opts.registry;
  }

  packetId(): number {
    return ++this.lastPacketId;
  }

  now(): Time {
    return this.sched.now();
  }

  /** The JSON-lines trace (throws when the world was built without one). */
  get jsonl(): JsonlTrace {
    if (!(this.trace instanceof JsonlTrace)) throw new Error('this world has no trace (new World({ trace: true }))');
    return this.trace;
  }

  // ---- declaring the topology -----------------------------------------------------------------

  host(name: string, opts: HostOptions = {}): Host {
    if (this.hosts.has(name)) throw new Error(`host ${name} already exists`);
    if (!/^[A-Za-z][\w-]*$/.test(name)) throw new Error(`host name ${JSON.stringify(name)}: use letters, digits, - and _`);
    const h = new Host(name, opts);
    h.stack = new HostStack({ host: name, sched: this.sched, trace: this.trace, forwarding: h.forwarding, registry: this.registry });
    this.hosts.set(name, h);
    return h;
  }

  /** A host that forwards. */
  router(name: string): Host {
    return this.host(name, { forwarding: true });
  }

  network(name: string, opts: NetworkOptions = {}): Network {
    if (this.networks.has(name)) throw new Error(`network ${name} already exists`);
    const n = new Network(this, name, opts);
    this.networks.set(name, n);
    return n;
  }

  /** Give `host` an interface on `network` with address "a.b.c.d/len". */
  attach(host: string | Host, network: string | Network, addr: string, opts: AttachOptions = {}): Interface {
    const h = this.getHost(host);
    const n = this.getNetwork(network);
    const ifname = opts.ifname ?? h.nextIfName();
    if (h.interfaces.some((i) => i.name === ifname)) throw new Error(`host ${h.name} already has an interface ${ifname}`);
    const mtu = opts.mtu ?? opts.link?.mtu ?? n.linkDefaults.mtu ?? 1500;
    const iface = new Interface(this, h.name, ifname, mtu, n.name);
    iface.addrs.push(parsePrefix(addr));
    if (this.captureOpts !== null) iface.capture = new Capture(this.captureOpts);
    n.attach(iface, opts.link);
    h.interfaces.push(iface);
    h.stack.addInterface(iface, n.kind === 'p2p');
    return iface;
  }

  /** Another address on an existing interface (a VIP, an alias). */
  addAddress(host: string | Host, ifname: string, addr: string): void {
    const h = this.getHost(host);
    const iface = h.iface(ifname);
    const a: IfAddr = parsePrefix(addr);
    this.getNetwork(iface.network).addressAdded(iface, a.addr);
    iface.addrs.push(a);
    h.stack.addAddress(iface.name, a);
  }

  /** Route `prefix` ("10.1.0.0/16" or "default") via `gateway` (null: on-link via ifname). */
  route(host: string | Host, prefix: string, gateway: string | null, ifname?: string): void {
    const h = this.getHost(host);
    const gw: Ipv4Addr | null = gateway === null ? null : ipv4(gateway);
    h.stack.addRoute(parsePrefix(prefix), gw, ifname === undefined ? undefined : h.iface(ifname).name);
  }

  // ---- finding things -------------------------------------------------------------------------

  getHost(h: string | Host): Host {
    if (typeof h !== 'string') return h;
    const x = this.hosts.get(h);
    if (x === undefined) throw new Error(`no host ${h}`);
    return x;
  }

  getNetwork(n: string | Network): Network {
    if (typeof n !== 'string') return n;
    const x = this.networks.get(n);
    if (x === undefined) throw new Error(`no network ${n}`);
    return x;
  }

  /** The cable of `host` on `network` (its link on a p2p network). */
  link(host: string, network: string): Link {
    return this.getNetwork(network).linkOf(host);
  }

  /** Interface `ifname` (or the one on network `ifname`) of `host`. */
  iface(host: string, ifname: string): Interface {
    return this.getHost(host).iface(ifname);
  }

  // ---- running --------------------------------------------------------------------------------

  runFor(d: Time, limits?: RunLimits): RunResult {
    return this.sched.runFor(d, limits);
  }

  runUntil(t: Time, limits?: RunLimits): RunResult {
    return this.sched.runUntil(t, limits);
  }

  runUntilIdle(limits?: RunLimits & { maxTime?: Time }): RunResult {
    return this.sched.runUntilIdle(limits);
  }

  /** Run yielding to Node's event loop between instants when asked (sockets for Node code). */
  runAsync(opts?: AsyncRunOptions): Promise<AsyncRunResult> {
    return runAsync(this.sched, opts);
  }

  // ---- captures -------------------------------------------------------------------------------

  /** Every interface's capture, in declaration order, named "host.ifname". */
  captures(): { name: string; host: string; ifname: string; pcap: Uint8Array; packets: number }[] {
    const out = [];
    for (const h of this.hosts.values()) {
      for (const i of h.interfaces) {
        if (i.capture === null) continue;
        out.push({ name: i.fullName, host: h.name, ifname: i.name, pcap: i.capture.bytes(), packets: i.capture.packets });
      }
    }
    return out;
  }

  /** The pcap bytes of one interface. */
  pcap(host: string, ifname: string): Uint8Array {
    const c = this.iface(host, ifname).capture;
    if (c === null) throw new Error('this world does not capture (new World({ capture: true }))');
    return c.bytes();
  }
}
