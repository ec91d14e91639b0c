import { expect } from 'chai';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { SEC } from '../../lib/sim/time.ts';
import { EmulatedAgent, httpConnector, serveHttp } from '../../harness/sockets/http.ts';
import { B, loopWorld, runNode, type LoopWorld } from './support/world.ts';

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(opts: http.RequestOptions, body?: Buffer): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Start `work` inside the simulation and run until it settles (or `until`). */
async function inSim<T>(w: LoopWorld, work: () => Promise<T>, until = 600 * SEC): Promise<T> {
  let out: { v: T } | { e: unknown } | null = null;
  w.sched.schedule(0, () => {
    work().then(
      (v) => (out = { v }),
      (e: unknown) => (out = { e }),
    );
    w.sched.requestYield();
  });
  await runNode(w, until);
  const o = out as { v: T } | { e: unknown } | null;
  if (o === null) throw new Error('the simulated work did not finish');
  if ('e' in o) throw o.e;
  return o.v;
}

function echoServer(w: LoopWorld): { server: http.Server; connections: () => number } {
  let conns = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      res.setHeader('x-sha', createHash('sha256').update(body).digest('hex'));
      res.end(req.method === 'POST' ? body : `you asked for ${req.url}`);
    });
  });
  server.on('connection', () => conns++);
  serveHttp(w.b, server, { port: 80 });
  return { server, connections: () => conns };
}

describe("sockets: Node's http over emulated transport", () => {
  it('serves 300 keep-alive requests on one connection, all correct', async () => {
    const w = loopWorld();
    const { connections } = echoServer(w);
    const agent = new EmulatedAgent(w.a, { keepAlive: true, maxSockets: 1 });
    const bodies = await inSim(w, async () => {
      const out: string[] = [];
      for (let i = 0; i < 300; i++) out.push((await request({ host: B, port: 80, path: `/r${i}`, agent })).body.toString());
      return out;
    });
    expect(bodies).to.deep.equal(Array.from({ length: 300 }, (_, i) => `you asked for /r${i}`));
    expect(connections()).to.equal(1);
    agent.destroy();
  });

  it('echoes a 1 MB POST body intact', async () => {
    const w = loopWorld();
    echoServer(w);
    const body = createHash('sha512').update('seed').digest();
    const big = Buffer.concat(Array.from({ length: 16384 }, () => body));
    const got = await inSim(w, () => request({ host: B, port: 80, method: 'POST', path: '/', agent: new EmulatedAgent(w.a) }, big));
    expect(got.status).to.equal(200);
    expect(got.body.equals(big)).to.equal(true);
    expect(got.headers['x-sha']).to.equal(createHash('sha256').update(big).digest('hex'));
  });

  it('dates responses by the virtual clock', async () => {
    const w = loopWorld();
    echoServer(w);
    w.sched.schedule(3 * SEC, () => {});
    await runNode(w, 3 * SEC);
    const got = await inSim(w, () => request({ host: B, port: 80, path: '/', createConnection: httpConnector(w.a) }));
    expect(got.headers.date).to.equal('Thu, 01 Jan 2026 00:00:03 GMT');
  });

  it('closes an idle keep-alive connection after keepAliveTimeout of virtual time', async () => {
    const w = loopWorld();
    const { server } = echoServer(w);
    server.keepAliveTimeout = 2000;
    const agent = new EmulatedAgent(w.a, { keepAlive: true });
    let doneAt = 0;
    let closedAt = 0;
    server.on('connection', (s: import('node:stream').Duplex) => s.on('close', () => (closedAt = w.sched.now())));
    await inSim(w, async () => {
      await request({ host: B, port: 80, path: '/', agent });
      doneAt = w.sched.now();
    });
    // Node adds a one-second margin to the advertised keep-alive timeout.
    expect(closedAt - doneAt).to.be.within(2 * SEC, 3 * SEC);
  });

  it("reports ECONNREFUSED to the client when nobody listens", async () => {
    const w = loopWorld();
    let code: string | undefined;
    await inSim(w, () => request({ host: B, port: 8080, path: '/', agent: new EmulatedAgent(w.a) }).catch((e: { code?: string }) => void (code = e.code)));
    expect(code).to.equal('ECONNREFUSED');
  });

  it("reports 'socket hang up' when the server drops the connection mid-request", async () => {
    const w = loopWorld();
    const server = http.createServer((req) => req.socket.destroy());
    serveHttp(w.b, server, { port: 80 });
    let err: { code?: string; message?: string } = {};
    await inSim(w, () => request({ host: B, port: 80, path: '/', agent: new EmulatedAgent(w.a) }).catch((e: { code?: string; message?: string }) => void (err = e)));
    expect([err.code, err.message]).to.deep.equal(['ECONNRESET', 'socket hang up']);
  });
});
