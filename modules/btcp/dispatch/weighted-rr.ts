/**
 * Smooth weighted round-robin (as in nginx): every pick adds each eligible node's weight to
 * its running credit and takes the node with the most, which then pays back the total. Over
 * any window of sum(weights) picks each node gets exactly its weight, spread out rather than
 * in bursts (weights 5,1,1 give a a b a c a a, not a a a a a b c).
 */
import { decide, eligible } from './policy.ts';
import type { Decision, DispatchPolicy, DispatchRequest, DispatchView, NodeId, NodeView } from './policy.ts';

export class WeightedRoundRobin implements DispatchPolicy {
  readonly name = 'weighted-round-robin';
  /** Running credit per node; only nodes present in some view are kept. */
  private credit = new Map<NodeId, number>();

  pick(req: DispatchRequest, view: DispatchView): Decision {
    let total = 0;
    let best: NodeView | undefined;
    let bestCredit = 0;
    for (const n of view.nodes) {
      if (!eligible(n, req)) continue;
      const c = (this.credit.get(n.id) ?? 0) + n.weight;
      this.credit.set(n.id, c);
      total += n.weight;
      if (best === undefined || c > bestCredit) {
        best = n;
        bestCredit = c;
      }
    }
    if (best !== undefined) this.credit.set(best.id, bestCredit - total);
    this.forgetGone(view);
    return decide(best?.id, view);
  }

  /** Keeps the credit table bounded by the cluster: nodes that left lose their credit. */
  private forgetGone(view: DispatchView): void {
    if (this.credit.size <= view.nodes.length) return;
    const present = new Set(view.nodes.map((n) => n.id));
    for (const id of this.credit.keys()) if (!present.has(id)) this.credit.delete(id);
  }
}
