/**
 * A stream (SVR4 stdata): the head queue pair at the top, the modules, the driver's queue pair
 * at the bottom. The head side of this class is what applications (and the socket layer) use:
 * write / read / ioctl / push / pop / link, with typed events. The module list can change at any
 * time, also on a stream linked under a multiplexor (then the "head" queues run the driver's
 * lower qinit and only the plumbing methods make sense).
 */
import { LazyEmitter } from './emitter.ts';
import type { Mblk } from './mblk.ts';
import { freemsg } from './mblk.ts';
import { Queue } from './queue.ts';
import type { OpenCtx, CloseCtx, StreamsModule, OpenFlag } from './module.ts';
import type { StreamsEnv } from './env.ts';
import { StreamsError } from './errors.ts';
import { Errno, FLUSHALL, QCLOSED, QDRIVER, QHEAD, QPROCSON, QWANTW } from './types.ts';
import { qpaircanceltimers, qprocsoff, qprocson } from './procs.ts';
import { flushq } from './queue.ts';
import { headRinit, headWinit, headWrite, headWriteBytes, headRead, headTake, headFlush, headCanWrite, type PendingIoctl } from './head.ts';
import { headIoctl, headIoctlSync } from './head-ioctl.ts';
import type { IoctlCallback, IoctlResult } from './ioctl.ts';
import { linkStream, unlinkStream, forceUnlink } from './mux.ts';
import { dumpStream } from './dump.ts';

export interface OpenOptions {
  /** Clone open: the driver picks the minor (sflag 'clone'). */
  clone?: boolean;
  minor?: number;
  /** Passed to the driver's open (configuration, injected I/O). */
  args?: unknown;
  /** Name for dumps and traces (default: the driver name). */
  label?: string;
  /** Push the driver's autopush list (default true). */
  autopush?: boolean;
}

/** Where to put a module: counted from the head; names are module names in this stream. */
export type Position = 'top' | 'bottom' | { above: string } | { below: string } | { index: number };

export interface ModInstance {
  readonly def: StreamsModule;
  readonly rq: Queue;
  readonly wq: Queue;
}

export type StreamEvents = {
  /** Data or a primitive can be read (fires when a read found the queue empty before; read until null). */
  readable: () => void;
  /** A write refused for flow control may be retried. */
  writable: () => void;
  /** M_ERROR arrived: the current read and write errors (0 = none). */
  error: (rerror: number, werror: number) => void;
  /** M_HANGUP arrived: no more data will come; writes fail with ENXIO. */
  hangup: () => void;
  close: () => void;
};

/** Bits of Stream.sdflag. */
const SD_HUNGUP = 0x01;
const SD_CLOSED = 0x02;
const SD_WANTWRITE = 0x04;
const SD_PENDERROR = 0x08;
const SD_PENDHANGUP = 0x10;
const SD_APPOPEN = 0x20;

/** Most modules a stream may hold (SVR4 nstrpush is 9; this project stacks a few more). */
export const NSTRPUSH = 16;

export class Stream extends LazyEmitter<StreamEvents> {
  readonly id: number;
  readonly env: StreamsEnv;
  readonly driver: StreamsModule;
  readonly label: string;
  minor = 0;
  /** Stream head queues (the mux's lower queues while linked under a multiplexor). */
  readonly rq: Queue;
  readonly wq: Queue;
  /** The driver's queue pair at the bottom. */
  readonly drvrq: Queue;
  readonly drvwq: Queue;
  /** Modules, top (just below the head) first. */
  /** Replaced, not grown, on push and pop: an exact-size array (a grown one keeps 17 slots). */
  modules: ModInstance[] = NO_MODULES;
  readonly sflag: OpenFlag;
  /** Head state. */
  rerror = 0;
  werror = 0;
  /**
   * The head's yes/no state in one number (SVR4 sd_flag): hungup, closed, wantWrite,
   * pendingError, pendingHangup, appOpen are accessors over it. One field, not six, per stream.
   */
  private sdflag = SD_APPOPEN;
  get hungup(): boolean {
    return (this.sdflag & SD_HUNGUP) !== 0;
  }
  set hungup(v: boolean) {
    this.sdflag = v ? this.sdflag | SD_HUNGUP : this.sdflag & ~SD_HUNGUP;
  }
  get closed(): boolean {
    return (this.sdflag & SD_CLOSED) !== 0;
  }
  set closed(v: boolean) {
    this.sdflag = v ? this.sdflag | SD_CLOSED : this.sdflag & ~SD_CLOSED;
  }
  /** Headroom reserved in written M_DATA (M_SETOPTS wroff). */
  wroff = 0;
  /** Set when a write was refused for flow control; cleared when 'writable' fires. */
  get wantWrite(): boolean {
    return (this.sdflag & SD_WANTWRITE) !== 0;
  }
  set wantWrite(v: boolean) {
    this.sdflag = v ? this.sdflag | SD_WANTWRITE : this.sdflag & ~SD_WANTWRITE;
  }
  get pendingError(): boolean {
    return (this.sdflag & SD_PENDERROR) !== 0;
  }
  set pendingError(v: boolean) {
    this.sdflag = v ? this.sdflag | SD_PENDERROR : this.sdflag & ~SD_PENDERROR;
  }
  get pendingHangup(): boolean {
    return (this.sdflag & SD_PENDHANGUP) !== 0;
  }
  set pendingHangup(v: boolean) {
    this.sdflag = v ? this.sdflag | SD_PENDHANGUP : this.sdflag & ~SD_PENDHANGUP;
  }
  /** Set while this stream is linked under a multiplexing driver. */
  linkedUnder: { upper: Stream; muxid: number } | null = null;
  // Pending ioctls and linked streams: tables made on first use (most streams never have any,
  // and an empty Map costs ~250 bytes per stream).
  private ioctlTable: Map<number, PendingIoctl> | null = null;
  private linkTable: Map<number, Stream> | null = null;
  /** False once the application has closed it (a linked stream then closes at unlink). */
  get appOpen(): boolean {
    return (this.sdflag & SD_APPOPEN) !== 0;
  }
  set appOpen(v: boolean) {
    this.sdflag = v ? this.sdflag | SD_APPOPEN : this.sdflag & ~SD_APPOPEN;
  }
  /** Messages the head freed because nobody could use them (unknown types, after errors). */
  dropped = 0;

  constructor(env: StreamsEnv, driver: StreamsModule, sflag: OpenFlag, label: string) {
    super();
    this.env = env;
    this.driver = driver;
    this.sflag = sflag;
    this.label = label;
    this.id = env.nextStreamId();
    this.rq = new Queue(env, this, headRinit, true);
    this.wq = new Queue(env, this, headWinit, false);
    pair(this.rq, this.wq);
    this.rq.flag |= QHEAD | QPROCSON;
    this.wq.flag |= QHEAD | QPROCSON;
    this.rq.ptr = this;
    this.wq.ptr = this;
    this.drvrq = new Queue(env, this, driver.streamtab.rdinit, true);
    this.drvwq = new Queue(env, this, driver.streamtab.wrinit, false);
    pair(this.drvrq, this.drvwq);
    this.drvrq.flag |= QDRIVER;
    this.drvwq.flag |= QDRIVER;
  }

  /** Ioctls sent down and waiting for their answer, by id. */
  get ioctls(): Map<number, PendingIoctl> {
    return (this.ioctlTable ??= new Map());
  }

  /** Streams linked under this stream's driver through this stream, by muxid. */
  get links(): Map<number, Stream> {
    return (this.linkTable ??= new Map());
  }

  // ---- plumbing ---------------------------------------------------------------------------

  /**
   * Recompute every `next` pointer from the module list: the live queues form the chain;
   * a module whose procedures are off points at its live neighbours but is skipped by them.
   */
  relink(): void {
    // One walk down the live queues (no arrays: streams open and close once per connection).
    let aboveR: Queue = this.rq;
    let aboveW: Queue = this.wq;
    this.rq.next = null;
    let offs = false;
    const mods = this.modules;
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i]!;
      if ((m.rq.flag & QPROCSON) === 0) {
        offs = true;
        continue;
      }
      aboveW.next = m.wq;
      m.rq.next = aboveR;
      aboveR = m.rq;
      aboveW = m.wq;
    }
    const drvOn = (this.drvrq.flag & QPROCSON) !== 0;
    if (drvOn) {
      aboveW.next = this.drvwq;
      this.drvrq.next = aboveR;
      this.drvwq.next = null;
    } else {
      aboveW.next = null;
    }
    if (offs) this.relinkOffs(drvOn);
  }

  /** Modules whose procedures are off point at their live neighbours (and are skipped by them). */
  private relinkOffs(drvOn: boolean): void {
    const mods = this.modules;
    for (let i = 0; i < mods.length; i++) {
      const inst = mods[i]!;
      if ((inst.rq.flag & QPROCSON) !== 0) continue;
      let up: Queue = this.rq;
      for (let j = i - 1; j >= 0; j--) {
        if ((mods[j]!.rq.flag & QPROCSON) !== 0) {
          up = mods[j]!.rq;
          break;
        }
      }
      let down: Queue | null = drvOn ? this.drvwq : null;
      for (let j = i + 1; j < mods.length; j++) {
        if ((mods[j]!.rq.flag & QPROCSON) !== 0) {
          down = mods[j]!.wq;
          break;
        }
      }
      inst.rq.next = up;
      inst.wq.next = down;
    }
  }

  private positionIndex(pos: Position): number {
    const n = this.modules.length;
    if (pos === 'top') return 0;
    if (pos === 'bottom') return n;
    if ('index' in pos) {
      if (!Number.isInteger(pos.index) || pos.index < 0 || pos.index > n) throw new StreamsError(Errno.EINVAL, `position index ${pos.index} out of 0..${n}`);
      return pos.index;
    }
    if ('above' in pos) {
      if (pos.above === this.driver.name) return n;
      const i = this.modules.findIndex((m) => m.def.name === pos.above);
      if (i < 0) throw new StreamsError(Errno.EINVAL, `no module '${pos.above}' in stream ${this.label}`);
      return i;
    }
    if (pos.below === 'head') return 0;
    const i = this.modules.findIndex((m) => m.def.name === pos.below);
    if (i < 0) throw new StreamsError(Errno.EINVAL, `no module '${pos.below}' in stream ${this.label}`);
    return i + 1;
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new StreamsError(Errno.ENXIO, `${what}: stream ${this.label} is closed`);
  }

  /**
   * Open module `name` at a position (default: just below the head, like I_PUSH). Messages
   * already queued anywhere in the stream keep their order. Throws StreamsError on failure.
   */
  insert(name: string, pos: Position = 'top', args?: unknown): void {
    this.checkOpen('push');
    if (this.hungup && this.linkedUnder === null) throw new StreamsError(Errno.ENXIO, `push ${name}: stream hung up`);
    if (this.modules.length >= NSTRPUSH) throw new StreamsError(Errno.EINVAL, `push ${name}: already ${NSTRPUSH} modules`);
    const def = this.env.registry.module(name);
    const index = this.positionIndex(pos);
    const rq = new Queue(this.env, this, def.streamtab.rdinit, true);
    const wq = new Queue(this.env, this, def.streamtab.wrinit, false);
    pair(rq, wq);
    const inst: ModInstance = { def, rq, wq };
    this.modules = withInserted(this.modules, index, inst);
    this.relink();
    const ctx: OpenCtx = { env: this.env, stream: this, sflag: 'module', minor: this.minor, args };
    let err: number | void = 0;
    try {
      err = def.streamtab.rdinit.open?.(rq, ctx);
    } catch (e) {
      this.detach(inst);
      throw e;
    }
    if (err) {
      this.detach(inst);
      throw new StreamsError(err, `push ${name}`);
    }
    qprocson(rq);
    // A writer above may be waiting for a back-enable from the queue that is now below us;
    // that queue will back-enable us instead, so we must pass the wake-up on when we drain.
    rq.flag |= QWANTW;
    wq.flag |= QWANTW;
    if (this.env.tracing) this.env.trace.emit('push', { t: this.env.now(), stream: this, module: name, index });
  }

  /** I_PUSH: open a module just below the head. */
  push(name: string, args?: unknown): void {
    this.insert(name, 'top', args);
  }

  /** I_POP: close the topmost module. */
  pop(): void {
    this.checkOpen('pop');
    if (this.modules.length === 0) throw new StreamsError(Errno.EINVAL, `pop: no module on stream ${this.label}`);
    this.removeAt(0);
  }

  /** Close the module called name, wherever it is (the first one from the top). */
  remove(name: string): void {
    this.checkOpen('remove');
    const i = this.modules.findIndex((m) => m.def.name === name);
    if (i < 0) throw new StreamsError(Errno.EINVAL, `remove: no module '${name}' in stream ${this.label}`);
    this.removeAt(i);
  }

  private removeAt(index: number): void {
    const inst = this.modules[index]!;
    const ctx: CloseCtx = { env: this.env, stream: this, sflag: 'module' };
    try {
      inst.def.streamtab.rdinit.close?.(inst.rq, ctx);
    } finally {
      this.detach(inst);
    }
    if (this.env.tracing) this.env.trace.emit('pop', { t: this.env.now(), stream: this, module: inst.def.name, index });
  }

  private detach(inst: ModInstance): void {
    qprocsoff(inst.rq);
    qpaircanceltimers(inst.rq);
    const i = this.modules.indexOf(inst);
    if (i >= 0) this.modules = this.modules.length === 1 ? NO_MODULES : withRemoved(this.modules, i);
    this.relink();
  }

  /** I_LOOK: name of the topmost module, null when there is none. */
  look(): string | null {
    return this.modules.length === 0 ? null : this.modules[0]!.def.name;
  }

  /** I_FIND: is a module of that name in the stream? */
  find(name: string): boolean {
    return this.modules.some((m) => m.def.name === name);
  }

  /** Module names from the top down, then the driver. */
  list(): string[] {
    return [...this.modules.map((m) => m.def.name), this.driver.name];
  }

  /** The queue pair of the first module called name (for harness plumbing and specs). */
  moduleQueues(name: string): ModInstance | undefined {
    return this.modules.find((m) => m.def.name === name);
  }

  // ---- stream head: what applications use --------------------------------------------------

  /**
   * Send a message down (M_DATA, M_PROTO, M_PCPROTO, M_CTL). Returns 0, or an errno with the
   * message still the caller's: EAGAIN when flow control refuses a normal-priority message
   * ('writable' fires later), ENXIO after hangup, the M_ERROR write error, ERANGE when the
   * data is outside the top module's packet sizes, EINVAL for a linked stream or other types.
   */
  write(mp: Mblk): number {
    return headWrite(this, mp);
  }

  /**
   * Copy bytes into M_DATA messages (split at the top module's maxpsz, with wroff headroom)
   * and send them. Returns how many bytes went (fewer than asked: flow control, wait for
   * 'writable'), or a negative errno when none could go for another reason.
   */
  writeBytes(bytes: Uint8Array): number {
    return headWriteBytes(this, bytes);
  }

  /** Would a normal-priority write go now? */
  canWrite(): boolean {
    return headCanWrite(this);
  }

  /** Take the next message that reached the head (the caller owns it), or null. */
  read(): Mblk | null {
    return headRead(this);
  }

  /**
   * read() for a reader that learns of arrivals some other way (the socket layer, through
   * sockmod): finding the head empty does not ask for 'readable', so the head's service
   * procedure does not run for every message that arrives.
   */
  take(): Mblk | null {
    return headTake(this);
  }

  /** Messages waiting at the head. */
  get readable(): number {
    return this.rq.msgs;
  }

  /** Hung up and nothing left to read. */
  get eof(): boolean {
    return this.hungup && this.rq.first === null;
  }

  /** I_FLUSH: flush the head queues and send M_FLUSH down. */
  flush(flag: number): void {
    headFlush(this, flag);
  }

  /** Any ioctl; the answer (or a timeout, with a time source) arrives through cb. */
  ioctl(cmd: number, arg: unknown, cb: IoctlCallback, timeoutNs?: number): void {
    headIoctl(this, cmd, arg, cb, timeoutNs);
  }

  /**
   * ioctl for set-up code: returns the answer if it came during the call or after running
   * pending service procedures; throws StreamsError(ETIME) otherwise.
   */
  ioctlSync(cmd: number, arg: unknown): IoctlResult {
    return headIoctlSync(this, cmd, arg);
  }

  /** I_LINK: link `lower` under this stream's multiplexing driver; returns the muxid. */
  link(lower: Stream): number {
    let result: IoctlResult | null = null;
    linkStream(this, lower, (r) => (result = r));
    if (result === null) this.env.runServices();
    const r = result as IoctlResult | null;
    if (r === null) throw new StreamsError(Errno.ETIME, `I_LINK on ${this.label}: no answer`);
    if (!r.ok) throw new StreamsError(r.error, `I_LINK on ${this.label}`);
    return r.rval;
  }

  /** I_LINK with the answer through a callback. */
  linkAsync(lower: Stream, cb: IoctlCallback): void {
    linkStream(this, lower, cb);
  }

  /** I_UNLINK one muxid (or all with -1). Throws StreamsError when the driver refuses. */
  unlink(muxid: number): void {
    const ids = muxid === -1 ? [...this.links.keys()] : [muxid];
    for (const id of ids) {
      let result: IoctlResult | null = null;
      unlinkStream(this, id, (r) => (result = r));
      if (result === null) this.env.runServices();
      const r = result as IoctlResult | null;
      if (r === null) throw new StreamsError(Errno.ETIME, `I_UNLINK on ${this.label}: no answer`);
      if (!r.ok) throw new StreamsError(r.error, `I_UNLINK ${id} on ${this.label}`);
    }
  }

  /**
   * Close: unlink what was linked through this stream, pop every module (their queued write
   * data goes down to the driver first), close the driver. A stream linked under a
   * multiplexor stays until it is unlinked.
   */
  close(): void {
    if (this.closed) return;
    this.appOpen = false;
    if (this.linkedUnder !== null) return;
    if (this.linkTable !== null) for (const id of [...this.linkTable.keys()]) forceUnlink(this, id);
    while (this.modules.length > 0) this.removeAt(0);
    const ctx: CloseCtx = { env: this.env, stream: this, sflag: this.sflag };
    try {
      if ((this.drvrq.flag & QPROCSON) !== 0) this.driver.streamtab.rdinit.close?.(this.drvrq, ctx);
    } finally {
      qprocsoff(this.drvrq);
      qpaircanceltimers(this.drvrq);
      this.closed = true;
      flushq(this.rq, FLUSHALL);
      flushq(this.wq, FLUSHALL);
      closeQueue(this.rq);
      closeQueue(this.wq);
      closeQueue(this.drvrq);
      closeQueue(this.drvwq);
      const ioctls = this.ioctlTable;
      if (ioctls !== null) {
        for (const [id, p] of ioctls) {
          ioctls.delete(id);
          if (p.timer !== null) this.env.time?.cancel(p.timer);
          p.cb({ ok: false, error: Errno.ENXIO });
        }
      }
      this.env.streams.delete(this);
      if (this.env.tracing) this.env.trace.emit('close', { t: this.env.now(), stream: this });
      this.emit('close');
    }
  }

  /** Text picture of the stream: head, modules, driver, with per-queue counts and flags. */
  dump(): string {
    return dumpStream(this);
  }
}

function withInserted<T>(a: readonly T[], at: number, x: T): T[] {
  const out = new Array<T>(a.length + 1);
  for (let i = 0, j = 0; i < out.length; i++) out[i] = i === at ? x : a[j++]!;
  return out;
}

function withRemoved<T>(a: readonly T[], at: number): T[] {
  const out = new Array<T>(a.length - 1);
  for (let i = 0, j = 0; j < a.length; j++) if (j !== at) out[i++] = a[j]!;
  return out;
}

/** The module list of a stream without modules: shared, as lists are replaced and never grown. */
// Not frozen: a frozen array has its own elements kind, which would make every walk over the
// module lists polymorphic. Nothing mutates a module list in place.
const NO_MODULES: ModInstance[] = [];

function closeQueue(q: Queue): void {
  q.flag |= QCLOSED;
  q.putp = dropPut;
  q.srvp = null;
  q.stream.env.unschedq(q);
}

function pair(rq: Queue, wq: Queue): void {
  rq.other = wq;
  wq.other = rq;
}

/** Put procedure of a closed stream's queues: nothing can use the message any more. */
function dropPut(q: Queue, mp: Mblk): void {
  q.stream.dropped++;
  if (q.env.tracing) q.env.traceDrop(q, mp, 'stream closed');
  freemsg(mp);
}

/** Undo a driver open that failed. */
function abandon(st: Stream): void {
  qprocsoff(st.drvrq);
  qpaircanceltimers(st.drvrq);
  st.closed = true;
}

/** Open a stream on driver `name`: driver open, qprocson, then the autopush list. */
export function openStream(env: StreamsEnv, name: string, opts: OpenOptions = {}): Stream {
  const def = env.registry.driver(name);
  const sflag: OpenFlag = opts.clone ? 'clone' : 'driver';
  const st = new Stream(env, def, sflag, opts.label ?? name);
  st.relink();
  const ctx: OpenCtx = { env, stream: st, sflag, minor: opts.minor ?? 0, args: opts.args };
  let err: number | void = 0;
  let threw = true;
  try {
    err = def.streamtab.rdinit.open?.(st.drvrq, ctx);
    threw = false;
  } finally {
    if (threw) abandon(st);
  }
  if (err) {
    abandon(st);
    throw new StreamsError(err, `open ${name}`);
  }
  st.minor = ctx.minor;
  qprocson(st.drvrq);
  env.streams.add(st);
  if (env.tracing) env.trace.emit('open', { t: env.now(), stream: st });
  if (opts.autopush !== false) {
    const list = env.autopushFor(name);
    try {
      // The list names modules top first; pushing bottom-up leaves them in that order.
      for (let i = list.length - 1; i >= 0; i--) st.push(list[i]!);
    } catch (e) {
      st.close();
      throw e;
    }
  }
  return st;
}
