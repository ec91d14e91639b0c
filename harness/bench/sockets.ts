/**
 * Socket-layer benchmarks over the real stack (sockets + TPI + TCP + IP + link): Node's http
 * with keep-alive, and bulk transfer through NetSockets (Node streams, asynchronous run with
 * yields) beside the same transfer through the socket calls (synchronous run), so the cost of
 * Node's stream machinery and the yields shows as a ratio measured in the same run.
 */
import * as http from 'node:http';
import { stackBulk } from './tcp.ts';
import { registerBenchmarks, type BenchResult } from './suite.ts';
import { World } from '../world/world.ts';
import { attachTcp } from '../../modules/tcp/driver/setup.ts';
import { US } from '../../lib/sim/time.ts';
import { yieldToNode } from '../../lib/sim/async.ts';
import { EmulatedAgent, serveHttp } from '../sockets/http.ts';
import { createConnection, createServer } from '../sockets/net-server.ts';
import type { Host } from '../world/host.ts';

const A = '10.0.0.1';
const B = '10.0.0.2';

function pair(seed: string): { w: World; a: Host; b: Host } {
  const w = new World({ seed });
  w.network('net', { kind: 'p2p', latency: 50 * US, bandwidth: 10e9, queuePackets: 100_000 });
  const a = w.host('a');
  const b = w.host('b');
  w.attach('a', 'net', `${A}/24`);
  w.attach('b', 'net', `${B}/24`);
  for (const h of [a, b]) attachTcp(h.stack.env, h.stack.openIp('tcp-ip'), { profile: 'linux' });
  return { w, a, b };
}

async function cpuSecondsAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** n requests for a 1 KB body, `conc` keep-alive connections each running requests back to back. */
async function httpKeepAlive(n: number, conc: number): Promise<{ rate: number; yieldsPerReq: number }> {
  const { w, a, b } = pair('bench:sockets:http');
  const body = 'x'.repeat(1024);
  serveHttp(b, http.createServer((_req, res) => res.end(body)), { port: 80 });
  const agent = new EmulatedAgent(a, { keepAlive: true, maxSockets: conc });
  let started = 0;
  let done = 0;
  const one = (): void => {
    if (started >= n) return;
    started++;
    http.get({ host: B, port: 80, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => {
        done++;
        one();
      });
    });
  };
  let yields = 0;
  const secs = await cpuSecondsAsync(async () => {
    w.sched.schedule(0, () => {
      for (let i = 0; i < conc; i++) one();
      w.sched.requestYield();
    });
    await yieldToNode();
    const r = await w.runAsync({ until: 3600e9 });
    yields = r.yields;
  });
  agent.destroy();
  if (done !== n) throw new Error(`http keep-alive: ${done} of ${n} requests`);
  return { rate: n / secs, yieldsPerReq: yields / n };
}

/** `bytes` one way through a NetSocket pair (Node streams, asynchronous run). */
async function netSocketBulk(bytes: number): Promise<number> {
  const { w, a, b } = pair('bench:sockets:bulk');
  let got = 0;
  createServer(b, {}, (s) => s.on('data', (d: Buffer) => (got += d.length))).listen(9);
  const c = createConnection(a, { host: B, port: 9 });
  const chunk = Buffer.alloc(65536, 1);
  let sent = 0;
  const pump = (): void => {
    while (sent < bytes) {
      sent += chunk.length;
      if (!c.write(chunk)) return void c.once('drain', pump);
    }
    c.end();
  };
  const secs = await cpuSecondsAsync(async () => {
    pump();
    await yieldToNode();
    await w.runAsync({ until: 3600e9 });
  });
  if (got < bytes) throw new Error(`NetSocket bulk: ${got} of ${bytes} bytes arrived`);
  return bytes / 1e6 / secs;
}

registerBenchmarks({
  area: 'sockets',
  name: 'http keep-alive',
  async run(): Promise<BenchResult[]> {
    await httpKeepAlive(300, 4); // warm-up
    const one = await httpKeepAlive(2000, 1);
    const ten = await httpKeepAlive(2000, 10);
    return [
      { name: "Node http requests per CPU-second, 1 keep-alive connection", value: one.rate, unit: 'req/cpu-s', note: `1 KB bodies over emulated TCP; ${one.yieldsPerReq.toFixed(2)} yields to Node per request` },
      { name: "Node http requests per CPU-second, 10 keep-alive connections", value: ten.rate, unit: 'req/cpu-s', note: `${ten.yieldsPerReq.toFixed(2)} yields per request` },
    ];
  },
});

registerBenchmarks({
  area: 'sockets',
  name: 'bulk',
  async run(): Promise<BenchResult[]> {
    await netSocketBulk(4e6); // warm-up
    const node = await netSocketBulk(50e6);
    stackBulk(4e6);
    // The same transfer through the socket calls (synchronous run, no Node streams): tcp's bench.
    const calls = stackBulk(50e6);
    return [
      { name: 'bulk MB per CPU-second through NetSocket (Node streams)', value: node, unit: 'MB/cpu-s', note: `50 MB one way over 10 Gbit/s; socket calls are ${(calls / node).toFixed(2)}x that` },
      { name: 'bulk MB per CPU-second through the socket calls', value: calls, unit: 'MB/cpu-s', note: '50 MB one way, synchronous run' },
    ];
  },
});
