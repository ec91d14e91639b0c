/**
 * Linux ss(8) for TCP over IPv4 (iproute2 layout, numeric):
 *   State      Recv-Q Send-Q  Local Address:Port   Peer Address:Port
 * Without -a or -l it lists connections only (not LISTEN, SYN-RECV, TIME-WAIT, CLOSED), like
 * ss's default filter. `state NAME` (repeatable, with ss's group names) replaces the filter and,
 * when it selects one state, drops the State column as ss does. Also: -t -n -4 -H -i -o -e,
 * `sport = :N`, `dport = :N`, `src ADDR[:PORT]`, `dst ADDR[:PORT]`.
 */
import type { SocketInfo, TcpStateName } from '../target.ts';
import { formatIpv4, ipv4 } from '../../../lib/wire/ip-types.ts';
import type { Tool, ToolResult } from './types.ts';
import { fail, ok } from './types.ts';

const SS_STATE: Record<TcpStateName, string> = {
  CLOSED: 'UNCONN',
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECEIVED': 'SYN-RECV',
  ESTABLISHED: 'ESTAB',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  CLOSING: 'CLOSING',
  'LAST-ACK': 'LAST-ACK',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  'TIME-WAIT': 'TIME-WAIT',
};

const ALL = Object.keys(SS_STATE) as TcpStateName[];
const CONNECTED = ALL.filter((s) => s !== 'LISTEN' && s !== 'CLOSED');
const SYNCHRONIZED = CONNECTED.filter((s) => s !== 'SYN-SENT');
/** ss's default: everything but LISTEN, CLOSE, TIME-WAIT and SYN-RECV. */
const DEFAULT = ALL.filter((s) => !['LISTEN', 'CLOSED', 'TIME-WAIT', 'SYN-RECEIVED'].includes(s));

const STATE_FILTERS: Record<string, TcpStateName[]> = {
  all: ALL,
  connected: CONNECTED,
  synchronized: SYNCHRONIZED,
  bucket: ['SYN-RECEIVED', 'TIME-WAIT'],
  big: ALL.filter((s) => s !== 'SYN-RECEIVED' && s !== 'TIME-WAIT'),
  established: ['ESTABLISHED'],
  'syn-sent': ['SYN-SENT'],
  'syn-recv': ['SYN-RECEIVED'],
  'fin-wait-1': ['FIN-WAIT-1'],
  'fin-wait-2': ['FIN-WAIT-2'],
  'time-wait': ['TIME-WAIT'],
  closed: ['CLOSED'],
  'close-wait': ['CLOSE-WAIT'],
  'last-ack': ['LAST-ACK'],
  listening: ['LISTEN'],
  closing: ['CLOSING'],
};

type Pred = (s: SocketInfo) => boolean;

function endpoint(text: string): { addr?: number; port?: number } | null {
  const m = /^(\*|[\d.]+)?(?::(\d+|\*))?$/.exec(text);
  if (!m) return null;
  const out: { addr?: number; port?: number } = {};
  if (m[1] !== undefined && m[1] !== '*') {
    try {
      out.addr = ipv4(m[1]);
    } catch {
      return null;
    }
  }
  if (m[2] !== undefined && m[2] !== '*') out.port = Number(m[2]);
  return out;
}

export const ssTool: Tool = (args, _stdin, env): ToolResult => {
  let all = false;
  let listening = false;
  let noHeader = false;
  let info = false;
  let states: Set<TcpStateName> | null = null;
  const preds: Pred[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'state' || a === 'exclude') {
      const name = args[++i];
      const sel = name === undefined ? undefined : STATE_FILTERS[name];
      if (!sel) return fail(1, `ss: wrong state name: ${name ?? ''}`);
      if (a === 'state') {
        states ??= new Set();
        for (const s of sel) states.add(s);
      } else {
        states ??= new Set(DEFAULT);
        for (const s of sel) states.delete(s);
      }
      continue;
    }
    if (a === 'sport' || a === 'dport' || a === 'src' || a === 'dst') {
      let v = args[++i];
      if (v === '=' || v === 'eq' || v === '==') v = args[++i];
      const ep = v === undefined ? null : endpoint(v);
      if (!ep) return fail(1, `ss: bad ${a} filter: ${v ?? ''}`);
      const side = a === 'sport' || a === 'src' ? 'local' : 'remote';
      preds.push((s) => (ep.addr === undefined || s[side].addr === ep.addr) && (ep.port === undefined || s[side].port === ep.port));
      continue;
    }
    if (a.startsWith('--')) {
      if (a === '--all') all = true;
      else if (a === '--listening') listening = true;
      else if (a === '--no-header') noHeader = true;
      else if (a === '--info') info = true;
      else if (!['--tcp', '--numeric', '--ipv4', '--options', '--extended', '--memory'].includes(a)) return fail(1, `ss: unsupported option ${a}`);
      continue;
    }
    if (!a.startsWith('-')) return fail(1, `ss: unsupported filter expression: ${a}`);
    for (const f of a.slice(1)) {
      if (f === 'a') all = true;
      else if (f === 'l') listening = true;
      else if (f === 'H') noHeader = true;
      else if (f === 'i') info = true;
      else if (!'tn4oem'.includes(f)) return fail(1, `ss: unsupported option -${f}`);
    }
  }
  const chosen = states ?? new Set(all ? ALL : listening ? (['LISTEN'] as TcpStateName[]) : DEFAULT);
  // ss prints the State column unless a `state` filter picked exactly one state (-l counts as
  // LISTEN plus CLOSE there, so it keeps the column).
  const showState = states === null || chosen.size !== 1;
  const socks = env.host.sockets().filter((s) => chosen.has(s.state) && preds.every((p) => p(s)));

  const local = (s: SocketInfo): string => `${s.local.addr === 0 ? '0.0.0.0' : formatIpv4(s.local.addr)}:${s.local.port === 0 ? '*' : s.local.port}`;
  const peer = (s: SocketInfo): string => `${s.remote.addr === 0 ? '0.0.0.0' : formatIpv4(s.remote.addr)}:${s.remote.port === 0 ? '*' : s.remote.port}`;
  const rows = socks.map((s) => ({
    state: SS_STATE[s.state],
    rq: String(s.backlog ? s.backlog.queued : s.recvQ),
    sq: String(s.backlog ? s.backlog.limit : s.sendQ),
    local: local(s),
    peer: peer(s),
    info: s.info,
  }));
  const lw = Math.max(20, ...rows.map((r) => r.local.length));
  const pw = Math.max(20, ...rows.map((r) => r.peer.length));
  const line = (state: string, rq: string, sq: string, l: string, p: string): string =>
    (showState ? state.padEnd(10) + ' ' : '') + rq.padEnd(6) + ' ' + sq.padEnd(6) + ' ' + l.padStart(lw) + ' ' + p.padStart(pw);
  let out = noHeader ? '' : line('State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port').trimEnd() + '\n';
  for (const r of rows) {
    out += line(r.state, r.rq, r.sq, r.local, r.peer).trimEnd() + '\n';
    if (info && r.info) out += `\t ${r.info}\n`;
  }
  return ok(out);
};
