/**
 * STREAMS framework benchmarks (issue 2 goal: the putnext path at least half as fast as a plain
 * chain of function calls doing the same work). A 64-byte M_DATA message goes down a stream of
 * 4 pass-through modules to a driver that counts it:
 *  - putnext: passthru modules (put procedures only);
 *  - putq + service: qpass modules (every hop queues, the scheduler runs the services);
 *  - plain: 4 objects linked by `next`, each calling the next one's put function, then the same
 *    counting sink — the framework's structure without the framework;
 *  - direct: 4 named functions calling each other (V8 may inline the whole chain: a floor, not
 *    a fair comparison; printed for transparency).
 * Every path is timed in alternating rounds within one run; the best round of each counts.
 */
import { registerBenchmarks, cpuSeconds } from './suite.ts';
import type { BenchResult } from './suite.ts';
import { defineDriver, INFPSZ, mkdata, putnext, Registry, StreamsEnv } from '../../lib/streams/index.ts';
import type { Mblk, Queue } from '../../lib/streams/index.ts';
import passthru from '../../modules/examples/passthru.ts';
import qpass from '../../modules/examples/qpass.ts';

let sunk = 0;
const benchInfo = { id: 9990, name: 'benchsink', minpsz: 0, maxpsz: INFPSZ, hiwat: 1 << 30, lowat: 1 };
/** Counts what reaches it and keeps nothing, so one message can be sent again and again. */
const benchSink = defineDriver({
  rdinit: { put: (q, mp) => putnext(q, mp), minfo: benchInfo },
  wrinit: { put: () => void sunk++, minfo: benchInfo },
});

function stack(module: string): { env: StreamsEnv; head: Queue } {
  const reg = new Registry();
  for (const d of [passthru, qpass, benchSink]) reg.register(d);
  const env = new StreamsEnv({ registry: reg, name: 'bench' });
  const st = env.open('benchsink');
  for (let i = 0; i < 4; i++) st.push(module);
  return { env, head: st.wq };
}

const payload = new Uint8Array(64).fill(0x5a);

function viaPutnext(n: number, traced: boolean): number {
  const { env, head } = stack('passthru');
  let seen = 0;
  if (traced) env.trace.on('put', () => void seen++);
  const mp = mkdata(payload);
  sunk = 0;
  const secs = cpuSeconds(() => {
    for (let i = 0; i < n; i++) putnext(head, mp);
  });
  if (sunk !== n) throw new Error(`bench: ${sunk} of ${n} arrived`);
  return n / secs;
}

function viaService(total: number): number {
  let n = total;
  const { env, head } = stack('qpass');
  const batch = 64;
  n -= n % batch;
  const msgs: Mblk[] = Array.from({ length: batch }, () => mkdata(payload));
  sunk = 0;
  const secs = cpuSeconds(() => {
    for (let i = 0; i < n; i += batch) {
      for (let j = 0; j < batch; j++) putnext(head, msgs[j]!);
      env.runServices();
    }
  });
  if (sunk !== n) throw new Error(`bench: ${sunk} of ${n} arrived`);
  return n / secs;
}

interface Hop {
  next: Hop | null;
  put: (h: Hop, m: Mblk) => void;
}

function viaPlain(n: number): number {
  const pass = (h: Hop, m: Mblk): void => {
    const nx = h.next!;
    nx.put(nx, m);
  };
  const sink: Hop = { next: null, put: () => void sunk++ };
  let top: Hop = sink;
  for (let i = 0; i < 4; i++) top = { next: top, put: pass };
  const mp = mkdata(payload);
  sunk = 0;
  const first = top;
  const secs = cpuSeconds(() => {
    for (let i = 0; i < n; i++) first.put(first, mp);
  });
  if (sunk !== n) throw new Error(`bench: ${sunk} of ${n} arrived`);
  return n / secs;
}

function d4(m: Mblk): void {
  if (m.freed) throw new Error('freed');
  sunk++;
}
function d3(m: Mblk): void {
  d4(m);
}
function d2(m: Mblk): void {
  d3(m);
}
function d1(m: Mblk): void {
  d2(m);
}

function viaDirect(n: number): number {
  const mp = mkdata(payload);
  sunk = 0;
  const secs = cpuSeconds(() => {
    for (let i = 0; i < n; i++) d1(mp);
  });
  if (sunk !== n) throw new Error(`bench: ${sunk} of ${n} arrived`);
  return n / secs;
}

registerBenchmarks({
  area: 'streams',
  name: 'message paths through 4 pass-through modules',
  run(): BenchResult[] {
    const N = 2_000_000;
    const best = { putnext: 0, traced: 0, service: 0, plain: 0, direct: 0 };
    // Warm-up, then alternating rounds so that machine noise hits every path alike.
    viaPutnext(200_000, false);
    viaPlain(200_000);
    viaService(200_000);
    for (let round = 0; round < 5; round++) {
      best.putnext = Math.max(best.putnext, viaPutnext(N, false));
      best.plain = Math.max(best.plain, viaPlain(N));
      best.service = Math.max(best.service, viaService(N / 4));
      best.direct = Math.max(best.direct, viaDirect(N));
    }
    best.traced = viaPutnext(N / 4, true);
    const ratio = best.putnext / best.plain;
    return [
      { name: 'putnext through 4 modules', value: best.putnext, unit: 'msg/s', note: '64-byte M_DATA, 5 puts per message' },
      { name: 'putq + service through 4 modules', value: best.service, unit: 'msg/s', note: `${(best.putnext / best.service).toFixed(1)}x slower than putnext; batches of 64` },
      { name: 'plain chain of 4 linked function calls', value: best.plain, unit: 'msg/s' },
      { name: 'putnext / plain chain ratio', value: ratio, unit: 'x', note: `goal >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}` },
      { name: 'direct calls (inlinable, for reference)', value: best.direct, unit: 'msg/s', note: `putnext / direct ${(best.putnext / best.direct).toFixed(2)}` },
      { name: 'putnext with a trace listener', value: best.traced, unit: 'msg/s', note: `tracing costs ${(best.putnext / best.traced).toFixed(1)}x` },
    ];
  },
});
