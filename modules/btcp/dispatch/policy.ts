/**
 * Content-based dispatch (claims 3, 11 d-f, 27 c-d): once the request head is complete, a
 * policy names the node that can best serve it. Every policy has the same shape — a pure
 * choice over a snapshot of the cluster — and lives in its own file; registry.ts builds one
 * from a JSON-able spec. Policies are deterministic: the same calls give the same answers.
 */

/** A node's name, as in its HELLO. */
export type NodeId = string;

/** What the front end knows about one node (itself included) when it dispatches. */
export interface NodeView {
  id: NodeId;
  /** Relative capacity; 0 means never chosen. */
  weight: number;
  /** Control channel up and heartbeats fresh (always true for the FE itself). */
  alive: boolean;
  /** The node asked for no new connections. */
  draining: boolean;
  /** Active connections: the larger of its last heartbeat and what this FE handed it since. */
  conns: number;
  /** Not chosen while conns >= maxConns (an overloaded node); absent = no cap. */
  maxConns?: number;
  /** From the last heartbeat. */
  queueDepth: number;
  cpuPermille: number;
}

export interface DispatchView {
  /** The front end's own id: choosing it means serving locally (claims 8, 20, 33). */
  selfId: NodeId;
  /** Every node that may serve, the FE itself included if it serves content. Order matters for ties. */
  nodes: readonly NodeView[];
}

/** The parts of a request head dispatch looks at. */
export interface DispatchRequest {
  method: string;
  /** Path and query (RequestHead.path). */
  path: string;
  /** Lower-cased authority, or null. */
  host: string | null;
  /** Client address (u32), for policies that hash on it. */
  client?: number;
  /** Nodes that already refused or timed out on this request: not chosen again. */
  exclude?: ReadonlySet<NodeId>;
}

export type Decision = { kind: 'local' } | { kind: 'backend'; id: NodeId };

export interface DispatchPolicy {
  readonly name: string;
  /**
   * The node for this request. When no node can take it, the answer is local service: the
   * FE is a server too, and a refusal would cost the client more than a slower answer.
   */
  pick(req: DispatchRequest, view: DispatchView): Decision;
}

export const LOCAL: Decision = { kind: 'local' };

/** A node that may be given a new connection now. */
export function eligible(n: NodeView, req: DispatchRequest): boolean {
  return (
    n.alive &&
    !n.draining &&
    n.weight > 0 &&
    (n.maxConns === undefined || n.conns < n.maxConns) &&
    !(req.exclude?.has(n.id) ?? false)
  );
}

/** The decision that sends the request to `id`. */
export function decide(id: NodeId | undefined, view: DispatchView): Decision {
  if (id === undefined || id === view.selfId) return LOCAL;
  return { kind: 'backend', id };
}

/** a is less loaded than b, relative to capacity (conns / weight), compared exactly. */
export function lessLoaded(a: NodeView, b: NodeView): boolean {
  return a.conns * b.weight < b.conns * a.weight;
}

/** The least-loaded eligible node among `nodes` (first one on ties), or undefined. */
export function leastLoaded(nodes: Iterable<NodeView>, req: DispatchRequest): NodeView | undefined {
  let best: NodeView | undefined;
  for (const n of nodes) if (eligible(n, req) && (best === undefined || lessLoaded(n, best))) best = n;
  return best;
}

/** The dispatch key of a request: host and path without the query. */
export function contentKey(req: DispatchRequest): string {
  const q = req.path.indexOf('?');
  return `${req.host ?? ''}${q < 0 ? req.path : req.path.slice(0, q)}`;
}
