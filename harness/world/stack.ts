/**
 * A host's STREAMS stack, built by the world: one StreamsEnv per host on the world's clock, the
 * IP multiplexing driver, and one netdrv stream per interface linked under IP and configured by
 * ioctl. Everything the harness does to the stack goes through streams and ioctls.
 *
 *   transports (TCP, raw test streams)      <- openIp() / openRaw()
 *          |  one upper IP stream each
 *          ip  (mux; routes, forwarding)     <- the control stream `ip`
 *        /    \
 *   netdrv    netdrv   one per interface (NetDevice = harness Interface)
 *
 * A transport goes on top with linkTransport(tcpStream, IpProto.TCP, ['btcp']): an IP stream
 * bound to the protocol, modules pushed on it, I_LINKed under the transport's driver.
 */
import { StreamsEnv, describeQueue, errnoName, freemsg, mkproto, type Stream } from '../../lib/streams/index.ts';
import type { IpBindAck, IpBindReq, IpErrorAck } from '../../modules/ip/proto.ts';
import { fmodsw, type Registry } from '../../lib/streams/index.ts';
import type { Scheduler } from '../../lib/sim/scheduler.ts';
import type { TraceSink } from '../../lib/sim/trace.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import ipDriver from '../../modules/ip/ip.ts';
import netdrvDriver from '../../modules/netdrv/netdrv.ts';
import {
  IP_IOC_ADDADDR,
  IP_IOC_ADDROUTE,
  IP_IOC_DELROUTE,
  IP_IOC_FORWARDING,
  IP_IOC_IFCONFIG,
  IP_IOC_IFIOCTL,
  IP_IOC_ROUTES,
  IP_IOC_STATS,
  type IpIfConfig,
  type IpRouteEntry,
  type IpRouteSpec,
} from '../../modules/ip/ioctl.ts';
import type { IpStats } from '../../modules/ip/stats.ts';
import { NETDRV_IOC_STATS, type NetdrvStats } from '../../modules/netdrv/dlpi.ts';
import type { IfAddr, Prefix } from './addr.ts';
import type { Interface } from './interface.ts';
import { RawIp } from './raw.ts';

/** Register the world's drivers in a registry (idempotent). */
export function registerWorldDrivers(reg: Registry = fmodsw): void {
  if (!reg.has('ip')) reg.register(ipDriver);
  if (!reg.has('netdrv')) reg.register(netdrvDriver);
}

export interface HostStackOptions {
  host: string;
  sched: Scheduler;
  trace: TraceSink;
  forwarding: boolean;
  registry?: Registry;
}

export class HostStack {
  readonly env: StreamsEnv;
  /** IP's control stream: interfaces are linked under it, configuration ioctls go down it. */
  readonly ip: Stream;
  /** Interface driver streams (linked under `ip`) by interface name. */
  readonly drivers = new Map<string, { stream: Stream; muxid: number }>();

  constructor(private readonly opts: HostStackOptions) {
    const registry = opts.registry ?? fmodsw;
    registerWorldDrivers(registry);
    this.env = new StreamsEnv({ name: opts.host, time: opts.sched, registry });
    if (opts.trace.enabled) this.bridgeDrops(opts.trace);
    this.ip = this.env.open('ip', { clone: true, label: 'ip' });
    if (opts.forwarding) this.setForwarding(true);
  }

  get host(): string {
    return this.opts.host;
  }

  /** Open a netdrv stream on the interface, link it under IP, configure it. */
  addInterface(iface: Interface, pointToPoint: boolean): void {
    const stream = this.env.open('netdrv', { args: iface, label: `netdrv:${iface.name}` });
    const muxid = this.ip.link(stream);
    this.drivers.set(iface.name, { stream, muxid });
    const cfg: IpIfConfig = { muxid, ifname: iface.name, addrs: iface.addrs.map(toIpAddr), mtu: iface.mtu, pointToPoint };
    this.ioctl(IP_IOC_IFCONFIG, cfg, `configure ${iface.name}`);
  }

  addAddress(ifname: string, a: IfAddr): void {
    this.ioctl(IP_IOC_ADDADDR, { ifname, addr: toIpAddr(a) }, `add address on ${ifname}`);
  }

  /** Add a route to `prefix` via `gateway` (null: on-link), optionally forcing the interface. */
  addRoute(prefix: Prefix, gateway: Ipv4Addr | null, ifname?: string): void {
    const spec: IpRouteSpec = { family: 'ipv4', dst: prefix.addr, prefixLen: prefix.prefixLen, gateway, ifname };
    this.ioctl(IP_IOC_ADDROUTE, spec, 'add route');
  }

  deleteRoute(prefix: Prefix): void {
    this.ioctl(IP_IOC_DELROUTE, { dst: prefix.addr, prefixLen: prefix.prefixLen }, 'delete route');
  }

  setForwarding(on: boolean): void {
    this.ioctl(IP_IOC_FORWARDING, on, 'set forwarding');
  }

  routes(): IpRouteEntry[] {
    return this.ioctl(IP_IOC_ROUTES, undefined, 'list routes') as IpRouteEntry[];
  }

  ipStats(): IpStats {
    return this.ioctl(IP_IOC_STATS, undefined, 'read IP stats') as IpStats;
  }

  /** The interface driver's counters (an ioctl IP relays to the driver). */
  netdrvStats(ifname: string): NetdrvStats {
    return this.ioctl(IP_IOC_IFIOCTL, { ifname, cmd: NETDRV_IOC_STATS }, `read ${ifname} driver stats`) as NetdrvStats;
  }

  /** An unbound upper stream of IP (for a transport: push modules, bind, link under it). */
  openIp(label = 'ip'): Stream {
    return this.env.open('ip', { clone: true, label });
  }

  /**
   * An upper IP stream with the `push` modules on it (listed top first: the last one sits just
   * above IP), bound to `protocol`, ready to be I_LINKed under a transport driver. Throws when
   * IP refuses the bind.
   */
  bindIp(protocol: number, push: readonly string[] = [], label = `ip:${protocol}`): Stream {
    const st = this.openIp(label);
    for (const m of [...push].reverse()) st.push(m);
    const err = st.write(mkproto<IpBindReq>({ prim: 'IP_BIND_REQ', protocol }));
    if (err !== 0) throw new Error(`${this.host}: IP_BIND_REQ refused: ${errnoName(err)}`);
    this.env.runServices();
    const mp = st.read();
    const ack = mp?.db.proto as IpBindAck | IpErrorAck | undefined;
    if (mp !== null) freemsg(mp);
    if (ack?.prim !== 'IP_BIND_ACK') {
      st.close();
      throw new Error(`${this.host}: bind of protocol ${protocol} failed: ${(ack as IpErrorAck | undefined)?.reason ?? 'no answer'}`);
    }
    return st;
  }

  /**
   * Put a transport on IP: bind an IP stream to `protocol` (with `push` modules, e.g. BTCP) and
   * I_LINK it under `upper`, a stream of the transport's multiplexing driver. Returns the muxid.
   */
  linkTransport(upper: Stream, protocol: number, push: readonly string[] = []): number {
    return upper.link(this.bindIp(protocol, push));
  }

  /** A raw IP endpoint bound to `protocol` (specs below TCP; IpProto.TEST by convention). */
  openRaw(protocol: number): RawIp {
    return new RawIp(this.openIp(`raw${protocol}`), protocol, this.opts.sched);
  }

  private ioctl(cmd: number, arg: unknown, what: string): unknown {
    const r = this.ip.ioctlSync(cmd, arg);
    if (!r.ok) throw new Error(`${this.host}: ${what}: ${errnoName(r.error)}`);
    return r.data;
  }

  private bridgeDrops(trace: TraceSink): void {
    const host = this.opts.host;
    this.env.trace.on('drop', (e) => trace.emit({ ev: 'streams.drop', host, q: describeQueue(e.q), reason: e.reason }));
    // A module's own steps (the handoff modules: handoff.*, ctl.*), under the kind it chose.
    this.env.trace.on('note', (e) => trace.emit({ ev: e.ev, host, ...e.fields }));
  }
}

function toIpAddr(a: IfAddr): { family: 'ipv4'; addr: Ipv4Addr; prefixLen: number } {
  return { family: 'ipv4', addr: a.addr, prefixLen: a.prefixLen };
}
