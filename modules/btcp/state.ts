/**
 * The private state of one BTCP instance (one per node: the module sits once, between TCP and
 * IP): the configuration, the FE table (connections being recorded, handed off, forwarded),
 * the BE table (connections taken over), the cluster view the dispatch policy reads, the
 * peers whose control channels are up, and counters. The steps (record, decide, handoff,
 * takeover, forward, terminate) are functions over this state; `io` is how they send.
 */
import { freemsg, type Mblk } from '../../lib/streams/index.ts';
import { SEC, type Time } from '../../lib/sim/time.ts';
import { formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Seq } from '../../lib/wire/seq.ts';
import type { BtcpConfig, BtcpLimits, BtcpStats, CtlUp } from '../control/ctl.ts';
import type { Endpoint, HandoffReq, Terminate } from '../control/frame.ts';
import { ConnTable, tupleKey, type FourTuple } from './conn-state.ts';
import { resolveConfig, DEFAULT_LIMITS, type ResolvedConfig } from './config.ts';
import { ClusterView } from './dispatch/view.ts';
import type { DispatchPolicy } from './dispatch/policy.ts';
import { createPolicy } from './dispatch/registry.ts';
import type { HeadParser, RequestHead } from './http-head.ts';
import type { Reassembly } from './reassembly.ts';
import type { InitialState, RewriteState } from './rewrite-state.ts';
import type { Seg } from './segment.ts';

/** How the steps send: up to TCP, down to IP, an M_CTL up to UTCP; the clock; timer changes. */
export interface BtcpIo {
  up(mp: Mblk): void;
  down(mp: Mblk): void;
  ctl(msg: CtlUp): void;
  now(): Time;
  /** A deadline may have moved earlier: re-arm the module's timer. */
  rearm(): void;
  /** Is anyone reading the trace? Checked before building an event (tracing off costs this call). */
  tracing(): boolean;
  /** A step inside this node, for the trace (`ev` "handoff.*" or "ctl.*"; fields plain JSON values). */
  note(ev: string, fields: Record<string, unknown>): void;
}

/** How long the BE swallows what its TCP still sends for a connection it dropped (a TIME_WAIT's worth). */
export const BE_GONE_KEEP = 60 * SEC;

export type FePhase = 'syn' | 'synack' | 'head' | 'handoff' | 'forward';

/** A client connection on the front end, from its SYN until it is served locally or handed off and over. */
export interface FeConn {
  phase: FePhase;
  tuple: FourTuple;
  client: Endpoint;
  vip: Endpoint;
  /** The client's SYN as recorded, and what it announced. */
  syn: Uint8Array;
  client0: InitialState;
  /** What the FE's TCP announced in its SYN/ACK (claim 2: the first initial state). */
  fe0: InitialState | null;
  /** Highest TSval the FE's TCP sent on this connection (the client has seen no later one). */
  tsMax: number | null;
  /** The handshake's ACK as recorded (payload cut off if it carried any). */
  ack: Uint8Array | null;
  /** The request segments as recorded, in arrival order, and their payload bytes. */
  data: Uint8Array[];
  dataBytes: number;
  reasm: Reassembly | null;
  parser: HeadParser | null;
  head: RequestHead | null;
  /** The handoff in flight or done: its id on the channel, the BE, the BEs tried. */
  connId: number;
  peer: string | null;
  /** The BE's address and port the connection is rebuilt on. */
  target: Endpoint | null;
  tried: Set<string>;
  /** Client segments that arrived while the handoff was in flight, in order. */
  queued: Seg[];
  rw: RewriteState | null;
}

export type BePhase = 'syn' | 'active' | 'closing';

/** A connection a back end took over, from the replayed SYN until TERMINATE. */
export interface BeConn {
  phase: BePhase;
  tuple: FourTuple;
  peer: string;
  connId: number;
  /** Frame id of the HANDOFF_REQ (the answer carries it). */
  replyTo: number;
  /** Kept until the ACK and request segments are replayed. */
  req: HandoffReq | null;
  rw: RewriteState | null;
  /** One past the highest client byte seen: the BE TCP's RCV.NXT, for a RST it accepts. */
  clientNext: Seq;
  /** Sequence number of each side's FIN (BE space for the server), and whether it was acknowledged. */
  clientFin: Seq | null;
  serverFin: Seq | null;
  clientFinAcked: boolean;
  serverFinAcked: boolean;
  /** The FE forwarded client packets since the ACK: it knows the handoff succeeded. */
  confirmed: boolean;
}

export interface Peer {
  addr: Ipv4Addr;
  maxBody: number;
}

export class BtcpState {
  config: ResolvedConfig | null = null;
  limits: BtcpLimits = DEFAULT_LIMITS;
  private services = new Set<number>();
  fe = new ConnTable<FeConn>(DEFAULT_LIMITS.maxConns);
  be = new ConnTable<BeConn>(DEFAULT_LIMITS.maxConns);
  /** FE: connId of a handoff -> its connection. */
  readonly feById = new Map<number, FourTuple>();
  /** BE: "peer/connId" -> the connection taken over. */
  readonly beById = new Map<string, FourTuple>();
  private lastConnId = 0;
  view: ClusterView | null = null;
  policy: DispatchPolicy | null = null;
  readonly peers = new Map<string, Peer>();
  /** TERMINATEs waiting for the channel to a peer to come back (bounded per peer). */
  readonly pendingTerminates = new Map<string, Terminate[]>();
  /**
   * BE: connections dropped from the table -> until when whatever the BE's TCP still sends for
   * them is swallowed (a SYN/ACK answering a replay aborted before it, a retransmission racing
   * the RST sent up). Nothing of a handed-off connection may leave unrewritten, from the BE's
   * own address. Bounded by maxConns, oldest forgotten first.
   */
  readonly beGone = new Map<string, Time>();
  /** BE: TERMINATEs written on a channel lately, per peer: sent again if that channel dies (bounded). */
  readonly sentTerminates = new Map<string, Array<{ at: Time; msg: Terminate }>>();
  readonly counters: Record<string, number> = {};
  readonly handoffs: Record<string, number> = {};

  constructor(readonly io: BtcpIo) {}

  /** Is anyone reading the trace? Test it before building a `note`. */
  get tracing(): boolean {
    return this.io.tracing();
  }

  /** A step on connection `t` for the trace, with its client as "a.b.c.d:port" (the report's key). */
  note(ev: string, t: FourTuple | null, fields: Record<string, unknown>): void {
    this.io.note(ev, t === null ? fields : { client: `${formatIpv4(t.clientAddr)}:${t.clientPort}`, ...fields });
  }

  count(name: string, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }

  /** Apply a configuration; returns an error text when it is refused (the old one stays). */
  configure(c: BtcpConfig): string | null {
    let policy: DispatchPolicy | null = null;
    if (c.policy !== null && c.policy !== undefined) {
      const r = createPolicy(c.policy);
      if (!r.ok) return r.error;
      policy = r.policy;
    }
    const rc = resolveConfig(c);
    if (rc.limits.maxConns !== this.limits.maxConns && this.fe.size + this.be.size === 0) {
      this.fe = new ConnTable<FeConn>(rc.limits.maxConns);
      this.be = new ConnTable<BeConn>(rc.limits.maxConns);
    }
    this.config = rc;
    this.limits = rc.limits;
    this.services = new Set(rc.services.map((e) => e.addr * 65536 + e.port));
    this.policy = policy;
    const view = new ClusterView(rc.nodeId, rc.limits.deadAfter);
    for (const n of rc.nodes) view.configure(n);
    for (const id of this.peers.keys()) view.channel(id, true);
    this.view = view;
    return null;
  }

  /** Is addr:port a service this FE records and dispatches? */
  isService(addr: Ipv4Addr, port: number): boolean {
    return this.services.size > 0 && this.services.has(addr * 65536 + port);
  }

  newConnId(t: FourTuple): number {
    do this.lastConnId = (this.lastConnId + 1) >>> 0;
    while (this.lastConnId === 0 || this.feById.has(this.lastConnId));
    this.feById.set(this.lastConnId, t);
    return this.lastConnId;
  }

  feByConnId(connId: number): FeConn | undefined {
    const t = this.feById.get(connId);
    return t === undefined ? undefined : this.fe.get(t);
  }

  /** Forget an FE connection and its handoff id. */
  dropFe(c: FeConn): void {
    if (this.tracing) this.note('handoff.free', c.tuple, { side: 'fe', phase: c.phase, connId: c.connId, peer: c.peer });
    this.fe.delete(c.tuple);
    if (c.connId !== 0 && this.feById.get(c.connId) === c.tuple) this.feById.delete(c.connId);
    for (const s of c.queued) freemsg(s.mp);
    c.queued = [];
  }

  dropBe(c: BeConn): void {
    if (this.tracing) this.note('handoff.free', c.tuple, { side: 'be', phase: c.phase, connId: c.connId, peer: c.peer });
    this.be.delete(c.tuple);
    const key = beKey(c.peer, c.connId);
    if (this.beById.get(key) === c.tuple) this.beById.delete(key);
    const k = tupleKey(c.tuple);
    this.beGone.delete(k);
    if (this.beGone.size >= this.limits.maxConns) this.beGone.delete(this.beGone.keys().next().value!);
    this.beGone.set(k, this.io.now() + BE_GONE_KEEP);
  }

  /** BE: is `t` a connection dropped lately, whose TCP output must not leave? */
  isGone(t: FourTuple): boolean {
    const k = tupleKey(t);
    const until = this.beGone.get(k);
    if (until === undefined) return false;
    if (until > this.io.now()) return true;
    this.beGone.delete(k);
    return false;
  }

  /** Queue a TERMINATE for a peer whose channel is down (oldest dropped at the bound). */
  deferTerminate(peer: string, t: Terminate): void {
    let q = this.pendingTerminates.get(peer);
    if (q === undefined) this.pendingTerminates.set(peer, (q = []));
    if (q.length >= this.limits.maxPendingTerminates) {
      q.shift();
      this.count('pendingTerminateDrops');
    }
    q.push(t);
  }

  /** Send a control message to a peer, or keep a TERMINATE for later when its channel is down. */
  send(peer: string, msg: CtlUp & { ho: 'send' }): void {
    const m = msg.msg;
    if (m.type === 'TERMINATE') {
      if (!this.peers.has(peer)) return this.deferTerminate(peer, m);
      // A BE's TERMINATE frees FE state nothing else frees before the idle timeout: keep it
      // until it is old enough to have arrived (a channel cut while stuck loses what was in it).
      if (m.reason !== 'aborted') this.keepSent(peer, m);
    }
    this.io.ctl(msg);
  }

  private keepSent(peer: string, msg: Terminate): void {
    let q = this.sentTerminates.get(peer);
    if (q === undefined) this.sentTerminates.set(peer, (q = []));
    const now = this.io.now();
    while (q.length > 0 && (q[0]!.at + this.limits.terminateResendWindow <= now || q.length >= this.limits.maxPendingTerminates)) q.shift();
    q.push({ at: now, msg });
  }

  /**
   * The channel to `peer` is gone: the TERMINATEs written on it lately may have died with it.
   * They wait with the others for the next channel (a duplicate at the FE is counted, harmless).
   */
  requeueSent(peer: string): number {
    const q = this.sentTerminates.get(peer);
    this.sentTerminates.delete(peer);
    if (q === undefined) return 0;
    const now = this.io.now();
    let n = 0;
    for (const e of q) {
      if (e.at + this.limits.terminateResendWindow <= now) continue;
      this.deferTerminate(peer, e.msg);
      n++;
    }
    if (n > 0) this.count('terminatesRequeued', n);
    if (n > 0 && this.tracing) this.note('handoff.terminate-requeue', null, { peer, n });
    return n;
  }

  stats(): BtcpStats {
    const fe = { recording: 0, handoff: 0, forwarding: 0 };
    for (const [, c] of this.fe) {
      if (c.phase === 'handoff') fe.handoff++;
      else if (c.phase === 'forward') fe.forwarding++;
      else fe.recording++;
    }
    const be = { replaying: 0, active: 0, pendingTerminates: 0 };
    for (const [, c] of this.be) {
      if (c.phase === 'syn') be.replaying++;
      else be.active++;
    }
    for (const q of this.pendingTerminates.values()) be.pendingTerminates += q.length;
    return { nodeId: this.config?.nodeId ?? '', fe, be, counters: { ...this.counters }, handoffs: { ...this.handoffs } };
  }
}

export function beKey(peer: string, connId: number): string {
  return `${peer}/${connId}`;
}
