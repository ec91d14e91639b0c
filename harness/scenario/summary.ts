/**
 * What a run did, as one JSON-able object (summary.json in the output directory, the tables of
 * the report, the demo's table): time and cost, hosts and their roles, per-interface and
 * per-link-direction counters, IP counters, messages per module, workload and cluster counts.
 */
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import type { Time } from '../../lib/sim/time.ts';
import { formatPrefix } from '../world/addr.ts';
import type { IpStats } from '../../modules/ip/stats.ts';
import type { BuiltScenario } from './build.ts';
import type { ModuleCountRow } from './module-counts.ts';
import type { ClusterStats, WorkloadStats } from './plugins.ts';
import { formatDuration } from './units.ts';

export type Role = 'client' | 'router' | 'front-end' | 'back-end' | 'server' | 'host';

export interface HostSummary {
  name: string;
  role: Role;
  /** Every address, "a.b.c.d/len", with its interface. */
  addresses: { ifname: string; address: string }[];
  ip: Pick<IpStats, 'inReceives' | 'inDelivers' | 'forwarded' | 'outRequests' | 'outSent'> & { drops: number };
}

export interface InterfaceSummary {
  name: string;
  network: string;
  txPackets: number;
  rxPackets: number;
  txBytes: number;
  rxBytes: number;
  /** File name of its capture in the output directory, or null. */
  pcap: string | null;
}

export interface DirectionSummary {
  /** "lan:fe:fe>switch" */
  name: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  queueDrops: number;
  mtuDrops: number;
  partitionDrops: number;
  downDrops: number;
  maxQueue: number;
}

export type RunEnd = 'idle' | 'time' | 'done' | 'events';

export interface RunSummary {
  scenario: string;
  source: string;
  seed: number | string;
  end: RunEnd;
  virtualTime: Time;
  virtualTimeText: string;
  events: number;
  cpuMs: number;
  wallMs: number;
  notices: string[];
  hosts: HostSummary[];
  interfaces: InterfaceSummary[];
  links: DirectionSummary[];
  modules: ModuleCountRow[];
  workload: WorkloadStats | null;
  cluster: ClusterStats | null;
  vip: string | null;
  trace: { lines: number; overflow: number; file: string | null };
}

/** The role of each host, from the cluster, the applications and the topology. */
export function rolesOf(b: BuiltScenario): Map<string, Role> {
  const s = b.scenario;
  const roles = new Map<string, Role>();
  for (const h of s.hosts) roles.set(h.name, h.router ? 'router' : 'host');
  for (const srv of s.servers) roles.set(srv.host, 'server');
  for (const c of s.clients) roles.set(c.host, 'client');
  if (s.cluster !== null) {
    roles.set(s.cluster.frontEnd, 'front-end');
    for (const be of s.cluster.backEnds) roles.set(be.host, 'back-end');
  }
  return roles;
}

export function pcapFileName(ifFullName: string): string {
  return `${ifFullName}.pcap`;
}

function ipSummary(st: IpStats): HostSummary['ip'] {
  const drops =
    st.inTruncated + st.inBadVersion + st.inBadHeaderLen + st.inBadTotalLength + st.inBadChecksum + st.inFragments + st.inUnconfigured +
    st.inNoProto + st.inUpperFull + st.inNotForUs + st.fwdTtlExpired + st.fwdNoRoute + st.fwdTooBig + st.outMalformed + st.outNoRoute + st.outTooBig;
  return { inReceives: st.inReceives, inDelivers: st.inDelivers, forwarded: st.forwarded, outRequests: st.outRequests, outSent: st.outSent, drops };
}

export function summarize(
  b: BuiltScenario,
  run: { end: RunEnd; events: number; cpuMs: number; wallMs: number; traceLines: number; traceFile: string | null },
): RunSummary {
  const w = b.world;
  const roles = rolesOf(b);
  const hosts: HostSummary[] = [];
  const interfaces: InterfaceSummary[] = [];
  for (const h of w.hosts.values()) {
    hosts.push({
      name: h.name,
      role: roles.get(h.name) ?? 'host',
      addresses: h.interfaces.flatMap((i) => i.addrs.map((a) => ({ ifname: i.name, address: formatPrefix(a) }))),
      ip: ipSummary(h.stack.ipStats()),
    });
    for (const i of h.interfaces) {
      const c = i.counters;
      interfaces.push({
        name: i.fullName,
        network: i.network,
        txPackets: c.txPackets,
        rxPackets: c.rxPackets,
        txBytes: c.txBytes,
        rxBytes: c.rxBytes,
        pcap: i.capture === null ? null : pcapFileName(i.fullName),
      });
    }
  }
  const links: DirectionSummary[] = [];
  for (const n of w.networks.values()) {
    for (const l of n.links) {
      for (const d of l.directions) {
        const c = d.counters;
        links.push({
          name: d.name,
          sent: c.sent,
          delivered: c.delivered,
          lost: c.lost,
          duplicated: c.duplicated,
          reordered: c.reordered,
          corrupted: c.corrupted,
          queueDrops: c.queueDrops,
          mtuDrops: c.mtuDrops,
          partitionDrops: c.partitionDrops,
          downDrops: c.downDrops,
          maxQueue: c.maxQueue,
        });
      }
    }
  }
  const trace = w.trace as { overflow?: number };
  return {
    scenario: b.scenario.name,
    source: b.scenario.source,
    seed: b.scenario.seed,
    end: run.end,
    virtualTime: w.now(),
    virtualTimeText: formatDuration(w.now()),
    events: run.events,
    cpuMs: run.cpuMs,
    wallMs: run.wallMs,
    notices: [...b.notices],
    hosts,
    interfaces,
    links,
    modules: b.moduleCounts?.table() ?? [],
    workload: b.apps?.stats() ?? null,
    cluster: b.cluster?.stats() ?? null,
    vip: b.scenario.cluster === null ? null : formatIpv4(b.scenario.cluster.vip),
    trace: { lines: run.traceLines, overflow: trace.overflow ?? 0, file: run.traceFile },
  };
}
