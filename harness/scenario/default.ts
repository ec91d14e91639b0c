/**
 * The embedded default scenario (what `handoff demo` and a bare `handoff shell` run): clients on
 * a public network, a router, a front end owning the VIP, three back ends on a LAN, and
 * optionally a separate sync network for the control channels. Back ends route their answers
 * to the router directly, so responses never pass the front end. The workload mixes keep-alive
 * clients and clients that open a connection per request, over a URL mix the policy partitions.
 *
 *   client1..N ── public 198.51.100.0/24 ── router ── lan 192.0.2.0/24 ── fe (VIP 203.0.113.10)
 *                                                                     ├── be1, be2, be3
 *                                      sync 203.0.113.128/25 (optional): fe, be1..3
 */
import type { ClientDoc, HostDoc, NetworkDoc, ScenarioDoc } from './types.ts';

export interface DefaultOptions {
  /** Client hosts (default 1). */
  clientHosts?: number;
  /** Concurrent clients per client host and kind (default 4 keep-alive and 4 that connect per request). */
  clientsPerHost?: number;
  /** Requests per client (default 10). */
  requests?: number;
  /** A separate network for the control channels (default true). */
  sync?: boolean;
  seed?: number | string;
}

export const DEFAULT_VIP = '203.0.113.10';
export const BACK_ENDS = ['be1', 'be2', 'be3'] as const;

/** The URL mix: small pages served by the FE, the rest partitioned over the back ends. */
const urls: ClientDoc['urls'] = [
  { path: '/index.html', weight: 4 },
  { path: '/about.txt', weight: 1 },
  { path: '/static/style.css', weight: 2 },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ path: `/docs/page-${n}.html`, weight: 1 })),
  ...[1, 2, 3, 4].map((n) => ({ path: `/img/photo-${n}.jpg`, weight: 1 })),
  { path: '/data/1k.bin', weight: 2 },
  { path: '/data/1m.bin', weight: 0.25 },
];

export function defaultScenarioDoc(opts: DefaultOptions = {}): ScenarioDoc {
  const nClients = opts.clientHosts ?? 1;
  const sync = opts.sync ?? true;
  const networks: NetworkDoc[] = [
    { name: 'public', prefix: '198.51.100.0/24', link: { latency: '5ms', bandwidth: '100Mbit' } },
    { name: 'lan', prefix: '192.0.2.0/24', link: { latency: '50us', bandwidth: '1Gbit' } },
  ];
  if (sync) networks.push({ name: 'sync', prefix: '203.0.113.128/25', link: { latency: '50us', bandwidth: '1Gbit' } });

  const clients: HostDoc[] = Array.from({ length: nClients }, (_, i) => ({
    name: `client${i + 1}`,
    links: [{ network: 'public', address: `198.51.100.${10 + i}/24` }],
    routes: [{ to: 'default', via: '198.51.100.1' }],
  }));
  const server = (name: string, n: number, extra: Partial<HostDoc['links'][number]> = {}): HostDoc => ({
    name,
    links: [
      { network: 'lan', address: `192.0.2.${10 + n}/24`, ...extra },
      ...(sync ? [{ network: 'sync', address: `203.0.113.${130 + n}/25` }] : []),
    ],
    routes: [{ to: 'default', via: '192.0.2.1' }],
  });
  const hosts: HostDoc[] = [
    ...clients,
    {
      name: 'router',
      router: true,
      links: [
        { network: 'public', address: '198.51.100.1/24' },
        { network: 'lan', address: '192.0.2.1/24' },
      ],
      routes: [{ to: `${DEFAULT_VIP}/32`, via: '192.0.2.10' }],
      stack: { tcp: false },
    },
    server('fe', 0, { aliases: [`${DEFAULT_VIP}/32`] }),
    ...BACK_ENDS.map((b, i) => server(b, i + 1)),
  ];

  return {
    name: 'default cluster',
    description: 'Clients, a router, a front end owning the VIP and three back ends; back ends answer clients directly.',
    seed: opts.seed ?? 1,
    networks,
    hosts,
    cluster: {
      vip: DEFAULT_VIP,
      port: 80,
      frontEnd: 'fe',
      backEnds: [...BACK_ENDS],
      ...(sync ? { control: { network: 'sync' } } : {}),
      policy: {
        policy: 'url-partition',
        rules: [
          { prefix: '/img/', nodes: ['be1'] },
          { prefix: '/docs/', nodes: ['be2'] },
          { prefix: '/data/', nodes: ['be3'] },
        ],
        defaultNodes: ['fe'],
      },
      serveLocally: true,
    },
    apps: {
      servers: ['fe', ...BACK_ENDS].map((host) => ({ host, port: 80 })),
      // Keep-alive clients are dispatched once per connection, the others once per request.
      clients: clients.flatMap((c) =>
        [true, false].map((keepAlive) => ({
          host: c.name,
          count: opts.clientsPerHost ?? 4,
          requests: opts.requests ?? 10,
          target: `${DEFAULT_VIP}:80`,
          urls,
          keepAlive,
          thinkTime: '5ms',
        })),
      ),
    },
    capture: { pcap: true, trace: true },
    run: { until: '60s' },
  };
}
