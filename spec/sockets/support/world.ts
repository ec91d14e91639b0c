/**
 * Two hosts on the fake transport (tpiloop) sharing one scheduler, with their socket calls.
 */
import { Scheduler } from '../../../lib/sim/scheduler.ts';
import { runAsync, yieldToNode } from '../../../lib/sim/async.ts';
import type { StreamsEnv } from '../../../lib/streams/index.ts';
import { socketCalls, type SocketCalls } from '../../../harness/sockets/syscalls.ts';
import type { Call } from '../../../harness/sockets/call.ts';
import type { SysResult } from '../../../harness/sockets/types.ts';
import { TpiLoopNet } from './tpiloop.ts';

export interface LoopWorld {
  sched: Scheduler;
  net: TpiLoopNet;
  a: StreamsEnv;
  b: StreamsEnv;
  /** Calls on host a (10.0.0.1) and host b (10.0.0.2). */
  sa: SocketCalls;
  sb: SocketCalls;
}

export const A = '10.0.0.1';
export const B = '10.0.0.2';

export function loopWorld(opts: { connectDelay?: number; maxFds?: number } = {}): LoopWorld {
  const sched = new Scheduler();
  const net = new TpiLoopNet();
  net.connectDelay = opts.connectDelay ?? 0;
  const a = net.host('a', A, sched);
  const b = net.host('b', B, sched);
  const o = { transport: 'tpiloop', maxFds: opts.maxFds ?? 1024 };
  return { sched, net, a, b, sa: socketCalls(a, o), sb: socketCalls(b, o) };
}

/** The result of a call that must have returned already. */
export function now<R extends SysResult>(c: Call<R>): R {
  if (!c.done) throw new Error(`${c.what} is still blocked`);
  return c.result!;
}

/** Run the scheduler until nothing is left (bounded). */
export function settle(w: LoopWorld, maxTime = 60e9): void {
  w.sched.runUntilIdle({ maxTime });
}

/** A listener on host b port `port`, and a connected pair: [client fd on a, server fd on b]. */
export function connectedPair(w: LoopWorld, port = 80): { lfd: number; cfd: number; sfd: number } {
  const lfd = now(w.sb.socket()).ret;
  now(w.sb.bind(lfd, { addr: B, port }));
  now(w.sb.listen(lfd, 16));
  const cfd = now(w.sa.socket()).ret;
  const conn = w.sa.connect(cfd, { addr: B, port });
  const acc = w.sb.accept(lfd);
  settle(w);
  if (now(conn).ret !== 0 || now(acc).ret < 0) throw new Error(`connect ${JSON.stringify(conn.result)} accept ${JSON.stringify(acc.result)}`);
  return { lfd, cfd, sfd: acc.result!.ret };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * Run the world asynchronously until `until`. Node work queued by the spec itself (nextTick,
 * promises) gets a turn first: a run that starts idle would otherwise end before it.
 */
export async function runNode(w: LoopWorld, until: number): Promise<void> {
  await yieldToNode();
  await runAsync(w.sched, { until });
}
