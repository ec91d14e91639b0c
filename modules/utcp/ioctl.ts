/**
 * The ioctls of UTCP, which a node's handoff daemon (harness/apps/handoffd.ts) sends down TCP
 * streams. UTCP answers them; anything else passes on to TCP.
 *
 * - HANDOFF_IOC_CONFIG on the daemon's control stream (a TCP stream subscribed to M_CTL with
 *   TCP_IOC_CTL_SUBSCRIBE): the node's role and cluster; makes that stream the node's UTCP
 *   control stream and passes BTCP its part.
 * - HANDOFF_IOC_CHANNEL on a connected TCP stream: it is a control channel from now on; UTCP
 *   frames and unframes its bytes (`pending`: bytes the daemon already read off the socket).
 * - HANDOFF_IOC_STATS on the control stream: UTCP's and BTCP's counters.
 * - HANDOFF_IOC_DRAIN on the control stream: take no new handoffs (data: boolean).
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { BtcpLimits, BtcpStats } from '../control/ctl.ts';
import type { Endpoint } from '../control/frame.ts';
import type { PolicySpec } from '../btcp/dispatch/registry.ts';
import type { NodeConfig } from '../btcp/dispatch/view.ts';

const BASE = 0x484f0000; // 'HO'

export const HANDOFF_IOC_CONFIG = BASE | 1;
export const HANDOFF_IOC_CHANNEL = BASE | 2;
export const HANDOFF_IOC_STATS = BASE | 3;
export const HANDOFF_IOC_DRAIN = BASE | 4;

export interface UtcpConfig {
  /** The node's name on the control channels ([A-Za-z0-9._-]{1,64}). */
  nodeId: string;
  /** Its address on the cluster LAN (where an FE sends connections it hands here). */
  lanAddr: Ipv4Addr;
  /** FE: the addresses and ports (VIP:port) whose connections are held, dispatched, handed off. */
  services?: Endpoint[];
  /** FE: the nodes that may serve (this one too if it serves content) and the dispatch policy. */
  nodes?: NodeConfig[];
  policy?: PolicySpec | null;
  draining?: boolean;
  /** Period of HEARTBEAT on every channel (ns, default 1 s). */
  heartbeatInterval?: number;
  /** A channel that brought nothing for this long is cut (ns, default 3 heartbeats + 1 s). */
  channelDeadAfter?: number;
  /** Largest frame body this node accepts (announced in HELLO; default 64 KiB). */
  maxBody?: number;
  /** A connection indication held longer than this is handed to the application (ns, default 60 s). */
  holdTimeout?: number;
  /** Indications held at once per listening stream (default 4096). */
  maxHeld?: number;
  /** BTCP's timers and bounds. */
  limits?: Partial<BtcpLimits>;
}

export interface ChannelArg {
  /** Bytes that arrived before the stream became a channel, in order. */
  pending?: Uint8Array;
}

export interface PeerStatus {
  peer: string;
  addr: Ipv4Addr;
  up: boolean;
  framesIn: number;
  framesOut: number;
}

export interface UtcpStats {
  nodeId: string;
  /** Connection indications held now (all listening streams). */
  held: number;
  channels: PeerStatus[];
  counters: Record<string, number>;
}

/** The answer of HANDOFF_IOC_STATS. */
export interface HandoffStats {
  utcp: UtcpStats;
  btcp: BtcpStats | null;
}
