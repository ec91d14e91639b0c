/**
 * A schema-valid document to the loaded model (model.ts): defaults, units, interface names,
 * module paths. Pure and total on valid input; cross-references (does that host exist?) are
 * checks.ts's business, so names are copied as written.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { Position } from '../../lib/streams/index.ts';
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import { parsePrefix, type IfAddr } from '../world/addr.ts';
import type { LinkParams } from '../world/direction.ts';
import type { FaultSettings } from '../world/faults.ts';
import {
  DEFAULT_CONTROL_PORT,
  DEFAULT_MAX_EVENTS,
  DEFAULT_PORT,
  type ClientModel,
  type HostModel,
  type IfModel,
  type ModuleAction,
  type NetModel,
  type Scenario,
  type StackPlace,
  type TimeWindow,
} from './model.ts';
import type { FaultsDoc, HostDoc, LinkParamsDoc, ModuleActionDoc, ModuleWhere, ScenarioDoc, WindowDoc } from './types.ts';
import { parseBandwidth, parseDuration, parseSize } from './units.ts';

/** Like the registry's rule: a path, not a registered name. */
export function isModulePath(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || /\.(ts|mts|js|mjs)$/.test(spec);
}

export function linkParams(d: LinkParamsDoc): Partial<LinkParams> {
  const p: Partial<LinkParams> = {};
  if (d.latency !== undefined) p.latency = parseDuration(d.latency);
  if (d.bandwidth !== undefined) p.bandwidth = parseBandwidth(d.bandwidth);
  if (d.mtu !== undefined) p.mtu = d.mtu;
  if (d.queue?.packets !== undefined) p.queuePackets = d.queue.packets;
  if (d.queue?.bytes !== undefined) p.queueBytes = parseSize(d.queue.bytes);
  return p;
}

export function faultSettings(d: FaultsDoc | undefined): Partial<FaultSettings> {
  const f: Partial<FaultSettings> = {};
  if (d === undefined) return f;
  if (d.loss !== undefined) f.loss = d.loss;
  if (d.duplicate !== undefined) f.duplicate = d.duplicate;
  if (d.reorder !== undefined) f.reorder = d.reorder;
  if (d.reorderDelay !== undefined) f.reorderDelay = parseDuration(d.reorderDelay);
  if (d.corrupt !== undefined) f.corrupt = d.corrupt;
  if (d.corruptBits !== undefined) f.corruptBits = d.corruptBits;
  return f;
}

function window(w: WindowDoc): TimeWindow {
  return { from: parseDuration(w.from), to: w.to === undefined ? null : parseDuration(w.to) };
}

/** "a.b.c.d/len", or "a.b.c.d" with a default length. */
export function addressWithPrefix(text: string, defaultLen: number): IfAddr {
  return parsePrefix(text.includes('/') ? text : `${text}/${defaultLen}`);
}

export function placeOf(at: string): StackPlace {
  if (at === 'tcp-lower' || at === 'tcp-upper') return { kind: at };
  return { kind: 'interface', ifname: at };
}

export function positionOf(w: ModuleWhere | undefined): Position {
  if (w === undefined || w === 'top') return 'top';
  if (w === 'bottom') return 'bottom';
  return 'above' in w ? { above: w.above } : { below: w.below };
}

export function moduleAction(m: ModuleActionDoc, host: string, ptr: string, baseDir: string): ModuleAction {
  const isFile = isModulePath(m.module);
  return {
    ptr,
    host,
    module: isFile ? (isAbsolute(m.module) ? m.module : resolvePath(baseDir, m.module)) : m.module,
    isFile,
    at: m.at,
    place: placeOf(m.at),
    where: positionOf(m.where),
    time: m.time === undefined ? null : parseDuration(m.time),
    action: m.action ?? 'push',
  };
}

function hostModel(h: HostDoc, i: number, nets: Map<string, NetModel>, baseDir: string): HostModel {
  const ptr = `/hosts/${i}`;
  const links: IfModel[] = h.links.map((l, j) => {
    const lp = `${ptr}/links/${j}`;
    const net = nets.get(l.network);
    const both = faultSettings(l.faults?.both);
    return {
      ptr: lp,
      network: l.network,
      ifname: l.interface ?? `eth${j}`,
      address: addressWithPrefix(l.address, net?.prefix.prefixLen ?? 32),
      aliases: (l.aliases ?? []).map((a) => addressWithPrefix(a, 32)),
      link: linkParams(l),
      faults: { out: { ...both, ...faultSettings(l.faults?.out) }, in: { ...both, ...faultSettings(l.faults?.in) } },
      partitions: (l.partitions ?? []).map((w, k) => ({ ...window(w), direction: w.direction ?? 'both', ptr: `${lp}/partitions/${k}` })),
      down: (l.down ?? []).map((w, k) => ({ ...window(w), ptr: `${lp}/down/${k}` })),
    };
  });
  return {
    ptr,
    name: h.name,
    router: h.router ?? false,
    links,
    routes: (h.routes ?? []).map((r, k) => ({
      ptr: `${ptr}/routes/${k}`,
      prefix: parsePrefix(r.to),
      via: r.via === undefined ? null : ipv4(r.via),
      ifname: r.interface ?? null,
    })),
    tcp: h.stack?.tcp === false ? null : (h.stack?.tcp ?? 'linux'),
    modules: (h.stack?.modules ?? []).map((m, k) => moduleAction(m, h.name, `${ptr}/stack/modules/${k}`, baseDir)),
  };
}

function endpoint(text: string): { addr: ReturnType<typeof ipv4>; port: number } {
  const [a, p] = text.split(':');
  return { addr: ipv4(a!), port: p === undefined ? DEFAULT_PORT : Number(p) };
}

function clientModel(c: NonNullable<NonNullable<ScenarioDoc['apps']>['clients']>[number], i: number): ClientModel {
  return {
    ptr: `/apps/clients/${i}`,
    host: c.host,
    count: c.count ?? 1,
    requests: c.requests ?? 10,
    target: endpoint(c.target),
    urls: (c.urls ?? []).map((u) => (typeof u === 'string' ? { path: u, weight: 1 } : { path: u.path, weight: u.weight ?? 1 })),
    keepAlive: c.keepAlive ?? true,
    pipeline: c.pipeline ?? 1,
    thinkTime: c.thinkTime === undefined ? 0 : parseDuration(c.thinkTime),
    post: c.post === undefined ? null : { share: c.post.share, bytes: parseSize(c.post.bytes), path: c.post.path ?? '/hash' },
    start: c.start === undefined ? 0 : parseDuration(c.start),
  };
}

/** The model of a schema-valid document. */
export function resolveScenario(doc: ScenarioDoc, source: string, baseDir: string): Scenario {
  const nets = new Map<string, NetModel>();
  const networks = doc.networks.map((n, i): NetModel => {
    const m: NetModel = {
      ptr: `/networks/${i}`,
      name: n.name,
      kind: n.kind ?? 'switch',
      prefix: parsePrefix(n.prefix),
      link: linkParams(n.link ?? {}),
      partitions: (n.partitions ?? []).map((p, k) => ({ ...window(p), groups: p.groups, ptr: `/networks/${i}/partitions/${k}` })),
    };
    if (!nets.has(m.name)) nets.set(m.name, m);
    return m;
  });
  const c = doc.cluster;
  const capture = doc.capture ?? {};
  const pcap = capture.pcap ?? true;
  return {
    source,
    baseDir,
    name: doc.name ?? source,
    description: doc.description ?? '',
    seed: doc.seed ?? 1,
    networks,
    hosts: doc.hosts.map((h, i) => hostModel(h, i, nets, baseDir)),
    cluster:
      c === undefined
        ? null
        : {
            ptr: '/cluster',
            vip: ipv4(c.vip),
            port: c.port ?? DEFAULT_PORT,
            frontEnd: c.frontEnd,
            backEnds: c.backEnds.map((b) => (typeof b === 'string' ? { host: b, weight: 1, maxConns: null } : { host: b.host, weight: b.weight ?? 1, maxConns: b.maxConns ?? null })),
            controlNetwork: c.control?.network ?? null,
            controlPort: c.control?.port ?? DEFAULT_CONTROL_PORT,
            policy: c.policy ?? ({ policy: 'weighted-round-robin' } as PolicySpec),
            serveLocally: c.serveLocally ?? true,
          },
    servers: (doc.apps?.servers ?? []).map((s, i) => ({ ptr: `/apps/servers/${i}`, host: s.host, port: s.port ?? DEFAULT_PORT })),
    clients: (doc.apps?.clients ?? []).map(clientModel),
    capture: {
      pcap: pcap === true ? 'all' : new Set(pcap === false ? [] : pcap),
      trace: capture.trace ?? true,
      moduleCounts: capture.moduleCounts ?? true,
    },
    until: doc.run?.until === undefined ? null : parseDuration(doc.run.until),
    maxEvents: doc.run?.maxEvents ?? DEFAULT_MAX_EVENTS,
    doc,
  };
}
