import { expect } from 'chai';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { ERRNO } from '../../harness/sockets/errno.ts';
import { EmulatedAgent, serveHttp } from '../../harness/sockets/http.ts';
import { createConnection, createServer } from '../../harness/sockets/net-server.ts';
import type { NetSocket } from '../../harness/sockets/net-socket.ts';
import { SOL_SOCKET, SO_ERROR, SO_LINGER, TCP_INFO, TCP_KEEPIDLE, TCP_NODELAY } from '../../harness/sockets/options.ts';
import { AF_INET, IPPROTO_TCP, POLLOUT, SHUT_WR, SOCK_STREAM, type SysResult } from '../../harness/sockets/types.ts';
import { SOCK_NONBLOCK } from '../../harness/sockets/syscalls.ts';
import type { Call } from '../../harness/sockets/call.ts';
import { A, B, runNode, tcpPair, type TcpPair } from './support/tcp-world.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function now<R extends SysResult>(c: Call<R>): R {
  if (!c.done) throw new Error(`${c.what} is still blocked`);
  return c.result!;
}

/** A listener on b:80 and an established connection from a. */
function established(t: TcpPair): { lfd: number; cfd: number; sfd: number } {
  const lfd = now(t.sb.socket()).ret;
  now(t.sb.bind(lfd, { addr: B, port: 80 }));
  now(t.sb.listen(lfd, 8));
  const cfd = now(t.sa.socket()).ret;
  const conn = t.sa.connect(cfd, { addr: B, port: 80 });
  const acc = t.sb.accept(lfd);
  t.w.runFor(100 * MS);
  expect(now(conn).ret).to.equal(0);
  return { lfd, cfd, sfd: now(acc).ret };
}

describe('sockets over the real TCP: calls', () => {
  it('connects, accepts, names both ends and moves data both ways', () => {
    const t = tcpPair({ link: { latency: 1 * MS } });
    const { cfd, sfd } = established(t);
    const local = now(t.sa.getsockname(cfd)).addr!;
    expect(local.addr).to.equal(ipv4(A));
    expect(now(t.sb.getpeername(sfd)).addr).to.deep.equal(local);
    expect(now(t.sa.getpeername(cfd)).addr).to.deep.equal({ addr: ipv4(B), port: 80 });
    now(t.sa.write(cfd, enc('request')));
    const r = t.sb.read(sfd, 100);
    t.w.runFor(10 * MS);
    expect(dec(now(r).data)).to.equal('request');
    now(t.sb.write(sfd, enc('response')));
    t.w.runFor(10 * MS);
    expect(dec(now(t.sa.read(cfd, 100)).data)).to.equal('response');
  });

  it('goes EINPROGRESS, EALREADY, POLLOUT, then 0 for a non-blocking connect across a 5 ms link', () => {
    const t = tcpPair({ link: { latency: 5 * MS } });
    const l = now(t.sb.socket()).ret;
    now(t.sb.listen(l, 8));
    const port = now(t.sb.getsockname(l)).addr!.port;
    const fd = now(t.sa.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)).ret;
    expect(now(t.sa.connect(fd, { addr: B, port })).errno).to.equal('EINPROGRESS');
    expect(now(t.sa.connect(fd, { addr: B, port })).errno).to.equal('EALREADY');
    const p = t.sa.poll([{ fd, events: POLLOUT }], -1);
    let at = 0;
    p.onDone(() => (at = t.w.now()));
    t.w.runFor(100 * MS);
    expect(p.result!.revents).to.deep.equal([POLLOUT]);
    expect(at).to.equal(10 * MS);
    expect(now(t.sa.getsockopt(fd, SOL_SOCKET, SO_ERROR)).value).to.equal(0);
    expect(now(t.sa.connect(fd, { addr: B, port })).ret).to.equal(0);
  });

  it('reports ECONNREFUSED in SO_ERROR for a non-blocking connect to a closed port', () => {
    const t = tcpPair({ link: { latency: 1 * MS } });
    const fd = now(t.sa.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK)).ret;
    expect(now(t.sa.connect(fd, { addr: B, port: 9 })).errno).to.equal('EINPROGRESS');
    t.w.runFor(100 * MS);
    expect(now(t.sa.getsockopt(fd, SOL_SOCKET, SO_ERROR)).value).to.equal(ERRNO.ECONNREFUSED);
  });

  it('gives up a connect whose SYNs are all lost with ETIMEDOUT', () => {
    const t = tcpPair({ link: { latency: 1 * MS }, faults: { partitioned: true } });
    const c = t.sa.connect(now(t.sa.socket()).ret, { addr: B, port: 80 });
    t.w.runFor(300 * SEC);
    expect(now(c).errno).to.equal('ETIMEDOUT');
  });

  it('half-closes: SHUT_WR sends a FIN, the peer reads 0, answers, and both close', () => {
    const t = tcpPair({ link: { latency: 1 * MS } });
    const { cfd, sfd } = established(t);
    now(t.sa.write(cfd, enc('all of it')));
    now(t.sa.shutdown(cfd, SHUT_WR));
    t.w.runFor(10 * MS);
    expect(dec(now(t.sb.read(sfd, 100)).data)).to.equal('all of it');
    expect(now(t.sb.read(sfd, 100)).ret).to.equal(0);
    expect(now(t.sa.write(cfd, enc('x'))).errno).to.equal('EPIPE');
    now(t.sb.write(sfd, enc('answer')));
    now(t.sb.close(sfd));
    t.w.runFor(10 * MS);
    expect(dec(now(t.sa.read(cfd, 100)).data)).to.equal('answer');
    expect(now(t.sa.read(cfd, 100)).ret).to.equal(0);
  });

  it('resets with SO_LINGER {on, 0}: the peer reads ECONNRESET, then writes EPIPE', () => {
    const t = tcpPair({ link: { latency: 1 * MS } });
    const { cfd, sfd } = established(t);
    now(t.sb.setsockopt(sfd, SOL_SOCKET, SO_LINGER, { onoff: true, linger: 0 }));
    now(t.sb.close(sfd));
    t.w.runFor(10 * MS);
    expect(now(t.sa.read(cfd, 10)).errno).to.equal('ECONNRESET');
    expect(now(t.sa.write(cfd, enc('x'))).errno).to.equal('EPIPE');
  });

  it('resets when closing with unread data (Linux tcp_close)', () => {
    const t = tcpPair({ link: { latency: 1 * MS } });
    const { cfd, sfd } = established(t);
    now(t.sa.write(cfd, enc('never read')));
    t.w.runFor(10 * MS);
    now(t.sb.close(sfd));
    t.w.runFor(10 * MS);
    expect(now(t.sa.write(cfd, enc('x'))).errno).to.equal('ECONNRESET');
  });

  it('sets TCP options on the connection and reads TCP_INFO from it', () => {
    const t = tcpPair({ link: { latency: 1 * MS } });
    const { cfd } = established(t);
    now(t.sa.setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, 1));
    now(t.sa.setsockopt(cfd, IPPROTO_TCP, TCP_KEEPIDLE, 30));
    expect(now(t.sa.getsockopt(cfd, IPPROTO_TCP, TCP_NODELAY)).value).to.equal(1);
    expect(now(t.sa.getsockopt(cfd, IPPROTO_TCP, TCP_KEEPIDLE)).value).to.equal(30);
    const info = now(t.sa.getsockopt(cfd, IPPROTO_TCP, TCP_INFO)).value as Record<string, number>;
    expect(info['tcpi_state']).to.equal(1);
    expect(info['tcpi_snd_mss']).to.equal(1448);
  });
});

describe('sockets over the real TCP: Node sockets and http', () => {
  it('echoes through NetSocket, reports the peer reset as ECONNRESET', async () => {
    const t = tcpPair({ link: { latency: 2 * MS } });
    let server: NetSocket | null = null;
    createServer(t.b, {}, (s) => {
      server = s;
      s.on('data', (d: Buffer) => s.write(d));
    }).listen(7);
    const c = createConnection(t.a, { host: B, port: 7 });
    let got = '';
    let code: string | undefined;
    c.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === 'echo me') (server as NetSocket | null)!.resetAndDestroy();
    });
    c.on('error', (e: Error & { code?: string }) => (code = e.code));
    c.write('echo me');
    await runNode(t, 5 * SEC);
    expect(got).to.equal('echo me');
    expect(code).to.equal('ECONNRESET');
  });

  it('moves 2 MB each way through NetSockets with flow control, intact', async () => {
    const t = tcpPair({ link: { latency: 1 * MS, bandwidth: 1e9 } });
    const n = 2 << 20;
    const up = createHash('sha512').update('up').digest();
    const upData = Buffer.concat(Array.from({ length: n / 64 }, () => up));
    const downData = Buffer.from(upData.map((x) => x ^ 0x5a));
    const atServer: Buffer[] = [];
    const atClient: Buffer[] = [];
    createServer(t.b, { allowHalfOpen: true }, (s) => {
      s.on('data', (d: Buffer) => atServer.push(d));
      s.end(downData);
    }).listen(9);
    const c = createConnection(t.a, { host: B, port: 9, allowHalfOpen: true });
    c.on('data', (d: Buffer) => atClient.push(d));
    c.end(upData);
    await runNode(t, 60 * SEC);
    expect(sha(Buffer.concat(atServer))).to.equal(sha(upData));
    expect(sha(Buffer.concat(atClient))).to.equal(sha(downData));
  });

  it('serves 1,000 keep-alive requests on 4 connections over a lossy link (2% loss), all correct', async () => {
    const t = tcpPair({ link: { latency: 2 * MS }, faults: { loss: 0.02 }, seed: 11 });
    const server = http.createServer((req, res) => res.end(`body of ${req.url} `.repeat(50)));
    let conns = 0;
    server.on('connection', () => conns++);
    serveHttp(t.b, server, { port: 80 });
    const agent = new EmulatedAgent(t.a, { keepAlive: true, maxSockets: 4 });
    const bodies = new Map<number, string>();
    let next = 0;
    const get = (): void => {
      if (next >= 1000) return;
      const i = next++;
      http.get({ host: B, port: 80, path: `/${i}`, agent }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => {
          bodies.set(i, b);
          get();
        });
      });
    };
    t.w.sched.schedule(0, () => {
      for (let k = 0; k < 4; k++) get();
      t.w.sched.requestYield();
    });
    await runNode(t, 3600 * SEC);
    expect(bodies.size).to.equal(1000);
    const wrong = [...bodies].filter(([i, b]) => b !== `body of /${i} `.repeat(50));
    expect(wrong).to.deep.equal([]);
    expect(conns).to.equal(4);
    agent.destroy();
  });

  it('gives byte-identical captures for two runs with the same seed (http over 5% loss)', async () => {
    const once = async (): Promise<string> => {
      const t = tcpPair({ link: { latency: 3 * MS }, faults: { loss: 0.05 }, seed: 5, capture: true });
      serveHttp(t.b, http.createServer((req, res) => res.end('x'.repeat(3000))), { port: 80 });
      const agent = new EmulatedAgent(t.a, { keepAlive: true });
      t.w.sched.schedule(0, () => {
        for (let i = 0; i < 3; i++) http.get({ host: B, port: 80, path: `/${i}`, agent }, (res) => res.resume());
        t.w.sched.requestYield();
      });
      await runNode(t, 30 * SEC);
      agent.destroy();
      return sha(t.w.pcap('a', t.w.captures().find((c) => c.host === 'a')!.ifname));
    };
    expect(await once()).to.equal(await once());
  });
});
