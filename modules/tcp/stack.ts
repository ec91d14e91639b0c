/**
 * One TCP instance (a host's TCP): the connection table and demultiplexing, listeners,
 * ports, the timer heap, MIB counters and the event queue toward users. Pure: segments come
 * in as parsed TcpRepr with their IP addresses and a `now`; segments go out through
 * `env.output`; nothing here reads a clock or touches a device.
 *
 * Entry points (input, onTimer, user calls on endpoints and listeners) bracket their work
 * with enter()/leave(); user events are queued meanwhile and delivered on the outermost
 * leave(), so handlers never run in the middle of segment processing.
 */
import type { Rng } from '../../lib/sim/types.ts';
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { emptyTcpRepr } from '../../lib/wire/tcp.ts';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { startConnect } from './connect.ts';
import { TcpEndpoint } from './endpoint.ts';
import { NO_HANDLER, NO_LISTEN_HANDLER, type TcpErrno, type TcpHandler, type TcpListenHandler } from './events.ts';
import { segmentArrives } from './input.ts';
import { IsnGenerator } from './isn.ts';
import { TcpListener } from './listen.ts';
import { TcpMib } from './mib.ts';
import { emptyReceivedOptions, readOptions, segmentOptions, segmentOptionsInto, type ReceivedOptions, type SackBlock } from './options.ts';
import { withSysctl, type SysctlMap, type TcpProfile } from './profile.ts';
import { freebsdSysctlMap } from './profiles/freebsd.ts';
import { linuxProfile, linuxSysctlMap } from './profiles/linux.ts';
import { ChallengeLimiter, challengeAck, oowAck, oowAllowed } from './rfc5961.ts';
import { rstFor } from './rst.ts';
import { TcpState } from './state.ts';
import { TimerHeap } from './timer-heap.ts';
import { canCompact, freeze, thaw, TimeWaitRecord } from './time-wait.ts';
import { deadline, runTimers } from './timer.ts';

const NEVER = Number.POSITIVE_INFINITY;

/** What the stack needs from its surroundings. */
export interface TcpEnv {
  /** Send one segment from `src` to `dst` (the caller adds IP, computes checksums). */
  output(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, ttl: number): void;
  /** Path MTU between two addresses (default 1500). */
  mtu?(local: Ipv4Addr, remote: Ipv4Addr): number;
  /** A connection changed state (for traces). */
  stateChanged?(ep: TcpEndpoint, from: TcpState, to: TcpState): void;
  /** The earliest timer deadline moved earlier: call onTimer() at `at`. */
  wakeAt?(at: Time): void;
  /**
   * output() is done with a segment when it returns (it keeps neither the repr nor its option
   * list), so the stack may build its data and ACK segments in one reused object.
   */
  reuseSegments?: boolean;
}

export interface TcpStackOptions {
  env: TcpEnv;
  /** Seeds the ISN / timestamp / port secrets (RFC 6528). */
  rng: Rng;
  profile?: TcpProfile;
  /** The sysctl names this stack answers to (defaults to the profile's own map when known). */
  sysctlMap?: SysctlMap;
  /**
   * Swap the TCB of an orphaned connection in TIME-WAIT for a compact record (time-wait.ts).
   * Only for users that drop an endpoint once they have closed it, as the tcp driver does;
   * off by default, so code holding endpoints sees them go to CLOSED.
   */
  compactTimeWait?: boolean;
}

export interface ConnectParams {
  localAddr: Ipv4Addr;
  /** 0 picks an ephemeral port. */
  localPort?: number;
  remoteAddr: Ipv4Addr;
  remotePort: number;
  /** Path MTU (defaults to env.mtu or 1500). */
  mtu?: number;
  handler?: TcpHandler;
  user?: unknown;
  /** Options to set before the SYN goes out. */
  setup?: (ep: TcpEndpoint) => void;
}

type EventKind = 'established' | 'readable' | 'writable' | 'peerClosed' | 'drained' | 'closed';

/** What an event queued during an entry point tells the user. */
type PendingKind = EventKind | 'error' | 'connection';

/** What the tables hold for a connection: its endpoint, or its compact TIME-WAIT record. */
type Entry = TcpEndpoint | TimeWaitRecord;

function localKey(addr: number, port: number): number {
  return (addr >>> 0) * 65536 + port;
}

/**
 * A 30-bit hash of a connection's four values, for the lookup index: a small integer key (the
 * 48-bit address-and-port keys of the table are doubles, which V8 boxes and hashes slowly).
 */
function tupleHash(local: number, localPort: number, remote: number, remotePort: number): number {
  let h = Math.imul(remote ^ (remotePort << 16) ^ localPort, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ local, 0x85ebca6b);
  return (h ^ (h >>> 13)) & 0x3fffffff;
}

export class TcpStack {
  profile: TcpProfile;
  sysctlMap: SysctlMap;
  readonly mib = new TcpMib();
  readonly isnGen: IsnGenerator;
  readonly env: TcpEnv;
  /** Virtual time of the current entry point. */
  now: Time = 0;
  /** Scratch space for option parsing (segments are processed one at a time). */
  readonly scratchOptions: ReceivedOptions = emptyReceivedOptions();

  /** Connections by tupleHash (an array when hashes collide): what lookup reads and listings walk. */
  private readonly byHash = new Map<number, Entry | Entry[]>();
  private connCount = 0;
  private readonly listeners = new Map<number, TcpListener>();
  /** Ports held by bind() (driver-managed), with reference counts. */
  private readonly boundPorts = new Map<number, number>();
  /** Connections per local port (a bind() to a port in use fails without reuse). */
  private readonly connPorts = new Map<number, number>();
  private portCounter = 0;
  private readonly timers = new TimerHeap();
  /** Timer slot -> the connection it names (null: free); free slots are reused. */
  private readonly timed: (Entry | null)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly compactTimeWait: boolean;
  /** TCBs swapped for TIME-WAIT records so far. */
  timeWaitCompacted = 0;
  /** The reused segment, its option list and timestamp option (env.reuseSegments). */
  private readonly outSeg: TcpRepr = emptyTcpRepr();
  private readonly outOptions: TcpOption[] = [];
  private readonly outTs: Extract<TcpOption, { kind: 'ts' }> = { kind: 'ts', val: 0, ecr: 0 };
  private readonly limiter = new ChallengeLimiter();
  private depth = 0;
  // Events queued during an entry, in order, as parallel lists reused from entry to entry (no
  // object per event, no list per entry): endpoint, kind, error, listener.
  private evEp: (TcpEndpoint | null)[] = [];
  private evKind: PendingKind[] = [];
  private evErr: (TcpErrno | null)[] = [];
  private evListener: (TcpListener | null)[] = [];
  private evLen = 0;
  private reportedWake = NEVER;

  constructor(opts: TcpStackOptions) {
    this.env = opts.env;
    this.profile = opts.profile ?? linuxProfile;
    this.sysctlMap =
      opts.sysctlMap ?? (this.profile.name === 'linux' ? linuxSysctlMap : this.profile.name === 'freebsd' ? freebsdSysctlMap : {});
    this.isnGen = new IsnGenerator(opts.rng);
    this.compactTimeWait = opts.compactTimeWait ?? false;
  }

  // ------------------------------------------------------------ entry bracketing

  enter(now: Time): void {
    if (now > this.now) this.now = now;
    this.depth++;
  }

  leave(): void {
    if (--this.depth > 0) return;
    this.depth = 1;
    try {
      // Handlers may post more: the count is read on every turn.
      for (let i = 0; i < this.evLen; i++) this.dispatch(this.evEp[i]!, this.evKind[i]!, this.evErr[i]!, this.evListener[i]!);
    } finally {
      for (let j = 0; j < this.evLen; j++) {
        this.evEp[j] = null;
        this.evListener[j] = null;
      }
      this.evLen = 0;
      this.depth = 0;
    }
    const top = this.timers.peek();
    if (top < this.reportedWake || this.reportedWake <= this.now) {
      this.reportedWake = top;
      if (top !== NEVER) this.env.wakeAt?.(top);
    }
  }

  post(ep: TcpEndpoint, kind: EventKind): void {
    this.queueEvent(ep, kind, null, null);
  }

  postError(ep: TcpEndpoint, err: TcpErrno): void {
    this.queueEvent(ep, 'error', err, null);
  }

  postConnection(l: TcpListener, child: TcpEndpoint): void {
    this.queueEvent(child, 'connection', null, l);
  }

  private queueEvent(ep: TcpEndpoint, kind: PendingKind, err: TcpErrno | null, l: TcpListener | null): void {
    const i = this.evLen++;
    this.evEp[i] = ep;
    this.evKind[i] = kind;
    this.evErr[i] = err;
    this.evListener[i] = l;
  }

  private dispatch(ep: TcpEndpoint, kind: PendingKind, err: TcpErrno | null, listener: TcpListener | null): void {
    if (kind === 'connection') {
      const l = listener!;
      if (!l.closed && ep.listener === l) l.handler.connection?.(l, ep);
      return;
    }
    const h = ep.handler;
    switch (kind) {
      case 'established':
        h.established?.(ep);
        break;
      case 'readable':
        if (ep.rcvBuf.length > 0) h.readable?.(ep);
        break;
      case 'writable':
        h.writable?.(ep);
        break;
      case 'peerClosed':
        h.peerClosed?.(ep);
        break;
      case 'drained':
        h.drained?.(ep);
        break;
      case 'error':
        h.error?.(ep, err!);
        break;
      case 'closed':
        h.closed?.(ep);
        break;
    }
  }

  // ------------------------------------------------------------ segments in

  /** A segment for this host arrived (checksum already verified by the caller). */
  input(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, now: Time): void {
    this.enter(now);
    this.mib.InSegs++;
    let ep = this.lookup(dst, seg.dstPort, src, seg.srcPort);
    if (ep && ep.state === TcpState.TIME_WAIT && this.timeWaitReuse(ep, seg)) {
      this.mib.TCPTimeWaitReuse++;
      this.destroy(ep);
      ep = null;
    }
    if (ep) {
      segmentArrives(ep, seg);
      if (ep.registered) this.reschedule(ep);
      if (this.compactTimeWait && canCompact(ep)) this.compact(ep);
    } else {
      const l = this.findListener(dst, seg.dstPort);
      if (l) l.input(src, dst, seg);
      else this.replyRst(dst, src, seg);
    }
    this.leave();
  }

  /**
   * RFC 9293 §3.6.1 / RFC 6191: a new SYN may take over a TIME-WAIT connection when its
   * sequence number (or timestamp) is beyond the old incarnation's and someone listens.
   */
  private timeWaitReuse(ep: TcpEndpoint, seg: TcpRepr): boolean {
    const f = seg.flags;
    if ((f & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) return false;
    if (!this.findListener(ep.localAddr, ep.localPort)) return false;
    const o = readOptions(seg.options, this.scratchOptions);
    if (ep.tsOn && o.hasTs) return ((o.tsVal - ep.tsRecent) | 0) > 0;
    return ((seg.seq - ep.rcvNxt) | 0) > 0;
  }

  /** Answer a segment that has no connection with a RST (§3.10.7.1). */
  replyRst(local: Ipv4Addr, remote: Ipv4Addr, seg: TcpRepr): void {
    const r = rstFor(seg);
    if (!r) return;
    this.mib.OutRsts++;
    this.mib.OutSegs++;
    this.env.output(local, remote, r, this.profile.ttl);
  }

  /** Send a segment of `ep`. */
  transmit(ep: TcpEndpoint, seg: TcpRepr): void {
    this.mib.OutSegs++;
    this.env.output(ep.localAddr, ep.remoteAddr, seg, this.profile.ttl);
  }

  /** A repr to build an outgoing segment in (the reused one when env.reuseSegments). */
  newSegment(): TcpRepr {
    return this.env.reuseSegments ? this.outSeg : emptyTcpRepr();
  }

  /** The options of a non-SYN segment, in the reused list when env.reuseSegments. */
  segmentOptions(tsVal: number, tsEcr: number, withTs: boolean, sack: SackBlock[] | null): TcpOption[] {
    if (!this.env.reuseSegments) return segmentOptions(tsVal, tsEcr, withTs, sack);
    return segmentOptionsInto(this.outOptions, this.outTs, tsVal, tsEcr, withTs, sack);
  }

  // ------------------------------------------------------------ RFC 5961 budgets

  challengeAck(ep: TcpEndpoint, hasData: boolean): void {
    challengeAck(ep, this.limiter, hasData);
  }

  oowAck(ep: TcpEndpoint, hasData: boolean, why: 'seq' | 'paws'): void {
    oowAck(ep, hasData, why);
  }

  oowAllowed(ep: TcpEndpoint, hasData: boolean): boolean {
    return oowAllowed(ep, hasData);
  }

  // ------------------------------------------------------------ user calls

  /** Active OPEN. Fails with EADDRINUSE when the 4-tuple is taken or no port is free. */
  connect(params: ConnectParams, now: Time): TcpEndpoint | 'EADDRINUSE' | 'EADDRNOTAVAIL' {
    this.enter(now);
    try {
      const { localAddr, remoteAddr, remotePort } = params;
      let port = params.localPort ?? 0;
      if (port === 0) {
        const p = this.ephemeralPort(localAddr, remoteAddr, remotePort);
        if (p === 0) return 'EADDRNOTAVAIL';
        port = p;
      } else if (this.entry(localAddr, port, remoteAddr, remotePort)) {
        return 'EADDRINUSE';
      }
      const ep = new TcpEndpoint(this, localAddr, port, remoteAddr, remotePort);
      ep.handler = params.handler ?? NO_HANDLER;
      ep.user = params.user ?? null;
      ep.mtu = params.mtu ?? this.mtuFor(localAddr, remoteAddr);
      params.setup?.(ep);
      this.register(ep);
      startConnect(ep);
      this.reschedule(ep);
      return ep;
    } finally {
      this.leave();
    }
  }

  /** Passive OPEN on (addr, port); addr 0 listens on every local address. */
  listen(addr: Ipv4Addr, port: number, backlog: number, handler: TcpListenHandler = NO_LISTEN_HANDLER): TcpListener | 'EADDRINUSE' {
    const key = localKey(addr, port);
    if (this.listeners.has(key)) return 'EADDRINUSE';
    if (addr === 0) {
      for (const l of this.listeners.values()) if (l.localPort === port) return 'EADDRINUSE';
    } else if (this.listeners.has(localKey(0, port))) {
      return 'EADDRINUSE';
    }
    const l = new TcpListener(this, addr, port, backlog);
    l.handler = handler;
    this.listeners.set(key, l);
    return l;
  }

  unlisten(l: TcpListener): void {
    const key = localKey(l.localAddr, l.localPort);
    if (this.listeners.get(key) === l) this.listeners.delete(key);
  }

  findListener(addr: Ipv4Addr, port: number): TcpListener | null {
    return this.listeners.get(localKey(addr, port)) ?? this.listeners.get(localKey(0, port)) ?? null;
  }

  // ------------------------------------------------------------ ports

  /**
   * bind(): hold `port` (0 = pick an ephemeral one). Fails when a listener or another
   * binding holds it, or (without reuseAddr) when connections still use it.
   */
  bindPort(port: number, reuseAddr = false): number | 'EADDRINUSE' | 'EADDRNOTAVAIL' {
    if (port === 0) {
      const p = this.profile;
      const n = p.ephemeralHigh - p.ephemeralLow + 1;
      for (let i = 0; i < n; i++) {
        const cand = p.ephemeralLow + ((this.portCounter + i) % n);
        if (!this.boundPorts.has(cand) && !this.connPorts.has(cand) && !this.portListened(cand)) {
          this.portCounter += i + 1;
          this.boundPorts.set(cand, 1);
          return cand;
        }
      }
      return 'EADDRNOTAVAIL';
    }
    if (this.boundPorts.has(port) && !reuseAddr) return 'EADDRINUSE';
    if (this.portListened(port)) return 'EADDRINUSE';
    if (this.connPorts.has(port) && !reuseAddr) return 'EADDRINUSE';
    this.boundPorts.set(port, (this.boundPorts.get(port) ?? 0) + 1);
    return port;
  }

  releasePort(port: number): void {
    const n = this.boundPorts.get(port);
    if (n === undefined) return;
    if (n <= 1) this.boundPorts.delete(port);
    else this.boundPorts.set(port, n - 1);
  }

  private portListened(port: number): boolean {
    for (const l of this.listeners.values()) if (l.localPort === port) return true;
    return false;
  }

  /** RFC 6056 algorithm 3: a keyed offset per destination, then the first free port. */
  private ephemeralPort(local: Ipv4Addr, remote: Ipv4Addr, remotePort: number): number {
    const p = this.profile;
    const n = p.ephemeralHigh - p.ephemeralLow + 1;
    const offset = this.isnGen.portOffset(local, remote, remotePort);
    for (let i = 0; i < n; i++) {
      const port = p.ephemeralLow + ((offset + this.portCounter + i) % n);
      if (this.boundPorts.has(port) || this.portListened(port)) continue;
      if (this.entry(local, port, remote, remotePort)) continue;
      this.portCounter += i + 1;
      return port;
    }
    return 0;
  }

  // ------------------------------------------------------------ connection table

  /** The connection with these four values (a TIME-WAIT record becomes an endpoint again). */
  lookup(local: Ipv4Addr, localPort: number, remote: Ipv4Addr, remotePort: number): TcpEndpoint | null {
    const e = this.entry(local, localPort, remote, remotePort);
    return e === null || e instanceof TcpEndpoint ? e : this.thawRecord(e);
  }

  private entry(local: Ipv4Addr, localPort: number, remote: Ipv4Addr, remotePort: number): Entry | null {
    const v = this.byHash.get(tupleHash(local, localPort, remote, remotePort));
    if (v === undefined) return null;
    if (!Array.isArray(v)) return sameTuple(v, local, localPort, remote, remotePort) ? v : null;
    for (const ep of v) if (sameTuple(ep, local, localPort, remote, remotePort)) return ep;
    return null;
  }

  register(ep: TcpEndpoint): void {
    if (ep.registered) return;
    const h = tupleHash(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort);
    const v = this.byHash.get(h);
    if (v === undefined) this.byHash.set(h, ep);
    else if (Array.isArray(v)) v.push(ep);
    else this.byHash.set(h, [v, ep]);
    ep.registered = true;
    const free = this.freeSlots.pop();
    ep.timerSlot = free ?? this.timed.length;
    this.timed[ep.timerSlot] = ep;
    this.connCount++;
    this.connPorts.set(ep.localPort, (this.connPorts.get(ep.localPort) ?? 0) + 1);
  }

  private unregister(ep: TcpEndpoint): void {
    if (!ep.registered) return;
    ep.registered = false;
    this.timed[ep.timerSlot] = null;
    this.freeSlots.push(ep.timerSlot);
    ep.timerSlot = -1;
    this.connCount--;
    const h = tupleHash(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort);
    const v = this.byHash.get(h);
    if (v === ep) {
      this.byHash.delete(h);
    } else if (Array.isArray(v)) {
      const rest = v.filter((x) => x !== ep);
      if (rest.length === 1) this.byHash.set(h, rest[0]!);
      else this.byHash.set(h, rest);
    }
    const n = this.connPorts.get(ep.localPort) ?? 0;
    if (n <= 1) this.connPorts.delete(ep.localPort);
    else this.connPorts.set(ep.localPort, n - 1);
  }

  /** Delete a TCB: leave the tables, stop timers, tell the user "closed". */
  destroy(ep: TcpEndpoint): void {
    if (ep.state === TcpState.CLOSED && !ep.registered) return;
    this.setState(ep, TcpState.CLOSED);
    this.unregister(ep);
    ep.listener?.forget(ep);
    ep.listener = null;
    ep.rtoAt = ep.persistAt = ep.delackAt = ep.keepAt = ep.closeAt = NEVER;
    ep.heapAt = NEVER;
    ep.sndBuf.clear();
    ep.reasm = null;
    ep.sackBoard = null;
    this.post(ep, 'closed');
  }

  /** Every state change goes through here (CurrEstab, traces). */
  setState(ep: TcpEndpoint, to: TcpState): void {
    const from = ep.state;
    if (from === to) return;
    const wasEstab = from === TcpState.ESTABLISHED || from === TcpState.CLOSE_WAIT;
    const isEstab = to === TcpState.ESTABLISHED || to === TcpState.CLOSE_WAIT;
    if (wasEstab && !isEstab) this.mib.CurrEstab--;
    else if (!wasEstab && isEstab) this.mib.CurrEstab++;
    ep.state = to;
    this.env.stateChanged?.(ep, from, to);
  }

  /** Number of connections (every state but LISTEN and CLOSED). */
  get connectionCount(): number {
    return this.connCount;
  }

  /** Every connection (TIME-WAIT records become endpoints again to be listed). */
  *connections(): IterableIterator<TcpEndpoint> {
    const all: Entry[] = [];
    for (const v of this.byHash.values()) {
      if (Array.isArray(v)) all.push(...v);
      else all.push(v);
    }
    for (const e of all) yield e instanceof TcpEndpoint ? e : this.thawRecord(e);
  }

  // ------------------------------------------------------------ compact TIME-WAIT

  /** Swap an orphan's TCB in TIME-WAIT for a record (canCompact said it may). */
  private compact(ep: TcpEndpoint): void {
    const rec = freeze(ep);
    // The endpoint's live heap entry names the slot, so it now stands for the record.
    rec.heapAt = ep.heapAt;
    this.replaceEntry(ep, rec);
    this.timed[ep.timerSlot] = rec;
    ep.registered = false;
    ep.timerSlot = -1;
    this.timeWaitCompacted++;
  }

  private thawRecord(rec: TimeWaitRecord): TcpEndpoint {
    const ep = thaw(this, rec);
    ep.heapAt = rec.heapAt;
    this.replaceEntry(rec, ep);
    this.timed[rec.timerSlot] = ep;
    return ep;
  }

  /** Put `neu` where the tables hold `old` (same four values). */
  private replaceEntry(old: Entry, neu: Entry): void {
    const h = tupleHash(old.localAddr, old.localPort, old.remoteAddr, old.remotePort);
    const v = this.byHash.get(h);
    if (v === old) this.byHash.set(h, neu);
    else if (Array.isArray(v)) v[v.indexOf(old)] = neu;
  }

  *listening(): IterableIterator<TcpListener> {
    yield* this.listeners.values();
  }

  mtuFor(local: Ipv4Addr, remote: Ipv4Addr): number {
    return this.env.mtu?.(local, remote) ?? 1500;
  }

  // ------------------------------------------------------------ timers

  /** Note that `ep`'s deadlines may have moved earlier. */
  reschedule(ep: TcpEndpoint): void {
    if (!ep.registered) return;
    const d = deadline(ep);
    if (d < ep.heapAt) {
      ep.heapAt = d;
      this.timers.push(d, ep.timerSlot);
    }
  }

  /** The earliest time onTimer() has work (Infinity when none). */
  nextDeadline(): Time {
    return this.timers.peek();
  }

  /** Run every timer due at `now`. */
  onTimer(now: Time): void {
    this.enter(now);
    const heap = this.timers;
    while (heap.peek() <= now) {
      const owner = this.timed[heap.pop()];
      if (owner === null || owner === undefined || heap.lastTime !== owner.heapAt) continue;
      owner.heapAt = NEVER;
      const ep = owner instanceof TcpEndpoint ? owner : this.thawRecord(owner);
      runTimers(ep, now);
      this.reschedule(ep);
      if (this.compactTimeWait && canCompact(ep)) this.compact(ep);
    }
    this.leave();
  }

  // ------------------------------------------------------------ configuration

  /** Set a sysctl by name (see the profile's sysctlMap). */
  setSysctl(name: string, value: string): { ok: true } | { ok: false; error: string } {
    const r = withSysctl(this.profile, this.sysctlMap, name, value);
    if (!r.ok) return r;
    this.profile = r.profile;
    return { ok: true };
  }

  getSysctl(name: string): string | null {
    const e = this.sysctlMap[name];
    return e ? e.show(this.profile) : null;
  }
}

function sameTuple(ep: Entry, local: number, localPort: number, remote: number, remotePort: number): boolean {
  return ep.remotePort === remotePort && ep.localPort === localPort && ep.remoteAddr === remote && ep.localAddr === local;
}
