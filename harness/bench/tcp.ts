/**
 * TCP benchmarks (issue 4): bulk transfer payload MB per CPU-second between two emulated hosts
 * over a fast link (goal >= 250), short connections per CPU-second on the socket API (goal
 * >= 20,000), memory per idle established connection (goal <= 4 KB, 100k connections).
 * Each figure is given for the pure state machine (modules/tcp alone, segments handed over
 * directly) and for the whole stack (sockets, TPI, TCP driver, IP, links), so the share of
 * each layer is visible. Fixed seeds; CPU seconds of this process.
 */
import { registerBenchmarks, cpuSeconds, type BenchResult } from './suite.ts';
import { World } from '../world/world.ts';
import { socketCalls, type SocketCalls } from '../sockets/syscalls.ts';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { SeededRng } from '../../lib/sim/rng.ts';
import { MS, SEC, US, type Time } from '../../lib/sim/time.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { TcpRepr } from '../../lib/wire/tcp-types.ts';
import { attachTcp } from '../../modules/tcp/driver/setup.ts';
import type { TcpEndpoint } from '../../modules/tcp/endpoint.ts';
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

function pureBulk(bytes: number): number {
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

function stackBulk(bytes: number): number {
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
function shortConnections(n: number, conc: number): number {
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
  const one = (): void => {
    if (started >= n) return;
    started++;
    const fd = sa.socket().value.ret;
    sa.connect(fd, { addr: B, port: 80 }).onDone(() =>
      sa.write(fd, req).onDone(() => {
        let got = 0;
        const rd = (): void => {
          sa.read(fd, 2048).onDone((r) => {
            if (r.ret > 0 && (got += r.ret) < resp.length) return rd();
            sa.close(fd);
            done++;
            one();
          });
        };
        rd();
      }),
    );
  };
  const secs = cpuSeconds(() => {
    for (let i = 0; i < conc; i++) one();
    for (let guard = 0; done < n && guard < 1_000_000; guard++) w.runFor(1 * MS);
  });
  if (done !== n) throw new Error(`short connections: ${done} of ${n}`);
  return n / secs;
}

/** Heap bytes per established endpoint (both ends counted), idle, pure state machine. */
function pureIdleMemory(n: number): number {
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
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const clients: TcpEndpoint[] = [];
  for (let i = 0; i < n; i++) {
    const c = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: 80 + Math.floor(i / 60000) }, sched.now());
    if (typeof c === 'string') throw new Error(`connect ${i}: ${c}`);
    clients.push(c);
    // Pace the opens below the SYN-queue bound.
    if (i % 2000 === 1999) sched.runUntil(sched.now() + 5 * MS);
  }
  sched.runUntil(sched.now() + 10 * SEC);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  const est = clients.filter((c) => c.state === 4).length;
  if (est < n || held.length < n) throw new Error(`idle memory: ${est} client / ${held.length} server connections established of ${n}`);
  return (after - before) / (2 * n);
}

registerBenchmarks({
  area: 'tcp',
  name: 'bulk',
  run(): BenchResult[] {
    pureBulk(20e6); // warm-up
    const pure = pureBulk(200e6);
    stackBulk(10e6);
    const full = stackBulk(100e6);
    return [
      { name: 'bulk MB per CPU-second, TCP state machine alone', value: pure, unit: 'MB/cpu-s', note: '200 MB, 50 us one-way, Linux profile' },
      { name: 'bulk MB per CPU-second, sockets+TPI+TCP+IP+link', value: full, unit: 'MB/cpu-s', note: `goal >= 250; 100 MB over 10 Gbit/s; TCP alone is ${(pure / full).toFixed(1)}x faster` },
    ];
  },
});

registerBenchmarks({
  area: 'tcp',
  name: 'short connections',
  run(): BenchResult[] {
    shortConnections(500, 50); // warm-up
    const rate = shortConnections(5000, 100);
    return [{ name: 'short connections per CPU-second (socket API)', value: rate, unit: 'conn/cpu-s', note: 'goal >= 20,000; connect, 100 B request, 1 KB response, close; 100 concurrent' }];
  },
});

registerBenchmarks({
  area: 'tcp',
  name: 'idle memory',
  run(): BenchResult[] {
    const per = pureIdleMemory(100_000);
    const gcNote = (globalThis as { gc?: unknown }).gc ? '' : ' (run node with --expose-gc for a steadier figure)';
    return [{ name: 'heap bytes per idle established TCP endpoint', value: per, unit: 'B', note: `goal <= 4096; 100k connections, both ends counted, TCP state machine${gcNote}` }];
  },
});
