/**
 * A loaded scenario (model.ts) to a live world (harness/world): networks, hosts, addresses,
 * routes, cable parameters and faults, the time windows, then the plug-ins (TCP, start-up
 * module pushes, the cluster, the applications) in that order. No protocol logic here: the
 * builder only declares topology and pushes modules where the scenario says.
 *
 * Module files are imported before the run starts (import() is asynchronous); pushes at a
 * virtual time are scheduler events like any other.
 */
import type { Registry } from '../../lib/streams/index.ts';
import type { JsonlTraceOptions } from '../../lib/sim/trace.ts';
import type { CaptureOptions } from '../world/capture.ts';
import { World } from '../world/world.ts';
import { formatPrefix } from '../world/addr.ts';
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import { builtinRegistry } from './builtins.ts';
import type { ModuleAction, Scenario } from './model.ts';
import { ModuleCounter, tracePlumbing } from './module-counts.ts';
import { placeOf, type Place } from './places.ts';
import { scenarioPlugins, type AppsAttachment, type ClusterAttachment, type ScenarioPlugins, type TcpAttachment } from './plugins.ts';
import { ScenarioRuntimeError, scheduleAction, scheduleWindows } from './schedule.ts';

export interface BuildOptions {
  /** Module registry (default: a fresh one with the built-ins). */
  registry?: Registry;
  /** Plug-ins (default: those registered in this process). */
  plugins?: ScenarioPlugins;
  /** Trace options (default: in memory, when the scenario keeps a trace). */
  trace?: JsonlTraceOptions;
  capture?: CaptureOptions;
  /** Module actions from outside the file (--push), after the file's own. */
  extraModules?: readonly ModuleAction[];
  /** Start the scenario's clients (default true; the shell leaves requests to the user). */
  clients?: boolean;
}

export interface BuiltScenario {
  scenario: Scenario;
  world: World;
  registry: Registry;
  tcp: ReadonlyMap<string, TcpAttachment>;
  cluster: ClusterAttachment | null;
  apps: AppsAttachment | null;
  /** Plain statements of what this run lacks ("no emulated TCP in this build yet: ..."). */
  notices: string[];
  /** Messages per module (null when not counted). */
  moduleCounts: ModuleCounter | null;
  /** A named place in a host's stack ("eth0", "tcp-lower", "tcp-upper"). */
  place(host: string, at: string): Place;
}

export const NO_TCP_NOTICE = 'this build has no emulated TCP and sockets yet: hosts have IP only, so no TCP, applications or cluster roles were set up';
export const NO_HANDOFF_NOTICE = 'the handoff cluster is not set up in this build (no cluster plug-in puts UTCP/BTCP on the nodes): the front end serves every request itself, so there are no handoffs';
export const NO_APPS_NOTICE = 'this build has no web server or client applications yet: no workload ran';

function applyModule(b: BuiltScenario, m: ModuleAction): void {
  const p = b.place(m.host, m.at);
  const name = m.isFile ? fileModuleName(b, m.module) : m.module;
  if (m.action === 'push') p.push(name, m.where);
  else p.pop(name);
}

const loadedFiles = new WeakMap<Registry, Map<string, string>>();

/** The name of the module loadModuleFiles imported from `path` into `registry`. */
export function loadedModuleName(registry: Registry, path: string): string | undefined {
  return loadedFiles.get(registry)?.get(path);
}

function fileModuleName(b: BuiltScenario, path: string): string {
  const name = loadedModuleName(b.registry, path);
  if (name === undefined) throw new Error(`module file ${path} was not loaded`);
  return name;
}

/** Import every module file the actions name into the registry (once per file). */
export async function loadModuleFiles(registry: Registry, actions: readonly ModuleAction[]): Promise<void> {
  let files = loadedFiles.get(registry);
  if (files === undefined) loadedFiles.set(registry, (files = new Map()));
  for (const m of actions) {
    if (!m.isFile || files.has(m.module)) continue;
    try {
      const def = await registry.load(m.module, undefined, { replace: true });
      files.set(m.module, def.name);
    } catch (e) {
      throw new ScenarioRuntimeError(`${m.ptr}/module`, `cannot load module ${m.module}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

/** Push or pop a module now, or at its virtual time. */
export function scheduleModule(b: BuiltScenario, m: ModuleAction): void {
  if (m.time === null || m.time <= b.world.now()) {
    try {
      applyModule(b, m);
    } catch (e) {
      throw new ScenarioRuntimeError(m.ptr, (e as Error).message);
    }
  } else {
    scheduleAction(b.world, m.time, m.ptr, () => applyModule(b, m));
  }
}

function declareTopology(w: World, s: Scenario): void {
  for (const n of s.networks) w.network(n.name, { kind: n.kind, ...n.link });
  for (const h of s.hosts) {
    if (h.router) w.router(h.name);
    else w.host(h.name);
  }
  const p2p = new Set(s.networks.filter((n) => n.kind === 'p2p').map((n) => n.name));
  for (const h of s.hosts) {
    for (const l of h.links) {
      // A p2p link is made when its second end attaches; each end's parameters are set below.
      const link = p2p.has(l.network) ? undefined : l.link;
      w.attach(h.name, l.network, formatPrefix(l.address), { ifname: l.ifname, link, mtu: l.link.mtu });
      for (const a of l.aliases) w.addAddress(h.name, l.ifname, formatPrefix(a));
    }
  }
  for (const h of s.hosts) {
    for (const r of h.routes) w.route(h.name, r.prefix.prefixLen === 0 ? 'default' : formatPrefix(r.prefix), r.via === null ? null : formatIpv4(r.via), r.ifname ?? undefined);
    for (const l of h.links) {
      const link = w.link(h.name, l.network);
      // On a point-to-point network a host's parameters are those of what it sends.
      if (p2p.has(l.network)) link.from(h.name).configure(l.link);
      link.from(h.name).setFaults(l.faults.out);
      link.to(h.name).setFaults(l.faults.in);
    }
  }
  const sel = s.capture.pcap;
  if (sel !== 'all') {
    for (const h of w.hosts.values()) for (const i of h.interfaces) if (!sel.has(h.name) && !sel.has(i.fullName)) i.capture = null;
  }
}

/** Build the world of a loaded scenario and install what the plug-ins provide. */
export async function buildScenario(s: Scenario, opts: BuildOptions = {}): Promise<BuiltScenario> {
  const registry = opts.registry ?? builtinRegistry();
  const plugins = opts.plugins ?? scenarioPlugins();
  const anyPcap = s.capture.pcap === 'all' || s.capture.pcap.size > 0;
  const world = new World({
    seed: s.seed,
    registry,
    trace: s.capture.trace ? (opts.trace ?? true) : false,
    capture: anyPcap ? (opts.capture ?? true) : false,
  });
  declareTopology(world, s);
  scheduleWindows(world, s);

  const counter = s.capture.moduleCounts ? new ModuleCounter() : null;
  for (const h of world.hosts.values()) {
    counter?.watch(h.name, h.stack.env);
    tracePlumbing(h.name, h.stack.env, world.trace);
  }

  const tcp = new Map<string, TcpAttachment>();
  const notices: string[] = [];
  const wantsTcp = s.hosts.filter((h) => h.tcp !== null);
  if (plugins.tcp !== undefined) {
    for (const h of wantsTcp) tcp.set(h.name, plugins.tcp({ world, host: world.getHost(h.name), model: h, profile: h.tcp!, registry }));
  } else if (wantsTcp.length > 0 && (s.cluster !== null || s.servers.length > 0 || s.clients.length > 0 || s.hosts.some((h) => h.modules.some((m) => m.place.kind !== 'interface')))) {
    notices.push(NO_TCP_NOTICE);
  }

  const built: BuiltScenario = {
    scenario: s,
    world,
    registry,
    tcp,
    cluster: null,
    apps: null,
    notices,
    moduleCounts: counter,
    place: (host, at) => placeOf(world.getHost(host), at === 'tcp-lower' || at === 'tcp-upper' ? { kind: at } : { kind: 'interface', ifname: at }, tcp.get(host)),
  };

  const actions = [...s.hosts.flatMap((h) => h.modules), ...(opts.extraModules ?? [])];
  await loadModuleFiles(registry, actions);
  for (const m of actions) {
    // Modules for TCP's places wait for a TCP; without one the notice above says why.
    if (m.place.kind !== 'interface' && !tcp.has(m.host)) continue;
    scheduleModule(built, m);
  }

  if (s.cluster !== null && tcp.size > 0) {
    if (plugins.cluster !== undefined) built.cluster = plugins.cluster({ world, scenario: s, cluster: s.cluster, tcp, registry });
    else notices.push(NO_HANDOFF_NOTICE);
  }
  if ((s.servers.length > 0 || s.clients.length > 0) && tcp.size > 0) {
    if (plugins.apps !== undefined) {
      built.apps = plugins.apps({ world, scenario: s, clients: opts.clients === false ? [] : s.clients, tcp, cluster: built.cluster });
      notices.push(...(built.apps.notices ?? []));
    } else {
      notices.push(NO_APPS_NOTICE);
    }
  }
  return built;
}
