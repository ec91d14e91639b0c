/**
 * Consistent hashing on a ring of virtual nodes (Karger et al.), with bounded loads
 * (Mirrokni, Thorup, Zadimoghaddam 2018). A key goes to the first eligible node clockwise
 * from its hash, so the same URL (or client) keeps landing on the same node, and when a node
 * fails or leaves only its own keys move. A node already holding more than `loadFactor`
 * times its fair share of connections is passed over, which bounds the damage of a hot key.
 */
import { hash32 } from './hash.ts';
import { contentKey, decide, eligible } from './policy.ts';
import type { Decision, DispatchPolicy, DispatchRequest, DispatchView, NodeId, NodeView } from './policy.ts';

export interface ConsistentHashConfig {
  /** Virtual nodes per unit of weight (default 64). */
  replicas?: number;
  /** Hash the content key (host + path) or the client address (default 'content'). */
  key?: 'content' | 'client';
  /** A node above loadFactor x its weighted fair share is skipped; Infinity turns it off (default 1.25). */
  loadFactor?: number;
}

interface Ring {
  /** Sorted point hashes, and the node owning each point. */
  points: Uint32Array;
  owners: NodeId[];
  /** Which nodes (and weights) the ring was built for. */
  signature: string;
}

/** Upper bound on virtual nodes, whatever the weights: keeps the ring bounded. */
const MAX_POINTS = 1 << 16;

export class ConsistentHash implements DispatchPolicy {
  readonly name = 'consistent-hash';
  private readonly replicas: number;
  private readonly keyOf: 'content' | 'client';
  private readonly loadFactor: number;
  private ring: Ring = { points: new Uint32Array(0), owners: [], signature: '' };

  constructor(config: ConsistentHashConfig = {}) {
    this.replicas = config.replicas ?? 64;
    this.keyOf = config.key ?? 'content';
    this.loadFactor = config.loadFactor ?? 1.25;
  }

  pick(req: DispatchRequest, view: DispatchView): Decision {
    this.build(view);
    const { points, owners } = this.ring;
    if (points.length === 0) return decide(undefined, view);
    const byId = new Map(view.nodes.map((n) => [n.id, n]));
    const cap = this.capacity(view, req);
    const h = hash32(this.keyOf === 'client' ? String(req.client ?? 0) : contentKey(req));
    let first: NodeView | undefined;
    const tried = new Set<NodeId>();
    // Walk clockwise; each node is considered once, so the walk ends after every node was seen.
    for (let k = 0, i = lowerBound(points, h); k < points.length && tried.size < byId.size; k++, i++) {
      const id = owners[i % points.length]!;
      if (tried.has(id)) continue;
      tried.add(id);
      const n = byId.get(id);
      if (n === undefined || !eligible(n, req)) continue;
      first ??= n;
      if (n.conns + 1 <= cap(n)) return decide(n.id, view);
    }
    // Every eligible node is above its bound: the first one clockwise still beats refusing.
    return decide(first?.id, view);
  }

  /** The bounded-load ceiling for a node: loadFactor x its weighted share of (all conns + 1). */
  private capacity(view: DispatchView, req: DispatchRequest): (n: NodeView) => number {
    if (!Number.isFinite(this.loadFactor)) return () => Infinity;
    let conns = 0;
    let weight = 0;
    for (const n of view.nodes) {
      if (!eligible(n, req)) continue;
      conns += n.conns;
      weight += n.weight;
    }
    return (n) => Math.ceil((this.loadFactor * (conns + 1) * n.weight) / weight);
  }

  /** Rebuilds the ring when the set of nodes or their weights changed; liveness does not move points. */
  private build(view: DispatchView): void {
    const members = view.nodes.filter((n) => n.weight > 0);
    const signature = members.map((n) => `${n.id}:${n.weight}`).join(',');
    if (signature === this.ring.signature) return;
    const totalWeight = members.reduce((s, n) => s + n.weight, 0);
    const perWeight = Math.max(1, Math.min(this.replicas, Math.floor(MAX_POINTS / Math.max(1, totalWeight))));
    const entries: Array<[number, NodeId]> = [];
    for (const n of members) {
      const count = Math.max(1, Math.round(n.weight * perWeight));
      for (let v = 0; v < count; v++) entries.push([hash32(`${n.id}#${v}`), n.id]);
    }
    // Ties between points (rare) are broken by id, so the ring does not depend on node order.
    entries.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    this.ring = { points: Uint32Array.from(entries, (e) => e[0]), owners: entries.map((e) => e[1]), signature };
  }
}

/** First index whose point is >= h (points.length when none: the walk wraps to 0). */
function lowerBound(points: Uint32Array, h: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
