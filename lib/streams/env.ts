/**
 * One STREAMS "kernel": the environment a stack runs in. It owns the service scheduler, the
 * time source, the trace emitter, autopush lists, per-stack shared state for modules and
 * drivers, and the streams opened in it. Each emulated host has its own.
 *
 * Scheduler: qenable appends the queue to a FIFO run list (so service order is the order of
 * enabling: deterministic). With a TimeSource attached, the first enable schedules one drain
 * at delay 0 on it; without one, the owner calls runServices() (specs do).
 */
import { EventEmitter } from 'node:events';
import type { TypedEmitter } from './emitter.ts';
import type { Time } from '../sim/time.ts';
import type { TimeSource, TimerId } from '../sim/types.ts';
import type { Mblk } from './mblk.ts';
import type { Queue } from './queue.ts';
import type { Stream, OpenOptions } from './stream.ts';
import { openStream } from './stream.ts';
import type { PutVia, StreamsTraceEvents, TraceIoctl } from './trace.ts';
import { fmodsw, type Registry } from './registry.ts';
import { QENAB, QPROCSON } from './types.ts';
import { runService } from './put.ts';

/** The autopush list of a driver that has none (one frozen array, not a new one per open). */
const NO_MODULES: readonly string[] = Object.freeze([]);

export interface StreamsEnvOptions {
  /** Name used in traces and dumps (e.g. the host name). */
  name?: string;
  time?: TimeSource;
  registry?: Registry;
  /** Service runs per scheduled drain before yielding to the time source (livelock guard). */
  servicesPerDrain?: number;
}

export class StreamsEnv {
  readonly name: string;
  time: TimeSource | null;
  readonly registry: Registry;
  /** True while anyone listens to `trace`; checked before building any trace event. */
  tracing = false;
  readonly trace: TypedEmitter<StreamsTraceEvents>;
  readonly streams = new Set<Stream>();
  readonly autopushLists = new Map<string, readonly string[]>();
  private readonly sharedState = new Map<string, unknown>();
  private runHead: Queue | null = null;
  private runTail: Queue | null = null;
  private drainTimer: TimerId | null = null;
  private running = false;
  private readonly servicesPerDrain: number;
  private lastStreamId = 0;
  private lastMuxId = 0;
  private lastIoctlId = 0;
  private readonly drainFn = (): void => {
    this.drainTimer = null;
    this.runServices(this.servicesPerDrain);
  };

  constructor(opts: StreamsEnvOptions = {}) {
    this.name = opts.name ?? 'streams';
    this.time = opts.time ?? null;
    this.registry = opts.registry ?? fmodsw;
    this.servicesPerDrain = opts.servicesPerDrain ?? 1_000_000;
    const em = new EventEmitter();
    em.setMaxListeners(0);
    // 'newListener' fires before the listener is added, 'removeListener' after it is gone.
    em.on('newListener', (event: string | symbol) => {
      if (event !== 'newListener' && event !== 'removeListener') this.tracing = true;
    });
    em.on('removeListener', () => this.updateTracing(em));
    this.trace = em as unknown as TypedEmitter<StreamsTraceEvents>;
  }

  private updateTracing(em: EventEmitter): void {
    let n = 0;
    for (const name of em.eventNames()) if (name !== 'newListener' && name !== 'removeListener') n += em.listenerCount(name);
    this.tracing = n > 0;
  }

  /** Virtual time now (0 without a time source). */
  now(): Time {
    return this.time === null ? 0 : this.time.now();
  }

  /** Attach (or detach with null) the time source that drives service runs and timers. */
  attachTime(time: TimeSource | null): void {
    if (this.drainTimer !== null && this.time !== null) this.time.cancel(this.drainTimer);
    this.drainTimer = null;
    this.time = time;
    if (time !== null && this.runHead !== null) this.drainTimer = time.schedule(0, this.drainFn);
  }

  /** Open a stream on a driver (see Stream / openStream). */
  open(driver: string, opts: OpenOptions = {}): Stream {
    return openStream(this, driver, opts);
  }

  /** The open stream with this id (Stream.id), e.g. the ACCEPTOR_id of a T_CONN_RES. */
  streamById(id: number): Stream | undefined {
    for (const st of this.streams) if (st.id === id) return st;
    return undefined;
  }

  /**
   * Close every stream of this env (tearing a host down): upper streams first, so links come
   * apart in order, then whatever was linked below them.
   */
  closeAll(): void {
    for (let guard = 0; this.streams.size > 0 && guard < 1000; guard++) {
      const open = [...this.streams].reverse();
      const top = open.filter((s) => s.linkedUnder === null);
      for (const st of top.length > 0 ? top : open) {
        if (st.linkedUnder !== null) st.linkedUnder.upper.unlink(st.linkedUnder.muxid);
        st.close();
      }
    }
  }

  /** Modules pushed on every stream opened on `driver`, top first (autopush / sad). */
  setAutopush(driver: string, modules: readonly string[]): void {
    if (modules.length === 0) this.autopushLists.delete(driver);
    else this.autopushLists.set(driver, [...modules]);
  }

  autopushFor(driver: string): readonly string[] {
    return this.autopushLists.get(driver) ?? NO_MODULES;
  }

  /**
   * Per-stack state shared by all instances of a module or driver in this env (a driver's
   * global tables, UTCP's control channel...). Created by init on first use.
   */
  shared<T>(key: string, init: () => T): T {
    const v = this.sharedState.get(key);
    if (v !== undefined || this.sharedState.has(key)) return v as T;
    return this.makeShared(key, init);
  }

  /**
   * The shared state under key if it was made, else undefined: for hot paths (a driver's open),
   * which then need no `init` closure per call.
   */
  sharedIfMade<T>(key: string): T | undefined {
    return this.sharedState.get(key) as T | undefined;
  }

  private makeShared<T>(key: string, init: () => T): T {
    const v = init();
    this.sharedState.set(key, v);
    return v;
  }

  nextStreamId(): number {
    return ++this.lastStreamId;
  }
  nextMuxId(): number {
    return ++this.lastMuxId;
  }
  nextIoctlId(): number {
    return ++this.lastIoctlId;
  }

  /** Called by qenable: append to the run list, arrange a drain. */
  schedq(q: Queue): void {
    if (this.tracing) this.trace.emit('enable', { t: this.now(), q });
    if (this.runTail === null) this.runHead = q;
    else this.runTail.runNext = q;
    this.runTail = q;
    if (this.time !== null && this.drainTimer === null && !this.running) this.drainTimer = this.time.schedule(0, this.drainFn);
  }

  /** True when service procedures are waiting to run. */
  get servicesPending(): boolean {
    return this.runHead !== null;
  }

  /**
   * Run enabled service procedures in FIFO order until none is left (or `limit` ran; then,
   * with a time source, another drain is scheduled). Returns how many ran. Re-entrant calls
   * (from inside a put or service procedure) return 0.
   */
  runServices(limit = Infinity): number {
    if (this.running) return 0;
    this.running = true;
    let n = 0;
    try {
      while (this.runHead !== null && n < limit) {
        const q = this.runHead;
        this.runHead = q.runNext;
        if (this.runHead === null) this.runTail = null;
        q.runNext = null;
        // Cleared before the call so the service procedure may enable its own queue again.
        q.flag &= ~QENAB;
        const srv = q.srvp;
        if (srv === null || (q.flag & QPROCSON) === 0) continue;
        n++;
        if (this.tracing) this.trace.emit('service', { t: this.now(), q });
        runService(q, srv);
      }
    } finally {
      this.running = false;
    }
    if (this.runHead !== null && this.time !== null && this.drainTimer === null) this.drainTimer = this.time.schedule(0, this.drainFn);
    return n;
  }

  /** Remove q from the run list (its module is leaving the stream). */
  unschedq(q: Queue): void {
    if ((q.flag & QENAB) === 0) return;
    let prev: Queue | null = null;
    for (let p = this.runHead; p !== null; prev = p, p = p.runNext) {
      if (p !== q) continue;
      if (prev === null) this.runHead = p.runNext;
      else prev.runNext = p.runNext;
      if (this.runTail === p) this.runTail = prev;
      p.runNext = null;
      break;
    }
    q.flag &= ~QENAB;
  }

  // Trace helpers: callers check `tracing` first, so these only run when someone listens.
  tracePut(q: Queue, mp: Mblk, via: PutVia): void {
    this.trace.emit('put', { t: this.now(), q, mp, via });
  }
  traceFlow(q: Queue, full: boolean): void {
    this.trace.emit('flow', { t: this.now(), q, full });
  }
  traceBackenable(q: Queue, to: Queue): void {
    this.trace.emit('backenable', { t: this.now(), q, to });
  }
  traceFlush(q: Queue, freed: number): void {
    this.trace.emit('flush', { t: this.now(), q, freed });
  }
  traceDrop(q: Queue, mp: Mblk, reason: string): void {
    this.trace.emit('drop', { t: this.now(), q, mp, reason });
  }
  traceDefer(q: Queue, mp: Mblk, depth: number): void {
    this.trace.emit('defer', { t: this.now(), q, mp, depth });
  }
  traceIoctl(stream: Stream, cmd: number, id: number, phase: TraceIoctl['phase'], error?: number): void {
    this.trace.emit('ioctl', { t: this.now(), stream, cmd, id, phase, error });
  }
}
