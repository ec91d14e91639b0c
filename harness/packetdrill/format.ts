/**
 * Prints packets (script specs and real TcpReprs) and events back as packetdrill text, for
 * mismatch reports: "expected" and "got" are both written the way a script would write them.
 * Canonical form: `> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>`.
 */
import type { EventTime, Expr, IpInfo, ScriptEvent, TcpPacketSpec } from './ast.ts';
import { formatTcpFlags } from './flags.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

function hex(data: Uint8Array): string {
  let s = '';
  for (const b of data) s += b.toString(16).padStart(2, '0');
  return s;
}

export function formatTcpOption(o: TcpOption): string {
  switch (o.kind) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackOK':
      return 'sackOK';
    case 'sack':
      return 'sack ' + o.blocks.map((b) => `${b.left}:${b.right}`).join(' ');
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'unknown':
      if (o.code === 19) return `md5 ${hex(o.data)}`;
      if (o.code === 34) return o.data.length ? `FO ${hex(o.data)}` : 'FO';
      if (o.code === 254 && o.data[0] === 0xf9 && o.data[1] === 0x89) {
        const cookie = o.data.subarray(2);
        return cookie.length ? `FOEXP ${hex(cookie)}` : 'FOEXP';
      }
      return `option ${o.code} [${hex(o.data)}]`;
  }
}

export function formatTcpOptions(opts: TcpOption[] | 'any'): string {
  if (opts === 'any') return '<...>';
  return `<${opts.map(formatTcpOption).join(',')}>`;
}

function formatIpInfo(ip: IpInfo): string {
  const parts: string[] = [];
  if (ip.ecn) parts.push(ip.ecn);
  if (ip.tos !== undefined) parts.push(`tos 0x${ip.tos.toString(16)}`);
  if (ip.ttl !== undefined) parts.push(`ttl ${ip.ttl}`);
  return parts.length ? `[${parts.join(',')}]` : '';
}

/** One packet line without its time, e.g. `> P. 1:1001(1000) ack 1 win 257`. */
export function formatPacketSpec(p: TcpPacketSpec): string {
  const head = (p.direction === 'inbound' ? '<' : '>') + formatIpInfo(p.ip);
  const parts = [head];
  if (p.ports) parts.push(`${p.ports.src}>${p.ports.dst}`);
  parts.push(p.flags === '' ? '-' : p.flags);
  parts.push(`${p.seq}:${(p.seq + p.len) >>> 0}(${p.len})`);
  if (p.ack !== undefined) parts.push(`ack ${p.ack}`);
  if (p.win !== undefined) parts.push(`win ${p.win}`);
  if (p.urg !== undefined) parts.push(`urg ${p.urg}`);
  if (p.options === 'any' || p.options.length > 0) parts.push(formatTcpOptions(p.options));
  return parts.join(' ');
}

const ECN_NAMES = ['noecn', 'ect1', 'ect0', 'ce'] as const;

/** A real segment as a script packet: `ack` only with the ACK flag, `urg` only with URG. */
export function tcpReprToSpec(
  direction: 'inbound' | 'outbound',
  tcp: TcpRepr,
  ecnBits?: number,
): TcpPacketSpec {
  const spec: TcpPacketSpec = {
    direction,
    ip: ecnBits === undefined ? {} : { ecn: ECN_NAMES[ecnBits & 3]! },
    flags: formatTcpFlags(tcp.flags),
    flagBits: tcp.flags,
    seq: tcp.seq,
    len: tcp.payload.length,
    win: tcp.window,
    options: tcp.options,
  };
  if (tcp.flags & TcpFlag.ACK) spec.ack = tcp.ack;
  if (tcp.flags & TcpFlag.URG || tcp.urgent !== 0) spec.urg = tcp.urgent;
  return spec;
}

export function formatTcpRepr(direction: 'inbound' | 'outbound', tcp: TcpRepr, ecnBits?: number): string {
  return formatPacketSpec(tcpReprToSpec(direction, tcp, ecnBits));
}

/** Seconds from microseconds, without trailing zeros: 100000 -> "0.1", 0 -> "0". */
export function formatUsecs(usecs: number): string {
  const neg = usecs < 0;
  const a = Math.abs(Math.round(usecs));
  const whole = Math.floor(a / 1e6);
  const frac = String(a % 1e6).padStart(6, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + (frac ? `${whole}.${frac}` : `${whole}`);
}

export function formatEventTime(t: EventTime): string {
  switch (t.kind) {
    case 'any':
      return '*';
    case 'absolute':
      return formatUsecs(t.usecs);
    case 'relative':
      return `+${formatUsecs(t.usecs)}`;
    case 'absolute-range':
      return `${formatUsecs(t.usecs)}~${formatUsecs(t.endUsecs)}`;
    case 'relative-range':
      return `+${formatUsecs(t.usecs)}~+${formatUsecs(t.endUsecs)}`;
  }
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis':
      return '...';
    case 'int':
      return e.hex ? `0x${e.value.toString(16)}` : String(e.value);
    case 'word':
      return e.name;
    case 'string':
      return JSON.stringify(e.value) + (e.trailingEllipsis ? '...' : '');
    case 'or':
      return `${formatExpr(e.lhs)} | ${formatExpr(e.rhs)}`;
    case 'assign':
      return `${formatExpr(e.lhs)}=${formatExpr(e.rhs)}`;
    case 'call':
      return `${e.name}(${e.args.map(formatExpr).join(', ')})`;
    case 'array':
      return `[${e.items.map(formatExpr).join(', ')}]`;
    case 'struct':
      return `{${e.items.map(formatExpr).join(', ')}}`;
  }
}

/** An event as a script line (canonical spacing). */
export function formatEvent(ev: ScriptEvent): string {
  const time = formatEventTime(ev.time);
  switch (ev.kind) {
    case 'packet':
      return `${time} ${formatPacketSpec(ev.packet)}`;
    case 'syscall': {
      const end = ev.endUsecs !== undefined ? `...${formatUsecs(ev.endUsecs)} ` : '';
      let s = `${time} ${end}${ev.name}(${ev.args.map(formatExpr).join(', ')}) = ${formatExpr(ev.result)}`;
      if (ev.errno) s += ` ${ev.errno.name}` + (ev.errno.note !== undefined ? ` (${ev.errno.note})` : '');
      if (ev.note !== undefined) s += ` (${ev.note})`;
      return s;
    }
    case 'command':
      return `${time} \`${ev.command}\``;
    case 'code':
      return `${time} %{ ${ev.code} }%`;
    case 'unsupported':
      return ev.text;
  }
}
