/**
 * A scenario after loading: every default filled in, every unit converted (times in ns,
 * bandwidths in bit/s, addresses as u32), interface names assigned, module files resolved to
 * absolute paths. The builder and the plug-ins (TCP, applications, the handoff cluster) read
 * this, never the raw file. Each part keeps `ptr`, the JSON pointer of where it was written,
 * for messages about it.
 */
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Position } from '../../lib/streams/index.ts';
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import type { IfAddr, Prefix } from '../world/addr.ts';
import type { LinkParams } from '../world/direction.ts';
import type { FaultSettings } from '../world/faults.ts';
import type { NetworkKind } from '../world/network.ts';
import type { Direction, ScenarioDoc, TcpProfileName } from './types.ts';

export interface TimeWindow {
  from: Time;
  /** null: until the end of the run. */
  to: Time | null;
}

export interface NetModel {
  ptr: string;
  name: string;
  kind: NetworkKind;
  prefix: Prefix;
  link: Partial<LinkParams>;
  partitions: (TimeWindow & { groups: string[][]; ptr: string })[];
}

export interface IfModel {
  ptr: string;
  network: string;
  ifname: string;
  address: IfAddr;
  aliases: IfAddr[];
  /** This cable's own parameters (over the network's defaults). */
  link: Partial<LinkParams>;
  /** Relative to the host: out = what it sends. */
  faults: { out: Partial<FaultSettings>; in: Partial<FaultSettings> };
  partitions: (TimeWindow & { direction: Direction; ptr: string })[];
  down: (TimeWindow & { ptr: string })[];
}

export interface RouteModel {
  ptr: string;
  prefix: Prefix;
  via: Ipv4Addr | null;
  ifname: string | null;
}

/** The named places a module can go in a host's stack. */
export type StackPlace =
  /** Between IP and one interface's driver (interface name). */
  | { kind: 'interface'; ifname: string }
  /** On the stream between TCP and IP, where BTCP sits. */
  | { kind: 'tcp-lower' }
  /** Above TCP on every new endpoint stream (the TCP driver's autopush list), where UTCP sits. */
  | { kind: 'tcp-upper' };

export interface ModuleAction {
  ptr: string;
  host: string;
  /** A registered module's name, or an absolute file path. */
  module: string;
  isFile: boolean;
  /** As written ("eth0", "tcp-lower"). */
  at: string;
  place: StackPlace;
  where: Position;
  /** null: at start-up. */
  time: Time | null;
  action: 'push' | 'pop';
}

export interface HostModel {
  ptr: string;
  name: string;
  router: boolean;
  links: IfModel[];
  routes: RouteModel[];
  /** null: no TCP on this host. */
  tcp: TcpProfileName | null;
  modules: ModuleAction[];
}

export interface BackEndModel {
  host: string;
  weight: number;
  maxConns: number | null;
}

export interface ClusterModel {
  ptr: string;
  vip: Ipv4Addr;
  port: number;
  frontEnd: string;
  backEnds: BackEndModel[];
  /** null: a network the FE shares with each BE. */
  controlNetwork: string | null;
  controlPort: number;
  policy: PolicySpec;
  serveLocally: boolean;
}

export interface ServerModel {
  ptr: string;
  host: string;
  port: number;
}

export interface ClientModel {
  ptr: string;
  host: string;
  count: number;
  requests: number;
  target: { addr: Ipv4Addr; port: number };
  /** Empty: the whole document tree, evenly. */
  urls: { path: string; weight: number }[];
  keepAlive: boolean;
  pipeline: number;
  thinkTime: Time;
  post: { share: number; bytes: number; path: string } | null;
  start: Time;
}

export interface CaptureModel {
  /** 'all', or the chosen hosts and "host.ifname" interfaces. */
  pcap: 'all' | ReadonlySet<string>;
  trace: boolean;
  moduleCounts: boolean;
}

export interface Scenario {
  /** File it came from (or "<embedded default>"). */
  source: string;
  /** Where relative module paths are resolved. */
  baseDir: string;
  name: string;
  description: string;
  seed: number | string;
  networks: NetModel[];
  hosts: HostModel[];
  cluster: ClusterModel | null;
  servers: ServerModel[];
  clients: ClientModel[];
  capture: CaptureModel;
  /** null: run until nothing is left to do (at most maxTime). */
  until: Time | null;
  maxEvents: number;
  /** The document as written (after --seed / --push overrides). */
  doc: ScenarioDoc;
}

/** Defaults the loader fills in. */
export const DEFAULT_PORT = 80;
export const DEFAULT_CONTROL_PORT = 7070;
export const DEFAULT_MAX_EVENTS = 20_000_000;
/** A run without `until` stops when idle or at this virtual time. */
export const MAX_IDLE_RUN: Time = 600_000_000_000;
