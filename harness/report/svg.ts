/**
 * The sequence diagram of one connection as inline SVG: a lane per host (header box and a
 * dashed lifeline), one row per arrow in time order with the virtual time on the left. Packet
 * arrows are solid, control-channel messages dashed, lost packets end in a cross, notes sit on
 * their lane. Every arrow has a tooltip (<title>) with the raw packet line. Plain SVG 1.1,
 * no script, no external resources.
 */
import type { Arrow, Flow } from './flow.ts';
import { esc } from './text.ts';

const LEFT = 96;
const LANE = 270;
const TOP = 70;
const LINE = 13;
const CHAR = 6.6;

const roleText: Record<string, string> = {
  client: 'client',
  router: 'router',
  'front-end': 'front end (VIP)',
  'back-end': 'back end',
  server: 'server',
  host: 'host',
};

function rowHeight(a: Arrow): number {
  return 22 + LINE * (a.label.length + (a.rewrite ? 1 : 0) + (a.lost ? 1 : 0));
}

function textLines(x: number, yLast: number, lines: { text: string; cls: string }[]): string {
  const y0 = yLast - LINE * (lines.length - 1);
  return lines.map((l, i) => `<text x="${x.toFixed(1)}" y="${(y0 + i * LINE).toFixed(1)}" class="${l.cls}">${esc(l.text)}</text>`).join('');
}

export function renderSvg(flow: Flow, title: string): string {
  const xOf = new Map(flow.lanes.map((l, i) => [l.host, LEFT + LANE / 2 + i * LANE] as const));
  const width = LEFT + Math.max(1, flow.lanes.length) * LANE;
  const rows: string[] = [];
  let y = TOP + 30;
  for (const a of flow.arrows) {
    const h = rowHeight(a);
    const lineY = y + h - 12;
    const x1 = xOf.get(a.from)!;
    const lines = [...a.label.map((t, i) => ({ text: t, cls: i === 0 ? 'lbl' : 'sub' }))];
    if (a.rewrite) lines.push({ text: a.rewrite, cls: 'rw' });
    if (a.lost) lines.push({ text: `lost: ${a.lost}`, cls: 'lost' });
    const time = `<text x="8" y="${lineY.toFixed(1)}" class="time">${(a.tFrom / 1e9).toFixed(6)}</text>`;
    const cls = a.kind === 'control' ? 'ctl' : a.duplicate ? 'dup' : 'pkt';
    let body: string;
    if (a.kind === 'note') {
      const w = Math.max(...lines.map((l) => l.text.length)) * CHAR + 16;
      body = `<rect x="${(x1 - w / 2).toFixed(1)}" y="${(lineY - h + 18).toFixed(1)}" width="${w.toFixed(1)}" height="${(h - 16).toFixed(1)}" rx="4" class="note"/>${textLines(x1, lineY - 4, lines)}`;
    } else {
      const target = a.to ?? a.toward;
      let x2 = target === null ? x1 + LANE * 0.6 : xOf.get(target)!;
      if (a.to === null && target !== null) x2 = x1 + (x2 - x1) * 0.6;
      if (x2 === x1) x2 = x1 + 40;
      const y2 = lineY + (a.to === null ? 0 : 8);
      const marker = a.to === null ? '' : ` marker-end="url(#head-${a.kind === 'control' ? 'ctl' : 'pkt'})"`;
      const cross = a.to === null ? `<path d="M${x2 - 5},${y2 - 5}L${x2 + 5},${y2 + 5}M${x2 - 5},${y2 + 5}L${x2 + 5},${y2 - 5}" class="x"/>` : '';
      body = `<line x1="${x1}" y1="${lineY}" x2="${x2.toFixed(1)}" y2="${y2}" class="${cls}"${marker}/>${cross}${textLines((x1 + x2) / 2, lineY - 5, lines)}`;
    }
    rows.push(`<g class="arrow kind-${a.kind}"><title>${esc(a.title)}</title>${time}${body}</g>`);
    y += h;
  }
  const height = y + 30;
  const lanes = flow.lanes
    .map((l) => {
      const x = xOf.get(l.host)!;
      return (
        `<line x1="${x}" y1="${TOP}" x2="${x}" y2="${height - 10}" class="life"/>` +
        `<rect x="${x - 80}" y="${TOP - 48}" width="160" height="44" rx="6" class="lane ${l.role}"/>` +
        `<text x="${x}" y="${TOP - 28}" class="host">${esc(l.host)}</text>` +
        `<text x="${x}" y="${TOP - 12}" class="role">${esc(roleText[l.role] ?? l.role)}</text>`
      );
    })
    .join('');
  const style = `
    .lbl,.sub,.rw,.lost,.host,.role{text-anchor:middle;font-family:ui-monospace,Menlo,Consolas,monospace}
    .lbl{font-size:11px;fill:#111}.sub{font-size:10.5px;fill:#355}.rw{font-size:10.5px;fill:#b45309}.lost{font-size:10.5px;fill:#b91c1c}
    .time{font:10.5px ui-monospace,Menlo,Consolas,monospace;fill:#666}
    .host{font-size:13px;font-weight:bold;fill:#111}.role{font-size:10.5px;fill:#555}
    .life{stroke:#bbb;stroke-dasharray:4 4}
    .lane{fill:#f3f4f6;stroke:#6b7280}.lane.front-end{fill:#e0f2fe}.lane.back-end{fill:#dcfce7}.lane.client{fill:#fef9c3}.lane.router{fill:#f5f5f4}
    .pkt{stroke:#1f2937;stroke-width:1.3}.dup{stroke:#6b7280;stroke-width:1.3;stroke-dasharray:2 2}
    .ctl{stroke:#7c3aed;stroke-width:1.5;stroke-dasharray:6 3}.x{stroke:#b91c1c;stroke-width:2}
    .note{fill:#fff7ed;stroke:#fdba74}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="sequence-diagram" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<title>${esc(title)}</title><style>${style}</style>` +
    `<defs><marker id="head-pkt" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#1f2937"/></marker>` +
    `<marker id="head-ctl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#7c3aed"/></marker></defs>` +
    `<text x="8" y="${TOP - 28}" class="time">time (s)</text>` +
    lanes +
    rows.join('') +
    `</svg>`
  );
}
