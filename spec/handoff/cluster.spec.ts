/**
 * End to end in emulation: Node's own http client (keep-alive agent over emulated sockets) on
 * a client host fetches from the VIP of a cluster — FE and three BEs on a LAN behind a router,
 * every node running TCP with UTCP and BTCP, handoffd and Node's http server. Responses must
 * be byte-exact, come from a back end, and never cross the FE's LAN interface.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { parsePcap } from '../../lib/wire/pcap.ts';
import { documentBytes } from '../../harness/apps/content.ts';
import { EmulatedAgent } from '../../harness/sockets/index.ts';
import { beAddr, cluster, CLIENT, VIP, type Cluster } from './support/cluster.ts';
import { run } from './support/steps.ts';

interface Fetched {
  path: string;
  status: number;
  by: string;
  body: Buffer;
  socket: unknown;
}

function fetch(agent: http.Agent, method: string, path: string, body?: Uint8Array): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    let socket: unknown = null;
    const req = http.request({ host: VIP, port: 80, method, path, agent, headers: body ? { 'Content-Length': body.length } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ path, status: res.statusCode!, by: String(res.headers['x-served-by']), body: Buffer.concat(parts), socket }));
    });
    req.on('socket', (sk) => (socket = sk));
    req.on('error', reject);
    req.end(body);
  });
}

/** Packets on one interface's capture, parsed. */
function captured(c: Cluster, host: string): ReturnType<typeof parseIpv4Tcp>[] {
  const f = parsePcap(c.w.pcap(host, 'eth0'));
  if (!f.ok) throw new Error('bad pcap');
  return f.value.records.map((r) => parseIpv4Tcp(r.data, { verifyChecksum: true }));
}

const PATHS = ['/img/photo-1.jpg', '/docs/page-4.html', '/data/1k.bin', '/about.txt', '/img/photo-3.jpg', '/static/style.css', '/docs/page-8.html', '/index.html'];

describe('handoff end to end: Node http client against the VIP of an emulated cluster', function () {
  this.timeout(60_000);
  let c: Cluster;
  const results: Fetched[] = [];
  let hashes: { want: string; got: string; by: string }[] = [];

  before(async () => {
    c = cluster({
      backEnds: 3,
      capture: true,
      serveLocally: false,
      policy: {
        policy: 'url-partition',
        rules: [
          { prefix: '/img/', nodes: ['be1'] },
          { prefix: '/docs/', nodes: ['be2'] },
        ],
        defaultNodes: ['be3'],
      },
      tuning: { limits: { finLinger: 200 * MS } },
    });
    await run(c.w, 1 * SEC);
    const agent = new EmulatedAgent(c.w.getHost('client').stack, { keepAlive: true, maxSockets: 3 });
    const work = (async () => {
      const loops = [0, 1, 2].map(async (k) => {
        for (let i = 0; i < 8; i++) results.push(await fetch(agent, 'GET', PATHS[(i + 3 * k) % PATHS.length]!));
      });
      await Promise.all(loops);
      const body = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
      const r = await fetch(agent, 'POST', '/hash', body);
      hashes = [{ want: createHash('sha256').update(body).digest('hex'), got: r.body.toString().trim(), by: r.by }];
      agent.destroy();
    })();
    let failed: unknown = null;
    work.catch((e) => (failed = e));
    await c.w.runAsync({ until: c.w.now() + 30 * SEC });
    if (failed !== null) throw failed;
  });

  it('answers every request byte-exact, each from a back end (claims 1, 11, 26, 27)', () => {
    expect(results).to.have.length(24);
    for (const r of results) {
      expect(r.status, r.path).to.equal(200);
      expect(Buffer.compare(r.body, Buffer.from(documentBytes(r.path)!)), r.path).to.equal(0);
      expect(['be1', 'be2', 'be3']).to.include(r.by);
    }
  });

  it('keeps a persistent control channel from the FE to every BE (claims 1, 23)', () => {
    const ch = c.fe.daemon!.stats().utcp.channels;
    expect(ch.map((x) => [x.peer, x.up])).to.deep.equal([
      ['be1', true],
      ['be2', true],
      ['be3', true],
    ]);
    expect(c.fe.daemon!.counts.connects).to.equal(3);
  });

  it('keeps every request of a keep-alive connection on the back end its first request chose', () => {
    const bySocket = new Map<unknown, Set<string>>();
    for (const r of results) bySocket.set(r.socket, (bySocket.get(r.socket) ?? new Set()).add(r.by));
    expect(bySocket.size).to.be.within(1, 3);
    for (const s of bySocket.values()) expect(s.size).to.equal(1);
  });

  it('carries a 200 KB request body to the back end that hashes it', () => {
    expect(hashes).to.have.length(1);
    expect(hashes[0]!.got).to.equal(hashes[0]!.want);
    expect(hashes[0]!.by).to.match(/^be\d$/);
  });

  it("never carries response payload on the FE's LAN interface; it carries the client's packets to the BEs (claims 7, 9, 11 j-k)", () => {
    const fe = captured(c, 'fe');
    const vip = ipv4(VIP);
    const client = ipv4(CLIENT);
    let toBes = 0;
    for (const p of fe) {
      expect(p.ok, 'every packet on the FE LAN parses with good checksums').to.equal(true);
      if (!p.ok) continue;
      const { ip, tcp } = p.value;
      if (ip.src === vip && tcp.srcPort === 80) expect(tcp.payload.length, 'response bytes from the VIP on the FE').to.equal(0);
      if (ip.src === client && [1, 2, 3].some((i) => ip.dst === ipv4(beAddr(i)))) toBes++;
    }
    expect(toBes).to.be.greaterThan(0);
  });

  it('sends the responses from the back ends with the VIP as source, checksums intact (claims 9, 18, 36)', () => {
    const vip = ipv4(VIP);
    let fromVip = 0;
    for (const b of ['be1', 'be2', 'be3']) {
      for (const p of captured(c, b)) {
        if (!p.ok || p.value.ip.src !== vip) continue;
        expect(p.value.ip.dst).to.equal(ipv4(CLIENT));
        fromVip += p.value.tcp.payload.length;
      }
    }
    expect(fromVip).to.be.greaterThan(500_000);
  });

  it('frees every connection on the FE and the BEs once the client has closed (claims 10, 19, 37)', async () => {
    await run(c.w, 2 * SEC);
    const fe = c.fe.daemon!.stats();
    expect(fe.btcp!.fe).to.deep.equal({ recording: 0, handoff: 0, forwarding: 0 });
    expect(fe.utcp.held).to.equal(0);
    expect(fe.btcp!.counters.terminatesReceived).to.equal(fe.btcp!.counters.handoffAcks);
    for (const b of c.bes) expect(b.daemon!.stats().btcp!.be).to.deep.equal({ replaying: 0, active: 0, pendingTerminates: 0 });
  });
});
