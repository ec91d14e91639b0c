import { expect } from 'chai';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { MS, SEC } from '../../lib/sim/time.ts';
import { runAsync, yieldToNode } from '../../lib/sim/async.ts';
import { EmulatedAgent, serveHttp } from '../../harness/sockets/http.ts';
import { B, tcpWorld, type TcpWorld } from './support/world.ts';

function request(opts: http.RequestOptions, body?: Buffer): Promise<{ status: number; body: Buffer; sha?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts), sha: res.headers['x-sha'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Run `work` inside the simulation until it settles. */
async function inSim<T>(t: TcpWorld, work: () => Promise<T>, until = 600 * SEC): Promise<T> {
  const sched = t.w.sched;
  let out: { v: T } | { e: unknown } | null = null;
  sched.schedule(0, () => {
    work().then(
      (v) => (out = { v }),
      (e: unknown) => (out = { e }),
    );
    sched.requestYield();
  });
  await yieldToNode();
  await runAsync(sched, { until: sched.now() + until });
  const o = out as { v: T } | { e: unknown } | null;
  if (o === null) throw new Error('the simulated work did not finish');
  if ('e' in o) throw o.e;
  return o.v;
}

describe("tcp: Node's http over the emulated TCP (whole stack)", function () {
  this.timeout(120_000);

  it('serves 1,000 keep-alive requests, all correct, on one connection', async () => {
    const t = tcpWorld({ latency: 1 * MS });
    let conns = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(`you asked for ${req.url}`));
    });
    server.on('connection', () => conns++);
    serveHttp(t.w.getHost('b').stack.env, server, { port: 80 });
    const agent = new EmulatedAgent(t.w.getHost('a').stack.env, { keepAlive: true, maxSockets: 1 });
    const bodies = await inSim(t, async () => {
      const out: string[] = [];
      for (let i = 0; i < 1000; i++) out.push((await request({ host: B, port: 80, path: `/r${i}`, agent })).body.toString());
      return out;
    });
    expect(bodies).to.deep.equal(Array.from({ length: 1000 }, (_, i) => `you asked for /r${i}`));
    expect(conns).to.equal(1);
    agent.destroy();
  });

  it('echoes a 2 MB POST body intact across 2% loss', async () => {
    const t = tcpWorld({ latency: 1 * MS }, {}, 11);
    t.w.link('a', 'net').setFaults({ loss: 0.02 });
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        res.setHeader('x-sha', createHash('sha256').update(body).digest('hex'));
        res.end(body);
      });
    });
    serveHttp(t.w.getHost('b').stack.env, server, { port: 80 });
    const big = Buffer.alloc(2 << 20, 7);
    for (let i = 0; i < big.length; i += 997) big[i] = i & 255;
    const got = await inSim(t, () => request({ host: B, port: 80, method: 'POST', path: '/', agent: new EmulatedAgent(t.w.getHost('a').stack.env) }, big));
    expect(got.status).to.equal(200);
    expect(got.body.equals(big)).to.equal(true);
    expect(got.sha).to.equal(createHash('sha256').update(big).digest('hex'));
  });
});
