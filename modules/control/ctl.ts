/**
 * The M_CTL messages UTCP (above TCP) and BTCP (below it) exchange. TCP passes M_CTL through
 * untouched: down from any upper stream to the linked IP stream, up to the upper stream that
 * subscribed (the node's UTCP control stream). Types only; the payload object is the M_CTL's
 * primitive (mkctl), recognised by its `ho` field. docs/handoff.md §6 lists them.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { ControlMessage, Endpoint } from './frame.ts';
import type { PolicySpec } from '../btcp/dispatch/registry.ts';
import type { NodeConfig } from '../btcp/dispatch/view.ts';

/** A connection as the FE sees it: the client and the service address it reached (VIP:port). */
export interface ConnAddr {
  client: Endpoint;
  server: Endpoint;
}

/** Timers and bounds of BTCP, in nanoseconds and counts; every one has a default (btcp/config.ts). */
export interface BtcpLimits {
  /** Connections tracked at once, FE and BE tables each. */
  maxConns: number;
  /** From the handshake's ACK to a complete request head (then the client is reset). */
  headTimeout: number;
  /** A HANDOFF_REQ waits this long for its answer, then the next BE (or local) is tried. */
  handoffTimeout: number;
  /** SYN to SYN/ACK, on the FE (a handshake that stalls) and on the BE (the replayed SYN). */
  synTimeout: number;
  /** A forwarded (FE) or taken-over (BE) connection idle this long is freed. */
  idleTimeout: number;
  /** After both FINs are acknowledged the BE waits this long before TERMINATE (late retransmissions). */
  finLinger: number;
  /** Request segments recorded per connection (a HANDOFF_REQ carries at most 255). */
  maxRequestSegments: number;
  /** Request bytes recorded per connection (payload only). */
  maxRequestBytes: number;
  /** Client packets queued per connection while its handoff is in flight. */
  maxQueued: number;
  /** TERMINATEs kept per peer while its channel is down. */
  maxPendingTerminates: number;
  /**
   * BE: a TERMINATE written on a channel is kept this long, and sent again on the next channel
   * if that one dies: longer than a stuck channel lives before it is cut, plus the reconnect.
   */
  terminateResendWindow: number;
  /** A node silent this long is taken for dead by the dispatch view. */
  deadAfter: number;
}

/** What a node's BTCP is told by its UTCP (from the daemon's HANDOFF_IOC_CONFIG). */
export interface BtcpConfig {
  nodeId: string;
  /** This node's own address on the cluster LAN: where an FE sends the connections it hands here. */
  lanAddr: Ipv4Addr;
  /** FE only: the addresses and ports whose connections are recorded and dispatched. */
  services: Endpoint[];
  /** FE only: the nodes that may serve (this node too, if it serves content) and the policy. */
  nodes: NodeConfig[];
  policy: PolicySpec | null;
  /** BE: refuse new handoffs (existing connections go on). */
  draining: boolean;
  limits: Partial<BtcpLimits>;
}

/** Down: UTCP -> TCP -> BTCP. */
export type CtlDown =
  | { ho: 'config'; config: BtcpConfig }
  /** A control channel to `peer` is up (HELLO exchanged); `addr` is its LAN address. */
  | { ho: 'peer-up'; peer: string; addr: Ipv4Addr; maxBody: number }
  | { ho: 'peer-down'; peer: string }
  /** A control message arrived from `peer` in frame `id` (HELLO excepted: UTCP answers those). */
  | { ho: 'recv'; peer: string; id: number; msg: ControlMessage }
  /** UTCP could not send what BTCP asked (no channel, channel full, frame too large). */
  | { ho: 'send-failed'; peer: string; msg: ControlMessage }
  | { ho: 'stats-query'; token: number };

/** Up: BTCP -> TCP -> UTCP. */
export type CtlUp =
  /** Send on the channel to `peer`; `replyTo` is the frame id answered (REPLY flag). */
  | { ho: 'send'; peer: string; msg: ControlMessage; replyTo?: number }
  /** Serve locally: hand the held connection indication to the application (claims 8, 20, 33). */
  | { ho: 'release'; conn: ConnAddr }
  /** Handed off: throw the held connection indication away (claims 7, 17, 32). */
  | { ho: 'discard'; conn: ConnAddr }
  | { ho: 'stats'; token: number; stats: BtcpStats };

export type HandoffCtl = CtlDown | CtlUp;

/** BTCP's counters and table sizes (HANDOFF_IOC_STATS shows them with UTCP's). */
export interface BtcpStats {
  nodeId: string;
  /** FE: connections being recorded, in handoff, forwarded. */
  fe: { recording: number; handoff: number; forwarding: number };
  /** BE: connections being rebuilt, taken over (open or lingering after close). */
  be: { replaying: number; active: number; pendingTerminates: number };
  /** Monotonic counters. */
  counters: Record<string, number>;
  /** FE: connections handed off, per BE. */
  handoffs: Record<string, number>;
}

/** The handoff M_CTL payload of a message's primitive, or null for anyone else's. */
export function handoffCtl(proto: unknown): HandoffCtl | null {
  if (typeof proto !== 'object' || proto === null) return null;
  const ho = (proto as { ho?: unknown }).ho;
  return typeof ho === 'string' ? (proto as HandoffCtl) : null;
}
