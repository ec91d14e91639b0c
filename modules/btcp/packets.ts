/**
 * Packets BTCP makes itself (everything else it only rewrites): the RST it sends up to its
 * own TCP or out to a client, and the bare ACK it cuts from a client segment that completed
 * the handshake and carried request bytes at once. Checksums are computed in full here: these
 * bytes are new, not rewritten.
 */
import { esballoc, type Mblk } from '../../lib/streams/index.ts';
import { encodeIpv4Tcp, parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { seq, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { Endpoint } from '../control/frame.ts';
import type { Seg } from './segment.ts';

/**
 * A RST from `from` to `to`. With an ack it is RST|ACK (what a client accepts from a server
 * it talks to); without, a bare RST at exactly the receiver's RCV.NXT, which RFC 5961 §3
 * accepts without a challenge.
 */
export function rstPacket(from: Endpoint, to: Endpoint, seqNo: Seq, ack: Seq | null = null): Uint8Array {
  return encodeIpv4Tcp(
    { src: from.addr, dst: to.addr },
    {
      srcPort: from.port,
      dstPort: to.port,
      seq: seqNo,
      ack: ack ?? seq(0),
      flags: ack === null ? TcpFlag.RST : TcpFlag.RST | TcpFlag.ACK,
      window: 0,
      urgent: 0,
      options: [],
      payload: new Uint8Array(0),
    },
  );
}

export function rstMsg(from: Endpoint, to: Endpoint, seqNo: Seq, ack: Seq | null = null): Mblk {
  return esballoc(rstPacket(from, to, seqNo, ack));
}

/**
 * The segment without its payload (and without PSH / FIN, which belong to the payload): the
 * ACK that completes the handshake, when the client sent it together with request bytes.
 * Options (timestamps) stay as the client sent them. Null if the packet does not parse.
 */
export function bareAck(s: Seg): Uint8Array | null {
  const r = parseIpv4Tcp(s.bytes, { verifyChecksum: false });
  if (!r.ok) return null;
  const { ip, tcp } = r.value;
  return encodeIpv4Tcp(
    { src: ip.src, dst: ip.dst, ttl: ip.ttl, id: ip.id, tos: ip.tos, dontFrag: ip.dontFrag },
    { ...tcp, flags: tcp.flags & ~(TcpFlag.PSH | TcpFlag.FIN | TcpFlag.URG), urgent: 0, payload: new Uint8Array(0) },
  );
}

/** A private copy of a packet's bytes (recorded packets outlive the message they came in). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return b.slice();
}
