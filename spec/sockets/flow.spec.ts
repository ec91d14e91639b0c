import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { SEC } from '../../lib/sim/time.ts';
import { createConnection, createServer } from '../../harness/sockets/net-server.ts';
import type { NetSocket } from '../../harness/sockets/net-socket.ts';
import { F_SETFL, O_NONBLOCK } from '../../harness/sockets/types.ts';
import { B, connectedPair, loopWorld, now, settle, type LoopWorld, runNode } from './support/world.ts';

/** Bytes queued anywhere between a writer on host a and a reader on host b (STREAMS queues only). */
function inFlight(w: LoopWorld): number {
  let n = 0;
  for (const env of [w.a, w.b]) for (const st of env.streams) for (const q of [st.rq, st.wq, st.drvrq, st.drvwq]) n += q.count;
  return n;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('sockets: flow control (socket calls)', () => {
  it('bounds what a writer can queue toward a reader that does not read', () => {
    const w = loopWorld();
    const { cfd } = connectedPair(w);
    now(w.sa.fcntl(cfd, F_SETFL, O_NONBLOCK));
    let sent = 0;
    for (let i = 0; i < 100; i++) {
      const r = now(w.sa.write(cfd, new Uint8Array(8192)));
      if (r.errno === 'EAGAIN') break;
      sent += r.ret;
      settle(w);
    }
    expect(now(w.sa.write(cfd, new Uint8Array(1))).errno).to.equal('EAGAIN');
    // Head read queue (5 KiB) + receive buffer (16 KiB) + send buffer (16 KiB) + one write.
    expect(inFlight(w)).to.equal(sent);
    expect(sent).to.be.below(5120 + 16384 + 16384 + 8192 + 1);
  });

  it('lets the writer go on as soon as the reader drains', () => {
    const w = loopWorld();
    const { cfd, sfd } = connectedPair(w);
    now(w.sa.fcntl(cfd, F_SETFL, O_NONBLOCK));
    while (now(w.sa.write(cfd, new Uint8Array(8192))).errno !== 'EAGAIN') settle(w);
    const p = w.sa.poll([{ fd: cfd, events: 0x004 }], -1);
    settle(w);
    expect(p.done).to.equal(false);
    while (now(w.sb.recv(sfd, 65536, 0x40)).ret > 0) settle(w);
    settle(w);
    expect(p.result!.revents).to.deep.equal([0x004]);
    expect(now(w.sa.write(cfd, new Uint8Array(100))).ret).to.equal(100);
  });
});

describe('sockets: flow control (NetSocket)', () => {
  it('says write() === false to a writer whose reader is paused, and drains after resume', async () => {
    const w = loopWorld();
    const total = 1 << 20;
    const data = pattern(total, 7);
    let server: NetSocket | null = null;
    const got: Buffer[] = [];
    createServer(w.b, {}, (s) => {
      server = s;
      s.pause();
      s.on('data', (d: Buffer) => got.push(d));
    }).listen(80);
    const client = createConnection(w.a, { host: B, port: 80 });
    let refused = false;
    let drains = 0;
    client.on('drain', () => drains++);
    for (let off = 0; off < total; off += 16384) if (!client.write(data.subarray(off, off + 16384))) refused = true;
    await runNode(w, 10 * SEC);
    expect(refused).to.equal(true);
    expect(drains).to.equal(0);
    const s = server as NetSocket | null;
    // Paused: Node's buffer stops at its high-water mark, the rest waits below, bounded by
    // the head (5 KiB), receive and send buffers (16 KiB each), each over by one write slice at most.
    expect(s!.readableLength).to.be.at.most(s!.readableHighWaterMark + 16384);
    expect(inFlight(w)).to.be.below(5120 + 16384 + 16384 + 3 * 16384);
    expect(client.writableLength).to.be.above(total / 2);
    s!.resume();
    await runNode(w, 20 * SEC);
    const all = Buffer.concat(got);
    expect(all.length).to.equal(total);
    expect(sha(all)).to.equal(sha(data));
    expect(drains).to.equal(1);
    expect(client.writableLength).to.equal(0);
  });

  it('moves 4 MB each way at once with every byte intact', async () => {
    const w = loopWorld();
    const n = 4 << 20;
    const up = pattern(n, 1);
    const down = pattern(n, 2);
    const atServer: Buffer[] = [];
    const atClient: Buffer[] = [];
    createServer(w.b, { allowHalfOpen: true }, (s) => {
      s.on('data', (d: Buffer) => atServer.push(d));
      s.end(down);
    }).listen(80);
    const c = createConnection(w.a, { host: B, port: 80, allowHalfOpen: true });
    c.on('data', (d: Buffer) => atClient.push(d));
    c.end(up);
    await runNode(w, 60 * SEC);
    expect(sha(Buffer.concat(atServer))).to.equal(sha(up));
    expect(sha(Buffer.concat(atClient))).to.equal(sha(down));
  });
});
