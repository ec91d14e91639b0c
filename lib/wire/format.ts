/**
 * One-line, tcpdump-like text for a packet, for traces and reports:
 *   10.0.0.1:1234 > 10.0.0.2:80 Flags [S], seq 1, win 65535, options [mss 1460,sackOK], length 0
 * Sequence numbers are absolute (no per-connection state here). Bad packets still get a line
 * that says what is wrong, never an exception.
 */
import { formatIpv4, IpProto, type Ipv4Addr } from './ip-types.ts';
import { Ipv4Packet, parseIpv4 } from './ipv4.ts';
import { seqAdd } from './seq.ts';
import { TcpPacket, parseTcp } from './tcp.ts';
import { TcpFlag, type TcpOption, type TcpRepr } from './tcp-types.ts';

/** tcpdump's letters, in tcpdump's order ('.' is ACK). */
const FLAG_LETTERS: ReadonlyArray<[number, string]> = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
  [TcpFlag.AE, 'e'],
];

export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s === '' ? 'none' : s;
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
      return `sack ${o.blocks.length} ${o.blocks.map((b) => `{${b.left}:${b.right}}`).join('')}`;
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'unknown':
      return `opt-${o.code}:${Array.from(o.data, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
}

/** The line for a TCP segment from src to dst. */
export function formatTcp(src: Ipv4Addr, dst: Ipv4Addr, tcp: TcpRepr): string {
  const parts = [`Flags [${formatTcpFlags(tcp.flags)}]`];
  const len = tcp.payload.length;
  if (len > 0) parts.push(`seq ${tcp.seq}:${seqAdd(tcp.seq, len)}`);
  else if (tcp.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) parts.push(`seq ${tcp.seq}`);
  if (tcp.flags & TcpFlag.ACK) parts.push(`ack ${tcp.ack}`);
  parts.push(`win ${tcp.window}`);
  if (tcp.flags & TcpFlag.URG) parts.push(`urg ${tcp.urgent}`);
  if (tcp.options.length > 0) parts.push(`options [${tcp.options.map(formatTcpOption).join(',')}]`);
  parts.push(`length ${len}`);
  return `${formatIpv4(src)}:${tcp.srcPort} > ${formatIpv4(dst)}:${tcp.dstPort} ${parts.join(', ')}`;
}

/** The line for a whole IPv4 packet (TCP decoded; other protocols named by number). */
export function formatPacket(bytes: Uint8Array): string {
  const ipr = parseIpv4(bytes, { verifyChecksum: false });
  if (!ipr.ok) return `[bad IPv4: ${ipr.error}] ${bytes.length} bytes`;
  const ip = ipr.value;
  const ipBad = !Ipv4Packet.newUnchecked(bytes).verifyChecksum();
  const addrs = `${formatIpv4(ip.src)} > ${formatIpv4(ip.dst)}`;
  const mark = (line: string, bad: boolean) => (bad ? `${line} [bad checksum]` : line);
  if (ip.moreFrags || ip.fragOffset) {
    return mark(`${addrs}: frag id ${ip.id} proto ${ip.protocol} off ${ip.fragOffset ?? 0}${ip.moreFrags ? '+' : ''}, length ${ip.payload.length}`, ipBad);
  }
  if (ip.protocol !== IpProto.TCP) return mark(`${addrs}: proto ${ip.protocol}, length ${ip.payload.length}`, ipBad);
  const tr = parseTcp(ip.payload, ip.src, ip.dst, { verifyChecksum: false });
  if (!tr.ok) return mark(`${addrs}: [bad TCP: ${tr.error}] length ${ip.payload.length}`, ipBad);
  const tcpBad = !TcpPacket.newUnchecked(ip.payload).verifyChecksum(ip.src, ip.dst);
  return mark(formatTcp(ip.src, ip.dst, tr.value), ipBad || tcpBad);
}
