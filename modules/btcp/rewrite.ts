/**
 * In-place rewriting of whole IPv4+TCP packets for a handed-off connection (DESIGN §4):
 *
 * - client -> BE (FE forwarding, and the BE replaying the recorded ACK and request segments):
 *   destination VIP -> BE (and port), ack number and SACK edges FE -> BE sequence space,
 *   TSecr FE -> BE clock, window rescaled if the client's shift differs between FE and BE;
 * - BE -> client (BE BTCP on the way out): source BE -> VIP (and port), sequence number
 *   BE -> FE space, TSval BE -> FE clock, window rescaled if the server shifts differ;
 * - the recorded SYN replayed at the BE: destination VIP -> BE, and the options the FE did not
 *   agree to overwritten with NOPs so the BE's TCP cannot agree to them either.
 *
 * Checksums are updated incrementally (RFC 1624), never recomputed: the result equals a full
 * recomputation, and a packet that arrived corrupted stays detectably corrupted.
 * A packet is either rewritten completely or, on error, left untouched.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { Ipv4Packet } from '../../lib/wire/ipv4.ts';
import { u32 } from '../../lib/wire/layout.ts';
import type { WireError } from '../../lib/wire/result.ts';
import { seq, seqAdd } from '../../lib/wire/seq.ts';
import { TcpPacket } from '../../lib/wire/tcp.ts';
import { TcpOptionKind } from '../../lib/wire/tcp-options.ts';
import type { TcpOptionSpan } from '../../lib/wire/tcp-options.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { beToFe, feToBe } from './rewrite-state.ts';
import type { FeInitialState, RewriteState } from './rewrite-state.ts';

export type RewriteResult = { ok: true } | { ok: false; error: WireError };

const OK: RewriteResult = { ok: true };

interface Views {
  ip: Ipv4Packet;
  tcp: TcpPacket;
  spans: TcpOptionSpan[];
}

/** Checks everything the rewrite will touch before it touches anything. */
function views(packet: Uint8Array): { ok: true; v: Views } | { ok: false; error: WireError } {
  const ipr = Ipv4Packet.newChecked(packet);
  if (!ipr.ok) return ipr;
  const ip = ipr.value;
  if (ip.protocol !== IpProto.TCP) return { ok: false, error: 'not-tcp' };
  if (ip.moreFrags || ip.fragOffset !== 0) return { ok: false, error: 'fragment' };
  const tcpr = TcpPacket.newChecked(ip.payload);
  if (!tcpr.ok) return tcpr;
  const spans = tcpr.value.optionSpans();
  if (!spans.ok) return spans;
  return { ok: true, v: { ip, tcp: tcpr.value, spans: spans.value } };
}

/**
 * A window field sent with shift `from`, re-expressed for a reader applying shift `to`:
 * rounded down (never advertise more than the sender offered), clamped to 16 bits.
 */
export function rescaleWindow(field: number, from: number, to: number): number {
  return Math.min(0xffff, Math.floor((field * 2 ** from) / 2 ** to));
}

function readdressDst(ip: Ipv4Packet, tcp: TcpPacket, to: { addr: Ipv4Addr; port: number }): void {
  if (ip.dst !== to.addr) {
    tcp.adjustForAddress(ip.dst, to.addr);
    ip.rewriteDst(to.addr);
  }
  if (tcp.dstPort !== to.port) tcp.rewriteDstPort(to.port);
}

function readdressSrc(ip: Ipv4Packet, tcp: TcpPacket, to: { addr: Ipv4Addr; port: number }): void {
  if (ip.src !== to.addr) {
    tcp.adjustForAddress(ip.src, to.addr);
    ip.rewriteSrc(to.addr);
  }
  if (tcp.srcPort !== to.port) tcp.rewriteSrcPort(to.port);
}

/** Offsets inside the options (from the option's kind byte). */
const TS_VAL = 2;
const TS_ECR = 6;
const SACK_EDGES = 2;

/**
 * A client packet on its way to the BE (claims 7, 11 j, 17, 32), or a recorded ACK / request
 * segment replayed into the BE's TCP (claims 3, 13, 34).
 */
export function rewriteClientToBe(packet: Uint8Array, st: RewriteState): RewriteResult {
  const r = views(packet);
  if (!r.ok) return r;
  const { ip, tcp, spans } = r.v;
  const flags = tcp.flags;
  readdressDst(ip, tcp, st.be);
  const acks = (flags & TcpFlag.ACK) !== 0;
  if (acks && st.seqDelta !== 0) tcp.rewriteAck(feToBe(st, tcp.ackNumber));
  // RFC 7323 §2.2: the window of a SYN is never scaled.
  if ((flags & TcpFlag.SYN) === 0 && st.clientWsFe !== st.clientWsBe) {
    tcp.rewriteWindow(rescaleWindow(tcp.window, st.clientWsFe, st.clientWsBe));
  }
  for (const o of spans) {
    if (o.kind === TcpOptionKind.SACK && st.seqDelta !== 0) {
      // SACK edges name server bytes the client holds: FE space, like the ack number.
      for (let at = o.offset + SACK_EDGES; at < o.offset + o.length; at += 4) {
        tcp.rewriteU32(at, feToBe(st, seq(u32(tcp.bytes, at))));
      }
    } else if (o.kind === TcpOptionKind.TIMESTAMPS && acks && st.tsDelta !== null && st.tsDelta !== 0) {
      // TSecr is valid only with ACK (RFC 7323 §3.2); it echoes the FE's clock.
      const at = o.offset + TS_ECR;
      tcp.rewriteU32(at, seqAdd(seq(u32(tcp.bytes, at)), -st.tsDelta));
    }
  }
  return OK;
}

/** A BE packet on its way to the client, straight from the BE (claims 9, 11 k, 18, 36). */
export function rewriteBeToClient(packet: Uint8Array, st: RewriteState): RewriteResult {
  const r = views(packet);
  if (!r.ok) return r;
  const { ip, tcp, spans } = r.v;
  const flags = tcp.flags;
  readdressSrc(ip, tcp, st.vip);
  if (st.seqDelta !== 0) tcp.rewriteSeq(beToFe(st, tcp.seqNumber));
  if ((flags & TcpFlag.SYN) === 0 && st.serverWsBe !== st.serverWsFe) {
    tcp.rewriteWindow(rescaleWindow(tcp.window, st.serverWsBe, st.serverWsFe));
  }
  if (st.tsDelta !== null && st.tsDelta !== 0) {
    for (const o of spans) {
      if (o.kind !== TcpOptionKind.TIMESTAMPS) continue;
      const at = o.offset + TS_VAL;
      tcp.rewriteU32(at, seqAdd(seq(u32(tcp.bytes, at)), st.tsDelta));
    }
  }
  // The BE's SACK blocks name client bytes: the client's space is the same on every node.
  return OK;
}

const NOPS = new Uint8Array(10).fill(TcpOptionKind.NOP);

/**
 * The client's recorded SYN, replayed into the BE's TCP (claims 3, 13, 34): destination
 * VIP -> BE, and every option the FE declined overwritten with NOPs, so that the BE's TCP
 * negotiates nothing the client and the FE did not.
 */
export function rewriteSynForBe(packet: Uint8Array, fe: Pick<FeInitialState, 'target' | 'feOpts'>): RewriteResult {
  const r = views(packet);
  if (!r.ok) return r;
  const { ip, tcp, spans } = r.v;
  readdressDst(ip, tcp, fe.target);
  for (const o of spans) {
    const declined =
      (o.kind === TcpOptionKind.WSCALE && fe.feOpts.wscale === null) ||
      (o.kind === TcpOptionKind.SACK_PERMITTED && !fe.feOpts.sackOk) ||
      (o.kind === TcpOptionKind.TIMESTAMPS && fe.feOpts.tsVal === null);
    if (declined) tcp.rewriteBytes(o.offset, NOPS.subarray(0, o.length));
  }
  return OK;
}
