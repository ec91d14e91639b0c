/**
 * The world a live session runs when no scenario is given: the real client behind the TUN, an
 * emulated gateway, and one web server on a switched network.
 *
 *   real client 192.0.2.2 ── edge (p2p) ── gw 192.0.2.1 | 203.0.113.1 ── dmz ── web 203.0.113.10
 *
 * The web server runs the emulated TCP with Node's http on top (harness/apps/web-server.ts:
 * the document tree, POST /hash, X-Served-By: web) on port 80, and a UDP echo on port 7 (a
 * check of the bridge that needs no TCP).
 */
import { World } from '../world/world.ts';
import { MS, US } from '../../lib/sim/time.ts';
import type { LiveWorld } from './live-world.ts';
import { CLIENT_ADDR, CLIENT_PREFIX_LEN, EMULATED_PREFIXES, GATEWAY_ADDR, LIVE_MTU } from './plan.ts';
import { ECHO_PORT, startUdpEcho, type UdpEcho } from './udp-echo.ts';
import { attachTcp } from '../../modules/tcp/index.ts';
import { startWebServer, type WebServer } from '../apps/web-server.ts';

export const DEFAULT_SERVER_ADDR = '203.0.113.10';

export interface DefaultWorldOptions {
  seed?: number;
}

export function defaultLiveWorld(opts: DefaultWorldOptions = {}): LiveWorld {
  const w = new World({ seed: opts.seed ?? 1 });
  // Deep queues: a clean path, on which the real client should see no loss. The emulated TCP
  // may send a whole window at one instant (4000 segments for a 6 MB client window), and the
  // world's default queue of 1000 packets would tail-drop part of it.
  const clean = { bandwidth: 1e9, mtu: LIVE_MTU, queuePackets: 8192, queueBytes: 16 * 1024 * 1024 };
  w.network('edge', { kind: 'p2p', latency: 1 * MS, ...clean });
  w.network('dmz', { latency: 50 * US, ...clean });
  w.router('gw');
  w.host('web');
  w.attach('gw', 'edge', `${GATEWAY_ADDR}/${CLIENT_PREFIX_LEN}`);
  w.attach('gw', 'dmz', '203.0.113.1/24');
  w.attach('web', 'dmz', `${DEFAULT_SERVER_ADDR}/24`);
  w.route('web', 'default', '203.0.113.1');
  const web = w.getHost('web');
  // The control stream stays open for the life of the world: closing it unlinks IP.
  attachTcp(web.stack.env, web.stack.openIp('tcp'));
  let echo: UdpEcho | null = null;
  let server: WebServer | null = null;
  return {
    world: w,
    client: { network: 'edge', addr: `${CLIENT_ADDR}/${CLIENT_PREFIX_LEN}`, gateway: GATEWAY_ADDR },
    routes: [...EMULATED_PREFIXES],
    vip: DEFAULT_SERVER_ADDR,
    notices: [],
    services: [
      { name: 'http', url: `http://${DEFAULT_SERVER_ADDR}/` },
      { name: 'udp echo', url: `udp://${DEFAULT_SERVER_ADDR}:${ECHO_PORT}` },
    ],
    async start() {
      echo = startUdpEcho(web, w.sched);
      server = startWebServer(web, { name: 'web', port: 80 });
    },
    async stop() {
      server?.close();
      echo?.close();
      server = null;
      echo = null;
    },
  };
}
