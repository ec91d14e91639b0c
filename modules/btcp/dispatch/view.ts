/**
 * The front end's picture of its cluster, kept from what it can observe — heartbeats and the
 * state of each control channel, plus the connections it handed to each node and has not yet
 * seen terminated — and turned into a DispatchView on demand. Time is passed in; a node whose
 * last heartbeat is older than `deadAfter` counts as not alive.
 */
import type { Heartbeat } from '../../control/frame.ts';
import type { Time } from '../../../lib/sim/time.ts';
import type { DispatchView, NodeId, NodeView } from './policy.ts';

export interface NodeConfig {
  id: NodeId;
  weight: number;
  maxConns?: number;
}

interface NodeState {
  config: NodeConfig;
  channelUp: boolean;
  lastHeartbeat: Time | null;
  heartbeat: Heartbeat | null;
  /** Connections handed to the node by this FE and not yet terminated. */
  handedOff: number;
  /** Value of handedOff when the last heartbeat arrived: changes since are not in it yet. */
  handedAtHeartbeat: number;
}

export class ClusterView {
  private readonly nodes = new Map<NodeId, NodeState>();

  /**
   * @param selfId the FE's own id; its node (if configured) is always alive, loaded by `localConns`.
   * @param deadAfter heartbeat age after which a node is taken for dead.
   */
  constructor(
    readonly selfId: NodeId,
    private readonly deadAfter: Time,
  ) {}

  /** Adds or reconfigures a node (the cluster configuration is the bound on this table). */
  configure(node: NodeConfig): void {
    const s = this.nodes.get(node.id);
    if (s) s.config = node;
    else this.nodes.set(node.id, { config: node, channelUp: false, lastHeartbeat: null, heartbeat: null, handedOff: 0, handedAtHeartbeat: 0 });
  }

  remove(id: NodeId): void {
    this.nodes.delete(id);
  }

  channel(id: NodeId, up: boolean): void {
    const s = this.nodes.get(id);
    if (s) s.channelUp = up;
  }

  heartbeat(id: NodeId, hb: Heartbeat, now: Time): void {
    const s = this.nodes.get(id);
    if (!s) return;
    s.heartbeat = hb;
    s.lastHeartbeat = now;
    s.handedAtHeartbeat = s.handedOff;
  }

  /** A handoff to `id` was acknowledged (+1) or its connection terminated (-1). */
  handed(id: NodeId, delta: 1 | -1): void {
    const s = this.nodes.get(id);
    if (!s) return;
    s.handedOff = Math.max(0, s.handedOff + delta);
  }

  /**
   * The view dispatch sees now. `localConns` is the FE's own count of connections it serves.
   * A node's load is its last heartbeat plus what this FE handed it since (never less than
   * what this FE alone has handed it): fresh between heartbeats, and aware of other FEs.
   */
  snapshot(now: Time, localConns = 0): DispatchView {
    const nodes: NodeView[] = [];
    for (const s of this.nodes.values()) {
      const self = s.config.id === this.selfId;
      const hb = s.heartbeat;
      const fresh = s.lastHeartbeat !== null && now - s.lastHeartbeat <= this.deadAfter;
      const conns = self
        ? localConns
        : Math.max(s.handedOff, (hb?.activeConns ?? 0) + s.handedOff - s.handedAtHeartbeat, 0);
      const v: NodeView = {
        id: s.config.id,
        weight: s.config.weight,
        alive: self || (s.channelUp && fresh),
        draining: !self && (hb?.draining ?? false),
        conns,
        queueDepth: hb?.queueDepth ?? 0,
        cpuPermille: hb?.cpuPermille ?? 0,
      };
      if (s.config.maxConns !== undefined) v.maxConns = s.config.maxConns;
      nodes.push(v);
    }
    return { selfId: this.selfId, nodes };
  }
}
