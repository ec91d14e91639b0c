/**
 * Termination (claims 10, 19, 37): the BE watches the FIN and RST of each connection it took
 * over; once the connection is closed — a RST either way, or both FINs sent and acknowledged
 * (then after a linger, so that a late retransmission still finds its way) — it sends
 * TERMINATE to the FE, which leaves forwarding mode and frees the connection's state. The
 * timeouts free what a lost message would leave behind.
 */
import { esballoc } from '../../lib/streams/index.ts';
import { seqAdd, seqGe, seqGt, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { TerminateReasonName } from '../control/frame.ts';
import { abortClient } from './decide.ts';
import { handoffTimedOut } from './handoff.ts';
import { rstPacket } from './packets.ts';
import { has, type Seg } from './segment.ts';
import type { BeConn, BtcpState, FeConn } from './state.ts';

/** A client segment reached the BE's TCP: its FIN, its ack of the server's FIN, RCV.NXT. */
export function watchClient(c: BeConn, s: Seg): void {
  const fin = has(s, TcpFlag.FIN);
  const end: Seq = seqAdd(s.seq, s.len + (fin ? 1 : 0));
  if (!has(s, TcpFlag.RST) && seqGt(end, c.clientNext)) c.clientNext = end;
  if (fin) c.clientFin = seqAdd(s.seq, s.len);
  if (c.serverFin !== null && has(s, TcpFlag.ACK) && seqGe(s.ack, seqAdd(c.serverFin, 1))) c.serverFinAcked = true;
}

/** A segment from the BE's TCP (before rewriting: BE sequence space). */
export function watchServer(c: BeConn, s: Seg): void {
  if (has(s, TcpFlag.FIN)) c.serverFin = seqAdd(s.seq, s.len);
  if (c.clientFin !== null && has(s, TcpFlag.ACK) && seqGe(s.ack, seqAdd(c.clientFin, 1))) c.clientFinAcked = true;
}

/** Both FINs acknowledged: linger, then TERMINATE. */
export function checkClosed(st: BtcpState, c: BeConn): void {
  if (c.phase !== 'active' || !c.clientFinAcked || !c.serverFinAcked) return;
  c.phase = 'closing';
  st.be.setTimeout(c.tuple, st.limits.finLinger, st.io.now());
  st.io.rearm();
}

/** BE: the connection is over; tell its FE and forget it. */
export function terminateBe(st: BtcpState, c: BeConn, reason: TerminateReasonName): void {
  st.count(`terminate.${reason}`);
  if (st.tracing) st.note('handoff.terminate', c.tuple, { peer: c.peer, connId: c.connId, reason });
  st.dropBe(c);
  st.send(c.peer, { ho: 'send', peer: c.peer, msg: { type: 'TERMINATE', connId: c.connId, reason } });
}

/** BE: reset the BE TCP's copy from below (at RCV.NXT, which RFC 5961 accepts) and forget it. */
export function resetBeCopy(st: BtcpState, c: BeConn): void {
  const t = c.tuple;
  if (st.tracing) st.note('handoff.rst-up', t, { side: 'be', peer: c.peer, connId: c.connId });
  st.io.up(esballoc(rstPacket({ addr: t.clientAddr, port: t.clientPort }, { addr: t.serverAddr, port: t.serverPort }, c.clientNext)));
  st.dropBe(c);
}

/** FE: TERMINATE from the BE the connection was handed to (claims 10, 19): free it. */
export function feTerminated(st: BtcpState, peer: string, connId: number): void {
  const c = st.feByConnId(connId);
  if (c === undefined || c.peer !== peer) return st.count('terminateUnknown');
  st.count('terminatesReceived');
  if (st.tracing) st.note('handoff.terminated', c.tuple, { peer, connId, phase: c.phase });
  if (c.phase === 'forward') {
    st.view?.handed(peer, -1);
    return st.dropFe(c);
  }
  // The BE gave up before the FE heard its ACK: like a refusal, without a second try there.
  if (c.phase === 'handoff') handoffTimedOut(st, c);
}

/** BE: TERMINATE from the FE (reason `aborted`): the handoff was given up; drop the copy. */
export function beAborted(st: BtcpState, peer: string, connId: number): void {
  const t = st.beById.get(`${peer}/${connId}`);
  const c = t === undefined ? undefined : st.be.get(t);
  if (c === undefined) return st.count('abortUnknown');
  st.count('beAborted');
  if (st.tracing) st.note('handoff.aborted', c.tuple, { peer, connId, phase: c.phase });
  resetBeCopy(st, c);
}

/** A connection's timer ran out (ConnTable.expire removed it already). */
export function feExpired(st: BtcpState, c: FeConn): void {
  switch (c.phase) {
    case 'syn':
    case 'synack':
      st.count('handshakeTimeouts');
      return abortClient(st, c);
    case 'head':
      // A request head that never completed within the bound: a clean reset.
      st.count('headTimeouts');
      return abortClient(st, c);
    case 'handoff':
      return handoffTimedOut(st, c);
    case 'forward':
      st.count('forwardIdleTimeouts');
      st.view?.handed(c.peer!, -1);
      return st.dropFe(c);
  }
}

export function beExpired(st: BtcpState, c: BeConn): void {
  switch (c.phase) {
    case 'syn':
      // The BE's TCP never answered the replayed SYN (listen queue full).
      st.count('replayTimeouts');
      st.dropBe(c);
      st.send(c.peer, { ho: 'send', peer: c.peer, replyTo: c.replyTo, msg: { type: 'HANDOFF_NAK', connId: c.connId, reason: 'overloaded' } });
      return;
    case 'active':
      st.count('idleTimeouts');
      resetBeCopy(st, c);
      st.send(c.peer, { ho: 'send', peer: c.peer, msg: { type: 'TERMINATE', connId: c.connId, reason: 'timeout' } });
      return;
    case 'closing':
      return terminateBe(st, c, 'fin');
  }
}
