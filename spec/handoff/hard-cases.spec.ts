/**
 * The hard cases of issue 7, played by a scripted client (no TCP on the client host: every
 * segment is the spec's) against a whole emulated cluster — FE with the VIP, two BEs, the
 * real TCP, UTCP, BTCP, handoffd and Node's http server on every node.
 */
import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { seqAdd } from '../../lib/wire/seq.ts';
import { documentBytes } from '../../harness/apps/content.ts';
import { TCP_IOC_DROP } from '../../modules/tcp/driver/ioctl.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { beAddr, cluster, CLIENT, type Cluster, type ClusterOptions } from './support/cluster.ts';
import { ACK, RawClient, RST } from './support/raw-client.ts';
import { pump, responses, run, sameBytes } from './support/steps.ts';

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: cluster.test\r\n${extra}\r\n`;

async function setUp(o: ClusterOptions = {}): Promise<{ c: Cluster; cl: RawClient }> {
  const c = cluster({ clientTcp: false, ...o });
  await run(c.w, 1 * SEC);
  return { c, cl: new RawClient(c.w) };
}

/** SYN, then the ACK as soon as the SYN/ACK is there. */
async function handshake(c: Cluster, cl: RawClient): Promise<void> {
  cl.syn();
  for (let i = 0; i < 100 && !cl.got.some((g) => g.tcp.flags & 0x02); i++) await run(c.w, 1 * MS);
  cl.ack();
}

function tables(c: Cluster): { fe: number; be: number; held: number } {
  const fe = c.fe.daemon!.stats();
  let be = 0;
  for (const b of c.bes) {
    if (!b.daemon!.running) continue;
    const s = b.daemon!.stats().btcp!;
    be += s.be.replaying + s.be.active;
  }
  const f = fe.btcp!.fe;
  return { fe: f.recording + f.handoff + f.forwarding, be, held: fe.utcp.held };
}

function feCounters(c: Cluster): Record<string, number> {
  return c.fe.daemon!.stats().btcp!.counters;
}

describe('handoff hard cases (scripted client against an emulated cluster)', function () {
  this.timeout(20_000);

  it('reassembles a request head sent out of order in three segments, then hands the connection off', async () => {
    const { c, cl } = await setUp();
    await handshake(c, cl);
    const req = GET('/img/photo-1.jpg');
    cl.data(req.slice(30), { at: 30 });
    cl.data(req.slice(12, 30), { at: 12 });
    cl.data(req.slice(0, 12), { at: 0 });
    cl.snd = seqAdd(cl.isn, 1 + req.length);
    await pump(c.w, cl, 400 * MS);
    const [r] = responses(cl.stream);
    expect(r?.headers['x-served-by']).to.equal('be1');
    expect(sameBytes(r!.body, documentBytes('/img/photo-1.jpg'))).to.equal(true);
  });

  it('answers a retransmitted SYN with the same SYN/ACK and records the connection once', async () => {
    const { c, cl } = await setUp();
    cl.syn();
    await run(c.w, 10 * MS);
    cl.syn();
    await run(c.w, 10 * MS);
    const synacks = cl.got.filter((g) => g.tcp.flags & ACK && g.tcp.flags & 0x02);
    expect(synacks).to.have.length(2);
    expect(synacks[1]!.tcp.seq).to.equal(synacks[0]!.tcp.seq);
    cl.ack();
    cl.data(GET('/docs/page-1.html'));
    await pump(c.w, cl, 300 * MS);
    expect(responses(cl.stream)[0]?.headers['x-served-by']).to.equal('be2');
    expect(feCounters(c).synRecorded).to.equal(1);
  });

  it('drops a retransmitted request segment before dispatch and forwards one after the handoff', async () => {
    const { c, cl } = await setUp({ sync: { latency: 10 * MS } });
    await handshake(c, cl);
    const req = GET('/img/photo-2.jpg', 'X-Pad: retransmitted\r\n');
    cl.data(req.slice(0, 20), { advance: false });
    cl.data(req.slice(0, 20));
    cl.data(req.slice(20));
    await run(c.w, 5 * MS);
    expect(feCounters(c).requestDuplicates).to.equal(1);
    await pump(c.w, cl, 100 * MS);
    // A retransmission after the handoff reaches the BE, whose TCP answers it with an ACK.
    cl.data(req.slice(20), { at: 20, advance: false });
    await pump(c.w, cl, 400 * MS);
    const [r] = responses(cl.stream);
    expect(r?.headers['x-served-by']).to.equal('be1');
    expect(sameBytes(r!.body, documentBytes('/img/photo-2.jpg'))).to.equal(true);
  });

  it('queues client segments that arrive while the handoff is in flight and forwards them in order', async () => {
    const { c, cl } = await setUp({ sync: { latency: 10 * MS } });
    await handshake(c, cl);
    cl.data(GET('/img/photo-3.jpg'));
    await run(c.w, 5 * MS);
    expect(c.fe.daemon!.stats().btcp!.fe.handoff).to.equal(1);
    // Pipelined while the FE waits for the BE's answer: queued, then forwarded behind the first.
    cl.data(GET('/about.txt'));
    cl.data(GET('/docs/page-2.html'));
    await pump(c.w, cl, 600 * MS);
    const rs = responses(cl.stream);
    expect(rs.map((r) => r.headers['x-served-by'])).to.deep.equal(['be1', 'be1', 'be1']);
    expect(sameBytes(rs[1]!.body, documentBytes('/about.txt'))).to.equal(true);
    expect(sameBytes(rs[2]!.body, documentBytes('/docs/page-2.html'))).to.equal(true);
    // The two requests, and the client's ACKs of the first response's start.
    expect(feCounters(c).queued).to.be.at.least(2);
  });

  it('keeps pipelined requests of one connection on the chosen back end (HTTP/1.1 keep-alive)', async () => {
    const { c, cl } = await setUp();
    await handshake(c, cl);
    cl.data(GET('/docs/page-1.html') + GET('/img/photo-1.jpg') + GET('/index.html'));
    await pump(c.w, cl, 600 * MS);
    const rs = responses(cl.stream);
    expect(rs).to.have.length(3);
    expect(rs.map((r) => r.headers['x-served-by'])).to.deep.equal(['be2', 'be2', 'be2']);
    expect(sameBytes(rs[1]!.body, documentBytes('/img/photo-1.jpg'))).to.equal(true);
  });

  it('resets the client, frees the state and never shows the connection to an application when the head never completes', async () => {
    const { c, cl } = await setUp({ tuning: { limits: { headTimeout: 2 * SEC } } });
    await handshake(c, cl);
    cl.data('GET /img/photo-1.jpg HTTP/1.1\r\nHost: slow');
    await run(c.w, 1 * SEC);
    expect(cl.resets()).to.have.length(0);
    expect(tables(c)).to.deep.include({ fe: 1, held: 1 });
    await run(c.w, 1.5 * SEC);
    const [rst] = cl.resets();
    expect(rst, 'a RST from the VIP').to.not.equal(undefined);
    expect(rst!.src).to.equal(cl.vip);
    expect(rst!.tcp.seq).to.equal(seqAdd(cl.serverIsn, 1));
    expect(feCounters(c).headTimeouts).to.equal(1);
    expect(tables(c)).to.deep.equal({ fe: 0, be: 0, held: 0 });
  });

  it("lets the front end's own server answer a malformed request (400), as a plain local connection", async () => {
    const { c, cl } = await setUp();
    await handshake(c, cl);
    cl.data('GET /img/a b c HTTP/1.1\r\nHost: x\r\n\r\n');
    await pump(c.w, cl, 200 * MS);
    const [r] = responses(cl.stream);
    expect(r?.status).to.equal(400);
    expect(feCounters(c).badRequests).to.equal(1);
    expect(feCounters(c).localServes).to.equal(1);
    expect(tables(c)).to.deep.equal({ fe: 0, be: 0, held: 0 });
  });

  it('hands the connection to the next back end when the first refuses it (no listener: HANDOFF_NAK)', async () => {
    const { c, cl } = await setUp({ policy: { policy: 'url-partition', rules: [{ prefix: '/img/', nodes: ['be1', 'be2'] }], defaultNodes: ['fe'] } });
    c.bes[0]!.web!.close();
    await run(c.w, 10 * MS);
    await handshake(c, cl);
    cl.data(GET('/img/photo-4.jpg'));
    await pump(c.w, cl, 500 * MS);
    const [r] = responses(cl.stream);
    expect(r?.headers['x-served-by']).to.equal('be2');
    expect(feCounters(c).handoffNaks).to.equal(1);
    expect(c.bes[0]!.daemon!.stats().btcp!.counters['nak.no-listener']).to.equal(1);
  });

  it('tries the next back end when one does not answer in time, and serves locally when none is left', async () => {
    const { c, cl } = await setUp({
      sync: {},
      policy: { policy: 'url-partition', rules: [{ prefix: '/img/', nodes: ['be1'] }, { prefix: '/data/', nodes: ['be1', 'be2'] }], defaultNodes: ['fe'] },
      tuning: { limits: { handoffTimeout: 100 * MS } },
    });
    // The control network between fe and be1 goes silent; the data path stays.
    c.w.getNetwork('sync').partition(['fe'], ['be1']);
    await handshake(c, cl);
    cl.data(GET('/data/1k.bin'));
    await pump(c.w, cl, 400 * MS);
    expect(responses(cl.stream)[0]?.headers['x-served-by']).to.equal('be2');
    const cl2 = new RawClient(c.w, 40001);
    await handshake(c, cl2);
    cl2.data(GET('/img/photo-1.jpg'));
    await pump(c.w, cl2, 600 * MS);
    const [r2] = responses(cl2.stream);
    expect(r2?.headers['x-served-by']).to.equal('fe');
    expect(sameBytes(r2!.body, documentBytes('/img/photo-1.jpg'))).to.equal(true);
    expect(feCounters(c).handoffTimeouts).to.equal(2);
  });

  it('resets the client when the control channel breaks after the handoff request left (the FE cannot know whether the BE took it)', async () => {
    const { c, cl } = await setUp({ sync: { latency: 10 * MS } });
    await handshake(c, cl);
    cl.data(GET('/img/photo-1.jpg'));
    // The BE's daemon goes down just as the FE sends the request; the FE hears of it (the
    // channel's FIN) with its request unanswered.
    await run(c.w, 1 * MS);
    c.bes[0]!.daemon!.stop();
    await run(c.w, 2 * MS);
    expect(c.fe.daemon!.stats().btcp!.fe.handoff).to.equal(1);
    await pump(c.w, cl, 300 * MS);
    expect(cl.resets().length).to.be.greaterThan(0);
    expect(feCounters(c).channelAborts).to.equal(1);
    expect(tables(c).fe).to.equal(0);
  });

  it('frees the state on both sides after the client closes first (FIN, FIN, TERMINATE)', async () => {
    const { c, cl } = await setUp({ tuning: { limits: { finLinger: 500 * MS } } });
    await handshake(c, cl);
    cl.data(GET('/docs/page-3.html'));
    await pump(c.w, cl, 200 * MS);
    expect(tables(c)).to.deep.include({ fe: 1, be: 1 });
    cl.fin();
    await pump(c.w, cl, 100 * MS);
    // The server's FIN came back (Node closes its side after the client's FIN).
    expect(cl.got.some((g) => g.tcp.flags & 0x01)).to.equal(true);
    await pump(c.w, cl, 1 * SEC);
    expect(tables(c)).to.deep.equal({ fe: 0, be: 0, held: 0 });
    expect(c.bes[1]!.daemon!.stats().btcp!.counters['terminate.fin']).to.equal(1);
    expect(feCounters(c).terminatesReceived).to.equal(1);
  });

  it('forwards a client RST to the back end and frees both sides', async () => {
    const { c, cl } = await setUp();
    await handshake(c, cl);
    cl.data(GET('/docs/page-3.html'));
    await pump(c.w, cl, 200 * MS);
    cl.send({ flags: RST, seq: cl.snd, ack: seqAdd(cl.isn, 0) });
    await run(c.w, 50 * MS);
    expect(c.bes[1]!.daemon!.stats().btcp!.counters['terminate.rst']).to.equal(1);
    expect(tables(c)).to.deep.equal({ fe: 0, be: 0, held: 0 });
  });

  it("sends a back end's RST to the client from the VIP and frees both sides", async () => {
    const { c, cl } = await setUp();
    await handshake(c, cl);
    cl.data(GET('/docs/page-3.html'));
    await pump(c.w, cl, 200 * MS);
    const r = c.bes[1]!.tcp.ctl.ioctlSync(TCP_IOC_DROP, { local: { addr: ipv4(beAddr(2)), port: 80 }, remote: { addr: ipv4(CLIENT), port: cl.port } });
    expect(r.ok).to.equal(true);
    await run(c.w, 50 * MS);
    const [rst] = cl.resets();
    expect(rst?.src).to.equal(cl.vip);
    expect(tables(c)).to.deep.equal({ fe: 0, be: 0, held: 0 });
  });

  it('cancels a handoff the client resets while it is in flight: the back end drops its copy', async () => {
    const { c, cl } = await setUp({ sync: { latency: 10 * MS } });
    await handshake(c, cl);
    cl.data(GET('/img/photo-1.jpg'));
    await run(c.w, 5 * MS);
    cl.send({ flags: RST, seq: cl.snd });
    await run(c.w, 100 * MS);
    expect(feCounters(c).clientResetDuringHandoff).to.equal(1);
    expect(c.bes[0]!.daemon!.stats().btcp!.counters.beAborted).to.equal(1);
    expect(tables(c)).to.deep.equal({ fe: 0, be: 0, held: 0 });
  });

  it('hands connections off to back ends across a wide-area network (claim 24)', async () => {
    const { c, cl } = await setUp({ lanLink: { latency: 15 * MS, bandwidth: 50e6 } });
    await handshake(c, cl);
    cl.data(GET('/img/photo-2.jpg'));
    await pump(c.w, cl, 1500 * MS);
    const [r] = responses(cl.stream);
    expect(r?.headers['x-served-by']).to.equal('be1');
    expect(sameBytes(r!.body, documentBytes('/img/photo-2.jpg'))).to.equal(true);
  });

  it('refuses new connections once the FE table is full (the client retries) and every table stays bounded', async () => {
    const { c } = await setUp({ tuning: { limits: { maxConns: 2 } } });
    const clients = [40001, 40002, 40003].map((p) => new RawClient(c.w, p));
    for (const k of clients) k.syn();
    await run(c.w, 20 * MS);
    expect(clients.map((k) => k.got.length)).to.deep.equal([1, 1, 0]);
    expect(feCounters(c).synTableFull).to.equal(1);
  });
});
