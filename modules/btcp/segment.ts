/**
 * A TCP segment as BTCP looks at it: views over the whole IPv4 packet in one message block,
 * the fields every step reads, and the connection it belongs to. Nothing is copied; a packet
 * that is not well-formed IPv4+TCP gives null and BTCP passes it on untouched (TCP or IP
 * counts it).
 */
import { copyOnWrite, pullupmsg, type Mblk } from '../../lib/streams/index.ts';
import { IpProto, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { Ipv4Packet } from '../../lib/wire/ipv4.ts';
import type { Seq } from '../../lib/wire/seq.ts';
import { TcpPacket } from '../../lib/wire/tcp.ts';
import { TcpOptionKind } from '../../lib/wire/tcp-options.ts';
import { u32 } from '../../lib/wire/layout.ts';
import type { FourTuple } from './conn-state.ts';

export interface Seg {
  /** The message holding the packet in one private block (rewrites are in place). */
  mp: Mblk;
  bytes: Uint8Array;
  ip: Ipv4Packet;
  tcp: TcpPacket;
  src: Ipv4Addr;
  dst: Ipv4Addr;
  sport: number;
  dport: number;
  flags: number;
  seq: Seq;
  ack: Seq;
  /** Payload bytes. */
  len: number;
}

/**
 * The segment in mp, made contiguous and private (a shared block is copied before anyone
 * rewrites it); null when mp holds no well-formed, unfragmented IPv4+TCP packet.
 */
export function readSeg(mp: Mblk): { seg: Seg | null; mp: Mblk } {
  if (mp.cont !== null && !pullupmsg(mp)) return { seg: null, mp };
  mp = copyOnWrite(mp);
  const ipr = Ipv4Packet.newChecked(mp.data());
  if (!ipr.ok) return { seg: null, mp };
  const ip = ipr.value;
  if (ip.protocol !== IpProto.TCP || ip.moreFrags || ip.fragOffset !== 0) return { seg: null, mp };
  mp.wptr = mp.rptr + ip.totalLen;
  const bytes = mp.data();
  const tcpr = TcpPacket.newChecked(bytes.subarray(ip.headerLen));
  if (!tcpr.ok) return { seg: null, mp };
  const tcp = tcpr.value;
  return {
    mp,
    seg: {
      mp,
      bytes,
      ip,
      tcp,
      src: ip.src,
      dst: ip.dst,
      sport: tcp.srcPort,
      dport: tcp.dstPort,
      flags: tcp.flags,
      seq: tcp.seqNumber,
      ack: tcp.ackNumber,
      len: tcp.bytes.length - tcp.headerLen,
    },
  };
}

/** The connection of a segment coming from the client (into BTCP from below). */
export function inboundTuple(s: Seg): FourTuple {
  return { clientAddr: s.src, clientPort: s.sport, serverAddr: s.dst, serverPort: s.dport };
}

/** The connection of a segment the server's TCP sends to the client. */
export function outboundTuple(s: Seg): FourTuple {
  return { clientAddr: s.dst, clientPort: s.dport, serverAddr: s.src, serverPort: s.sport };
}

export function has(s: Seg, flag: number): boolean {
  return (s.flags & flag) !== 0;
}

/** The full TCP checksum holds (recorded packets are checked: TCP would drop a bad one). */
export function checksumOk(s: Seg): boolean {
  return s.tcp.verifyChecksum(s.src, s.dst);
}

/** The segment's timestamp value (TSval), or null without a timestamps option. */
export function tsVal(s: Seg): number | null {
  const spans = s.tcp.optionSpans();
  if (!spans.ok) return null;
  for (const o of spans.value) if (o.kind === TcpOptionKind.TIMESTAMPS && o.length === 10) return u32(s.tcp.bytes, o.offset + 2);
  return null;
}
