/**
 * A scenario file as a live world. The scenario is loaded and built as `handoff run` builds it
 * (harness/scenario), with its plug-ins (TCP, the cluster roles, the applications); then the
 * real client joins one of its switched networks at a free address:
 *
 *   - the network: --network NAME, else the one the scenario's first client host is on, else
 *     the first network;
 *   - the address: the highest host address of that prefix that no interface or alias uses;
 *   - the gateway (next hop off that network): the default route of the scenario's hosts there;
 *   - the namespace routes every other network of the scenario, and every alias outside them
 *     (a VIP), into the TUN; only documentation ranges (RFC 5737) are routed.
 *
 * The scenario's own captures and trace are left off: in realtime they would cost the emulator
 * time on every packet and grow without end; --pcap captures the TUN side instead. The default
 * world (default-world.ts) is a scenario run the same way.
 */
import '../scenario/installed.ts';
import { buildScenario } from '../scenario/build.ts';
import { formatDiagnostics, loadScenarioDoc, loadScenarioFile } from '../scenario/load.ts';
import type { NetModel, Scenario } from '../scenario/model.ts';
import { formatPrefix, inPrefix, maskOf, parsePrefix, type Prefix } from '../world/addr.ts';
import { formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { LiveWorld } from './live-world.ts';
import type { ServiceInfo } from './protocol.ts';
import { LiveError } from './sys.ts';

/** RFC 5737: the only addresses a live session routes into its TUN. */
export const DOCUMENTATION_RANGES: readonly Prefix[] = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map(parsePrefix);

export function inDocumentationRanges(p: Prefix): boolean {
  return DOCUMENTATION_RANGES.some((d) => p.prefixLen >= d.prefixLen && inPrefix(p.addr, d));
}

/** The name `--cluster` gives the embedded default cluster: the same world as no scenario at all. */
export const DEFAULT_CLUSTER = 'default cluster';

/** Load a scenario file (or a document, named `path` in messages); every problem is one line of a LiveError. */
export function loadLiveScenario(path: string, doc?: unknown): Scenario {
  const r = doc === undefined ? loadScenarioFile(path) : loadScenarioDoc(doc, path, process.cwd());
  if (r.ok) return r.scenario;
  const lines = formatDiagnostics(path, r.diagnostics.filter((d) => d.severity === 'error'));
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''}; handoff run ${path} lists them)` : '';
  throw new LiveError(`${lines[0]}${more}`);
}

/** The network the real client joins. */
export function clientNetwork(s: Scenario, wanted: string | null): NetModel {
  let net: NetModel | undefined;
  if (wanted !== null) {
    net = s.networks.find((n) => n.name === wanted);
    if (net === undefined) throw new LiveError(`--network ${wanted}: the scenario has no such network (it has ${s.networks.map((n) => n.name).join(', ')})`);
  } else {
    const firstClient = s.clients[0] && s.hosts.find((h) => h.name === s.clients[0]!.host);
    const name = firstClient?.links[0]?.network ?? s.networks[0]?.name;
    net = s.networks.find((n) => n.name === name);
    if (net === undefined) throw new LiveError('the scenario has no network for the real client to join');
  }
  if (net.kind !== 'switch') throw new LiveError(`network ${net.name} is point-to-point: the real client can only join a switched network (--network NAME)`);
  if (!inDocumentationRanges(net.prefix)) {
    throw new LiveError(`network ${net.name} (${formatPrefix(net.prefix)}) is not in a documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24): live mode will not put a real client there`);
  }
  return net;
}

function usedAddresses(s: Scenario): Set<number> {
  const used = new Set<number>();
  for (const h of s.hosts) for (const l of h.links) for (const a of [l.address, ...l.aliases]) used.add(a.addr);
  if (s.cluster !== null) used.add(s.cluster.vip);
  return used;
}

/** The highest host address of the network's prefix that nothing in the scenario uses. */
export function freeAddress(s: Scenario, net: NetModel): string {
  const used = usedAddresses(s);
  const mask = maskOf(net.prefix.prefixLen);
  const base = (net.prefix.addr & mask) >>> 0;
  const broadcast = (base | (~mask >>> 0)) >>> 0;
  for (let a = broadcast - 1; a > base; a--) {
    if (!used.has(a)) return `${formatIpv4(a as Ipv4Addr)}/${net.prefix.prefixLen}`;
  }
  throw new LiveError(`network ${net.name} has no free address for the real client`);
}

/**
 * The real client's gateway on its network: the default route the scenario's hosts on that
 * network use (clients first), else a router's address there.
 */
export function gatewayOf(s: Scenario, net: NetModel): string {
  const on = s.hosts.filter((h) => h.links.some((l) => l.network === net.name));
  for (const h of [...on.filter((x) => !x.router), ...on.filter((x) => x.router)]) {
    const r = h.routes.find((x) => x.prefix.prefixLen === 0 && x.via !== null && inPrefix(x.via, net.prefix));
    if (r !== undefined) return formatIpv4(r.via!);
  }
  const router = on.find((h) => h.router);
  if (router !== undefined) return formatIpv4(router.links.find((l) => l.network === net.name)!.address.addr);
  throw new LiveError(`network ${net.name} has no router: the real client would reach nothing beyond it (--network NAME)`);
}

/** What the namespace routes into the TUN, and what it leaves out (not documentation ranges). */
export function routesFor(s: Scenario, clientNet: NetModel): { routes: string[]; skipped: string[] } {
  const routes: Prefix[] = [];
  const skipped: string[] = [];
  const covered = (a: number): boolean => inPrefix(a as Ipv4Addr, clientNet.prefix) || routes.some((r) => inPrefix(a as Ipv4Addr, r));
  const add = (p: Prefix): void => {
    if (inDocumentationRanges(p)) routes.push(p);
    else skipped.push(formatPrefix(p));
  };
  for (const n of s.networks) {
    if (n.name !== clientNet.name) add({ family: 'ipv4', addr: (n.prefix.addr & maskOf(n.prefix.prefixLen)) as Ipv4Addr, prefixLen: n.prefix.prefixLen });
  }
  const hostRoutes: number[] = [];
  for (const h of s.hosts) for (const l of h.links) for (const a of l.aliases) hostRoutes.push(a.addr);
  if (s.cluster !== null) hostRoutes.push(s.cluster.vip);
  for (const a of hostRoutes) if (!covered(a)) add({ family: 'ipv4', addr: a as Ipv4Addr, prefixLen: 32 });
  return { routes: [...new Set(routes.map(formatPrefix))], skipped: [...new Set(skipped)] };
}

/** The address clients use and the services to print. */
function servicesOf(s: Scenario): { vip: string; services: ServiceInfo[] } {
  if (s.cluster !== null) {
    const vip = formatIpv4(s.cluster.vip);
    const port = s.cluster.port === 80 ? '' : `:${s.cluster.port}`;
    return { vip, services: [{ name: 'http (VIP)', url: `http://${vip}${port}/` }] };
  }
  const services = s.servers.map((sv) => {
    const h = s.hosts.find((x) => x.name === sv.host)!;
    const addr = formatIpv4(h.links[0]!.address.addr);
    return { name: `http ${sv.host}`, url: `http://${addr}${sv.port === 80 ? '' : `:${sv.port}`}/` };
  });
  const first = s.servers[0] && s.hosts.find((x) => x.name === s.servers[0]!.host);
  return { vip: first ? formatIpv4(first.links[0]!.address.addr) : '', services };
}

export interface ScenarioLiveOptions {
  /** Overrides the file's seed. */
  seed: number | null;
  network: string | null;
}

export function scenarioLiveWorld(path: string, opts: ScenarioLiveOptions): Promise<LiveWorld> {
  return liveWorldOf(loadLiveScenario(path), opts);
}

/** A loaded scenario, built and placed for the real client. */
export async function liveWorldOf(loaded: Scenario, opts: ScenarioLiveOptions): Promise<LiveWorld> {
  const s: Scenario = {
    ...loaded,
    seed: opts.seed ?? loaded.seed,
    capture: { pcap: new Set(), trace: false, moduleCounts: false },
  };
  const net = clientNetwork(s, opts.network);
  const addr = freeAddress(s, net);
  const gateway = gatewayOf(s, net);
  const { routes, skipped } = routesFor(s, net);
  const built = await buildScenario(s);
  const { vip, services } = servicesOf(s);
  const notices = [...built.notices];
  if (skipped.length > 0) notices.push(`not routed from the namespace (not documentation ranges): ${skipped.join(', ')}`);
  if (loaded.capture.trace || loaded.capture.pcap === 'all' || loaded.capture.pcap.size > 0) {
    notices.push("the scenario's own captures and trace are off in live mode (--pcap FILE captures the TUN side)");
  }
  return {
    world: built.world,
    client: { network: net.name, addr, gateway },
    routes,
    vip,
    services,
    notices,
    async start() {},
    async stop() {},
  };
}
