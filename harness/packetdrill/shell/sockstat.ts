/**
 * FreeBSD sockstat(1) for TCP over IPv4, laid out column for column like usr.bin/sockstat:
 *   USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS       [PATH STATE   CONN STATE]
 * Sockets held by a process come first, then those no process holds (embryonic, TIME-WAIT,
 * orphaned), shown with `?` owners. The command name is cut to 10 characters, which is why
 * suites grep for "packetdril". Options: -4 -6 -c -l -n -q -s -w -u -L, -P protocols, -p ports.
 */
import type { SocketInfo, TcpStateName } from '../target.ts';
import { formatIpv4 } from '../../../lib/wire/ip-types.ts';
import type { Tool, ToolResult } from './types.ts';
import { fail, ok } from './types.ts';

const BSD_STATE: Record<TcpStateName, string> = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECEIVED': 'SYN_RCVD',
  ESTABLISHED: 'ESTABLISHED',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'FIN-WAIT-1': 'FIN_WAIT_1',
  CLOSING: 'CLOSING',
  'LAST-ACK': 'LAST_ACK',
  'FIN-WAIT-2': 'FIN_WAIT_2',
  'TIME-WAIT': 'TIME_WAIT',
};

export function bsdStateName(s: TcpStateName): string {
  return BSD_STATE[s];
}

function parsePorts(spec: string): Set<number> | string {
  const ports = new Set<number>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return 'sockstat: syntax error in port range';
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535 || hi < lo) return 'sockstat: invalid port number';
    for (let p = lo; p <= hi; p++) ports.add(p);
  }
  return ports;
}

function addr(a: { addr: number; port: number }): string {
  const host = a.addr === 0 ? '*' : formatIpv4(a.addr);
  return a.port === 0 ? `${host}:*` : `${host}:${a.port}`;
}

export const sockstatTool: Tool = (args, _stdin, env): ToolResult => {
  let v4 = false;
  let v6 = false;
  let unix = false;
  let connected = false;
  let listening = false;
  let noHeader = false;
  let states = false;
  let wide = false;
  let protos: string[] | null = null;
  let ports: Set<number> | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a.length < 2) return fail(1, 'usage: sockstat [-46cLlnqsuw] [-p ports] [-P protocols]');
    for (let k = 1; k < a.length; k++) {
      const f = a[k]!;
      if (f === 'p' || f === 'P') {
        const v = k + 1 < a.length ? a.slice(k + 1) : args[++i];
        if (v === undefined) return fail(1, `sockstat: option requires an argument -- ${f}`);
        if (f === 'p') {
          const p = parsePorts(v);
          if (typeof p === 'string') return fail(1, p);
          ports = p;
        } else {
          protos = v.split(',').filter((x) => x !== '');
        }
        break;
      }
      if (f === '4') v4 = true;
      else if (f === '6') v6 = true;
      else if (f === 'u') unix = true;
      else if (f === 'c') connected = true;
      else if (f === 'l') listening = true;
      else if (f === 'q') noHeader = true;
      else if (f === 's') states = true;
      else if (f === 'w') wide = true;
      else if (f === 'n' || f === 'L') continue;
      else return fail(1, `sockstat: illegal option -- ${f}`);
    }
  }
  if (!v4 && !v6 && protos !== null) v4 = v6 = true;
  if (!v4 && !v6 && !unix) v4 = v6 = unix = true;
  if (!connected && !listening) connected = listening = true;
  const showTcp = v4 && (protos === null || protos.includes('tcp'));

  const w = wide ? 45 : 21;
  let out = '';
  if (!noHeader) {
    out += `${'USER'.padEnd(8)} ${'COMMAND'.padEnd(10)} ${'PID'.padEnd(5)} ${'FD'.padEnd(3)} ${'PROTO'.padEnd(6)} ${'LOCAL ADDRESS'.padEnd(w)} ${'FOREIGN ADDRESS'.padEnd(w)}`;
    if (states) out += ` ${'PATH STATE'.padEnd(12)} ${'CONN STATE'.padEnd(12)}`;
    out += '\n';
  }
  if (!showTcp) return ok(out);

  const socks = env.host.sockets().filter((s) => {
    if (s.state === 'LISTEN' ? !listening : !connected) return false;
    if (ports && !ports.has(s.local.port) && !ports.has(s.remote.port)) return false;
    return true;
  });
  const owned = socks.filter((s) => s.owner).sort((a, b) => a.owner!.pid - b.owner!.pid || a.owner!.fd - b.owner!.fd);
  const orphans = socks.filter((s) => !s.owner);
  for (const s of [...owned, ...orphans]) out += row(s, wide, states);
  return ok(out);
};

function row(s: SocketInfo, wide: boolean, states: boolean): string {
  let line = '';
  const padTo = (n: number): void => {
    do line += ' ';
    while (line.length < n);
  };
  if (s.owner) {
    line += s.owner.user;
    padTo(9);
    line += s.owner.command.slice(0, 10);
    padTo(20);
    line += String(s.owner.pid).padStart(5);
    padTo(26);
    line += String(s.owner.fd).padEnd(3);
  } else {
    line += `${'?'.padEnd(8)} ${'?'.padEnd(10)} ${'?'.padEnd(5)} ${'?'.padEnd(3)}`;
  }
  while (line.length < 30) line += ' ';
  line += 'tcp4 ';
  let offset = 37;
  while (line.length < offset) line += ' ';
  line += addr(s.local);
  offset += wide ? 46 : 22;
  padTo(offset);
  line += addr(s.remote);
  offset += wide ? 46 : 22;
  if (states) {
    offset += 13; // the PATH STATE column, used by SCTP only
    padTo(offset);
    line += bsdStateName(s.state);
  }
  return line + '\n';
}
