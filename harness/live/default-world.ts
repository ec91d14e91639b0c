/**
 * The world a live session runs when no scenario is given (or with --cluster): the default
 * handoff cluster of `handoff demo` (harness/scenario/default.ts), with the real client in the
 * place of the demo's emulated clients.
 *
 *   real client 198.51.100.254 ── public ── router ── lan 192.0.2.0/24 ── fe  .10, VIP 203.0.113.10
 *                                                                      ├── be1 .11, be2 .12, be3 .13
 *                                       sync 203.0.113.128/25: the FE-BE control channels
 *
 * Every node runs Node's http server on the emulated TCP (X-Served-By names it); handoffd puts
 * UTCP and BTCP on the nodes, and the front end dispatches by URL: /img/ to be1, /docs/ to be2,
 * /data/ to be3, the rest served by itself. A connection stays on the node its first request
 * was dispatched to. The front end also answers a UDP echo on the VIP, port 7 (a check of the
 * bridge that needs no TCP).
 *
 * Changed from the demo: no emulated clients (the real client is the workload), no captures or
 * trace of the scenario's own (--pcap captures the TUN side), and deep link queues: the path is
 * meant to be clean, and the emulated TCP may send a whole window at one instant (4000 segments
 * for a 6 MB client window), which the default queue of 1000 packets would tail-drop.
 */
import { defaultScenarioDoc } from '../scenario/default.ts';
import type { ScenarioDoc } from '../scenario/types.ts';
import type { LiveWorld } from './live-world.ts';
import { DEFAULT_CLUSTER, liveWorldOf, loadLiveScenario } from './scenario-world.ts';
import { ECHO_PORT, startUdpEcho, type UdpEcho } from './udp-echo.ts';

export interface DefaultWorldOptions {
  seed?: number;
  /** The network the real client joins (default: public, where the demo's clients are). */
  network?: string | null;
}

/** The default cluster as a live session runs it. */
export function defaultLiveDoc(opts: DefaultWorldOptions = {}): ScenarioDoc {
  const doc = defaultScenarioDoc({ seed: opts.seed ?? 1 });
  for (const n of doc.networks) n.link = { ...n.link, queue: { packets: 8192, bytes: '16MiB' } };
  doc.apps = { ...doc.apps, clients: [] };
  doc.capture = { pcap: false, trace: false };
  return doc;
}

export async function defaultLiveWorld(opts: DefaultWorldOptions = {}): Promise<LiveWorld> {
  const s = loadLiveScenario(DEFAULT_CLUSTER, defaultLiveDoc(opts));
  const lw = await liveWorldOf(s, { seed: null, network: opts.network ?? null });
  const fe = lw.world.getHost(s.cluster!.frontEnd);
  let echo: UdpEcho | null = null;
  return {
    ...lw,
    services: [...lw.services, { name: 'udp echo', url: `udp://${lw.vip}:${ECHO_PORT}` }],
    async start() {
      await lw.start();
      echo = startUdpEcho(fe, lw.world.sched);
    },
    async stop() {
      echo?.close();
      echo = null;
      await lw.stop();
    },
  };
}
