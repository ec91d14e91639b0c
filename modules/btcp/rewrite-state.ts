/**
 * What forwarding needs to know about one handed-off connection, derived from the two initial
 * states the handoff exchanges: the FE's (HANDOFF_REQ) and the BE's (HANDOFF_ACK). FE BTCP and
 * BE BTCP derive it with the same function, so both sides map numbers identically.
 *
 * The client's own sequence space is the same everywhere; only the server's differs:
 *   server seq in BE space = server seq in FE space + seqDelta   (seqDelta = ISN_be - ISN_fe)
 *   TSval in FE clock      = TSval in BE clock + tsDelta          (tsDelta = feTsNow - TSval of BE's SYN/ACK)
 * both modulo 2^32.
 */
import type { Endpoint, SynOptions } from '../control/frame.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import type { WireError } from '../../lib/wire/result.ts';
import { seq, seqAdd, seqDiff } from '../../lib/wire/seq.ts';
import type { Seq } from '../../lib/wire/seq.ts';
import { negotiatedOptions } from '../../lib/wire/tcp-options.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

export interface RewriteState {
  /** The address and port the client talks to. */
  vip: Endpoint;
  /** The BE's address and the port its TCP listens on. */
  be: Endpoint;
  /** ISN_be - ISN_fe as a signed 32-bit distance; add it to go FE -> BE space. */
  seqDelta: number;
  /** TSval(FE clock) - TSval(BE clock) modulo 2^32, or null when timestamps are off. */
  tsDelta: number | null;
  /** Shift of the client's window fields as agreed with the FE, and as the BE's TCP believes. */
  clientWsFe: number;
  clientWsBe: number;
  /** Shift of the server's window fields the client expects (FE's), and the one the BE applies. */
  serverWsFe: number;
  serverWsBe: number;
}

/** The FE's side of a handoff: the fields of HANDOFF_REQ that forwarding uses. */
export interface FeInitialState {
  vip: Endpoint;
  target: Endpoint;
  clientOpts: SynOptions;
  feIsn: Seq;
  feOpts: SynOptions;
  feTsNow: number;
}

/** The BE's side: the fields of HANDOFF_ACK that forwarding uses. */
export interface BeInitialState {
  beIsn: Seq;
  beOpts: SynOptions;
}

/** RFC 7323: window scaling is on only when both SYNs carried the option. */
function shifts(client: SynOptions, server: SynOptions): { client: number; server: number } {
  if (client.wscale === null || server.wscale === null) return { client: 0, server: 0 };
  return { client: client.wscale, server: server.wscale };
}

/** Timestamps are on when both SYNs carried them (RFC 7323 §3.2). */
export function timestampsOn(client: SynOptions, server: SynOptions): boolean {
  return client.tsVal !== null && server.tsVal !== null;
}

/**
 * Why the BE's TCP cannot stand in for the FE's, or null. Window scales may differ (forwarding
 * rescales) and SACK may be missing at the BE (the client's blocks are then advisory); but
 * once the client agreed timestamps with the FE, every segment it gets must carry one, and the
 * BE cannot invent them.
 */
export function optionMismatch(fe: FeInitialState, be: BeInitialState): string | null {
  if (timestampsOn(fe.clientOpts, fe.feOpts) && !timestampsOn(fe.clientOpts, be.beOpts)) {
    return 'timestamps agreed with the FE but not by the BE';
  }
  return null;
}

export function rewriteState(fe: FeInitialState, be: BeInitialState): RewriteState {
  const feWs = shifts(fe.clientOpts, fe.feOpts);
  const beWs = shifts(fe.clientOpts, be.beOpts);
  const ts = timestampsOn(fe.clientOpts, fe.feOpts) && timestampsOn(fe.clientOpts, be.beOpts);
  return {
    vip: fe.vip,
    be: fe.target,
    seqDelta: seqDiff(be.beIsn, fe.feIsn),
    tsDelta: ts ? seqDiff(seq(fe.feTsNow), seq(be.beOpts.tsVal!)) >>> 0 : null,
    clientWsFe: feWs.client,
    clientWsBe: beWs.client,
    serverWsFe: feWs.server,
    serverWsBe: beWs.server,
  };
}

/** A server sequence number (or a client's ack of one) from FE space into BE space. */
export function feToBe(st: RewriteState, s: Seq): Seq {
  return seqAdd(s, st.seqDelta);
}

/** A server sequence number from BE space into FE space. */
export function beToFe(st: RewriteState, s: Seq): Seq {
  return seqAdd(s, -st.seqDelta);
}

/** The initial state a SYN or SYN/ACK announces: its ISN and the options handoff cares about. */
export interface InitialState {
  src: Endpoint;
  dst: Endpoint;
  isn: Seq;
  opts: SynOptions;
}

/**
 * Reads the initial state out of a SYN or SYN/ACK (a whole IPv4 packet): claim 2's "parse the
 * first initial TCP state", and the BE's learning of its own (claims 3, 5). Checksums are
 * verified; a packet without SYN is 'not-syn'.
 */
export function initialState(packet: Uint8Array): { ok: true; value: InitialState } | { ok: false; error: WireError | 'not-syn' } {
  const r = parseIpv4Tcp(packet);
  if (!r.ok) return r;
  const { ip, tcp } = r.value;
  if ((tcp.flags & TcpFlag.SYN) === 0) return { ok: false, error: 'not-syn' };
  const o = negotiatedOptions(tcp.options);
  return {
    ok: true,
    value: {
      src: { addr: ip.src as Ipv4Addr, port: tcp.srcPort },
      dst: { addr: ip.dst as Ipv4Addr, port: tcp.dstPort },
      isn: tcp.seq,
      opts: { mss: o.mss ?? null, wscale: o.wscale ?? null, sackOk: o.sackOK, tsVal: o.ts?.val ?? null },
    },
  };
}
