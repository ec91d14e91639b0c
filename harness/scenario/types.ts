/**
 * A scenario file, as TypeScript types: what schema.ts accepts, field for field. Times are
 * durations ("2ms" or ns), bandwidths "100Mbit" or bit/s, sizes "64KiB" or bytes
 * (units.ts). docs/scenarios.md explains each field with examples.
 */
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import type { Bandwidth, Duration, Size } from './units.ts';

export interface ScenarioDoc {
  /** Editors use it to find the schema; ignored by the loader. */
  $schema?: string;
  name?: string;
  description?: string;
  /** Seed of every random choice (default 1). */
  seed?: number | string;
  networks: NetworkDoc[];
  hosts: HostDoc[];
  cluster?: ClusterDoc;
  apps?: AppsDoc;
  capture?: CaptureDoc;
  run?: RunLimitsDoc;
}

export interface QueueDoc {
  packets?: number;
  bytes?: Size;
}

/** Link parameters (defaults of a network's cables, or one cable's own). */
export interface LinkParamsDoc {
  latency?: Duration;
  bandwidth?: Bandwidth;
  mtu?: number;
  queue?: QueueDoc;
}

export interface FaultsDoc {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  reorderDelay?: Duration;
  corrupt?: number;
  corruptBits?: number;
}

/** A time window [from, to); `to` absent: until the end of the run. */
export interface WindowDoc {
  from: Duration;
  to?: Duration;
}

export interface NetworkPartitionDoc extends WindowDoc {
  /** Hosts in one group stop reaching hosts in the other groups. */
  groups: string[][];
}

export interface NetworkDoc {
  name: string;
  kind?: 'switch' | 'p2p';
  /** "198.51.100.0/24": every address on the network lies in it. */
  prefix: string;
  link?: LinkParamsDoc;
  partitions?: NetworkPartitionDoc[];
}

export type Direction = 'out' | 'in' | 'both';

export interface LinkPartitionDoc extends WindowDoc {
  /** Relative to the host: out = packets it sends (default both). */
  direction?: Direction;
}

/** A host's attachment to a network: the interface at its end and the cable to the network. */
export interface HostLinkDoc extends LinkParamsDoc {
  network: string;
  /** Interface name (default eth0, eth1... in order). */
  interface?: string;
  /** "192.0.2.10/24" or "192.0.2.10" (the network's prefix length). */
  address: string;
  /** More addresses on the same interface (a VIP). */
  aliases?: string[];
  faults?: { out?: FaultsDoc; in?: FaultsDoc; both?: FaultsDoc };
  partitions?: LinkPartitionDoc[];
  /** The cable is cut during these windows (queued and in-flight packets are lost). */
  down?: WindowDoc[];
}

export interface RouteDoc {
  /** "default" or a prefix. */
  to: string;
  /** Gateway address; absent: on-link through `interface`. */
  via?: string;
  interface?: string;
}

export type ModuleWhere = 'top' | 'bottom' | { above: string } | { below: string };

export interface ModuleActionDoc {
  /** A registered module's name, or a file path (./x.ts, relative to the scenario file). */
  module: string;
  /** Which stream: an interface name ("eth0": between IP and that driver), "tcp-lower", "tcp-upper". */
  at: string;
  where?: ModuleWhere;
  /** Virtual time of the action (default: at start-up). */
  time?: Duration;
  action?: 'push' | 'pop';
}

export type TcpProfileName = 'linux' | 'freebsd';

export interface StackDoc {
  /** TCP profile (default linux), or false for a host without TCP. */
  tcp?: TcpProfileName | false;
  modules?: ModuleActionDoc[];
}

export interface HostDoc {
  name: string;
  /** Forwards packets not addressed to it. */
  router?: boolean;
  links: HostLinkDoc[];
  routes?: RouteDoc[];
  stack?: StackDoc;
}

export interface BackEndDoc {
  host: string;
  weight?: number;
  maxConns?: number;
}

export interface ClusterDoc {
  /** The virtual IP clients connect to; an address (alias) of the front end. */
  vip: string;
  /** Service port (default 80). */
  port?: number;
  frontEnd: string;
  backEnds: (string | BackEndDoc)[];
  /** Where the control channels run (default: a network the FE shares with each BE). */
  control?: { network?: string; port?: number };
  policy?: PolicySpec;
  /** The FE serves requests too when the policy says so (default true). */
  serveLocally?: boolean;
}

export interface ServerDoc {
  host: string;
  /** Default 80. */
  port?: number;
}

export interface UrlDoc {
  path: string;
  weight?: number;
}

export interface ClientDoc {
  host: string;
  /** Concurrent clients on this host (default 1). */
  count?: number;
  /** Requests per client (default 10). */
  requests?: number;
  /** "203.0.113.10:80" or "203.0.113.10" (port 80). */
  target: string;
  /** Paths to request, picked at random by weight (default: the whole document tree). */
  urls?: (string | UrlDoc)[];
  /** Reuse connections (HTTP/1.1 keep-alive; default true). */
  keepAlive?: boolean;
  /** Requests in flight per connection (default 1: no pipelining). */
  pipeline?: number;
  /** Pause between a response and the next request. */
  thinkTime?: Duration;
  /** A share of requests are POSTs with a body of this size (to `path`, default /hash: the servers answer with its SHA-256). */
  post?: { share: number; bytes: Size; path?: string };
  /** When the clients start (default 0). */
  start?: Duration;
}

export interface AppsDoc {
  servers?: ServerDoc[];
  clients?: ClientDoc[];
}

export interface CaptureDoc {
  /** true: every interface; a list: these hosts or "host.ifname" interfaces; false: none. */
  pcap?: boolean | string[];
  /** Write the JSON-lines trace (default true). */
  trace?: boolean;
  /** Count messages per module queue (default true; costs a little time). */
  moduleCounts?: boolean;
}

export interface RunLimitsDoc {
  /** Virtual time at which the run ends (default: when nothing is left to do, at most 10 min). */
  until?: Duration;
  /** Most scheduler events (default 20 million). */
  maxEvents?: number;
}
