/**
 * One direction of a link: a bounded FIFO queue in front of a transmitter of fixed bandwidth,
 * then the propagation delay, then the faults, then the far end. A packet sent at time t starts
 * serialising when the packets before it are done, takes size*8/bandwidth, and arrives
 * `latency` after its last bit left. The queue holds at most `queuePackets` packets and
 * `queueBytes` bytes, the one being serialised included; a packet that does not fit is
 * tail-dropped. Lost and corrupted packets still use the queue and the wire, as on a real link.
 *
 * The queue needs no events of its own: it is a ring of departure times trimmed on each send,
 * so one scheduler event per delivered packet is the whole cost. Packets in flight wait on a
 * second ring in arrival order, and their events share one callback that takes the next one
 * (a reordered or duplicated packet, or one that would overtake after a latency change, gets a
 * callback of its own).
 */
import type { Time } from '../../lib/sim/time.ts';
import type { SeededRng } from '../../lib/sim/rng.ts';
import { formatPacket } from '../../lib/wire/format.ts';
import type { Frame, WorldContext } from './context.ts';
import { applyFaults, noFaults, zeroCounters, type DirectionCounters, type FaultSettings } from './faults.ts';

export interface LinkParams {
  /** One-way propagation delay, ns. */
  latency: Time;
  /** Bits per second; Infinity means no serialisation delay. */
  bandwidth: number;
  /** Largest packet the link carries, bytes. */
  mtu: number;
  /** Queue bound in packets (including the one being sent). */
  queuePackets: number;
  /** Queue bound in bytes. */
  queueBytes: number;
}

export const defaultLinkParams: Readonly<LinkParams> = Object.freeze({
  latency: 0,
  bandwidth: Infinity,
  mtu: 1500,
  queuePackets: 1000,
  queueBytes: 4 * 1024 * 1024,
});

export function checkLinkParams(p: Partial<LinkParams>): void {
  if (p.latency !== undefined && !(p.latency >= 0 && Number.isFinite(p.latency))) throw new RangeError(`link latency must be a time >= 0 ns, got ${p.latency}`);
  if (p.bandwidth !== undefined && !(p.bandwidth > 0)) throw new RangeError(`link bandwidth must be > 0 bit/s (Infinity for none), got ${p.bandwidth}`);
  if (p.mtu !== undefined && !(Number.isInteger(p.mtu) && p.mtu >= 68 && p.mtu <= 65535)) throw new RangeError(`link mtu must be an integer in [68, 65535], got ${p.mtu}`);
  if (p.queuePackets !== undefined && !(Number.isInteger(p.queuePackets) && p.queuePackets >= 1)) throw new RangeError(`link queuePackets must be an integer >= 1, got ${p.queuePackets}`);
  if (p.queueBytes !== undefined && !(Number.isInteger(p.queueBytes) && p.queueBytes >= 1)) throw new RangeError(`link queueBytes must be an integer >= 1, got ${p.queueBytes}`);
}

/** Why a direction refused or lost a packet (the trace's `reason`). */
export type DropReason = 'loss' | 'partition' | 'down' | 'queue' | 'mtu';

export class LinkDirection {
  readonly params: LinkParams;
  readonly faults: FaultSettings = { ...noFaults };
  readonly counters: DirectionCounters = zeroCounters();
  /** Where delivered frames go (the far interface or the switch). */
  deliver: (frame: Frame) => void = () => {};

  private readonly rLoss: SeededRng;
  private readonly rDup: SeededRng;
  private readonly rReorder: SeededRng;
  private readonly rCorrupt: SeededRng;
  // Departure times and sizes of queued packets (a ring; the bound is queuePackets).
  private depart: Float64Array;
  private sizes: Int32Array;
  private head = 0;
  private count = 0;
  private bytes = 0;
  private busyUntil: Time = 0;
  /** Bumped by link down: frames in flight from an older epoch die on arrival. */
  private epoch = 0;
  private isUp = true;
  // Frames in flight in arrival order (a ring), with their epochs, and the last arrival time.
  private flight: (Frame | null)[] = [];
  private flightEpoch: number[] = [];
  private flightHead = 0;
  private flightLen = 0;
  private lastArrive: Time = 0;
  private readonly arriveNextFn: () => void = this.arriveNext.bind(this);

  constructor(
    private readonly ctx: WorldContext,
    /** "lan:fe>sw", used in the trace and counters. */
    readonly name: string,
    params: Partial<LinkParams>,
  ) {
    checkLinkParams(params);
    this.params = { ...defaultLinkParams, ...params };
    const r = ctx.rng.fork(`link:${name}`);
    this.rLoss = r.fork('loss');
    this.rDup = r.fork('duplicate');
    this.rReorder = r.fork('reorder');
    this.rCorrupt = r.fork('corrupt');
    this.depart = new Float64Array(this.params.queuePackets);
    this.sizes = new Int32Array(this.params.queuePackets);
  }

  /** Change latency, bandwidth, MTU or queue bounds (a queue resize keeps what is queued). */
  configure(change: Partial<LinkParams>): void {
    checkLinkParams(change);
    Object.assign(this.params, change);
    if (this.params.queuePackets !== this.depart.length) this.resizeRing(this.params.queuePackets);
  }

  setFaults(change: Partial<FaultSettings>): void {
    applyFaults(this.faults, change);
  }

  clearFaults(): void {
    Object.assign(this.faults, noFaults);
  }

  /** Packets in the queue now (the one on the wire included). */
  get queueLength(): number {
    this.trim(this.ctx.sched.now());
    return this.count;
  }

  /** Called by the link. Going down loses everything queued and in flight. */
  setUp(up: boolean): void {
    if (up === this.isUp) return;
    this.isUp = up;
    if (!up) {
      this.epoch++;
      this.head = 0;
      this.count = 0;
      this.bytes = 0;
      this.busyUntil = this.ctx.sched.now();
    }
  }

  send(frame: Frame): void {
    const now = this.ctx.sched.now();
    const size = frame.data.length;
    const c = this.counters;
    c.sent++;
    c.sentBytes += size;
    if (!this.isUp) return this.drop(frame, 'down');
    if (this.faults.partitioned) return this.drop(frame, 'partition');
    if (size > this.params.mtu) return this.drop(frame, 'mtu');
    this.trim(now);
    if (this.count >= this.params.queuePackets || this.bytes + size > this.params.queueBytes) return this.drop(frame, 'queue');

    const start = this.busyUntil > now ? this.busyUntil : now;
    const bw = this.params.bandwidth;
    const done = bw === Infinity ? start : start + Math.ceil((size * 8e9) / bw);
    this.busyUntil = done;
    const tail = (this.head + this.count) % this.depart.length;
    this.depart[tail] = done;
    this.sizes[tail] = size;
    this.count++;
    this.bytes += size;
    if (this.count > c.maxQueue) c.maxQueue = this.count;

    // Faults, each from its own stream, drawn for every packet so streams stay aligned.
    const f = this.faults;
    const lost = this.rLoss.float() < f.loss;
    const dup = this.rDup.float() < f.duplicate;
    const late = this.rReorder.float() < f.reorder;
    const bad = this.rCorrupt.float() < f.corrupt;
    if (lost) {
      // It used the queue and the wire; it just never arrives.
      c.lost++;
      this.traceDrop(frame, 'loss');
      return;
    }
    if (bad) this.corrupt(frame);
    let arrive = done + this.params.latency;
    if (late) {
      c.reordered++;
      arrive += f.reorderDelay;
      this.traceFault(frame, 'reorder');
    }
    const epoch = this.epoch;
    if (!late && (this.flightLen === 0 || arrive >= this.lastArrive)) {
      this.pushFlight(frame, epoch);
      this.lastArrive = arrive;
      this.ctx.sched.scheduleAt(arrive, this.arriveNextFn);
    } else {
      this.ctx.sched.scheduleAt(arrive, () => this.arrive(frame, epoch));
    }
    if (dup) {
      c.duplicated++;
      const copy: Frame = { data: frame.data.slice(), nextHop: frame.nextHop, id: frame.id };
      this.traceFault(frame, 'duplicate');
      this.ctx.sched.scheduleAt(arrive, () => this.arrive(copy, epoch));
    }
  }

  private pushFlight(frame: Frame, epoch: number): void {
    let cap = this.flight.length;
    if (this.flightLen === cap) {
      // Grow: unroll the ring into a bigger one.
      const n = Math.max(16, cap * 2);
      const f = new Array<Frame | null>(n).fill(null);
      const e = new Array<number>(n).fill(0);
      for (let i = 0, j = this.flightHead; i < this.flightLen; i++) {
        f[i] = this.flight[j]!;
        e[i] = this.flightEpoch[j]!;
        if (++j === cap) j = 0;
      }
      this.flight = f;
      this.flightEpoch = e;
      this.flightHead = 0;
      cap = n;
    }
    let i = this.flightHead + this.flightLen++;
    if (i >= cap) i -= cap;
    this.flight[i] = frame;
    this.flightEpoch[i] = epoch;
  }

  /** The event of the oldest frame in flight (they arrive in ring order). */
  private arriveNext(): void {
    const i = this.flightHead;
    const frame = this.flight[i]!;
    const epoch = this.flightEpoch[i]!;
    this.flight[i] = null;
    if (++this.flightHead === this.flight.length) this.flightHead = 0;
    this.flightLen--;
    this.arrive(frame, epoch);
  }

  private arrive(frame: Frame, epoch: number): void {
    if (epoch !== this.epoch || !this.isUp) return this.drop(frame, 'down');
    this.counters.delivered++;
    this.counters.deliveredBytes += frame.data.length;
    this.deliver(frame);
  }

  private corrupt(frame: Frame): void {
    const d = frame.data;
    if (d.length === 0) return;
    for (let i = 0; i < this.faults.corruptBits; i++) {
      const bit = this.rCorrupt.int(d.length * 8);
      d[bit >>> 3] ^= 1 << (bit & 7);
    }
    this.counters.corrupted++;
    this.traceFault(frame, 'corrupt');
  }

  private trim(now: Time): void {
    const n = this.depart.length;
    while (this.count > 0 && this.depart[this.head]! <= now) {
      this.bytes -= this.sizes[this.head]!;
      this.head = (this.head + 1) % n;
      this.count--;
    }
  }

  private resizeRing(cap: number): void {
    const d = new Float64Array(Math.max(cap, this.count));
    const s = new Int32Array(d.length);
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) % this.depart.length;
      d[i] = this.depart[j]!;
      s[i] = this.sizes[j]!;
    }
    this.depart = d;
    this.sizes = s;
    this.head = 0;
  }

  private drop(frame: Frame, reason: DropReason): void {
    const c = this.counters;
    if (reason === 'down') c.downDrops++;
    else if (reason === 'partition') c.partitionDrops++;
    else if (reason === 'queue') c.queueDrops++;
    else if (reason === 'mtu') c.mtuDrops++;
    this.traceDrop(frame, reason);
  }

  private traceDrop(frame: Frame, reason: DropReason): void {
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'pkt.drop', link: this.name, reason, n: frame.id, len: frame.data.length, pkt: formatPacket(frame.data) });
  }

  private traceFault(frame: Frame, kind: 'corrupt' | 'duplicate' | 'reorder'): void {
    const tr = this.ctx.trace;
    if (tr.enabled) tr.emit({ ev: 'pkt.fault', link: this.name, kind, n: frame.id, len: frame.data.length, pkt: formatPacket(frame.data) });
  }
}
