/**
 * What the schema cannot say: cross-references and meaning. Unknown hosts and networks,
 * duplicate names and addresses, addresses outside their network or outside the allowed
 * ranges, routes to nowhere, a VIP the front end does not own, module files that do not
 * exist, time windows that end before they start... Each problem is one diagnostic naming
 * the JSON path of the value at fault.
 */
import { existsSync } from 'node:fs';
import { formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Time } from '../../lib/sim/time.ts';
import { formatPrefix, inPrefix, maskOf, networkOf, type Prefix } from '../world/addr.ts';
import { didYouMean, type Diagnostic } from './messages.ts';
import type { HostModel, IfModel, ModuleAction, NetModel, Scenario, TimeWindow } from './model.ts';
import { allowedRangesText, inAllowedRange, prefixAllowed } from './ranges.ts';
import { formatDuration } from './units.ts';

export interface CheckContext {
  /** Is a module of this name registered (built-ins and anything loaded)? */
  hasModule(name: string): boolean;
  moduleNames(): readonly string[];
  fileExists?(path: string): boolean;
}

class Checker {
  readonly out: Diagnostic[] = [];
  readonly hosts = new Map<string, HostModel>();
  readonly nets = new Set<string>();

  constructor(
    readonly s: Scenario,
    readonly ctx: CheckContext,
  ) {}

  error(path: string, message: string): void {
    this.out.push({ path, message, severity: 'error' });
  }

  warn(path: string, message: string): void {
    this.out.push({ path, message, severity: 'warning' });
  }

  unknown(kind: string, name: string, known: readonly string[]): string {
    const guess = didYouMean(name, known);
    const list = known.length === 0 ? `there are no ${kind}s` : `${kind}s: ${known.join(', ')}`;
    return `no ${kind} "${name}" (${guess !== null ? `did you mean "${guess}"? ` : ''}${list})`;
  }

  hostRef(path: string, name: string): HostModel | undefined {
    const h = this.hosts.get(name);
    if (h === undefined) this.error(path, this.unknown('host', name, [...this.hosts.keys()]));
    return h;
  }

  window(w: TimeWindow, ptr: string): void {
    if (w.to !== null && w.to <= w.from) {
      this.error(`${ptr}/to`, `the window ends before it starts (to ${formatDuration(w.to)} <= from ${formatDuration(w.from)})`);
    }
    this.inRun(w.from, `${ptr}/from`);
  }

  inRun(t: Time, ptr: string): void {
    if (this.s.until !== null && t >= this.s.until) this.warn(ptr, `never happens: ${formatDuration(t)} is not before the end of the run (${formatDuration(this.s.until)})`);
  }
}

function hostAddresses(h: HostModel): { addr: Ipv4Addr; ptr: string; ifc: IfModel }[] {
  const out = [];
  for (const l of h.links) {
    out.push({ addr: l.address.addr, ptr: `${l.ptr}/address`, ifc: l });
    l.aliases.forEach((a, k) => out.push({ addr: a.addr, ptr: `${l.ptr}/aliases/${k}`, ifc: l }));
  }
  return out;
}

function checkNetworks(c: Checker): void {
  for (const n of c.s.networks) {
    if (c.nets.has(n.name)) c.error(`${n.ptr}/name`, `network "${n.name}" is declared twice`);
    c.nets.add(n.name);
    if (n.prefix.addr !== networkOf(n.prefix)) {
      c.error(`${n.ptr}/prefix`, `${formatPrefix(n.prefix)} has host bits set (did you mean ${formatIpv4(networkOf(n.prefix))}/${n.prefix.prefixLen}?)`);
    }
    if (!prefixAllowed(n.prefix)) c.error(`${n.ptr}/prefix`, `${formatPrefix(n.prefix)} is outside the ${allowedRangesText} ranges`);
  }
}

function checkHosts(c: Checker): void {
  for (const h of c.s.hosts) {
    if (c.hosts.has(h.name)) c.error(`${h.ptr}/name`, `host "${h.name}" is declared twice`);
    else c.hosts.set(h.name, h);
  }
  const owners = new Map<number, string>();
  for (const h of c.s.hosts) {
    const onNet = new Map<string, string>();
    const ifnames = new Set<string>();
    for (const l of h.links) {
      const net = c.s.networks.find((n) => n.name === l.network);
      if (net === undefined) {
        c.error(`${l.ptr}/network`, c.unknown('network', l.network, c.s.networks.map((n) => n.name)));
      } else {
        if (onNet.has(l.network)) c.error(`${l.ptr}/network`, `${h.name} is already on network ${l.network} (at ${onNet.get(l.network)})`);
        onNet.set(l.network, l.ptr);
        checkAddressOnNet(c, l, net.prefix);
      }
      if (ifnames.has(l.ifname)) c.error(`${l.ptr}/interface`, `${h.name} has two interfaces called ${l.ifname}`);
      ifnames.add(l.ifname);
      for (const w of l.partitions) c.window(w, w.ptr);
      for (const w of l.down) c.window(w, w.ptr);
      checkOverlaps(c, l.down, 'down windows');
    }
    for (const a of hostAddresses(h)) {
      const text = formatIpv4(a.addr);
      if (!inAllowedRange(a.addr)) c.error(a.ptr, `${text} is outside the ${allowedRangesText} ranges`);
      const prev = owners.get(a.addr);
      if (prev !== undefined) c.error(a.ptr, `${text} is already an address of ${prev}`);
      else owners.set(a.addr, `${h.name} (${a.ptr})`);
    }
    checkRoutes(c, h);
  }
}

function checkAddressOnNet(c: Checker, l: IfModel, net: Prefix): void {
  const a = l.address;
  const text = formatIpv4(a.addr);
  if (!inPrefix(a.addr, net)) {
    c.error(`${l.ptr}/address`, `${text} is outside network ${l.network} (${formatPrefix(net)})`);
    return;
  }
  if (a.prefixLen !== net.prefixLen) {
    c.error(`${l.ptr}/address`, `prefix length /${a.prefixLen} differs from network ${l.network}'s /${net.prefixLen}`);
    return;
  }
  if (net.prefixLen <= 30) {
    const host = (a.addr & ~maskOf(net.prefixLen)) >>> 0;
    if (host === 0) c.error(`${l.ptr}/address`, `${text} is the network address of ${l.network}, not a host address`);
    else if (host === ~maskOf(net.prefixLen) >>> 0) c.error(`${l.ptr}/address`, `${text} is the broadcast address of ${l.network}, not a host address`);
  }
}

function checkOverlaps(c: Checker, ws: readonly (TimeWindow & { ptr: string })[], what: string): void {
  const sorted = [...ws].sort((a, b) => a.from - b.from);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.to === null || prev.to > sorted[i]!.from) c.error(sorted[i]!.ptr, `overlaps ${prev.ptr}: ${what} must not overlap`);
  }
}

/** Prefixes a host reaches directly: its networks as declared (the address's own prefix when the network is unknown), and its aliases. */
function connected(h: HostModel, nets: readonly NetModel[]): { prefix: Prefix; ifname: string }[] {
  return h.links.flatMap((l) => [
    { prefix: nets.find((n) => n.name === l.network)?.prefix ?? { ...l.address, addr: networkOf(l.address) }, ifname: l.ifname },
    ...l.aliases.map((a) => ({ prefix: a, ifname: l.ifname })),
  ]);
}

function checkRoutes(c: Checker, h: HostModel): void {
  const seen = new Map<string, string>();
  const conn = connected(h, c.s.networks);
  for (const r of h.routes) {
    const key = formatPrefix(r.prefix);
    if (seen.has(key)) c.error(`${r.ptr}/to`, `${h.name} already has a route to ${r.prefix.prefixLen === 0 ? 'default' : key} (at ${seen.get(key)})`);
    seen.set(key, r.ptr);
    if (r.prefix.addr !== networkOf(r.prefix)) c.error(`${r.ptr}/to`, `${key} has host bits set (did you mean ${formatIpv4(networkOf(r.prefix))}/${r.prefix.prefixLen}?)`);
    if (r.ifname !== null && !h.links.some((l) => l.ifname === r.ifname)) {
      c.error(`${r.ptr}/interface`, c.unknown('interface', r.ifname, h.links.map((l) => l.ifname)) + ` on ${h.name}`);
    }
    if (r.via === null) {
      if (r.ifname === null) c.error(r.ptr, `a route needs "via" (a gateway) or "interface" (on-link)`);
      continue;
    }
    const gw = formatIpv4(r.via);
    if (hostAddresses(h).some((a) => a.addr === r.via)) {
      c.error(`${r.ptr}/via`, `route to nowhere: ${gw} is ${h.name}'s own address`);
    } else if (!conn.some((p) => inPrefix(r.via!, p.prefix))) {
      const nets = h.links.map((l) => `${l.network} ${formatPrefix(conn.find((p) => p.ifname === l.ifname)!.prefix)}`).join(', ');
      c.error(`${r.ptr}/via`, `route to nowhere: gateway ${gw} is on none of ${h.name}'s networks (${nets})`);
    } else if (!c.s.hosts.some((o) => o !== h && hostAddresses(o).some((a) => a.addr === r.via))) {
      c.error(`${r.ptr}/via`, `route to nowhere: no host has the gateway address ${gw}`);
    }
  }
}

/** Can `h` send to `dst`: directly, or by a route? */
function reaches(h: HostModel, dst: Ipv4Addr, nets: readonly NetModel[]): boolean {
  return connected(h, nets).some((p) => inPrefix(dst, p.prefix)) || h.routes.some((r) => inPrefix(dst, r.prefix));
}

function checkPartitions(c: Checker): void {
  for (const n of c.s.networks) {
    if (n.partitions.length === 0) continue;
    if (n.kind === 'p2p') {
      c.error(`${n.ptr}/partitions`, `network ${n.name} is point-to-point: partition a link direction instead (hosts/*/links/*/partitions)`);
      continue;
    }
    const members = c.s.hosts.filter((h) => h.links.some((l) => l.network === n.name)).map((h) => h.name);
    for (const p of n.partitions) {
      c.window(p, p.ptr);
      p.groups.forEach((g, gi) =>
        g.forEach((name, k) => {
          if (!members.includes(name)) c.error(`${p.ptr}/groups/${gi}/${k}`, `${name} is not on network ${n.name} (hosts on it: ${members.join(', ') || 'none'})`);
        }),
      );
    }
    checkOverlaps(c, n.partitions, 'partitions of one network');
  }
  for (const n of c.s.networks) {
    const members = c.s.hosts.filter((h) => h.links.some((l) => l.network === n.name)).map((h) => h.name);
    if (n.kind === 'p2p' && members.length !== 2) {
      c.error(n.ptr, `point-to-point network ${n.name} has ${members.length} host${members.length === 1 ? '' : 's'}${members.length ? ` (${members.join(', ')})` : ''}; it takes exactly 2`);
    } else if (members.length === 0) {
      c.warn(n.ptr, `nothing is attached to network ${n.name}`);
    }
  }
}

function checkModules(c: Checker): void {
  const exists = c.ctx.fileExists ?? existsSync;
  for (const h of c.s.hosts) for (const m of h.modules) checkModule(c, h, m, exists);
}

function checkModule(c: Checker, h: HostModel, m: ModuleAction, exists: (p: string) => boolean): void {
  // A flag (--push ...) names itself; a file entry names the field.
  const at = (field: string): string => (m.ptr.startsWith('--') ? m.ptr : `${m.ptr}/${field}`);
  if (m.isFile) {
    if (!exists(m.module)) c.error(at('module'), `module file not found: ${m.module}`);
  } else if (!c.ctx.hasModule(m.module)) {
    c.error(at('module'), c.unknown('module', m.module, c.ctx.moduleNames()) + ' (a file path starts with ./ or /)');
  }
  if (m.place.kind === 'interface') {
    const ifname = m.place.ifname;
    if (!h.links.some((l) => l.ifname === ifname || l.network === ifname)) {
      c.error(at('at'), `no place "${m.at}" in ${h.name}'s stack (places: ${[...h.links.map((l) => l.ifname), 'tcp-lower', 'tcp-upper'].join(', ')})`);
    }
  } else if (h.tcp === null) {
    c.error(at('at'), `${h.name} has no TCP ("stack": {"tcp": false}), so there is no ${m.at}`);
  }
  if (m.time !== null) c.inRun(m.time, at('time'));
}

function checkCluster(c: Checker): void {
  const cl = c.s.cluster;
  if (cl === null) return;
  const fe = c.hostRef(`${cl.ptr}/frontEnd`, cl.frontEnd);
  const vip = formatIpv4(cl.vip);
  if (!inAllowedRange(cl.vip)) c.error(`${cl.ptr}/vip`, `${vip} is outside the ${allowedRangesText} ranges`);
  if (fe !== undefined) {
    if (!hostAddresses(fe).some((a) => a.addr === cl.vip)) {
      c.error(`${cl.ptr}/vip`, `the VIP ${vip} is not an address of the front end ${fe.name} (add it to one of its links' "aliases")`);
    }
    if (fe.tcp === null) c.error(`${cl.ptr}/frontEnd`, `the front end ${fe.name} has no TCP`);
  }
  const seen = new Set<string>();
  cl.backEnds.forEach((b, i) => {
    const p = `${cl.ptr}/backEnds/${i}`;
    if (b.host === cl.frontEnd) c.error(p, `${b.host} is the front end; it serves locally by itself ("serveLocally")`);
    else if (seen.has(b.host)) c.error(p, `back end ${b.host} is listed twice`);
    seen.add(b.host);
    const be = c.hostRef(p, b.host);
    if (be === undefined || fe === undefined) return;
    if (be.tcp === null) c.error(p, `the back end ${be.name} has no TCP`);
    const shared = be.links.map((l) => l.network).filter((n) => fe.links.some((l) => l.network === n));
    if (cl.controlNetwork !== null) {
      if (!be.links.some((l) => l.network === cl.controlNetwork)) c.error(p, `back end ${be.name} is not on the control network ${cl.controlNetwork}`);
    } else if (shared.length === 0) {
      c.error(p, `back end ${be.name} shares no network with the front end ${fe.name} (for the control channel)`);
    }
  });
  if (cl.controlNetwork !== null) {
    if (!c.nets.has(cl.controlNetwork)) c.error(`${cl.ptr}/control/network`, c.unknown('network', cl.controlNetwork, [...c.nets]));
    else if (fe !== undefined && !fe.links.some((l) => l.network === cl.controlNetwork)) {
      c.error(`${cl.ptr}/control/network`, `the front end ${fe.name} is not on the control network ${cl.controlNetwork}`);
    }
  }
  const nodes = new Set([cl.frontEnd, ...cl.backEnds.map((b) => b.host)]);
  const policy = cl.policy;
  if (policy.policy === 'url-partition') {
    const known = [...nodes];
    policy.rules.forEach((r, i) =>
      r.nodes.forEach((n, k) => {
        if (!nodes.has(n)) c.error(`${cl.ptr}/policy/rules/${i}/nodes/${k}`, c.unknown('cluster node', n, known));
      }),
    );
    (policy.defaultNodes ?? []).forEach((n, k) => {
      if (!nodes.has(n)) c.error(`${cl.ptr}/policy/defaultNodes/${k}`, c.unknown('cluster node', n, known));
    });
  }
  if (policy.policy === 'lard' && (policy.tLow ?? 25) >= (policy.tHigh ?? 65)) {
    c.error(`${cl.ptr}/policy`, `LARD needs tLow < tHigh (got ${policy.tLow ?? 25} and ${policy.tHigh ?? 65})`);
  }
}

function checkApps(c: Checker): void {
  const servers = new Map<string, string>();
  for (const s of c.s.servers) {
    const h = c.hostRef(`${s.ptr}/host`, s.host);
    if (h !== undefined && h.tcp === null) c.error(`${s.ptr}/host`, `${h.name} has no TCP to serve on`);
    const key = `${s.host}:${s.port}`;
    if (servers.has(key)) c.error(s.ptr, `a server on ${key} is already declared at ${servers.get(key)}`);
    servers.set(key, s.ptr);
  }
  const cl = c.s.cluster;
  for (const cm of c.s.clients) {
    const h = c.hostRef(`${cm.ptr}/host`, cm.host);
    if (h !== undefined && h.tcp === null) c.error(`${cm.ptr}/host`, `${h.name} has no TCP to run clients on`);
    const t = formatIpv4(cm.target.addr);
    const owner = c.s.hosts.find((o) => hostAddresses(o).some((a) => a.addr === cm.target.addr));
    if (owner === undefined) {
      c.error(`${cm.ptr}/target`, `no host has the address ${t}`);
    } else {
      const viaCluster = cl !== null && cl.vip === cm.target.addr && cl.port === cm.target.port;
      if (!viaCluster && !servers.has(`${owner.name}:${cm.target.port}`)) {
        c.warn(`${cm.ptr}/target`, `no server listens on ${owner.name} port ${cm.target.port} (apps.servers)`);
      }
      if (h !== undefined && !reaches(h, cm.target.addr, c.s.networks)) c.error(`${cm.ptr}/target`, `${h.name} has no route to ${t} (add a route, e.g. {"to": "default", "via": ...})`);
    }
    if (cm.start > 0) c.inRun(cm.start, `${cm.ptr}/start`);
  }
}

function checkCapture(c: Checker): void {
  const sel = c.s.capture.pcap;
  if (sel === 'all') return;
  [...sel].forEach((name, i) => {
    const [host, ifname] = name.split('.', 2) as [string, string | undefined];
    const h = c.hostRef(`/capture/pcap/${i}`, host);
    if (h !== undefined && ifname !== undefined && !h.links.some((l) => l.ifname === ifname)) {
      c.error(`/capture/pcap/${i}`, c.unknown('interface', ifname, h.links.map((l) => l.ifname)) + ` on ${h.name}`);
    }
  });
}

/**
 * Every semantic problem of a resolved scenario (errors and warnings): the topology's first,
 * then, when the topology is sound, those of modules, cluster, applications and captures.
 */
export function checkScenario(s: Scenario, ctx: CheckContext): Diagnostic[] {
  const c = new Checker(s, ctx);
  checkNetworks(c);
  checkHosts(c);
  checkPartitions(c);
  // What follows refers to the topology; with the topology wrong it would only echo its errors.
  if (c.out.some((d) => d.severity === 'error')) return c.out;
  checkModules(c);
  checkCluster(c);
  checkApps(c);
  checkCapture(c);
  return c.out;
}

/** Checks for module actions given outside the file (--push); same messages. */
export function checkExtraModules(s: Scenario, actions: readonly ModuleAction[], ctx: CheckContext): Diagnostic[] {
  const c = new Checker(s, ctx);
  for (const h of s.hosts) c.hosts.set(h.name, h);
  const exists = ctx.fileExists ?? existsSync;
  for (const m of actions) {
    const h = c.hostRef(m.ptr, m.host);
    if (h !== undefined) checkModule(c, h, m, exists);
  }
  return c.out;
}
