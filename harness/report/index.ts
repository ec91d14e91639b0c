/**
 * Reports of a run: `makeReport` turns a run's summary, trace events and captures into a
 * self-contained HTML page (sequence diagram of one connection, tables) and a markdown file
 * with the same diagram in Mermaid.
 *
 * What the report reads from the trace: `pkt.tx` / `pkt.rx` / `pkt.drop` (harness/world),
 * `streams.push` / `streams.pop` (harness/scenario), and, from the handoff modules, `ctl.tx` /
 * `ctl.rx` events ({host, peer, msg}: the control message in controlMessageToJson form; without
 * them the control frames are decoded from the captures, control.ts) and
 * `handoff.*` events with `host` and `client` ("a.b.c.d:port" or {addr, port}) naming a
 * connection's client endpoint, drawn as a note on that host's lane.
 */
import type { RunSummary } from '../scenario/summary.ts';
import { chooseConnection, listConnections, type Connection } from './connections.ts';
import { controlFromWire } from './control.ts';
import { buildFlow, type Flow } from './flow.ts';
import { renderPage } from './html.ts';
import { renderMermaid } from './mermaid.ts';
import { indexPackets, packetEventKinds, type TraceRecord } from './packets.ts';
import { renderSvg } from './svg.ts';

export interface ReportInput {
  summary: RunSummary;
  /** Trace events (at least those of reportEventKinds), in trace order. */
  events: readonly TraceRecord[];
  /** Interface full name ("fe.eth0") -> its pcap bytes. */
  pcaps: ReadonlyMap<string, Uint8Array>;
  /** Which connection to draw (its number or client endpoint); default: see chooseConnection. */
  conn?: string;
  /** Draw every hop through routers instead of folding them (default false). */
  showRouters?: boolean;
  maxArrows?: number;
}

export interface Report {
  html: string;
  markdown: string;
  connections: Connection[];
  chosen: Connection | null;
  flow: Flow | null;
  /** Set when `conn` named no connection. */
  error: string | null;
}

/** Prefixes of the trace event kinds a report uses. */
export const reportEventKinds: readonly string[] = [...packetEventKinds, 'ctl.', 'handoff.', 'streams.'];

export function makeReport(input: ReportInput): Report {
  const sum = input.summary;
  const idx = indexPackets(input.events, input.pcaps);
  const routers = new Set(sum.hosts.filter((h) => h.role === 'router').map((h) => h.name));
  const cluster = new Set(sum.hosts.filter((h) => h.role === 'front-end' || h.role === 'back-end').map((h) => h.name));
  const backEnds = new Set(sum.hosts.filter((h) => h.role === 'back-end').map((h) => h.name));
  const connections = listConnections(idx, routers, cluster);
  const pick = chooseConnection(connections, backEnds, input.conn);
  const error = pick !== null && 'error' in pick ? pick.error : null;
  const chosen = pick !== null && !('error' in pick) ? pick : null;
  // Control frames: as the modules traced them, or else as the captures carried them.
  const traced = input.events.some((e) => e.ev === 'ctl.tx');
  const events = traced ? input.events : [...input.events, ...controlFromWire(connections)];
  const flow = chosen === null ? null : buildFlow(chosen, sum.hosts, idx.drops, events, { foldRouters: !input.showRouters, maxArrows: input.maxArrows });
  const title = chosen === null ? 'no connection' : `connection ${chosen.index} of ${sum.scenario}`;
  const svg = flow === null ? null : renderSvg(flow, title);
  const mermaid = flow === null ? null : renderMermaid(flow);
  const html = renderPage({
    summary: sum,
    connections,
    chosen,
    noDiagram: error ?? (connections.length === 0 ? 'no TCP connection in this run' : null),
    flow,
    svg,
    mermaid,
    warnings: idx.warnings,
  });
  const markdown =
    `# ${sum.scenario}\n\n` +
    (chosen === null ? `No sequence diagram: ${error ?? 'no TCP connection in this run'}.\n` : `Connection ${chosen.index}, sequence numbers relative.\n\n\`\`\`mermaid\n${mermaid}\`\`\`\n`);
  return { html, markdown, connections, chosen, flow, error };
}
