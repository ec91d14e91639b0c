/**
 * A tiny virtual network for TCP unit specs: stacks exchange TcpRepr segments over a fixed
 * one-way delay on lib/sim's scheduler, with optional seeded loss, reordering and
 * duplication, a capture of every segment, and hooks to drop or inject segments.
 */
import { Scheduler } from '../../../lib/sim/scheduler.ts';
import { SeededRng } from '../../../lib/sim/rng.ts';
import { MS, type Time } from '../../../lib/sim/time.ts';
import { ipv4, type Ipv4Addr } from '../../../lib/wire/ip-types.ts';
import { TcpFlag, type TcpRepr } from '../../../lib/wire/tcp-types.ts';
import type { TcpProfile } from '../../../modules/tcp/profile.ts';
import { TcpStack } from '../../../modules/tcp/stack.ts';

export interface Captured {
  t: Time;
  src: Ipv4Addr;
  dst: Ipv4Addr;
  seg: TcpRepr;
  dropped: boolean;
}

export class TestNet {
  readonly sched = new Scheduler();
  readonly hosts = new Map<number, TcpStack>();
  readonly log: Captured[] = [];
  delay: Time = 1 * MS;
  loss = 0;
  reorder = 0;
  duplicate = 0;
  /** Return true to drop a segment (applied before random loss). */
  dropIf: ((c: Captured) => boolean) | null = null;
  /** Keep the capture (turn off for bulk runs). */
  capture = true;
  /** Stacks added from now on swap orphans' TCBs in TIME-WAIT for records (time-wait.ts). */
  compactTimeWait = false;
  private readonly rng: SeededRng;
  private readonly seed: string;

  constructor(seed: string | number = 1) {
    this.seed = String(seed);
    this.rng = new SeededRng(`${seed}/net`);
  }

  get now(): Time {
    return this.sched.now();
  }

  addHost(addr: string, profile?: TcpProfile, mtu = 1500): TcpStack {
    const a = ipv4(addr);
    const stack: TcpStack = new TcpStack({
      rng: new SeededRng(`${this.seed}/${addr}`),
      profile,
      compactTimeWait: this.compactTimeWait,
      env: {
        output: (src, dst, seg) => this.send(src, dst, seg),
        mtu: () => mtu,
        wakeAt: (at) => {
          this.sched.scheduleAt(at, () => stack.onTimer(this.sched.now()));
        },
      },
    });
    this.hosts.set(a, stack);
    return stack;
  }

  send(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr): void {
    const c: Captured = { t: this.now, src, dst, seg, dropped: false };
    if ((this.dropIf && this.dropIf(c)) || (this.loss > 0 && this.rng.float() < this.loss)) c.dropped = true;
    if (this.capture) this.log.push(c);
    if (c.dropped) return;
    let d = this.delay;
    if (this.reorder > 0 && this.rng.float() < this.reorder) d += this.delay * (1 + this.rng.float());
    this.sched.schedule(d, () => this.deliver(src, dst, seg));
    if (this.duplicate > 0 && this.rng.float() < this.duplicate) {
      this.sched.schedule(d + this.delay / 3, () => this.deliver(src, dst, seg));
    }
  }

  /** Hand a segment to the host owning `dst` now (for crafted segments). */
  deliver(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr): void {
    this.hosts.get(dst)?.input(src, dst, seg, this.now);
  }

  run(duration: Time): void {
    this.sched.runUntil(this.now + duration);
  }

  /** Run until `done()` holds (checked after every event) or `limit` of virtual time passes. */
  runUntil(done: () => boolean, limit: Time): boolean {
    const end = this.now + limit;
    while (!done()) {
      const t = this.sched.nextTime();
      if (t === undefined || t > end) {
        this.sched.advanceTo(end);
        return done();
      }
      this.sched.runUntil(t);
    }
    return true;
  }

  /** Captured segments from `src` (optionally only those with all of `flags`). */
  from(src: string, flags = 0): Captured[] {
    const a = ipv4(src);
    return this.log.filter((c) => c.src === a && (c.seg.flags & flags) === flags);
  }

  clearLog(): void {
    this.log.length = 0;
  }
}

export function flagsOf(seg: TcpRepr): string {
  const names: [number, string][] = [
    [TcpFlag.SYN, 'S'],
    [TcpFlag.FIN, 'F'],
    [TcpFlag.RST, 'R'],
    [TcpFlag.PSH, 'P'],
    [TcpFlag.ACK, '.'],
  ];
  return names.filter(([f]) => seg.flags & f).map(([, n]) => n).join('');
}

/** Option kinds in order, e.g. "mss,sackOK,ts,nop,wscale". */
export function optionLayout(seg: TcpRepr): string {
  return seg.options.map((o) => o.kind).join(',');
}

export function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
