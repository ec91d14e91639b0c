/**
 * A handoff cluster in emulation for the specs: a client network and a router in front of a
 * LAN with the front end (owning the VIP) and back ends, every server with TCP, handoffd and
 * the web server (harness/apps/web-server.ts) on port 80.
 *
 *   client 198.51.100.10 ── public ── router ── lan 192.0.2.0/24 ── fe 192.0.2.10 (VIP 203.0.113.10)
 *                                                               ├── be1 192.0.2.11, be2 192.0.2.12, ...
 */
import { World } from '../../../harness/world/world.ts';
import type { LinkParams } from '../../../harness/world/direction.ts';
import { MS, US } from '../../../lib/sim/time.ts';
import { attachTcp, type AttachedTcp } from '../../../modules/tcp/driver/setup.ts';
import type { Stream } from '../../../lib/streams/index.ts';
import { socketCalls, type SocketCalls } from '../../../harness/sockets/index.ts';
import { startHandoffd, type Handoffd, type HandoffdOptions } from '../../../harness/apps/handoffd.ts';
import { startWebServer, type WebServer } from '../../../harness/apps/web-server.ts';
import type { PolicySpec } from '../../../modules/btcp/dispatch/registry.ts';
import type { NodeConfig } from '../../../modules/btcp/dispatch/view.ts';

export const VIP = '203.0.113.10';
export const CLIENT = '198.51.100.10';
export const FE_ADDR = '192.0.2.10';
export const beAddr = (i: number): string => `192.0.2.${10 + i}`;
/** Control-channel addresses on the sync network (node 0 is the FE). */
export const syncAddr = (i: number): string => `203.0.113.${130 + i}`;

export interface ClusterOptions {
  backEnds?: number;
  policy?: PolicySpec;
  /** The FE serves too (it is in the dispatch view). */
  serveLocally?: boolean;
  seed?: number;
  capture?: boolean;
  publicLink?: Partial<LinkParams>;
  lanLink?: Partial<LinkParams>;
  tuning?: HandoffdOptions['tuning'];
  /** Start the web servers (default true). */
  servers?: boolean;
  /** Start handoffd on the nodes (default true). */
  handoff?: boolean;
  /** The client host gets TCP and sockets (default true); false leaves it to a RawClient. */
  clientTcp?: boolean;
  /** Run the control channels on a separate network (203.0.113.128/25) with these link parameters. */
  sync?: Partial<LinkParams>;
}

export interface Node {
  name: string;
  tcp: AttachedTcp;
  lower: Stream;
  calls: SocketCalls;
  daemon: Handoffd | null;
  web: WebServer | null;
}

export interface Cluster {
  w: World;
  client: { tcp: AttachedTcp; calls: SocketCalls; lower: Stream } | null;
  fe: Node;
  bes: Node[];
  nodes: Node[];
}

export const defaultPolicy: PolicySpec = {
  policy: 'url-partition',
  rules: [
    { prefix: '/img/', nodes: ['be1'] },
    { prefix: '/docs/', nodes: ['be2'] },
    { prefix: '/data/', nodes: ['be2', 'be1'] },
  ],
  defaultNodes: ['fe'],
};

export function cluster(o: ClusterOptions = {}): Cluster {
  const n = o.backEnds ?? 2;
  const w = new World({ seed: o.seed ?? 1, capture: o.capture ?? false });
  w.network('public', { kind: 'p2p', latency: 2 * MS, bandwidth: 100e6, ...o.publicLink });
  w.network('lan', { latency: 50 * US, bandwidth: 1e9, ...o.lanLink });
  w.host('client');
  w.router('router');
  w.host('fe');
  const beNames = Array.from({ length: n }, (_, i) => `be${i + 1}`);
  for (const b of beNames) w.host(b);
  w.attach('client', 'public', `${CLIENT}/24`);
  w.attach('router', 'public', '198.51.100.1/24');
  w.attach('router', 'lan', '192.0.2.1/24');
  w.attach('fe', 'lan', `${FE_ADDR}/24`);
  w.addAddress('fe', 'eth0', `${VIP}/32`);
  beNames.forEach((b, i) => w.attach(b, 'lan', `${beAddr(i + 1)}/24`));
  if (o.sync !== undefined) {
    w.network('sync', { latency: 50 * US, bandwidth: 1e9, ...o.sync });
    ['fe', ...beNames].forEach((h, i) => w.attach(h, 'sync', `${syncAddr(i)}/25`));
  }
  w.route('client', 'default', '198.51.100.1');
  w.route('router', `${VIP}/32`, FE_ADDR);
  for (const h of ['fe', ...beNames]) w.route(h, 'default', '192.0.2.1');

  const attach = (name: string): { tcp: AttachedTcp; lower: Stream; calls: SocketCalls } => {
    const st = w.getHost(name).stack;
    const lower = st.openIp('tcp-ip');
    const tcp = attachTcp(st.env, lower);
    return { tcp, lower, calls: socketCalls(st.env) };
  };
  const client = o.clientTcp === false ? null : attach('client');
  const mk = (name: string): Node => ({ name, ...attach(name), daemon: null, web: null });
  const fe = mk('fe');
  const bes = beNames.map(mk);
  const nodes = [fe, ...bes];
  const c: Cluster = { w, client, fe, bes, nodes };
  if (o.handoff !== false) startHandoff(c, o);
  if (o.servers !== false) for (const nd of nodes) nd.web = startWebServer(w.getHost(nd.name).stack, { name: nd.name, port: 80 });
  return c;
}

/** Start handoffd on every node (the FE keeps a channel to each BE). */
export function startHandoff(c: Cluster, o: ClusterOptions = {}): void {
  const { w, fe, bes } = c;
  const beNames = bes.map((b) => b.name);
  const serveLocally = o.serveLocally ?? true;
  const viewNodes: NodeConfig[] = [...(serveLocally ? [{ id: 'fe', weight: 1 }] : []), ...beNames.map((id) => ({ id, weight: 1 }))];
  fe.daemon = startHandoffd(w.getHost('fe').stack, {
    nodeId: 'fe',
    lanAddr: FE_ADDR,
    tcpLower: fe.lower,
    listen: false,
    peers: beNames.map((id, i) => ({ id, addr: o.sync !== undefined ? syncAddr(i + 1) : beAddr(i + 1) })),
    frontEnd: { vip: VIP, port: 80, nodes: viewNodes, policy: o.policy ?? defaultPolicy },
    tuning: o.tuning,
  });
  bes.forEach((b, i) => {
    b.daemon = startHandoffd(w.getHost(b.name).stack, { nodeId: b.name, lanAddr: beAddr(i + 1), tcpLower: b.lower, tuning: o.tuning });
  });
}
