/**
 * Front end, before dispatch (claims 2, 12, 22, 28; DESIGN §4 steps 1-4): the client's SYN
 * goes up to TCP and is recorded; the SYN/ACK TCP answers is parsed for the FE's initial
 * state on its way out; the handshake's ACK goes up and is recorded (TCP sends T_CONN_IND,
 * which UTCP holds); the request segments are kept below TCP and recorded, and their bytes,
 * put in order, feed the head parser until the head is complete.
 */
import { esballoc, freemsg } from '../../lib/streams/index.ts';
import { seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import type { FourTuple } from './conn-state.ts';
import { dispatchConn, serveLocally } from './decide.ts';
import { forwardToBe } from './forward.ts';
import { queueDuringHandoff } from './handoff.ts';
import { HeadParser } from './http-head.ts';
import { bareAck, copyBytes } from './packets.ts';
import { Reassembly } from './reassembly.ts';
import { initialState } from './rewrite-state.ts';
import { checksumOk, has, inboundTuple, outboundTuple, tsVal, type Seg } from './segment.ts';
import type { BtcpState, FeConn } from './state.ts';

/** A client packet to a service address (the VIP). Takes ownership of s.mp. */
export function feInbound(st: BtcpState, s: Seg): void {
  const t = inboundTuple(s);
  const c = st.fe.get(t);
  if (c === undefined) return newConnection(st, s, t);
  switch (c.phase) {
    case 'syn':
    case 'synack':
      return handshake(st, c, s);
    case 'head':
      return request(st, c, s);
    case 'handoff':
      return queueDuringHandoff(st, c, s);
    case 'forward':
      return forwardToBe(st, c, s);
  }
}

/** A packet the FE's own TCP sends from a service address. Takes ownership of s.mp. */
export function feOutbound(st: BtcpState, s: Seg): void {
  const c = st.fe.get(outboundTuple(s));
  if (c === undefined) return st.io.down(s.mp);
  if (c.phase === 'handoff' || c.phase === 'forward') {
    // The FE's copy is about to be (or was) reset: nothing of it may reach the client, whose
    // next timestamps must come from the BE's clock (docs/handoff.md §3).
    st.count('feTcpDropped');
    return freemsg(s.mp);
  }
  if (has(s, TcpFlag.RST)) {
    // TCP refused or dropped the connection (no listener, full queue): nothing to dispatch.
    st.dropFe(c);
    return st.io.down(s.mp);
  }
  const ts = tsVal(s);
  if (ts !== null && (c.tsMax === null || ((ts - c.tsMax) | 0) > 0)) c.tsMax = ts;
  if (c.phase === 'syn' && has(s, TcpFlag.SYN) && has(s, TcpFlag.ACK)) {
    const r = initialState(s.bytes);
    if (r.ok) {
      c.fe0 = r.value;
      c.phase = 'synack';
    }
  }
  st.io.down(s.mp);
}

function newConnection(st: BtcpState, s: Seg, t: FourTuple): void {
  if ((s.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) return st.io.up(s.mp);
  if (!checksumOk(s)) {
    st.count('badChecksum');
    return freemsg(s.mp);
  }
  const syn = copyBytes(s.bytes);
  const r = initialState(syn);
  if (!r.ok) return st.io.up(s.mp);
  const c: FeConn = {
    phase: 'syn',
    tuple: t,
    client: { addr: s.src, port: s.sport },
    vip: { addr: s.dst, port: s.dport },
    syn,
    client0: r.value,
    fe0: null,
    tsMax: null,
    ack: null,
    data: [],
    dataBytes: 0,
    reasm: null,
    parser: null,
    head: null,
    connId: 0,
    peer: null,
    target: null,
    tried: new Set(),
    queued: [],
    rw: null,
  };
  const ins = st.fe.insert(t, c, st.io.now(), st.limits.synTimeout);
  if (!ins.ok) {
    // A full table refuses the connection; the client's SYN retransmission tries again.
    st.count('synTableFull');
    return freemsg(s.mp);
  }
  st.count('synRecorded');
  if (st.tracing) st.note('handoff.record-syn', t, { vip: `${formatIpv4(s.dst)}:${s.dport}`, isn: c.client0.isn });
  st.io.rearm();
  st.io.up(s.mp);
}

function handshake(st: BtcpState, c: FeConn, s: Seg): void {
  if (has(s, TcpFlag.RST)) {
    st.dropFe(c);
    return st.io.up(s.mp);
  }
  const completes =
    c.phase === 'synack' && c.fe0 !== null && !has(s, TcpFlag.SYN) && has(s, TcpFlag.ACK) && s.ack === seqAdd(c.fe0.isn, 1);
  if (!completes) return st.io.up(s.mp);
  if (!checksumOk(s)) {
    st.count('badChecksum');
    return freemsg(s.mp);
  }
  c.phase = 'head';
  c.reasm = new Reassembly(seqAdd(c.client0.isn, 1), 16, st.limits.maxRequestBytes);
  c.parser = new HeadParser();
  st.fe.setTimeout(c.tuple, st.limits.headTimeout, st.io.now());
  st.io.rearm();
  if (st.tracing) st.note('handoff.record-ack', c.tuple, { bytes: s.len });
  if (s.len === 0 && !has(s, TcpFlag.FIN)) {
    c.ack = copyBytes(s.bytes);
    return st.io.up(s.mp);
  }
  // The ACK came with request bytes: TCP gets the ACK alone, the bytes stay here.
  const ack = bareAck(s);
  if (ack === null) return st.io.up(s.mp);
  c.ack = ack;
  st.io.up(esballoc(copyBytes(ack)));
  request(st, c, s);
}

/** A client segment while the request head is not complete yet. */
function request(st: BtcpState, c: FeConn, s: Seg): void {
  if (has(s, TcpFlag.RST)) {
    // TCP resets its copy and withdraws the indication UTCP holds.
    st.dropFe(c);
    return st.io.up(s.mp);
  }
  if (has(s, TcpFlag.SYN) || (s.len === 0 && !has(s, TcpFlag.FIN))) return st.io.up(s.mp);
  if (!checksumOk(s)) {
    st.count('badChecksum');
    return freemsg(s.mp);
  }
  const pkt = copyBytes(s.bytes);
  const payload = pkt.subarray(pkt.length - s.len);
  const seqNo = s.seq;
  const fin = has(s, TcpFlag.FIN);
  freemsg(s.mp);
  const r = c.reasm!.push(seqNo, payload, fin);
  if (!r.added) {
    st.count('requestDuplicates');
    return;
  }
  if (c.data.length >= st.limits.maxRequestSegments || c.dataBytes + payload.length > st.limits.maxRequestBytes) {
    // More than a handoff request may carry: the FE serves it (and its server answers).
    st.count('requestTooLarge');
    c.data.push(pkt);
    c.dataBytes += payload.length;
    return serveLocally(st, c);
  }
  c.data.push(pkt);
  c.dataBytes += payload.length;
  for (const chunk of r.chunks) {
    const out = c.parser!.push(chunk);
    if (out.kind === 'incomplete') continue;
    if (out.kind === 'complete') {
      c.head = out.head;
      return dispatchConn(st, c);
    }
    // Not a request this FE can route: its own server answers (400 / 431) and closes.
    st.count(out.kind === 'too-large' ? 'headTooLarge' : 'badRequests');
    return serveLocally(st, c);
  }
  if (r.ended) {
    st.count('badRequests');
    serveLocally(st, c);
  }
}
