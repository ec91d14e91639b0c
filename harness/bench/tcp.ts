/**
 * TCP benchmarks (issue 4): bulk transfer payload MB per CPU-second between two emulated hosts
 * over a fast link (goal >= 250), short connections per CPU-second on the socket API (goal
 * >= 20,000), memory per idle established connection (goal <= 4 KB, 100k connections).
 * Each figure is given for the pure state machine (modules/tcp alone, segments handed over
 * directly) and for the whole stack (sockets, TPI, TCP driver, IP, netdrv, links), so the share
 * of each layer is visible. Fixed seeds; CPU seconds of this process (the memory figures come
 * from a child process, tcp-memory.ts).
 *
 * Rates are steady-state figures: a few unmeasured rounds first (V8 needs tens of thousands of
 * packets before the hot paths are optimised, and a cold round measured 3-5x slower), then the
 * median of several measured rounds, with their spread in the note.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerBenchmarks, cpuSeconds, type BenchResult } from './suite.ts';
import { World } from '../world/world.ts';
import { socketCalls, type SocketCalls } from '../sockets/syscalls.ts';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { SeededRng } from '../../lib/sim/rng.ts';
import { MS, US, type Time } from '../../lib/sim/time.ts';
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

export function purePair(delay: Time): { sched: Scheduler; a: TcpStack; b: TcpStack } {
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

export function hosts(seed: string): Hosts {
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
    const pure = steady(3, 5, () => pureShortConnections(5000, 100));
    const r = steady(3, 5, () => shortConnections(5000, 100));
    return [
      { name: 'short connections per CPU-second, TCP state machine alone', value: pure.median, unit: 'conn/cpu-s', note: `median of 5 x 5,000 (${spread(pure)}); the same cycle on two TcpStacks` },
      {
        name: 'short connections per CPU-second (socket API)',
        value: r.median,
        unit: 'conn/cpu-s',
        note: `goal >= 20,000; median of 5 x 5,000 (${spread(r)}); connect, 100 B request, 1 KB response, close; 100 concurrent; TCP alone is ${(pure.median / r.median).toFixed(2)}x faster`,
      },
    ];
  },
});

registerBenchmarks({
  area: 'tcp',
  name: 'idle memory',
  run(): BenchResult[] {
    const { full, pure } = idleMemoryInChild();
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

/**
 * The memory figures come from a child node started with --expose-gc (tcp-memory.ts): the
 * full collections they need must not happen in this process, where a forced collection
 * shrinks the young generation and left every benchmark after it running 4-5x slower.
 */
function idleMemoryInChild(): { full: number; pure: number } {
  const script = fileURLToPath(new URL('./tcp-memory.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', import.meta.resolve('tsx'), script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`idle memory: the measuring process failed: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  return JSON.parse(r.stdout) as { full: number; pure: number };
}
