/**
 * Locality-aware request distribution (Pai et al., ASPLOS 1998, basic LARD): a target (host
 * + path) keeps going to the node that served it before, so that node's cache stays hot,
 * until that node is overloaded. A target moves to the least-loaded node when its node has
 * more than T_high connections while some node has fewer than T_low, or when its node reaches
 * 2 x T_high whatever the others do. Loads are per unit of weight, so a node of weight 2 is
 * "at T_high" with 2 x T_high connections.
 *
 * The target -> node table is bounded: the least recently used target is forgotten first.
 */
import { contentKey, decide, eligible, leastLoaded } from './policy.ts';
import type { Decision, DispatchPolicy, DispatchRequest, DispatchView, NodeId, NodeView } from './policy.ts';

export interface LardConfig {
  /** Below this many connections (per unit of weight) a node counts as lightly loaded (paper: 25). */
  tLow?: number;
  /** Above this a node counts as overloaded (paper: 65). */
  tHigh?: number;
  /** Targets remembered (default 10 000). */
  maxTargets?: number;
}

export class Lard implements DispatchPolicy {
  readonly name = 'lard';
  readonly tLow: number;
  readonly tHigh: number;
  private readonly maxTargets: number;
  /** Insertion order is recency order: a hit is deleted and re-inserted. */
  private readonly table = new Map<string, NodeId>();

  constructor(config: LardConfig = {}) {
    this.tLow = config.tLow ?? 25;
    this.tHigh = config.tHigh ?? 65;
    this.maxTargets = config.maxTargets ?? 10_000;
    if (!(this.tLow < this.tHigh)) throw new RangeError(`LARD needs T_low < T_high (got ${this.tLow}, ${this.tHigh})`);
  }

  /** Targets currently remembered. */
  get size(): number {
    return this.table.size;
  }

  /** The node a target is assigned to, if remembered. */
  assigned(req: DispatchRequest): NodeId | undefined {
    return this.table.get(contentKey(req));
  }

  pick(req: DispatchRequest, view: DispatchView): Decision {
    const key = contentKey(req);
    const currentId = this.table.get(key);
    const current = currentId === undefined ? undefined : view.nodes.find((n) => n.id === currentId);
    let chosen: NodeView | undefined = current;
    if (current === undefined || !eligible(current, req) || this.shouldMove(current, view, req)) {
      chosen = leastLoaded(view.nodes, req);
    }
    this.table.delete(key);
    if (chosen !== undefined) {
      this.table.set(key, chosen.id);
      if (this.table.size > this.maxTargets) this.table.delete(this.table.keys().next().value!);
    }
    return decide(chosen?.id, view);
  }

  private load(n: NodeView): number {
    return n.conns / n.weight;
  }

  private shouldMove(n: NodeView, view: DispatchView, req: DispatchRequest): boolean {
    const load = this.load(n);
    if (load >= 2 * this.tHigh) return true;
    return load > this.tHigh && view.nodes.some((m) => eligible(m, req) && this.load(m) < this.tLow);
  }
}
