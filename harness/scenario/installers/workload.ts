/**
 * The client workload of a scenario: on each client host, `count` clients, each making its
 * `requests` one after another with Node's own http client over the emulated TCP (keep-alive
 * through one agent socket per client, or a fresh connection per request), URLs drawn by
 * weight from the run's seed, optional POSTs of a given size, and a think time between a
 * response and the next request. Everything waits on virtual time.
 *
 * Node's http client never pipelines; a scenario that asks for pipelining gets its requests
 * one at a time and a notice that says so.
 *
 * Each response's X-Served-By header (harness/apps/web-server.ts) says which server answered:
 * that is where the "served" counts come from.
 */
import * as http from 'node:http';
import type { SeededRng } from '../../../lib/sim/rng.ts';
import { SEC, type Time } from '../../../lib/sim/time.ts';
import { formatIpv4 } from '../../../lib/wire/ip-types.ts';
import { listDocuments } from '../../apps/content.ts';
import { EmulatedAgent, httpConnector } from '../../sockets/index.ts';
import type { Host } from '../../world/host.ts';
import type { World } from '../../world/world.ts';
import type { ClientModel } from '../model.ts';
import type { WorkloadStats } from '../plugins.ts';

/** A request that gets no answer in this much virtual time fails. */
export const REQUEST_TIMEOUT: Time = 30 * SEC;

export interface ResponseInfo {
  status: number;
  bytes: number;
  servedBy: string | null;
}

export interface Workload {
  done(): boolean;
  stats(): WorkloadStats;
  /** Plain statements about what the workload could not do as asked. */
  notices: string[];
}

/** Resolve after `d` of virtual time, and give Node a turn for what the resolution runs. */
function sleep(w: World, d: Time): Promise<void> {
  return new Promise((resolve) =>
    w.sched.schedule(d, () => {
      resolve();
      w.sched.requestYield();
    }),
  );
}

/** One http request from an emulated host; the promise settles inside the simulation. */
export function fetchOnce(
  w: World,
  opts: { host: string; port: number; path: string; method?: string; body?: Uint8Array; agent?: http.Agent; from: Host },
): Promise<ResponseInfo> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host,
        port: opts.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        timeout: REQUEST_TIMEOUT / 1e6,
        // Without an agent, Node uses createConnection; `agent: false` would make it open a real socket.
        ...(opts.agent ? { agent: opts.agent } : { createConnection: httpConnector(opts.from) as never }),
        headers: opts.body ? { 'Content-Length': opts.body.length } : {},
      },
      (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => {
          const served = res.headers['x-served-by'];
          resolve({ status: res.statusCode ?? 0, bytes, servedBy: typeof served === 'string' ? served : null });
          w.sched.requestYield();
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within the request timeout')));
    req.on('error', (e) => {
      reject(e);
      w.sched.requestYield();
    });
    req.end(opts.body === undefined ? undefined : Buffer.from(opts.body));
  });
}

function pickUrl(rng: SeededRng, urls: ClientModel['urls']): string {
  const list = urls.length > 0 ? urls : listDocuments().map((d) => ({ path: d.path, weight: 1 }));
  const total = list.reduce((s, u) => s + u.weight, 0);
  let x = rng.float() * total;
  for (const u of list) {
    x -= u.weight;
    if (x < 0) return u.path;
  }
  return list[list.length - 1]!.path;
}

export function startWorkload(w: World, clients: readonly ClientModel[]): Workload {
  const stats: WorkloadStats = { requestsStarted: 0, requestsDone: 0, requestsFailed: 0, bytes: 0, served: {} };
  const notices: string[] = [];
  if (clients.some((c) => c.pipeline > 1)) notices.push("Node's http client does not pipeline: pipelined clients send their requests one at a time");
  let running = 0;
  const loop = async (c: ClientModel, k: number): Promise<void> => {
    const from = w.getHost(c.host);
    const rng = w.rng.fork(`workload:${c.host}:${c.ptr}:${k}`);
    const agent = c.keepAlive ? new EmulatedAgent(from, { keepAlive: true, maxSockets: 1 }) : undefined;
    const target = { host: formatIpv4(c.target.addr), port: c.target.port };
    try {
      if (c.start > 0) await sleep(w, c.start);
      for (let i = 0; i < c.requests; i++) {
        const post = c.post !== null && rng.float() < c.post.share;
        const path = post ? c.post!.path : pickUrl(rng, c.urls);
        stats.requestsStarted++;
        try {
          const r = await fetchOnce(w, { ...target, from, path, agent, method: post ? 'POST' : 'GET', body: post ? new Uint8Array(c.post!.bytes).fill(0x61) : undefined });
          if (r.status >= 200 && r.status < 400) stats.requestsDone++;
          else stats.requestsFailed++;
          stats.bytes += r.bytes;
          const by = r.servedBy ?? '(unknown)';
          stats.served[by] = (stats.served[by] ?? 0) + 1;
        } catch {
          stats.requestsFailed++;
        }
        if (c.thinkTime > 0 && i + 1 < c.requests) await sleep(w, c.thinkTime);
      }
    } finally {
      agent?.destroy();
      running--;
    }
  };
  for (const c of clients) {
    for (let k = 0; k < c.count; k++) {
      running++;
      w.sched.schedule(0, () => {
        void loop(c, k);
        w.sched.requestYield();
      });
    }
  }
  return { done: () => running === 0, stats: () => ({ ...stats, served: { ...stats.served } }), notices };
}
