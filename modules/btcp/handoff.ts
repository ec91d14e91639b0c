/**
 * Front end, handing a connection off (claims 3, 4, 13, 14, 29, 30; DESIGN §4 steps 5 and 9):
 * the HANDOFF_REQ carries the recorded SYN, ACK and request segments and the FE's initial
 * state; the HANDOFF_ACK brings the BE's, from which forwarding's arithmetic follows. Then the
 * FE's own copy is reset from below and UTCP drops the held indication (claims 7, 17, 32), and
 * the client packets that queued meanwhile are forwarded in order.
 *
 * What goes wrong: a NAK, a send that never left, or no answer in time — the next BE is tried
 * (the ones that failed are excluded) or the FE serves; a channel that breaks after the request
 * left — the FE cannot know whether the BE took the connection, so it resets the client
 * rather than risk two servers answering on one connection.
 */
import { freemsg } from '../../lib/streams/index.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { Endpoint, HandoffAck, HandoffReq, NakReasonName } from '../control/frame.ts';
import { HEADER_SIZE } from '../control/frame.ts';
import { abortClient, dispatchConn, resetLocalCopy, serveLocally } from './decide.ts';
import { forwardToBe } from './forward.ts';
import { optionMismatch, rewriteState, type FeInitialState } from './rewrite-state.ts';
import { has, type Seg } from './segment.ts';
import type { BtcpState, FeConn } from './state.ts';

/** HANDOFF_REQ body bytes before the packets: connId, 3 endpoints, ISNs, 2 SynOptions, feTsNow, 3 counts. */
const REQ_FIXED = 4 + 3 * 6 + 4 + 8 + 4 + 8 + 4 + 2 + 2 + 1;

/** The FE's side of the rewriting arithmetic, as the HANDOFF_REQ announced it. */
export function feInitial(c: FeConn, target: Endpoint): FeInitialState {
  return {
    vip: c.vip,
    target,
    clientOpts: c.client0.opts,
    feIsn: c.fe0!.isn,
    feOpts: c.fe0!.opts,
    feTsNow: c.tsMax ?? 0,
  };
}

/** Send the connection's HANDOFF_REQ to `peer`. */
export function startHandoff(st: BtcpState, c: FeConn, peer: string): void {
  const p = st.peers.get(peer)!;
  const size = HEADER_SIZE + REQ_FIXED + c.syn.length + (c.ack?.length ?? 0) + c.data.reduce((n, d) => n + 2 + d.length, 0);
  if (c.fe0 === null || c.ack === null || size > p.maxBody) {
    st.count('requestTooLargeForPeer');
    return serveLocally(st, c);
  }
  const target: Endpoint = { addr: p.addr, port: c.vip.port };
  c.target = target;
  if (c.connId !== 0) st.feById.delete(c.connId);
  c.connId = st.newConnId(c.tuple);
  c.peer = peer;
  c.tried.add(peer);
  c.phase = 'handoff';
  const msg: HandoffReq = {
    type: 'HANDOFF_REQ',
    connId: c.connId,
    client: c.client,
    vip: c.vip,
    target,
    clientIsn: c.client0.isn,
    clientOpts: c.client0.opts,
    feIsn: c.fe0.isn,
    feOpts: c.fe0.opts,
    feTsNow: c.tsMax ?? 0,
    syn: c.syn,
    ack: c.ack,
    data: c.data,
  };
  st.fe.setTimeout(c.tuple, st.limits.handoffTimeout, st.io.now());
  st.io.rearm();
  st.count('handoffsSent');
  if (st.tracing) st.note('handoff.request', c.tuple, { peer, connId: c.connId, segments: c.data.length });
  st.io.ctl({ ho: 'send', peer, msg });
}

/** A client segment while the handoff is in flight: kept, in order, bounded. */
export function queueDuringHandoff(st: BtcpState, c: FeConn, s: Seg): void {
  if (has(s, TcpFlag.RST)) {
    // The client gave up: tell the BE to drop whatever it built, and free ours.
    st.count('clientResetDuringHandoff');
    cancelHandoff(st, c, 'aborted');
    resetLocalCopy(st, c);
    st.dropFe(c);
    return freemsg(s.mp);
  }
  if (c.queued.length >= st.limits.maxQueued) {
    st.count('queueDrops');
    return freemsg(s.mp);
  }
  st.count('queued');
  c.queued.push(s);
}

/** The BE took the connection (claims 5, 15, 35): reset the local copy, forward from now on. */
export function handoffAcked(st: BtcpState, peer: string, ack: HandoffAck): void {
  const c = st.feByConnId(ack.connId);
  if (c === undefined || c.phase !== 'handoff' || c.peer !== peer || c.fe0 === null) {
    // An answer nobody waits for (timed out, served elsewhere): the BE must drop its copy.
    st.count('lateAcks');
    st.send(peer, { ho: 'send', peer, msg: { type: 'TERMINATE', connId: ack.connId, reason: 'aborted' } });
    return;
  }
  const fe = feInitial(c, c.target!);
  const be = { beIsn: ack.beIsn, beOpts: ack.beOpts };
  if (optionMismatch(fe, be) !== null) return handoffRefused(st, peer, ack.connId, 'option-mismatch', true);
  c.rw = rewriteState(fe, be);
  c.phase = 'forward';
  st.count('handoffAcks');
  if (st.tracing) st.note('handoff.forwarding', c.tuple, { peer, connId: c.connId, beIsn: ack.beIsn, queued: c.queued.length });
  st.handoffs[peer] = (st.handoffs[peer] ?? 0) + 1;
  st.view?.handed(peer, 1);
  resetLocalCopy(st, c);
  c.data = [];
  c.reasm = null;
  c.parser = null;
  st.fe.setTimeout(c.tuple, st.limits.idleTimeout, st.io.now());
  st.io.rearm();
  const queued = c.queued;
  c.queued = [];
  for (const s of queued) forwardToBe(st, c, s);
}

/**
 * The BE refused (NAK), or the request never left (send-failed), or an ACK was unusable: try
 * the next node. `abortPeer` also tells the BE to drop a copy it may have built.
 */
export function handoffRefused(st: BtcpState, peer: string, connId: number, reason: NakReasonName | 'send-failed', abortPeer = false): void {
  const c = st.feByConnId(connId);
  if (c === undefined || c.phase !== 'handoff' || c.peer !== peer) return;
  st.count(reason === 'send-failed' ? 'handoffSendFailed' : 'handoffNaks');
  if (st.tracing) st.note('handoff.refused', c.tuple, { peer, connId, reason });
  if (abortPeer) cancelHandoff(st, c, 'aborted');
  retry(st, c);
}

/** No answer in time: abort at the BE (its ACK may come late) and try the next node. */
export function handoffTimedOut(st: BtcpState, c: FeConn): void {
  st.count('handoffTimeouts');
  if (st.tracing) st.note('handoff.timeout', c.tuple, { peer: c.peer, connId: c.connId });
  cancelHandoff(st, c, 'aborted');
  retry(st, c);
}

/**
 * The channel to the BE broke after the request left. Whether the BE built the connection is
 * unknown: reset the client (and the local copy) rather than risk a second server on it, and
 * tell the BE to drop its copy once the channel is back.
 */
export function handoffChannelLost(st: BtcpState, c: FeConn): void {
  st.count('channelAborts');
  if (st.tracing) st.note('handoff.channel-lost', c.tuple, { peer: c.peer, connId: c.connId });
  cancelHandoff(st, c, 'aborted');
  abortClient(st, c);
}

function cancelHandoff(st: BtcpState, c: FeConn, reason: 'aborted'): void {
  if (c.peer === null || c.connId === 0) return;
  const peer = c.peer;
  st.send(peer, { ho: 'send', peer, msg: { type: 'TERMINATE', connId: c.connId, reason } });
}

function retry(st: BtcpState, c: FeConn): void {
  st.feById.delete(c.connId);
  c.connId = 0;
  c.peer = null;
  c.phase = 'head';
  if (st.fe.get(c.tuple) === undefined) {
    if (!st.fe.insert(c.tuple, c, st.io.now(), st.limits.handoffTimeout).ok) return abortClient(st, c);
  }
  dispatchConn(st, c);
}
