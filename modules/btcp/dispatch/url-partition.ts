/**
 * URL partition table (claim 25: content partitioned, partly replicated across the nodes).
 * Each rule maps a path prefix (optionally for one host) to the nodes that hold that content;
 * the longest matching prefix wins, and among its replicas the least-loaded eligible node
 * serves. When no replica can take the request, other nodes do not have the content either:
 * the FE serves it locally (or answers for it), as the policy interface prescribes.
 */
import { decide, leastLoaded } from './policy.ts';
import type { Decision, DispatchPolicy, DispatchRequest, DispatchView, NodeId, NodeView } from './policy.ts';

export interface PartitionRule {
  /** Path prefix, plain string comparison ("/img" also matches "/images"; write "/img/" to avoid that). */
  prefix: string;
  /** Only for this (lower-case) host; absent = any host. */
  host?: string;
  /** Nodes holding the content, in order of preference on equal load. */
  nodes: NodeId[];
}

export interface UrlPartitionConfig {
  rules: PartitionRule[];
  /** Replicas for paths no rule matches; absent = every node. */
  defaultNodes?: NodeId[];
}

export class UrlPartition implements DispatchPolicy {
  readonly name = 'url-partition';
  /** Rules tried in order: host-specific before any-host, then longest prefix first. */
  private readonly rules: PartitionRule[];

  constructor(private readonly config: UrlPartitionConfig) {
    this.rules = [...config.rules].sort(
      (a, b) => Number(b.host !== undefined) - Number(a.host !== undefined) || b.prefix.length - a.prefix.length,
    );
  }

  /** The replicas that hold the content of this request (null: every node). */
  replicasFor(req: DispatchRequest): NodeId[] | null {
    for (const r of this.rules) {
      if (r.host !== undefined && r.host !== req.host) continue;
      if (req.path.startsWith(r.prefix)) return r.nodes;
    }
    return this.config.defaultNodes ?? null;
  }

  pick(req: DispatchRequest, view: DispatchView): Decision {
    const replicas = this.replicasFor(req);
    let candidates: Iterable<NodeView> = view.nodes;
    if (replicas !== null) {
      const byId = new Map(view.nodes.map((n) => [n.id, n]));
      candidates = replicas.flatMap((id) => byId.get(id) ?? []);
    }
    return decide(leastLoaded(candidates, req)?.id, view);
  }
}
