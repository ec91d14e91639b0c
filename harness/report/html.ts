/**
 * The report page: one self-contained HTML file (inline CSS and SVG, no script, no external
 * resource) with the run's figures, the sequence diagram of one connection, the list of
 * connections, messages per module, and the host, interface and link tables.
 */
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import type { RunSummary } from '../scenario/summary.ts';
import { endpointText, type Connection } from './connections.ts';
import type { Flow } from './flow.ts';
import { bytes, esc, num } from './text.ts';

export interface PageParts {
  summary: RunSummary;
  connections: readonly Connection[];
  chosen: Connection | null;
  /** Why no diagram (no connection, or a bad --conn). */
  noDiagram: string | null;
  flow: Flow | null;
  svg: string | null;
  mermaid: string | null;
  warnings: readonly string[];
}

function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const th = head.every((h) => h === '') ? '' : `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}">${th}<tbody>\n${tr}\n</tbody></table>`;
}

const n = (v: number): string => num(v);
const s = (v: string): string => esc(v);
const ms = (v: number): string => `${n(v)} ms`;

function runTable(sum: RunSummary): string {
  const rows: string[][] = [
    ['scenario', s(sum.scenario)],
    ['seed', s(String(sum.seed))],
    ['ended', s({ idle: 'nothing left to do', time: 'at its end time', done: 'workload done', events: 'event cap reached' }[sum.end])],
    ['virtual time', s(sum.virtualTimeText)],
    ['events', n(sum.events)],
    ['CPU time', ms(sum.cpuMs)],
    ['wall time', ms(sum.wallMs)],
    ['trace lines', `${n(sum.trace.lines)}${sum.trace.overflow ? ` (+${n(sum.trace.overflow)} not kept)` : ''}`],
  ];
  if (sum.vip !== null) rows.push(['VIP', s(sum.vip)]);
  return table(['', ''], rows, 'kv');
}

function workloadTables(sum: RunSummary): string {
  const parts: string[] = [];
  const w = sum.workload;
  if (w !== null) {
    parts.push('<h3>Workload</h3>');
    parts.push(
      table(
        ['requests started', 'done', 'failed', 'response bytes'],
        [[n(w.requestsStarted), n(w.requestsDone), n(w.requestsFailed), s(bytes(w.bytes))]],
      ),
    );
    parts.push(table(['server', 'requests served'], Object.entries(w.served).map(([h, c]) => [s(h), n(c)])));
  }
  const c = sum.cluster;
  if (c !== null) {
    parts.push('<h3>Cluster</h3>');
    const rows = Object.entries(c.handoffs).map(([h, k]) => [s(`handed off to ${h}`), n(k)]);
    rows.push([s('served locally by the front end'), n(c.localServes)], [s('failed handoffs'), n(c.failedHandoffs)]);
    parts.push(table(['', 'connections'], rows, 'kv'));
  }
  return parts.join('\n');
}

function connectionRows(conns: readonly Connection[], chosen: Connection | null): string[][] {
  return conns.map((c) => [
    c === chosen ? `<b>${c.index}</b>` : n(c.index),
    s(`${c.clientHost} ${endpointText(c.client)}`),
    s(`${formatIpv4(c.server.addr)}:${c.server.port}`),
    n(c.sightings.filter((x) => x.dir === 'tx').length),
    s(c.hosts.join(', ')),
    s(`${(c.first / 1e9).toFixed(6)} – ${(c.last / 1e9).toFixed(6)}`),
    c.control ? 'control channel' : '',
  ]);
}

function linkRows(sum: RunSummary): string[][] {
  return sum.links.map((l) => {
    const drops = l.queueDrops + l.mtuDrops + l.partitionDrops + l.downDrops;
    const cell = (v: number) => (v > 0 ? `<span class="hot">${n(v)}</span>` : n(v));
    return [s(l.name), n(l.sent), n(l.delivered), cell(l.lost), cell(l.duplicated), cell(l.reordered), cell(l.corrupted), cell(drops), n(l.maxQueue)];
  });
}

const css = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td{font-variant-numeric:tabular-nums}table.kv td:first-child{color:#555}
.notice{background:#fff7ed;border-left:4px solid #f59e0b;padding:6px 10px;margin:6px 0}
.warn{background:#fef2f2;border-left:4px solid #ef4444;padding:6px 10px;margin:6px 0}
.diagram{overflow-x:auto;border:1px solid #e5e7eb;padding:8px;background:#fff}
.hot{color:#b91c1c;font-weight:bold}.none{color:#777}pre{background:#f8fafc;border:1px solid #e5e7eb;padding:8px;overflow-x:auto}
.legend span{display:inline-block;margin-right:18px}`;

export function renderPage(p: PageParts): string {
  const sum = p.summary;
  const title = `Run report: ${sum.scenario}`;
  const notices = sum.notices.map((x) => `<div class="notice">${s(x)}</div>`).join('\n');
  const warnings = p.warnings.map((x) => `<div class="warn">${s(x)}</div>`).join('\n');
  let diagram: string;
  if (p.svg !== null && p.flow !== null && p.chosen !== null) {
    const c = p.chosen;
    const cut = p.flow.total > p.flow.arrows.length ? ` Showing the first ${n(p.flow.arrows.length)} of ${n(p.flow.total)} arrows.` : '';
    diagram =
      `<p>Connection ${c.index}: ${s(c.clientHost)} ${s(endpointText(c.client))} → ${s(`${formatIpv4(c.server.addr)}:${c.server.port}`)}.` +
      ` Sequence numbers are relative (client from its SYN, server from the SYN/ACK the client saw).${cut}</p>\n` +
      `<p class="legend"><span>── packet</span><span>╌╌ control channel</span><span>✕ lost</span><span style="color:#b45309">orange: rewritten on the way</span></p>\n` +
      `<div class="diagram">${p.svg}</div>\n` +
      `<details><summary>Mermaid source (for markdown)</summary><pre>${s(p.mermaid ?? '')}</pre></details>`;
  } else {
    diagram = `<p class="none">No sequence diagram: ${s(p.noDiagram ?? 'no TCP connection in this run')}.</p>`;
  }
  const body = [
    `<h1>${s(title)}</h1>`,
    `<p>${s(sum.source)}</p>`,
    notices,
    warnings,
    '<h2>Run</h2>',
    runTable(sum),
    workloadTables(sum),
    '<h2>Sequence diagram</h2>',
    diagram,
    '<h2>Connections</h2>',
    table(['#', 'client', 'server (as the client sees it)', 'packets sent', 'hosts', 'time (s)', ''], connectionRows(p.connections, p.chosen)),
    '<h2>Messages per module</h2>',
    '<p>Messages put into each module\'s read and write queues (put and putnext), and how many it queued for its service procedure.</p>',
    table(['host', 'module', 'read side', 'write side', 'queued'], sum.modules.map((m) => [s(m.host), s(m.module), n(m.read), n(m.write), n(m.queued)])),
    '<h2>Hosts</h2>',
    table(
      ['host', 'role', 'addresses', 'IP in', 'delivered', 'forwarded', 'out', 'dropped'],
      sum.hosts.map((h) => [s(h.name), s(h.role), s(h.addresses.map((a) => `${a.ifname} ${a.address}`).join(', ')), n(h.ip.inReceives), n(h.ip.inDelivers), n(h.ip.forwarded), n(h.ip.outSent), n(h.ip.drops)]),
    ),
    '<h2>Interfaces</h2>',
    table(
      ['interface', 'network', 'tx packets', 'tx bytes', 'rx packets', 'rx bytes', 'capture'],
      sum.interfaces.map((i) => [s(i.name), s(i.network), n(i.txPackets), n(i.txBytes), n(i.rxPackets), n(i.rxBytes), i.pcap === null ? '' : `<a href="${s(i.pcap)}">${s(i.pcap)}</a>`]),
    ),
    '<h2>Links</h2>',
    '<p>Each direction of each cable: packets offered, delivered, and what the fault model and the queue did to them.</p>',
    table(['direction', 'sent', 'delivered', 'lost', 'duplicated', 'reordered', 'corrupted', 'dropped', 'max queue'], linkRows(sum)),
  ];
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${s(title)}</title>\n<style>${css}</style>\n</head>\n<body>\n${body.filter((x) => x !== '').join('\n')}\n</body>\n</html>\n`;
}
