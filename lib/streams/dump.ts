/**
 * A stream as text, top to bottom: one line per queue pair with count, messages, water marks
 * and flags of each side. For the CLI, failing specs and the course labs.
 */
import type { Queue } from './queue.ts';
import type { Stream } from './stream.ts';
import { INFPSZ, queueFlagNames } from './types.ts';

function flags(q: Queue): string {
  const names = queueFlagNames.filter(([bit]) => (q.flag & bit) !== 0).map(([, n]) => n);
  return names.length === 0 ? '-' : names.join('|');
}

function side(q: Queue): string {
  return `cnt=${q.count} msgs=${q.msgs} hi=${q.hiwat} lo=${q.lowat} ${flags(q)}`;
}

function psz(q: Queue): string {
  return `psz=${q.minpsz}..${q.maxpsz === INFPSZ ? 'INF' : q.maxpsz}`;
}

export function dumpStream(st: Stream): string {
  const lines: string[] = [];
  const state = [st.closed ? 'closed' : 'open', st.hungup ? 'hungup' : '', st.rerror ? `rerror=${st.rerror}` : '', st.werror ? `werror=${st.werror}` : '']
    .filter(Boolean)
    .join(' ');
  const linked = st.linkedUnder ? ` linked under s${st.linkedUnder.upper.id}:${st.linkedUnder.upper.label} muxid=${st.linkedUnder.muxid}` : '';
  lines.push(`stream s${st.id} '${st.label}' on ${st.driver.name} minor=${st.minor} ${state}${linked}`);
  const row = (name: string, rq: Queue, wq: Queue): void => {
    lines.push(`  ${name.padEnd(12)} W[${side(wq)}] R[${side(rq)}] ${psz(wq)}`);
  };
  row(st.linkedUnder ? `(${st.rq.name})` : 'head', st.rq, st.wq);
  for (const m of st.modules) row(m.def.name, m.rq, m.wq);
  row(`${st.driver.name}*`, st.drvrq, st.drvwq);
  for (const [muxid, lower] of st.links) lines.push(`  linked below: muxid=${muxid} s${lower.id}:${lower.label} [${lower.list().join(' > ')}]`);
  return lines.join('\n');
}
