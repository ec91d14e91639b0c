/**
 * Spec helpers for the STREAMS framework: a manual virtual clock (a TimeSource), a registry
 * holding the example modules plus two test drivers, and small message helpers.
 *
 * Test drivers:
 * - `sink`: keeps every message written down in `sinkLog(stream)` (M_FLUSH and ioctls obey the
 *   driver rules); `sinkUp(stream, mp)` sends a message up from the driver.
 * - `slowsink`: like sink, but queues on its write side and only takes messages when the spec
 *   calls `slowTake(stream, n)`: a driver that flow-controls the stream above it.
 */
import type { TimeSource, TimerId } from '../../../lib/sim/types.ts';
import {
  defineDriver,
  drvflush,
  getq,
  INFPSZ,
  M_FLUSH,
  M_IOCTL,
  miocnak,
  mkdata,
  msgbytes,
  noenable,
  put,
  putnext,
  putq,
  Registry,
  StreamsEnv,
  type Mblk,
  type ModuleInfo,
  type OpenCtx,
  type Queue,
  type Stream,
} from '../../../lib/streams/index.ts';
import passthru from '../../../modules/examples/passthru.ts';
import qpass from '../../../modules/examples/qpass.ts';
import counter from '../../../modules/examples/counter.ts';
import tee from '../../../modules/examples/tee.ts';
import loop from '../../../modules/examples/loop.ts';
import muxd from '../../../modules/examples/muxd.ts';

/** A virtual clock advanced by the spec; same-time events run in the order scheduled. */
export class ManualClock implements TimeSource {
  private t = 0;
  private seq = 0;
  private readonly events = new Map<TimerId, { at: number; seq: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  schedule(delay: number, fn: () => void): TimerId {
    const id = ++this.seq;
    this.events.set(id, { at: this.t + Math.max(0, delay), seq: id, fn });
    return id;
  }
  cancel(id: TimerId): void {
    this.events.delete(id);
  }
  get pending(): number {
    return this.events.size;
  }
  /** Run everything due up to now + dt (events scheduled meanwhile included). */
  advance(dt: number): void {
    const until = this.t + dt;
    for (;;) {
      let best: [TimerId, { at: number; seq: number; fn: () => void }] | null = null;
      for (const e of this.events) if (e[1].at <= until && (best === null || e[1].at < best[1].at || (e[1].at === best[1].at && e[1].seq < best[1].seq))) best = e;
      if (best === null) break;
      this.events.delete(best[0]);
      this.t = best[1].at;
      best[1].fn();
    }
    this.t = until;
  }
  /** Run the single earliest event, whenever it is due; false when none is pending. */
  step(): boolean {
    let best: [TimerId, { at: number; seq: number; fn: () => void }] | null = null;
    for (const e of this.events) if (best === null || e[1].at < best[1].at || (e[1].at === best[1].at && e[1].seq < best[1].seq)) best = e;
    if (best === null) return false;
    this.events.delete(best[0]);
    this.t = Math.max(this.t, best[1].at);
    best[1].fn();
    return true;
  }
  /** Run what is due now. */
  flush(): void {
    this.advance(0);
  }
}

const sinkInfo: ModuleInfo = { id: 9900, name: 'sink', minpsz: 0, maxpsz: INFPSZ, hiwat: 4096, lowat: 1024 };
const slowInfo: ModuleInfo = { id: 9901, name: 'slowsink', minpsz: 0, maxpsz: INFPSZ, hiwat: 100, lowat: 50 };

interface SinkState {
  log: Mblk[];
}

function sinkopen(q: Queue, _ctx: OpenCtx): number {
  const s: SinkState = { log: [] };
  q.ptr = q.other.ptr = s;
  return 0;
}
function sinkwput(q: Queue, mp: Mblk): void {
  if (mp.db.type === M_FLUSH) return drvflush(q, mp);
  if (mp.db.type === M_IOCTL) return miocnak(q, mp);
  (q.ptr as SinkState).log.push(mp);
}
function sinkrput(q: Queue, mp: Mblk): void {
  // Messages injected by sinkUp: the canonical driver read put without a service.
  putnext(q, mp);
}
function slowwput(q: Queue, mp: Mblk): void {
  if (mp.db.type === M_FLUSH) return drvflush(q, mp);
  if (mp.db.type === M_IOCTL) return miocnak(q, mp);
  putq(q, mp);
}
function slowopen(q: Queue, ctx: OpenCtx): number {
  sinkopen(q, ctx);
  noenable(q.other);
  return 0;
}
/** The slow sink never serves itself; slowTake is its "hardware" draining. */
function slowwsrv(_q: Queue): void {}

export const sinkDriver = defineDriver({
  rdinit: { put: sinkrput, open: sinkopen, minfo: sinkInfo },
  wrinit: { put: sinkwput, minfo: sinkInfo },
});
export const slowDriver = defineDriver({
  rdinit: { put: sinkrput, open: slowopen, minfo: slowInfo },
  wrinit: { put: slowwput, service: slowwsrv, minfo: slowInfo },
});

export function sinkLog(st: Stream): Mblk[] {
  return (st.drvwq.ptr as SinkState).log;
}

/** Send mp up the stream from its driver. */
export function sinkUp(st: Stream, mp: Mblk): void {
  put(st.drvrq, mp);
}

/** The slow sink's device takes n messages off its write queue (into the log). */
export function slowTake(st: Stream, n: number): Mblk[] {
  const out: Mblk[] = [];
  for (let i = 0; i < n; i++) {
    const mp = getq(st.drvwq);
    if (mp === null) break;
    out.push(mp);
    (st.drvwq.ptr as SinkState).log.push(mp);
  }
  return out;
}

export function testRegistry(): Registry {
  const r = new Registry();
  for (const d of [passthru, qpass, counter, tee, loop, muxd, sinkDriver, slowDriver]) r.register(d);
  return r;
}

export function testEnv(opts: { time?: TimeSource; name?: string } = {}): StreamsEnv {
  return new StreamsEnv({ registry: testRegistry(), ...opts });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function text(s: string): Mblk {
  return mkdata(enc.encode(s));
}

export function str(mp: Mblk): string {
  return dec.decode(msgbytes(mp));
}

/** Read every message waiting at the head, as strings of their data. */
export function readAll(st: Stream): string[] {
  const out: string[] = [];
  let mp: Mblk | null;
  while ((mp = st.read()) !== null) out.push(str(mp));
  return out;
}
