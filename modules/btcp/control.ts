/**
 * What UTCP tells BTCP (M_CTL down through TCP, control/ctl.ts): configuration, channels coming
 * and going, control messages from peers, sends that failed, and questions about load.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { CtlDown } from '../control/ctl.ts';
import type { ControlMessage } from '../control/frame.ts';
import { handoffAcked, handoffChannelLost, handoffRefused } from './handoff.ts';
import type { BtcpState } from './state.ts';
import { takeOver } from './takeover.ts';
import { beAborted, feTerminated, resetBeCopy } from './terminate.ts';

export function ctlDown(st: BtcpState, m: CtlDown): void {
  switch (m.ho) {
    case 'config': {
      const err = st.configure(m.config);
      if (err !== null) st.count('badConfig');
      return;
    }
    case 'peer-up':
      return peerUp(st, m.peer, m.addr, m.maxBody);
    case 'peer-down':
      return peerDown(st, m.peer);
    case 'recv':
      return received(st, m.peer, m.id, m.msg);
    case 'send-failed':
      return sendFailed(st, m.peer, m.msg);
    case 'stats-query':
      return st.io.ctl({ ho: 'stats', token: m.token, stats: st.stats() });
  }
}

function peerUp(st: BtcpState, peer: string, addr: Ipv4Addr, maxBody: number): void {
  st.peers.set(peer, { addr, maxBody });
  st.view?.channel(peer, true);
  const waiting = st.pendingTerminates.get(peer);
  st.pendingTerminates.delete(peer);
  for (const t of waiting ?? []) st.send(peer, { ho: 'send', peer, msg: t });
}

function peerDown(st: BtcpState, peer: string): void {
  if (!st.peers.delete(peer)) return;
  st.view?.channel(peer, false);
  st.requeueSent(peer);
  // FE: handoffs whose answer can no longer come.
  for (const [, c] of [...st.fe]) if (c.phase === 'handoff' && c.peer === peer) handoffChannelLost(st, c);
  // BE: copies the FE may not know it has (not answered yet, or answered but never used).
  for (const [, c] of [...st.be]) {
    if (c.peer !== peer) continue;
    if (c.phase === 'syn' || (c.phase === 'active' && !c.confirmed)) {
      st.count('beChannelAborts');
      resetBeCopy(st, c);
    }
  }
}

function received(st: BtcpState, peer: string, id: number, msg: ControlMessage): void {
  switch (msg.type) {
    case 'HANDOFF_REQ':
      return takeOver(st, peer, id, msg);
    case 'HANDOFF_ACK':
      return handoffAcked(st, peer, msg);
    case 'HANDOFF_NAK':
      return handoffRefused(st, peer, msg.connId, msg.reason);
    case 'TERMINATE':
      if (msg.reason === 'aborted') return beAborted(st, peer, msg.connId);
      return feTerminated(st, peer, msg.connId);
    case 'HEARTBEAT':
      return st.view?.heartbeat(peer, msg, st.io.now());
    case 'HELLO':
      return;
  }
}

function sendFailed(st: BtcpState, peer: string, msg: ControlMessage): void {
  st.count('sendFailed');
  switch (msg.type) {
    case 'HANDOFF_REQ':
      // It never left: trying another node is safe.
      return handoffRefused(st, peer, msg.connId, 'send-failed');
    case 'TERMINATE':
      return st.deferTerminate(peer, msg);
    case 'HANDOFF_ACK': {
      // The FE will never hear that this BE took the connection: drop the copy.
      const t = st.beById.get(`${peer}/${msg.connId}`);
      const c = t === undefined ? undefined : st.be.get(t);
      if (c !== undefined) resetBeCopy(st, c);
      return;
    }
    default:
      return;
  }
}
