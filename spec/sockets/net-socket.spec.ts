import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { T_CURRENT } from '../../lib/streams/index.ts';
import type { TOptions } from '../../lib/streams/index.ts';
import { createConnection, createServer, type NetServer } from '../../harness/sockets/net-server.ts';
import type { NetSocket } from '../../harness/sockets/net-socket.ts';
import { A, B, loopWorld, type LoopWorld, runNode } from './support/world.ts';

const run = (w: LoopWorld, until = 120 * SEC): Promise<void> => runNode(w, until);

/** A server on b:port whose connections are handed to `onConn`, and a client from a. */
function pair(w: LoopWorld, onConn: (s: NetSocket) => void, opts: { allowHalfOpen?: boolean; port?: number } = {}): { server: NetServer; client: NetSocket } {
  const port = opts.port ?? 7000;
  const server = createServer(w.b, { allowHalfOpen: opts.allowHalfOpen }, onConn).listen(port);
  const client = createConnection(w.a, { host: B, port, allowHalfOpen: opts.allowHalfOpen });
  return { server, client };
}

function collect(s: NetSocket): { text: () => string } {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  return { text: () => Buffer.concat(parts).toString() };
}

async function transportOpts(s: NetSocket): Promise<TOptions> {
  return new Promise((resolve, reject) =>
    s.socket!.optmgmt(T_CURRENT, {}, (r) => (r.ok && r.prim.PRIM_type === 'T_OPTMGMT_ACK' ? resolve(r.prim.OPT) : reject(new Error('no options')))),
  );
}

describe('sockets: NetSocket (net.Socket over emulated transport)', () => {
  it("emits 'connect' then 'ready' and knows both addresses", async () => {
    const w = loopWorld();
    const seen: string[] = [];
    let server: NetSocket | null = null;
    const { client } = pair(w, (s) => (server = s));
    expect(client.connecting).to.equal(true);
    expect(client.readyState).to.equal('opening');
    client.on('connect', () => seen.push('connect'));
    client.on('ready', () => seen.push('ready'));
    await run(w);
    expect(seen).to.deep.equal(['connect', 'ready']);
    expect(client.readyState).to.equal('open');
    expect([client.remoteAddress, client.remotePort, client.remoteFamily]).to.deep.equal([B, 7000, 'IPv4']);
    expect(client.localAddress).to.equal(A);
    expect(client.address()).to.deep.equal({ address: A, family: 'IPv4', port: client.localPort });
    const s = server as NetSocket | null;
    expect(s!.remoteAddress).to.equal(A);
    expect(s!.remotePort).to.equal(client.localPort);
    expect(s!.localPort).to.equal(7000);
    client.destroy();
    s!.destroy();
  });

  it('carries data both ways and counts bytes', async () => {
    const w = loopWorld();
    const { client } = pair(w, (s) => s.on('data', (d: Buffer) => s.write(d.toString().toUpperCase())));
    const got = collect(client);
    client.write('hello ');
    client.write('world');
    await run(w);
    expect(got.text()).to.equal('HELLO WORLD');
    expect(client.bytesWritten).to.equal(11);
    expect(client.bytesRead).to.equal(11);
    client.destroy();
  });

  it('ends both sides when the peer ends and allowHalfOpen is false', async () => {
    const w = loopWorld();
    const events: string[] = [];
    const { client } = pair(w, (s) => {
      s.on('end', () => events.push('server end'));
      s.on('close', (hadError: boolean) => events.push(`server close ${hadError}`));
      s.resume();
    });
    client.on('end', () => events.push('client end'));
    client.on('close', (hadError: boolean) => events.push(`client close ${hadError}`));
    client.resume();
    client.end('bye');
    await run(w);
    expect(events).to.have.members(['server end', 'client end', 'server close false', 'client close false']);
    expect(events.indexOf('server end')).to.be.below(events.indexOf('client end'));
  });

  it('keeps writing after the peer FIN when allowHalfOpen is true', async () => {
    const w = loopWorld();
    const { client } = pair(
      w,
      (s) => {
        const got = collect(s);
        s.on('end', () => s.end(`got ${got.text()}`));
      },
      { allowHalfOpen: true },
    );
    const reply = collect(client);
    let ended = false;
    client.on('end', () => (ended = true));
    client.end('question');
    await run(w);
    expect(reply.text()).to.equal('got question');
    expect(ended).to.equal(true);
  });

  it("fails a refused connect with Node's ECONNREFUSED error, then closes", async () => {
    const w = loopWorld();
    const client = createConnection(w.a, { host: B, port: 9 });
    const seen: { err?: Error & { code?: string; errno?: number; syscall?: string; address?: string; port?: number }; closed?: boolean } = {};
    client.on('error', (e: Error) => (seen.err = e));
    client.on('close', (hadError: boolean) => (seen.closed = hadError));
    await run(w);
    const e = seen.err;
    expect(e?.message).to.equal(`connect ECONNREFUSED ${B}:9`);
    expect([e?.code, e?.errno, e?.syscall, e?.address, e?.port]).to.deep.equal(['ECONNREFUSED', -111, 'connect', B, 9]);
    expect(seen.closed).to.equal(true);
  });

  it('reports ECONNRESET when the peer resets', async () => {
    const w = loopWorld();
    const { client } = pair(w, (s) => s.once('data', () => s.resetAndDestroy()));
    let code: string | undefined;
    client.on('error', (e: Error & { code?: string }) => (code = e.code));
    client.resume();
    client.write('x');
    await run(w);
    expect(code).to.equal('ECONNRESET');
    expect(client.destroyed).to.equal(true);
  });

  it('resets the peer when destroyed with unread data (close semantics)', async () => {
    const w = loopWorld();
    let server: NetSocket | null = null;
    const { client } = pair(w, (s) => {
      server = s;
      s.pause();
    });
    let code: string | undefined;
    client.on('error', (e: Error & { code?: string }) => (code = e.code));
    client.resume();
    client.write('never read');
    await run(w);
    (server as NetSocket | null)!.destroy();
    client.write('more');
    await run(w);
    expect(code).to.be.oneOf(['ECONNRESET', 'EPIPE']);
  });

  it("emits 'timeout' after the idle time in virtual time, postponed by activity", async () => {
    const w = loopWorld();
    const at: number[] = [];
    const { client } = pair(w, (s) => s.resume());
    client.setTimeout(1000, () => at.push(w.sched.now()));
    expect(client.timeout).to.equal(1000);
    w.sched.schedule(600 * MS, () => client.write('activity'));
    await run(w, 10 * SEC);
    // Armed at 0, activity at 600 ms: fires at 1600 ms, then stays quiet until new activity.
    expect(at).to.deep.equal([1600 * MS]);
    client.setTimeout(0);
    w.sched.schedule(100 * MS, () => client.write('more'));
    await run(w, 20 * SEC);
    expect(at).to.deep.equal([1600 * MS]);
    client.destroy();
  });

  it('passes setNoDelay and setKeepAlive to the transport', async () => {
    const w = loopWorld();
    const { client } = pair(w, () => {});
    client.setNoDelay(true);
    client.setKeepAlive(true, 30_000);
    await run(w);
    const o = await transportOpts(client);
    expect([o.nodelay, o.keepalive, o.extra?.['keepidle']]).to.deep.equal([true, true, 30]);
    client.destroy();
  });

  it('sends corked writes as one piece', async () => {
    const w = loopWorld();
    const chunks: string[] = [];
    const { client } = pair(w, (s) => s.on('data', (d: Buffer) => chunks.push(d.toString())));
    await run(w);
    w.sched.schedule(0, () => {
      client.cork();
      client.write('a');
      client.write('b');
      client.write('c');
      process.nextTick(() => client.uncork());
    });
    await run(w);
    expect(chunks).to.deep.equal(['abc']);
    client.destroy();
  });

  it('finishes writing, then closes, on destroySoon', async () => {
    const w = loopWorld();
    let got = '';
    pair(w, (s) => {
      s.write('payload');
      s.destroySoon();
    });
    const client = createConnection(w.a, { host: B, port: 7000 });
    client.on('data', (d: Buffer) => (got += d.toString()));
    let ended = false;
    client.on('end', () => (ended = true));
    await run(w);
    expect(got).to.equal('payload');
    expect(ended).to.equal(true);
  });
});

describe('sockets: NetServer', () => {
  it("listens on a chosen port and says so with 'listening' and address()", async () => {
    const w = loopWorld();
    const server = createServer(w.b);
    let listening = false;
    server.listen(0, () => (listening = true));
    await run(w);
    expect(listening).to.equal(true);
    expect(server.listening).to.equal(true);
    expect(server.address()!.port).to.be.above(0);
  });

  it("emits 'error' EADDRINUSE for a port a listener holds", async () => {
    const w = loopWorld();
    createServer(w.b).listen(80);
    const second = createServer(w.b);
    let err: (Error & { code?: string }) | null = null;
    second.on('error', (e: Error) => (err = e));
    second.listen(80);
    await run(w);
    expect((err as (Error & { code?: string }) | null)?.code).to.equal('EADDRINUSE');
    expect((err as Error | null)?.message).to.equal('listen EADDRINUSE 0.0.0.0:80');
  });

  it("emits 'close' only after the last connection closed", async () => {
    const w = loopWorld();
    let conn: NetSocket | null = null;
    const server = createServer(w.b, {}, (s) => (conn = s)).listen(80);
    const client = createConnection(w.a, { host: B, port: 80 });
    client.resume();
    await run(w);
    let closed = false;
    server.close(() => (closed = true));
    await run(w);
    expect(closed).to.equal(false);
    (conn as NetSocket | null)!.destroy();
    await run(w);
    expect(closed).to.equal(true);
    expect(server.listening).to.equal(false);
  });

  it('closes connections past maxConnections at once', async () => {
    const w = loopWorld();
    let accepted = 0;
    const server = createServer(w.b, {}, () => accepted++).listen(80);
    server.maxConnections = 1;
    const a = createConnection(w.a, { host: B, port: 80 });
    const b = createConnection(w.a, { host: B, port: 80 });
    let bEnded = false;
    b.on('end', () => (bEnded = true));
    b.on('error', () => {});
    a.resume();
    b.resume();
    await run(w);
    expect(accepted).to.equal(1);
    expect(bEnded).to.equal(true);
    a.destroy();
  });
});
