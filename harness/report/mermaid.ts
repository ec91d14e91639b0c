/**
 * The same sequence diagram as Mermaid text, for markdown (GitHub, course notes). Participants
 * get short ids (host names may hold '-', which Mermaid's arrow syntax would misread); message
 * text loses the characters Mermaid treats specially (';' ends a statement, '#' starts an
 * entity).
 */
import type { Flow } from './flow.ts';

function clean(s: string): string {
  return s.replace(/;/g, ',').replace(/#/g, 'no.').replace(/[\r\n]+/g, ' ');
}

export function renderMermaid(flow: Flow): string {
  const id = new Map(flow.lanes.map((l, i) => [l.host, `p${i}`] as const));
  const out = ['sequenceDiagram'];
  for (const l of flow.lanes) out.push(`  participant ${id.get(l.host)} as ${clean(l.host)} (${l.role})`);
  for (const a of flow.arrows) {
    const from = id.get(a.from)!;
    const text = clean([...a.label, ...(a.rewrite ? [a.rewrite] : []), ...(a.lost ? [`lost: ${a.lost}`] : [])].join('<br/>'));
    if (a.kind === 'note') {
      out.push(`  Note over ${from}: ${text}`);
      continue;
    }
    const target = a.to ?? a.toward;
    if (target === null || target === a.from) {
      out.push(`  Note right of ${from}: ${text}`);
      continue;
    }
    const arrow = a.to === null ? '-x' : a.kind === 'control' ? '-->>' : '->>';
    out.push(`  ${from}${arrow}${id.get(target)}: ${text}`);
  }
  return out.join('\n') + '\n';
}
