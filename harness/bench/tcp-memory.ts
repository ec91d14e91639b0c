/**
 * The idle-memory figures of the tcp benchmarks (issue 4: 4 KB or less per idle established
 * connection, measured with 100k connections), run as a script in a child node started with
 * --expose-gc (tcp.ts starts it): the full collections a memory figure needs would, in the
 * benchmark process itself, shrink the young generation and slow every figure after them.
 * Prints {"full": bytes per end over the whole stack, "pure": bytes per TCP endpoint alone}.
 */
import { TCP_IOC_SYSCTL_SET } from '../../modules/tcp/driver/ioctl.ts';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { TcpEndpoint } from '../../modules/tcp/endpoint.ts';
import { hosts, purePair } from './tcp.ts';

const A = '10.0.0.1';
const B = '10.0.0.2';

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

/** JS heap plus array-buffer memory in use, after full collections. */
function memoryNow(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('tcp-memory.ts needs node --expose-gc');
  // Twice: what the first collection frees can keep more alive until the second.
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const full = stackIdleMemory(100_000);
const pure = pureIdleMemory(100_000);
process.stdout.write(`${JSON.stringify({ full, pure })}\n`);
