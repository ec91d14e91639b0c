/**
 * Weighted least connections (LVS "wlc"): the eligible node with the fewest active
 * connections per unit of weight. Ties rotate, so an idle cluster is filled evenly rather
 * than first node first.
 */
import { decide, eligible, lessLoaded } from './policy.ts';
import type { Decision, DispatchPolicy, DispatchRequest, DispatchView, NodeView } from './policy.ts';

export class LeastConnections implements DispatchPolicy {
  readonly name = 'least-connections';
  private cursor = 0;

  pick(req: DispatchRequest, view: DispatchView): Decision {
    const nodes = view.nodes;
    let best: NodeView | undefined;
    let bestAt = -1;
    for (let k = 0; k < nodes.length; k++) {
      const i = (this.cursor + k) % nodes.length;
      const n = nodes[i]!;
      if (eligible(n, req) && (best === undefined || lessLoaded(n, best))) {
        best = n;
        bestAt = i;
      }
    }
    if (best !== undefined) this.cursor = (bestAt + 1) % nodes.length;
    return decide(best?.id, view);
  }
}
