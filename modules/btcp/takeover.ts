/**
 * Back end, taking a connection over (claims 3, 5, 13, 15, 34, 35; DESIGN §4 steps 6-8): the
 * recorded SYN, readdressed to this BE, goes up to its TCP; the SYN/ACK TCP answers is caught
 * (the client never sees it) and gives the BE's initial state; the recorded ACK and request
 * segments, rewritten into the BE's spaces, follow it up — TCP is established and its
 * application accepts an ordinary connection — and the HANDOFF_ACK carries the BE's initial
 * state back to the FE.
 */
import { esballoc, freemsg } from '../../lib/streams/index.ts';
import { seqAdd, seqGt } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { HandoffReq, NakReasonName } from '../control/frame.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { BE_SYN_TIMEOUT } from './config.ts';
import { tupleKey, type FourTuple } from './conn-state.ts';
import { rstPacket } from './packets.ts';
import { rewriteClientToBe, rewriteSynForBe } from './rewrite.ts';
import { initialState, optionMismatch, rewriteState, type FeInitialState } from './rewrite-state.ts';
import { has, type Seg } from './segment.ts';
import { beKey, type BeConn, type BtcpState } from './state.ts';

function nak(st: BtcpState, peer: string, replyTo: number, connId: number, reason: NakReasonName): void {
  st.count(`nak.${reason}`);
  if (st.tracing) st.note('handoff.nak', null, { peer, connId, reason });
  st.send(peer, { ho: 'send', peer, replyTo, msg: { type: 'HANDOFF_NAK', connId, reason } });
}

function feSide(req: HandoffReq): FeInitialState {
  return { vip: req.vip, target: req.target, clientOpts: req.clientOpts, feIsn: req.feIsn, feOpts: req.feOpts, feTsNow: req.feTsNow };
}

/** A HANDOFF_REQ from `peer` in frame `id`: replay the SYN into this node's TCP. */
export function takeOver(st: BtcpState, peer: string, id: number, req: HandoffReq): void {
  const cfg = st.config;
  if (cfg === null || cfg.draining) return nak(st, peer, id, req.connId, 'refused');
  if (req.target.addr !== cfg.lanAddr) return nak(st, peer, id, req.connId, 'bad-request');
  const t: FourTuple = { clientAddr: req.client.addr, clientPort: req.client.port, serverAddr: req.target.addr, serverPort: req.target.port };
  const existing = st.be.get(t);
  if (existing !== undefined) {
    // The same request again (a retransmitted frame) is already being served.
    if (existing.peer === peer && existing.connId === req.connId) return st.count('duplicateRequests');
    return nak(st, peer, id, req.connId, 'refused');
  }
  const syn = req.syn.slice();
  const rw = rewriteSynForBe(syn, { target: req.target, feOpts: req.feOpts });
  const parsed = rw.ok ? parseIpv4Tcp(syn) : null;
  const valid =
    parsed !== null &&
    parsed.ok &&
    (parsed.value.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN &&
    parsed.value.ip.src === req.client.addr &&
    parsed.value.tcp.srcPort === req.client.port &&
    parsed.value.tcp.seq === req.clientIsn;
  if (!valid) return nak(st, peer, id, req.connId, 'bad-request');
  const c: BeConn = {
    phase: 'syn',
    tuple: t,
    peer,
    connId: req.connId,
    replyTo: id,
    req,
    rw: null,
    clientNext: seqAdd(req.clientIsn, 1),
    clientFin: null,
    serverFin: null,
    clientFinAcked: false,
    serverFinAcked: false,
    confirmed: false,
  };
  if (!st.be.insert(t, c, st.io.now(), BE_SYN_TIMEOUT).ok) return nak(st, peer, id, req.connId, 'overloaded');
  st.beGone.delete(tupleKey(t));
  st.beById.set(beKey(peer, req.connId), t);
  st.count('replays');
  if (st.tracing) st.note('handoff.replay-syn', t, { peer, connId: req.connId, isn: req.clientIsn });
  st.io.rearm();
  st.io.up(esballoc(syn));
}

/** What the BE's TCP answered the replayed SYN with (never sent on to the client). */
export function answerFromTcp(st: BtcpState, c: BeConn, s: Seg): void {
  const req = c.req!;
  if (has(s, TcpFlag.RST)) {
    freemsg(s.mp);
    st.dropBe(c);
    return nak(st, c.peer, c.replyTo, c.connId, 'no-listener');
  }
  if (!has(s, TcpFlag.SYN) || !has(s, TcpFlag.ACK)) {
    if (st.tracing) st.note('handoff.swallow', c.tuple, { flags: s.flags, why: 'replay' });
    st.count('swallowed');
    return freemsg(s.mp);
  }
  const r = initialState(s.bytes);
  freemsg(s.mp);
  if (!r.ok) return;
  const fe = feSide(req);
  const be = { beIsn: r.value.isn, beOpts: r.value.opts };
  if (st.tracing) st.note('handoff.swallow', c.tuple, { flags: TcpFlag.SYN | TcpFlag.ACK, why: 'synack', beIsn: be.beIsn });
  if (optionMismatch(fe, be) !== null) {
    const t = c.tuple;
    st.io.up(esballoc(rstPacket({ addr: t.clientAddr, port: t.clientPort }, { addr: t.serverAddr, port: t.serverPort }, seqAdd(req.clientIsn, 1))));
    st.dropBe(c);
    return nak(st, c.peer, c.replyTo, c.connId, 'option-mismatch');
  }
  c.rw = rewriteState(fe, be);
  // The ACK, then the request as the client sent it, each in the BE's spaces.
  for (const rec of [req.ack, ...req.data]) {
    const pkt = rec.slice();
    if (!rewriteClientToBe(pkt, c.rw).ok) continue;
    const p = parseIpv4Tcp(pkt, { verifyChecksum: false });
    if (p.ok) {
      const tcp = p.value.tcp;
      const end = seqAdd(tcp.seq, tcp.payload.length + (tcp.flags & TcpFlag.FIN ? 1 : 0));
      if (seqGt(end, c.clientNext)) c.clientNext = end;
      if (tcp.flags & TcpFlag.FIN) c.clientFin = seqAdd(tcp.seq, tcp.payload.length);
    }
    st.io.up(esballoc(pkt));
  }
  c.req = null;
  c.phase = 'active';
  st.be.setTimeout(c.tuple, st.limits.idleTimeout, st.io.now());
  st.io.rearm();
  st.count('takeovers');
  if (st.tracing) st.note('handoff.replay', c.tuple, { peer: c.peer, connId: c.connId, segments: 1 + req.data.length });
  st.send(c.peer, { ho: 'send', peer: c.peer, replyTo: c.replyTo, msg: { type: 'HANDOFF_ACK', connId: c.connId, beIsn: be.beIsn, beOpts: be.beOpts } });
}
