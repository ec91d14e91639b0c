/**
 * The connection's timers (RFC 9293 §3.8, BSD tcp_timer.c): retransmission (RFC 6298),
 * persist (zero-window probing, §3.8.6.1), delayed ACK, keep-alive (§3.8.4) and the close
 * timer (TIME-WAIT 2*MSL, orphaned FIN-WAIT-2). Each is an absolute deadline on the
 * endpoint; the stack keeps one heap over all endpoints (timer-heap.ts) and calls
 * `runTimers` when the earliest is due.
 */
import type { Time } from '../../lib/sim/time.ts';
import { seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { sendSyn, sendSynAck } from './connect.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { onRetransmitTimeout } from './recovery.ts';
import { dataOffset, makeSegment, output, sendAck, sendRst, transmit } from './snd.ts';
import { TcpState, isSynchronized } from './state.ts';

const NEVER = Number.POSITIVE_INFINITY;
const EMPTY = new Uint8Array(0);

/** The earliest deadline of the endpoint. */
export function deadline(ep: TcpEndpoint): Time {
  let d = ep.rtoAt;
  if (ep.persistAt < d) d = ep.persistAt;
  if (ep.delackAt < d) d = ep.delackAt;
  if (ep.keepAt < d) d = ep.keepAt;
  if (ep.closeAt < d) d = ep.closeAt;
  return d;
}

/** Run every timer of `ep` that is due at `now`. */
export function runTimers(ep: TcpEndpoint, now: Time): void {
  if (ep.delackAt <= now) {
    ep.delackAt = NEVER;
    if (ep.unackedBytes > 0 || ep.ackNow) {
      ep.stack.mib.DelayedACKs++;
      sendAck(ep);
    }
  }
  if (ep.rtoAt <= now) {
    ep.rtoAt = NEVER;
    retransmitTimeout(ep, now);
    if (ep.state === TcpState.CLOSED) return;
  }
  if (ep.persistAt <= now) {
    ep.persistAt = NEVER;
    persistTimeout(ep, now);
    if (ep.state === TcpState.CLOSED) return;
  }
  if (ep.keepAt <= now) {
    ep.keepAt = NEVER;
    keepTimeout(ep, now);
    if (ep.state === TcpState.CLOSED) return;
  }
  if (ep.closeAt <= now) {
    ep.closeAt = NEVER;
    closeTimeout(ep);
  }
}

/** Timeout of the n-th SYN retransmission (1-based). */
function synTimeout(ep: TcpEndpoint, n: number): Time {
  const p = ep.profile;
  const table = p.synBackoff;
  const mult = table ? table[Math.min(n, table.length - 1)]! : 2 ** n;
  return Math.min(p.rtoInitial * mult, p.rtoMax);
}

function retransmitTimeout(ep: TcpEndpoint, now: Time): void {
  const p = ep.profile;
  const mib = ep.stack.mib;
  switch (ep.state) {
    case TcpState.SYN_SENT:
      ep.synRetrans++;
      if (ep.synRetrans > (ep.synRetries || p.synRetries)) {
        mib.AttemptFails++;
        ep.drop('ETIMEDOUT');
        return;
      }
      mib.TCPSynRetrans++;
      mib.RetransSegs++;
      ep.rttSeq = -1;
      sendSyn(ep);
      ep.rtoAt = now + synTimeout(ep, ep.synRetrans);
      return;
    case TcpState.SYN_RECEIVED:
      ep.synRetrans++;
      if (ep.synRetrans > p.synAckRetries) {
        mib.AttemptFails++;
        ep.drop(ep.passive ? null : 'ETIMEDOUT');
        return;
      }
      mib.TCPSynRetrans++;
      mib.RetransSegs++;
      ep.rttSeq = -1;
      sendSynAck(ep);
      ep.rtoAt = now + Math.min(p.rtoInitial * 2 ** ep.synRetrans, p.rtoMax);
      return;
    case TcpState.CLOSED:
    case TcpState.LISTEN:
    case TcpState.TIME_WAIT:
    case TcpState.FIN_WAIT_2:
      return;
    default:
      break;
  }
  if (ep.sndUna === ep.sndMax) return;
  ep.retransmits++;
  if (ep.retransmits === 1) ep.retransSince = now;
  const limit = ep.orphan ? p.orphanRetries : p.maxRetries;
  const expired = ep.userTimeout > 0 ? now - ep.retransSince >= ep.userTimeout : ep.retransmits > limit;
  if (expired) {
    mib.TCPAbortOnTimeout++;
    if (p.rstOnRetransmitTimeout) sendRst(ep);
    ep.drop('ETIMEDOUT');
    return;
  }
  mib.TCPTimeouts++;
  ep.rtt.backOff(p);
  onRetransmitTimeout(ep);
  ep.rtoAt = now + ep.rtt.rto(p);
  // The head segment goes out even into a closed window (it doubles as a window probe).
  output(ep, ep.sndMss);
}

function persistInterval(ep: TcpEndpoint): Time {
  const p = ep.profile;
  const t = ep.rtt.rto(p) * 2 ** ep.persistBackoff;
  return Math.min(Math.max(t, p.persistMin), p.persistMax);
}

/** Arm the persist timer when data waits, nothing is in flight and the window keeps it back. */
export function armPersist(ep: TcpEndpoint): void {
  if (ep.persistAt !== NEVER || ep.rtoAt !== NEVER) return;
  if (ep.sndNxt !== ep.sndUna) return;
  const unsent = ep.sndBuf.length - dataOffset(ep, ep.sndNxt);
  const finWaiting = ep.finQueued && !ep.finSent;
  if (unsent <= 0 && !finWaiting) return;
  ep.persistAt = ep.stack.now + persistInterval(ep);
}

function persistTimeout(ep: TcpEndpoint, now: Time): void {
  const p = ep.profile;
  const mib = ep.stack.mib;
  if (ep.sndNxt !== ep.sndUna && ep.profile.zeroWindowProbe === 'old-seq') return;
  const unsent = ep.sndBuf.length - dataOffset(ep, ep.sndUna);
  if (unsent <= 0 && !(ep.finQueued && !ep.finSent)) return;
  if (ep.sndWnd > 0) {
    // Sender SWS override (§3.8.6.2.1): the window is open but too small; send what fits.
    output(ep, Math.min(ep.sndWnd, ep.sndMss));
    return;
  }
  ep.persistProbes++;
  const limit = ep.orphan ? p.orphanRetries : p.maxRetries;
  if (ep.persistProbes > limit) {
    mib.TCPAbortOnTimeout++;
    if (p.rstOnRetransmitTimeout) sendRst(ep);
    ep.drop('ETIMEDOUT');
    return;
  }
  mib.TCPWinProbe++;
  if (p.zeroWindowProbe === 'old-seq') {
    transmit(ep, makeSegment(ep, seqAdd(ep.sndUna, -1), TcpFlag.ACK, EMPTY));
  } else {
    // BSD: one byte past the window, resent from SND.UNA until the window opens.
    ep.sndNxt = ep.sndUna;
    output(ep, 1);
    ep.rtoAt = NEVER;
  }
  ep.persistBackoff++;
  ep.persistAt = now + persistInterval(ep);
}

/** Arm (or disarm) the keep-alive timer after SO_KEEPALIVE changed or the state did. */
export function armKeepalive(ep: TcpEndpoint): void {
  if (ep.state === TcpState.SYN_SENT || ep.state === TcpState.SYN_RECEIVED) return;
  if (!ep.keepAlive || !isSynchronized(ep.state) || ep.state === TcpState.TIME_WAIT) {
    ep.keepAt = NEVER;
    return;
  }
  const at = ep.lastRcvTime + ep.keepParams().idle;
  ep.keepAt = Math.max(at, ep.stack.now);
}

function keepTimeout(ep: TcpEndpoint, now: Time): void {
  const mib = ep.stack.mib;
  if (ep.state === TcpState.SYN_SENT || ep.state === TcpState.SYN_RECEIVED) {
    // Connection-establishment timer (BSD keepinit).
    mib.AttemptFails++;
    ep.drop(ep.passive ? null : 'ETIMEDOUT');
    return;
  }
  if (!ep.keepAlive || !isSynchronized(ep.state) || ep.state === TcpState.TIME_WAIT) return;
  const k = ep.keepParams();
  // Linux tcp_keepalive_timer: no probes while data is outstanding or queued.
  if (ep.sndMax !== ep.sndUna || ep.sndBuf.length > 0) {
    ep.keepAt = now + k.idle;
    return;
  }
  const idle = now - ep.lastRcvTime;
  if (idle < k.idle) {
    ep.keepAt = ep.lastRcvTime + k.idle;
    return;
  }
  if (ep.keepProbes >= k.cnt) {
    mib.TCPAbortOnTimeout++;
    sendRst(ep);
    ep.drop('ETIMEDOUT');
    return;
  }
  // <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK>: outside the window, so the peer must answer.
  mib.TCPKeepAlive++;
  ep.keepProbes++;
  transmit(ep, makeSegment(ep, seqAdd(ep.sndUna, -1), TcpFlag.ACK, EMPTY));
  ep.keepAt = now + k.intvl;
}

export function setCloseTimer(ep: TcpEndpoint, at: Time): void {
  ep.closeAt = at;
}

function closeTimeout(ep: TcpEndpoint): void {
  if (ep.state === TcpState.TIME_WAIT) {
    ep.stack.mib.TW++;
    ep.drop(null);
  } else if (ep.state === TcpState.FIN_WAIT_2 && ep.orphan) {
    ep.drop(null);
  }
}
