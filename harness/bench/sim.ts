/**
 * Scheduler benchmarks (issue 3 goal: at least 2 million events per second with 100 000 timers
 * pending). The "hold" model: every event re-arms one timer at a random future time, so the
 * heap stays at the chosen size while events run. Delays come from the seeded RNG (fixed seed).
 * Also: packets per second through a small world (links, a router's IP, a switch, netdrv).
 */
import { registerBenchmarks, cpuSeconds } from './suite.ts';
import type { BenchResult } from './suite.ts';
import { Scheduler, SeededRng, US, MS } from '../../lib/sim/index.ts';
import { World } from '../world/world.ts';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';

function hold(pending: number, events: number): { rate: number; checksum: number } {
  const s = new Scheduler(pending);
  const rng = new SeededRng('bench:hold');
  // Pre-drawn delays keep the RNG out of the measured loop.
  const delays = new Float64Array(1 << 16);
  for (let i = 0; i < delays.length; i++) delays[i] = 1 + rng.int(10 * MS);
  let k = 0;
  let checksum = 0;
  const fire = (): void => {
    checksum = (checksum + s.now()) % 1_000_000_007;
    s.schedule(delays[k++ & 0xffff]!, fire);
  };
  for (let i = 0; i < pending; i++) s.schedule(delays[k++ & 0xffff]!, fire);
  const secs = cpuSeconds(() => s.runUntilIdle({ maxEvents: events, onLimit: 'stop' }));
  return { rate: events / secs, checksum };
}

function rearm(pending: number, events: number): number {
  // A TCP-like load: each event cancels and re-arms a retransmission timer of some other flow.
  const s = new Scheduler(pending * 2);
  const timers = new Array<number>(pending);
  const rng = new SeededRng('bench:rearm');
  const pick = new Uint32Array(1 << 16);
  for (let i = 0; i < pick.length; i++) pick[i] = rng.int(pending);
  let k = 0;
  const idle = (): void => {};
  const fire = (): void => {
    const j = pick[k++ & 0xffff]!;
    s.cancel(timers[j]!);
    timers[j] = s.schedule(200 * MS, idle);
    s.schedule(10 * US, fire);
  };
  for (let i = 0; i < pending; i++) timers[i] = s.schedule(200 * MS + i, idle);
  s.schedule(0, fire);
  const secs = cpuSeconds(() => s.runUntilIdle({ maxEvents: events, onLimit: 'stop' }));
  return events / secs;
}

registerBenchmarks({
  area: 'sim',
  name: 'scheduler',
  run(): BenchResult[] {
    hold(100_000, 500_000); // warm-up
    const big = hold(100_000, 3_000_000);
    const small = hold(100, 3_000_000);
    const re = rearm(100_000, 1_000_000);
    return [
      { name: 'events/s, 100k pending timers (hold model)', value: big.rate, unit: 'events/s', note: 'goal >= 2,000,000' },
      { name: 'events/s, 100 pending timers (hold model)', value: small.rate, unit: 'events/s', note: `100k/100 ratio ${(big.rate / small.rate).toFixed(2)}` },
      { name: 'events/s with cancel+re-arm per event, 100k timers', value: re, unit: 'events/s', note: 'each event: cancel, 2 schedules' },
    ];
  },
});

/** Packets through a whole world: host -> p2p link -> router (IP forward) -> switch -> host. */
export function worldThroughput(packets: number): { rate: number; delivered: number } {
  const w = new World({ seed: 'bench:world' });
  w.network('wan', { kind: 'p2p', latency: 1 * MS, bandwidth: 10e9, queuePackets: 100_000 });
  w.network('lan', { latency: 10 * US, bandwidth: 10e9, queuePackets: 100_000 });
  w.host('client');
  w.router('router');
  w.host('server');
  w.attach('client', 'wan', '198.51.100.10/24');
  w.attach('router', 'wan', '198.51.100.1/24');
  w.attach('router', 'lan', '192.0.2.1/24');
  w.attach('server', 'lan', '192.0.2.10/24');
  w.route('client', 'default', '198.51.100.1');
  const tx = w.getHost('client').stack.openRaw(IpProto.TEST);
  const rx = w.getHost('server').stack.openRaw(IpProto.TEST);
  const payload = new Uint8Array(1400);
  const dst = ipv4('192.0.2.10');
  const src = ipv4('198.51.100.10');
  let sent = 0;
  // 10 packets every 20 us: 5.7 Gbit/s on 10 Gbit/s links, so no queue drops.
  const burst = (): void => {
    for (let i = 0; i < 10 && sent < packets; i++, sent++) tx.send({ dst, src, payload });
    rx.received.length = 0;
    if (sent < packets) w.sched.schedule(20 * US, burst);
  };
  let delivered = 0;
  rx.onPacket = () => void delivered++;
  burst();
  const secs = cpuSeconds(() => w.runUntilIdle());
  return { rate: delivered / secs, delivered };
}

registerBenchmarks({
  area: 'sim',
  name: 'world',
  run(): BenchResult[] {
    worldThroughput(20_000); // warm-up
    const r = worldThroughput(100_000);
    return [{ name: 'packets/s host -> router -> switch -> host (1428 B, raw IP)', value: r.rate, unit: 'packets/s', note: `${r.delivered} delivered; 4 link hops, 1 forward` }];
  },
});
