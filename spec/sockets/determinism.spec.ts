import { expect } from 'chai';
import * as http from 'node:http';
import { MS, SEC } from '../../lib/sim/time.ts';
import { msgdsize } from '../../lib/streams/index.ts';
import { EmulatedAgent, serveHttp } from '../../harness/sockets/http.ts';
import { B, loopWorld, runNode } from './support/world.ts';

/**
 * One run: three http clients with staggered starts and keep-alive agents against one server
 * that answers after a virtual delay. Returns every STREAMS put on both hosts and every
 * response, with virtual times.
 */
async function scenario(): Promise<string[]> {
  const w = loopWorld();
  const trace: string[] = [];
  for (const env of [w.a, w.b]) {
    env.trace.on('put', (e) => trace.push(`${w.sched.now()} ${env.name} put ${e.q.name}${e.q.isRead ? 'R' : 'W'} ${e.mp.db.type} ${msgdsize(e.mp)}`));
  }
  const server = http.createServer((req, res) => {
    const n = Number(req.url!.slice(1));
    w.sched.schedule(n * MS, () => res.end(`answer ${req.url} `.repeat(n + 1)));
  });
  serveHttp(w.b, server, { port: 80 });
  for (let c = 0; c < 3; c++) {
    const agent = new EmulatedAgent(w.a, { keepAlive: true });
    w.sched.schedule(c * 7 * MS, () => {
      let i = 0;
      const next = (): void => {
        if (i >= 5) return agent.destroy();
        const path = `/${c * 10 + i++}`;
        http.get({ host: B, port: 80, path, agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => {
            trace.push(`${w.sched.now()} client ${c} got ${path} ${body.length} ${res.headers.date}`);
            next();
          });
        });
      };
      next();
      w.sched.requestYield();
    });
  }
  await runNode(w, 30 * SEC);
  return trace;
}

describe('sockets: determinism', () => {
  it('gives the same trace, put for put, in two runs of the same scenario', async () => {
    const first = await scenario();
    const second = await scenario();
    expect(first.filter((l) => l.includes(' got ')).length).to.equal(15);
    expect(second).to.deep.equal(first);
  });
});
