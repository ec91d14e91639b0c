/**
 * TCP benchmarks (issue 4): bulk transfer payload MB per CPU-second between two emulated hosts
 * over a fast link (goal >= 250), short connections per CPU-second on the socket API (goal
 * >= 20,000), memory per idle established connection (goal <= 4 KB, 100k connections).
 * Each figure is given for the pure state machine (modules/tcp alone, segments handed over
 * directly) and for the whole stack (sockets, TPI, TCP driver, IP, netdrv, links), so the share
 * of each layer is visible. Fixed seeds; CPU seconds of this process.
 *
 * Rates are steady-state figures: a few unmeasured rounds first (V8 needs tens of thousands of
 * packets before the hot paths are optimised, and a cold round measured 3-5x slower), then the
 * median of several measured rounds, with their spread in the note.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { registerBenchmarks, cpuSeconds, type BenchResult } from './suite.ts';
import { TCP_IOC_SYSCTL_SET } from '../../modules/tcp/driver/ioctl.ts';
import { World } from '../world/world.ts';
import { socketCalls, type SocketCalls } from '../sockets/syscalls.ts';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { SeededRng } from '../../lib/sim/rng.ts';
import { MS, SEC, US, type Time } from '../../lib/sim/time.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { TcpRepr } from '../../lib/wire/tcp-types.ts';
import { attachTcp } from '../../modules/tcp/driver/setup.ts';
import type { TcpEndpoint } from '../../modules/tcp/endpoint.ts';
import type { TcpHandler } from '../../modules/tcp/events.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import { TcpStack } from '../../modules/tcp/stack.ts';

const A = '10.0.0.1';
const B = '10.0.0.2';

// ---- pure state machine: two stacks on one scheduler, segments handed over after a delay ----

function purePair(delay: Time): { sched: Scheduler; a: TcpStack; b: TcpStack } {
  const sched = new Scheduler();
  const stacks = new Map<number, TcpStack>();
  const mk = (addr: string): TcpStack => {
    const s: TcpStack = new TcpStack({
      rng: new SeededRng(`bench:tcp:${addr}`),
      profile: linuxProfile,
      env: {
        output: (src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr) => {
          sched.schedule(delay, () => stacks.get(dst)?.input(src, dst, seg, sched.now()));
        },
        wakeAt: (at) => void sched.scheduleAt(at, () => s.onTimer(sched.now())),
      },
    });
    stacks.set(ipv4(addr), s);
    return s;
  };
  return { sched, a: mk(A), b: mk(B) };
}

export function pureBulk(bytes: number): number {
  const { sched, a, b } = purePair(50 * US);
  let server: TcpEndpoint | null = null;
  let got = 0;
  b.listen(ipv4(B), 80, 16, {
    connection(l) {
      server = l.accept();
      server!.handler = {
        readable(ep) {
          for (let c = ep.read(1 << 20, sched.now()); c !== null; c = ep.read(1 << 20, sched.now())) got += c.length;
        },
      };
    },
  });
  const chunk = new Uint8Array(65536);
  let sent = 0;
  const client = a.connect(
    {
      localAddr: ipv4(A),
      remoteAddr: ipv4(B),
      remotePort: 80,
      handler: { writable: () => push(), established: () => push() },
    },
    0,
  ) as TcpEndpoint;
  client.setSendBuffer(4 << 20);
  function push(): void {
    while (sent < bytes) {
      const n = client.send(chunk.subarray(0, Math.min(chunk.length, bytes - sent)), sched.now());
      if (n <= 0) break;
      sent += n;
    }
  }
  const secs = cpuSeconds(() => {
    while (got < bytes && sched.pending > 0) sched.runUntil(sched.now() + 10 * MS);
  });
  if (got !== bytes) throw new Error(`pure bulk: ${got} of ${bytes} bytes arrived`);
  return bytes / 1e6 / secs;
}

// ---- whole stack: two world hosts, sockets over TPI over the TCP driver over IP ------------

interface Hosts {
  w: World;
  sa: SocketCalls;
  sb: SocketCalls;
}

function hosts(seed: string): Hosts {
  const w = new World({ seed });
  w.network('net', { kind: 'p2p', latency: 50 * US, bandwidth: 10e9, queuePackets: 100_000 });
  w.host('a');
  w.host('b');
  w.attach('a', 'net', `${A}/24`);
  w.attach('b', 'net', `${B}/24`);
  for (const h of ['a', 'b']) {
    const st = w.getHost(h).stack;
    attachTcp(st.env, st.openIp('tcp-ip'), { profile: 'linux' });
  }
  const ha = w.getHost('a').stack.env;
  const hb = w.getHost('b').stack.env;
  return { w, sa: socketCalls(ha, { maxFds: 1 << 20 }), sb: socketCalls(hb, { maxFds: 1 << 20 }) };
}

export function stackBulk(bytes: number): number {
  const { w, sa, sb } = hosts('bench:tcp:bulk');
  const lfd = sb.socket().value.ret;
  sb.bind(lfd, { addr: B, port: 80 });
  sb.listen(lfd, 8);
  const cfd = sa.socket().value.ret;
  sa.connect(cfd, { addr: B, port: 80 });
  const acc = sb.accept(lfd);
  w.runFor(10 * MS);
  const sfd = acc.value.ret;
  const chunk = new Uint8Array(65536);
  let written = 0;
  let read = 0;
  const writeMore = (): void => {
    if (written < bytes) sa.write(cfd, chunk.subarray(0, Math.min(chunk.length, bytes - written))).onDone((r) => ((written += Math.max(0, r.ret)), writeMore()));
  };
  const readMore = (): void => {
    sb.read(sfd, 1 << 20).onDone((r) => {
      if (r.ret > 0) ((read += r.ret), readMore());
    });
  };
  const secs = cpuSeconds(() => {
    writeMore();
    readMore();
    for (let guard = 0; read < bytes && guard < 100_000; guard++) w.runFor(10 * MS);
  });
  if (read !== bytes) throw new Error(`stack bulk: ${read} of ${bytes} bytes arrived`);
  return bytes / 1e6 / secs;
}

/** Connect, 100-byte request, 1 KB response, close; `conc` at a time. */
export function shortConnections(n: number, conc: number): number {
  const { w, sa, sb } = hosts('bench:tcp:short');
  const lfd = sb.socket().value.ret;
  sb.bind(lfd, { addr: B, port: 80 });
  sb.listen(lfd, 1024);
  const req = new Uint8Array(100);
  const resp = new Uint8Array(1024);
  const serve = (fd: number): void => {
    sb.read(fd, 100).onDone(() => sb.write(fd, resp).onDone(() => void sb.close(fd)));
  };
  const acceptLoop = (): void => {
    sb.accept(lfd).onDone((r) => {
      if (r.ret >= 0) serve(r.ret);
      acceptLoop();
    });
  };
  acceptLoop();
  let started = 0;
  let done = 0;
  // Functions made once per run: a closure named per connection would cost more than the
  // calls it makes (esbuild's keepNames names each one).
  const readResponse = (fd: number, got: number): void => {
    sa.read(fd, 2048).onDone((r) => {
      if (r.ret > 0 && got + r.ret < resp.length) return readResponse(fd, got + r.ret);
      sa.close(fd);
      done++;
      one();
    });
  };
  const one = (): void => {
    if (started >= n) return;
    started++;
    const fd = sa.socket().value.ret;
    sa.connect(fd, { addr: B, port: 80 }).onDone(() => sa.write(fd, req).onDone(() => readResponse(fd, 0)));
  };
  const secs = cpuSeconds(() => {
    for (let i = 0; i < conc; i++) one();
    for (let guard = 0; done < n && guard < 1_000_000; guard++) w.runFor(1 * MS);
  });
  if (done !== n) throw new Error(`short connections: ${done} of ${n}`);
  return n / secs;
}

/** The short-connection cycle on the TCP state machines alone (no sockets, streams, IP or link). */
export function pureShortConnections(n: number, conc: number): number {
  const { sched, a, b } = purePair(50 * US);
  const req = new Uint8Array(100);
  const resp = new Uint8Array(1024);
  // The server answers a complete request and closes; the client closes after the response.
  const server: TcpHandler = {
    readable(ep) {
      let got = (ep.user as number | null) ?? 0;
      for (let c = ep.read(4096, sched.now()); c !== null; c = ep.read(4096, sched.now())) got += c.length;
      ep.user = got;
      if (got >= req.length) {
        ep.send(resp, sched.now());
        ep.close(sched.now());
      }
    },
  };
  b.listen(ipv4(B), 80, 1024, {
    connection(l) {
      for (let c = l.accept(); c !== null; c = l.accept()) c.handler = server;
    },
  });
  let started = 0;
  let done = 0;
  const client: TcpHandler = {
    established(ep) {
      ep.send(req, sched.now());
    },
    readable(ep) {
      let got = (ep.user as number | null) ?? 0;
      for (let c = ep.read(4096, sched.now()); c !== null; c = ep.read(4096, sched.now())) got += c.length;
      ep.user = got;
      if (got >= resp.length) {
        ep.close(sched.now());
        done++;
        one();
      }
    },
  };
  const one = (): void => {
    if (started >= n) return;
    started++;
    a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80, handler: client }, sched.now());
  };
  const secs = cpuSeconds(() => {
    for (let i = 0; i < conc; i++) one();
    for (let guard = 0; done < n && guard < 1_000_000; guard++) sched.runUntil(sched.now() + 1 * MS);
  });
  if (done !== n) throw new Error(`pure short connections: ${done} of ${n}`);
  return n / secs;
}

/** Median of `rounds` measurements of fn after `warm` unmeasured ones, with the range. */
export function steady(warm: number, rounds: number, fn: () => number): { median: number; min: number; max: number } {
  for (let i = 0; i < warm; i++) fn();
  const v: number[] = [];
  for (let i = 0; i < rounds; i++) v.push(fn());
  v.sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)]!, min: v[0]!, max: v[v.length - 1]! };
}

function spread(r: { min: number; max: number }): string {
  const f = (x: number): string => Math.round(x).toLocaleString('en-US');
  return `${f(r.min)}-${f(r.max)}`;
}

/** Heap bytes per idle established endpoint (both ends counted), idle, pure state machine. */
export function pureIdleMemory(n: number): number {
  const { sched, a, b } = purePair(1 * MS);
  a.setSysctl('net.ipv4.ip_local_port_range', '1024 65535');
  const held: TcpEndpoint[] = [];
  const ports = Math.ceil(n / 60000) + 1;
  for (let p = 0; p < ports; p++) {
    b.listen(ipv4(B), 80 + p, 4096, {
      connection(l) {
        for (let c = l.accept(); c !== null; c = l.accept()) held.push(c);
      },
    });
  }
  const before = memoryNow();
  const clients: TcpEndpoint[] = [];
  for (let i = 0; i < n; i++) {
    const c = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 + Math.floor(i / 60000) }, sched.now());
    if (typeof c === 'string') throw new Error(`connect ${i}: ${c}`);
    clients.push(c);
    // Pace the opens below the SYN-queue bound.
    if (i % 2000 === 1999) sched.runUntil(sched.now() + 5 * MS);
  }
  sched.runUntil(sched.now() + 10 * SEC);
  const after = memoryNow();
  const est = clients.filter((c) => c.state === 4).length;
  if (est < n || held.length < n) throw new Error(`idle memory: ${est} client / ${held.length} server connections established of ${n}`);
  return (after - before) / (2 * n);
}

/**
 * Bytes per idle established connection end on the whole stack: n connections made with the
 * socket calls (socket, connect / accept), each end a socket with its stream (head, sockmod,
 * tcp driver queues), TPI state, descriptor and TCB; counted after a collection, JS heap plus
 * array buffers, both ends of every connection.
 */
export function stackIdleMemory(n: number): number {
  const { w, sa, sb } = hosts('bench:tcp:idle');
  // The client uses ports 1024-65535, the server listens on one port per 60,000 connections.
  const tcpCtl = [...w.getHost('a').stack.env.streams].find((s) => s.label === 'tcp');
  const set = tcpCtl?.ioctlSync(TCP_IOC_SYSCTL_SET, { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' });
  if (!set?.ok) throw new Error('idle memory: cannot widen the port range');
  const ports = Math.ceil(n / 60000);
  let accepted = 0;
  for (let p = 0; p < ports; p++) {
    const lfd = sb.socket().value.ret;
    sb.bind(lfd, { addr: B, port: 80 + p });
    sb.listen(lfd, 4096);
    const loop = (): void => {
      sb.accept(lfd).onDone((r) => {
        if (r.ret >= 0) accepted++;
        loop();
      });
    };
    loop();
  }
  w.runFor(1 * MS);
  const before = memoryNow();
  let connected = 0;
  for (let i = 0; i < n; i++) {
    const fd = sa.socket().value.ret;
    sa.connect(fd, { addr: B, port: 80 + Math.floor(i / 60000) }).onDone((r) => {
      if (r.ret === 0) connected++;
    });
    // Pace the opens below the listen backlog.
    if (i % 1000 === 999) w.runFor(1 * MS);
  }
  w.runFor(1 * SEC);
  const after = memoryNow();
  if (connected < n || accepted < n) throw new Error(`idle memory: ${connected} connected / ${accepted} accepted of ${n}`);
  return (after - before) / (2 * n);
}

/**
 * A full collection: the global gc() under --expose-gc, else one obtained by turning the flag on
 * for a fresh context (the bench command runs node without flags).
 */
function collector(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** JS heap plus array-buffer memory in use, after full collections. */
function memoryNow(): number {
  const gc = collector();
  // Twice: what the first collection frees can keep more alive until the second.
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

registerBenchmarks({
  area: 'tcp',
  name: 'bulk',
  run(): BenchResult[] {
    const pure = steady(2, 3, () => pureBulk(100e6));
    const full = steady(3, 3, () => stackBulk(100e6));
    return [
      { name: 'bulk MB per CPU-second, TCP state machine alone', value: pure.median, unit: 'MB/cpu-s', note: `median of 3 x 100 MB (${spread(pure)}), 50 us one-way, Linux profile` },
      {
        name: 'bulk MB per CPU-second, sockets+TPI+TCP+IP+link',
        value: full.median,
        unit: 'MB/cpu-s',
        note: `goal >= 250; median of 3 x 100 MB (${spread(full)}) over 10 Gbit/s, MTU 1500; TCP alone is ${(pure.median / full.median).toFixed(2)}x faster`,
      },
    ];
  },
});

registerBenchmarks({
  area: 'tcp',
  name: 'short connections',
  run(): BenchResult[] {
    const pure = steady(3, 3, () => pureShortConnections(5000, 100));
    const r = steady(3, 3, () => shortConnections(5000, 100));
    return [
      { name: 'short connections per CPU-second, TCP state machine alone', value: pure.median, unit: 'conn/cpu-s', note: `median of 3 x 5,000 (${spread(pure)}); the same cycle on two TcpStacks` },
      {
        name: 'short connections per CPU-second (socket API)',
        value: r.median,
        unit: 'conn/cpu-s',
        note: `goal >= 20,000; median of 3 x 5,000 (${spread(r)}); connect, 100 B request, 1 KB response, close; 100 concurrent; TCP alone is ${(pure.median / r.median).toFixed(2)}x faster`,
      },
    ];
  },
});

registerBenchmarks({
  area: 'tcp',
  name: 'idle memory',
  run(): BenchResult[] {
    const full = stackIdleMemory(100_000);
    const pure = pureIdleMemory(100_000);
    return [
      {
        name: 'bytes per idle established connection end, whole stack',
        value: full,
        unit: 'B',
        note: `goal <= 4096; 100k connections over the socket calls, both ends counted (socket, stream, TPI, TCB), JS heap + array buffers after full collections`,
      },
      { name: 'bytes per idle established TCP endpoint, TCP alone', value: pure, unit: 'B', note: `100k connections, both ends counted; the stack above TCP adds ${Math.round(full - pure)} B` },
    ];
  },
});
