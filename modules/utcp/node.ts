/**
 * What all UTCP instances of one node share (env.shared): the configuration, the control
 * stream (the one UTCP instance TCP passes BTCP's M_CTL messages up to), the control channels
 * by peer, and which listening stream holds which connection indication. UTCP instances sit
 * on every TCP endpoint stream (autopush); each plays the part its stream needs: a listening
 * stream's holds indications, a channel's frames control messages, the control stream's
 * relays between BTCP and the channels and sends the heartbeats.
 */
import { mkctl, putnext, type Mblk, type Queue, type StreamsEnv } from '../../lib/streams/index.ts';
import type { TimerId } from '../../lib/sim/types.ts';
import { SEC, type Time } from '../../lib/sim/time.ts';
import type { ConnAddr, CtlDown } from '../control/ctl.ts';
import { DEFAULT_MAX_BODY } from '../control/frame.ts';
import type { Channel } from './channel.ts';
import type { Hold } from './hold.ts';
import type { UtcpConfig, UtcpStats } from './ioctl.ts';

export type UtcpKind = 'plain' | 'control' | 'channel';

/** One UTCP instance (q_ptr of both its queues). */
export interface UtcpInst {
  node: UtcpNode;
  rq: Queue;
  wq: Queue;
  kind: UtcpKind;
  /** Held connection indications (listening streams only, created on the first one). */
  hold: Hold | null;
  channel: Channel | null;
  /** Acknowledgements of T_DISCON_REQs UTCP sent itself, to be kept from the socket. */
  swallowAcks: number;
}

export interface ResolvedUtcpConfig extends Required<Omit<UtcpConfig, 'policy' | 'limits'>> {
  policy: UtcpConfig['policy'];
  limits: NonNullable<UtcpConfig['limits']>;
}

export function resolveUtcpConfig(c: UtcpConfig): ResolvedUtcpConfig {
  const hb = c.heartbeatInterval ?? 1 * SEC;
  return {
    nodeId: c.nodeId,
    lanAddr: c.lanAddr,
    services: c.services ?? [],
    nodes: c.nodes ?? [],
    policy: c.policy ?? null,
    draining: c.draining ?? false,
    heartbeatInterval: hb,
    channelDeadAfter: c.channelDeadAfter ?? 3 * hb + 1 * SEC,
    maxBody: c.maxBody ?? DEFAULT_MAX_BODY,
    holdTimeout: c.holdTimeout ?? 60 * SEC,
    maxHeld: c.maxHeld ?? 4096,
    limits: c.limits ?? {},
  };
}

/** Why a configuration is refused, or null. */
export function checkUtcpConfig(c: unknown): string | null {
  if (typeof c !== 'object' || c === null) return 'config must be an object';
  const x = c as Partial<UtcpConfig>;
  if (typeof x.nodeId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(x.nodeId)) return 'nodeId must match [A-Za-z0-9._-]{1,64}';
  if (typeof x.lanAddr !== 'number' || !Number.isInteger(x.lanAddr) || x.lanAddr <= 0 || x.lanAddr > 0xffffffff) return 'lanAddr must be an IPv4 address (u32)';
  for (const e of x.services ?? []) if (!Number.isInteger(e?.port) || e.port <= 0 || e.port > 0xffff) return 'services: bad port';
  if (x.maxBody !== undefined && !(x.maxBody >= 1024 && x.maxBody <= 0xffffffff)) return 'maxBody must be 1024..2^32-1';
  return null;
}

export function connKey(c: ConnAddr): string {
  return `${c.client.addr}:${c.client.port}>${c.server.addr}:${c.server.port}`;
}

/** Release / discard orders that arrived before the indication they concern (bounded, short-lived). */
const MAX_EARLY = 1024;
const EARLY_LIFETIME = 5 * SEC;

export class UtcpNode {
  config: ResolvedUtcpConfig | null = null;
  control: UtcpInst | null = null;
  readonly channels = new Set<Channel>();
  readonly byPeer = new Map<string, Channel>();
  /** Which listening stream holds the indication of a connection. */
  readonly holders = new Map<string, UtcpInst>();
  readonly early = new Map<string, { action: 'release' | 'discard'; until: Time }>();
  readonly counters: Record<string, number> = {};
  /** Answers of BTCP's stats awaited: an ioctl to complete, or a heartbeat to send. */
  readonly statsWaits = new Map<number, { q: Queue; mp: Mblk } | 'heartbeat'>();
  heartbeatTimer: TimerId | null = null;
  private lastToken = 0;

  constructor(readonly env: StreamsEnv) {}

  count(name: string, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }

  /** Is anyone reading the trace? Test it before building a `note`. */
  get tracing(): boolean {
    return this.env.tracing;
  }

  /** A step of this node's UTCP for the trace ("handoff.*", "ctl.*"), seen at queue q. */
  note(q: Queue, ev: string, fields: Record<string, unknown>): void {
    this.env.trace.emit('note', { t: this.env.now(), q, ev, fields });
  }

  token(): number {
    this.lastToken = (this.lastToken + 1) >>> 0;
    return this.lastToken;
  }

  /** An M_CTL down to BTCP, through TCP, from the control stream (or `via` without one). */
  down(m: CtlDown, via?: UtcpInst): void {
    const inst = this.control ?? via;
    if (inst === undefined) return this.count('ctlNoStream');
    putnext(inst.wq, mkctl(m));
  }

  remember(key: string, action: 'release' | 'discard'): void {
    const now = this.env.now();
    if (this.early.size >= MAX_EARLY) {
      for (const [k, v] of this.early) if (v.until <= now || this.early.size >= MAX_EARLY) this.early.delete(k);
    }
    this.early.set(key, { action, until: now + EARLY_LIFETIME });
  }

  takeEarly(key: string): 'release' | 'discard' | null {
    const e = this.early.get(key);
    if (e === undefined) return null;
    this.early.delete(key);
    return e.until > this.env.now() ? e.action : null;
  }

  /** Ask BTCP for the load now; the answer goes out as a HEARTBEAT on every channel. */
  heartbeatSoon(): void {
    if (this.control === null) return;
    // One heartbeat question at a time: without BTCP below, the answer never comes.
    for (const [t, w] of [...this.statsWaits]) if (w === 'heartbeat') this.statsWaits.delete(t);
    const token = this.token();
    this.statsWaits.set(token, 'heartbeat');
    this.down({ ho: 'stats-query', token });
  }

  heldCount(): number {
    let n = 0;
    for (const inst of new Set(this.holders.values())) n += inst.hold?.size ?? 0;
    return n;
  }

  stats(): UtcpStats {
    return {
      nodeId: this.config?.nodeId ?? '',
      held: this.heldCount(),
      channels: [...this.channels].map((c) => c.status()),
      counters: { ...this.counters },
    };
  }
}

export function utcpNodeOf(env: StreamsEnv): UtcpNode {
  return env.shared('utcp', () => new UtcpNode(env));
}
