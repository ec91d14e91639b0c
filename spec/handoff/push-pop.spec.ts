/**
 * The handoff modules are dynamically loadable (claims 1, 21, 26): pushed into the running
 * stacks of a cluster whose servers are already answering, and popped off again — a node with
 * no handed-off connections is a plain stack afterwards.
 */
import { expect } from 'chai';
import * as http from 'node:http';
import { MS, SEC } from '../../lib/sim/time.ts';
import { documentBytes } from '../../harness/apps/content.ts';
import { EmulatedAgent } from '../../harness/sockets/index.ts';
import { cluster, startHandoff, VIP, type Cluster } from './support/cluster.ts';
import { run } from './support/steps.ts';

function get(c: Cluster, path: string): Promise<{ by: string; body: Buffer }> {
  const agent = new EmulatedAgent(c.w.getHost('client').stack, { keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: VIP, port: 80, path, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ by: String(res.headers['x-served-by']), body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function fetchNow(c: Cluster, path: string): Promise<{ by: string; body: Buffer }> {
  const p = get(c, path);
  let out: { by: string; body: Buffer } | null = null;
  p.then((r) => (out = r));
  await c.w.runAsync({ until: c.w.now() + 2 * SEC });
  if (out === null) throw new Error(`no answer for ${path}`);
  return out;
}

/** Module lists of every TCP stream of a host, and its lower stream's. */
function stacks(c: Cluster, host: 'fe' | 'be1'): { lower: string[]; utcpStreams: number; autopush: readonly string[] } {
  const env = c.w.getHost(host).stack.env;
  const node = host === 'fe' ? c.fe : c.bes[0]!;
  return {
    lower: node.lower.list(),
    utcpStreams: [...env.streams].filter((s) => !s.closed && s.driver.name === 'tcp' && s.find('utcp')).length,
    autopush: env.autopushFor('tcp'),
  };
}

describe('handoff modules pushed into and popped off running stacks (claims 1, 21, 26)', function () {
  this.timeout(30_000);

  it('inserts BTCP between TCP and IP and UTCP on the listening streams of servers already running', async () => {
    const c = cluster({ handoff: false, tuning: { limits: { finLinger: 100 * MS } } });
    await run(c.w, 100 * MS);
    const plain = await fetchNow(c, '/img/photo-1.jpg');
    expect(plain.by).to.equal('fe');
    expect(stacks(c, 'fe')).to.deep.equal({ lower: ['ip'], utcpStreams: 0, autopush: [] });

    startHandoff(c, { tuning: { limits: { finLinger: 100 * MS } } });
    await run(c.w, 1 * SEC);
    const fe = stacks(c, 'fe');
    expect(fe.lower).to.deep.equal(['btcp', 'ip']);
    expect(fe.autopush).to.deep.equal(['utcp']);
    // The listening web server, the daemon's control stream, the channels: every node the same stack (claim 21).
    expect(fe.utcpStreams).to.be.greaterThan(2);
    expect(stacks(c, 'be1').lower).to.deep.equal(['btcp', 'ip']);
    const handed = await fetchNow(c, '/img/photo-1.jpg');
    expect(handed.by).to.equal('be1');
    expect(Buffer.compare(handed.body, Buffer.from(documentBytes('/img/photo-1.jpg')!))).to.equal(0);
  });

  it('returns a node with no handed-off connections to a plain stack when the modules are popped', async () => {
    const c = cluster({ tuning: { limits: { finLinger: 100 * MS } } });
    await run(c.w, 1 * SEC);
    expect((await fetchNow(c, '/img/photo-2.jpg')).by).to.equal('be1');
    await run(c.w, 1 * SEC);
    const s = c.fe.daemon!.stats().btcp!;
    expect(s.fe).to.deep.equal({ recording: 0, handoff: 0, forwarding: 0 });
    for (const n of c.nodes) n.daemon!.stop();
    expect(stacks(c, 'fe')).to.deep.equal({ lower: ['ip'], utcpStreams: 0, autopush: [] });
    expect(stacks(c, 'be1')).to.deep.equal({ lower: ['ip'], utcpStreams: 0, autopush: [] });
    // The VIP is the FE's own address again: its server answers everything, byte-exact.
    const after = await fetchNow(c, '/img/photo-2.jpg');
    expect(after.by).to.equal('fe');
    expect(Buffer.compare(after.body, Buffer.from(documentBytes('/img/photo-2.jpg')!))).to.equal(0);
  });
});
