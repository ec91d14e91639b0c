/**
 * SEGMENT ARRIVES for a connection that has a TCB (RFC 9293 §3.10.7.3-4), in the RFC's
 * order: PAWS (RFC 7323 §5.3), sequence number, RST (with RFC 5961 §3), SYN (RFC 5961 §4),
 * ACK (RFC 5961 §5), URG, segment text, FIN. LISTEN is in listen.ts, CLOSED in stack.ts.
 */
import { seqAdd, seqDiff, seqLe, seqLt, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { becomeEstablished, sendSynAck, synSentInput } from './connect.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { readOptions, type ReceivedOptions } from './options.ts';
import { acceptText, acceptWnd } from './rcv.ts';
import { ackAcceptable, output, processAck, sendAck } from './snd.ts';
import { TcpState, acceptsText } from './state.ts';
import { setCloseTimer } from './timer.ts';

const EMPTY = new Uint8Array(0);
/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid. */
const PAWS_IDLE = 24 * 24 * 3600 * 1e9;

/**
 * §3.10.7.4 acceptability test, with the leniency both stacks share: a zero-length segment
 * at exactly RCV.NXT+RCV.WND passes (Linux tcp_sequence, BSD trims nothing); with
 * `rightEdgeData` (Linux) a data segment starting there passes too, its text then trimmed.
 */
export function seqAcceptable(s: Seq, len: number, rcvNxt: Seq, wnd: number, rightEdgeData = false): boolean {
  if (len === 0) {
    if (wnd === 0) return s === rcvNxt;
    return seqLe(rcvNxt, s) && seqDiff(s, rcvNxt) <= wnd;
  }
  if (wnd === 0) return false;
  const last = seqAdd(s, len - 1);
  const firstIn = seqLe(rcvNxt, s) && (seqDiff(s, rcvNxt) < wnd || (rightEdgeData && seqDiff(s, rcvNxt) === wnd));
  return firstIn || (seqLe(rcvNxt, last) && seqDiff(last, rcvNxt) < wnd);
}

export function segmentArrives(ep: TcpEndpoint, seg: TcpRepr): void {
  const stack = ep.stack;
  const mib = stack.mib;
  const p = ep.profile;
  const now = stack.now;
  const o = readOptions(seg.options, stack.scratchOptions);
  const f = seg.flags;
  ep.segsIn++;

  if (ep.state === TcpState.SYN_SENT) {
    if (synSentInput(ep, seg, o)) {
      // Data or FIN on the SYN/ACK continues at the sixth step (§3.10.7.3).
      textAndFin(ep, seg, o, seqAdd(seg.seq, 1), seg.payload, (f & TcpFlag.FIN) !== 0);
    }
    return;
  }

  const syn = (f & TcpFlag.SYN) !== 0;
  const rst = (f & TcpFlag.RST) !== 0;
  let fin = (f & TcpFlag.FIN) !== 0;
  let payload = seg.payload;

  if (ep.state === TcpState.TIME_WAIT) return timeWaitInput(ep, seg, o);

  // A retransmitted SYN while we wait for the final ACK: repeat the SYN/ACK.
  if (ep.state === TcpState.SYN_RECEIVED && syn && !(f & TcpFlag.ACK) && !rst && seg.seq === ep.irs) {
    if (stack.oowAllowed(ep, false)) sendSynAck(ep);
    return;
  }

  // RFC 7323 §5.3 PAWS, before the sequence number check (R1-R3).
  if (ep.tsOn && !rst) {
    if (!o.hasTs) {
      if (p.dropMissingTs) {
        mib.TCPMissingTsDrop++;
        return;
      }
    } else if (((o.tsVal - ep.tsRecent) | 0) < 0 && now - ep.tsRecentAge < PAWS_IDLE) {
      mib.PAWSEstab++;
      oldData(ep, seg.seq, payload.length);
      stack.oowAck(ep, payload.length > 0, 'paws');
      return;
    }
  }

  // Linux tcp_reset_check: after the peer's FIN, a RST at RCV.NXT-1 is as good as exact.
  if (rst && p.rstAtFinMinus1 && seg.seq === seqAdd(ep.rcvNxt, -1) && afterPeerFin(ep.state)) {
    resetArrived(ep);
    return;
  }

  // First: sequence number.
  const segLen = payload.length + (syn ? 1 : 0) + (fin ? 1 : 0);
  const wnd = acceptWnd(ep);
  // BSD tests a RST strictly inside the window before anything else (tcp_do_segment:
  // SEQ_LT(th_seq, last_ack_sent + rcv_wnd)); one at the right edge is dropped silently.
  if (rst && p.rstRightEdgeStrict && wnd > 0 && seqDiff(seg.seq, ep.rcvNxt) >= wnd) return;
  // BSD trims against the window by payload alone: a FIN just past the last byte still fits.
  const testLen = fin && !p.windowTestCountsFin ? segLen - 1 : segLen;
  if (!seqAcceptable(seg.seq, testLen, ep.rcvNxt, wnd, p.rightEdgeData)) {
    if (wnd === 0 && seg.seq === ep.rcvNxt && !syn) {
      // §3.10.7.4: with a zero window, still process the ACK, URG and RST of the segment.
      if (payload.length > 0) mib.TCPZeroWindowDrop++;
      payload = EMPTY;
      fin = false;
      ep.ackNow = true;
    } else if (!rst && !syn && oldButUseful(ep, seg.seq, segLen)) {
      // Left of the window, yet the stacks still take its ACK (a repeated FIN in a
      // simultaneous close must not go unheard); its text is a duplicate: ACK at once.
      oldData(ep, seg.seq, payload.length);
      payload = EMPTY;
      fin = false;
      ep.ackNow = true;
    } else {
      if (rst) return;
      if (syn && p.rfc5961) {
        mib.TCPSYNChallenge++;
        stack.challengeAck(ep, false);
        return;
      }
      oldData(ep, seg.seq, payload.length);
      stack.oowAck(ep, payload.length > 0, 'seq');
      return;
    }
  }

  // RFC 7323 §4.3: remember the peer's timestamp for echoing.
  if (ep.tsOn && o.hasTs && seqLe(seg.seq, ep.lastAckSent) && ((o.tsVal - ep.tsRecent) | 0) >= 0) {
    ep.tsRecent = o.tsVal;
    ep.tsRecentAge = now;
  }
  ep.lastRcvTime = now;
  ep.keepProbes = 0;

  // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge ACK).
  if (rst) {
    const embryoRule = ep.state === TcpState.SYN_RECEIVED && ep.passive && p.synRcvdRstInWindow;
    if (!p.rfc5961 || seg.seq === ep.rcvNxt || embryoRule) resetArrived(ep);
    else stack.challengeAck(ep, false);
    return;
  }

  // Fourth: SYN in a synchronized state (RFC 5961 §4.2: always a challenge ACK).
  if (syn) {
    if (p.rfc5961) {
      mib.TCPSYNChallenge++;
      stack.challengeAck(ep, false);
    } else {
      ep.abortWithRst('ECONNRESET');
    }
    return;
  }

  // Fifth: ACK.
  if (!(f & TcpFlag.ACK)) return;
  if (ep.state === TcpState.SYN_RECEIVED) {
    if (!ackAcceptable(ep, seg.ack)) {
      stack.replyRst(ep.localAddr, ep.remoteAddr, seg);
      return;
    }
    const l = ep.listener;
    if (ep.passive && l && l.acceptQueueFull()) {
      mib.ListenOverflows++;
      mib.ListenDrops++;
      if (p.abortOnOverflow) {
        stack.replyRst(ep.localAddr, ep.remoteAddr, seg);
        ep.drop(null);
      }
      return;
    }
    ep.sndUna = seqAdd(ep.iss, 1);
    ep.sndWnd = seg.window << ep.sndWscale;
    ep.maxSndWnd = ep.sndWnd;
    ep.sndWl1 = seg.seq;
    ep.sndWl2 = seg.ack;
    becomeEstablished(ep);
    if (ep.passive && l) l.childEstablished(ep);
    else stack.post(ep, 'established');
    if (ep.finQueued) stack.setState(ep, TcpState.FIN_WAIT_1);
  }
  if (!processAck(ep, seg, o, payload.length)) return;
  if (ep.state === TcpState.CLOSED) return;
  const finAcked = ep.finSent && ep.sndUna === ep.sndMax;
  switch (ep.state) {
    case TcpState.FIN_WAIT_1:
      if (finAcked) {
        stack.setState(ep, TcpState.FIN_WAIT_2);
        if (ep.orphan) setCloseTimer(ep, now + ep.finWait2Timeout());
      }
      break;
    case TcpState.CLOSING:
      if (finAcked) enterTimeWait(ep);
      break;
    case TcpState.LAST_ACK:
      if (finAcked) {
        ep.drop(null);
        return;
      }
      break;
    default:
      break;
  }

  // Sixth: URG — parsed and kept; the data stays inline (SO_OOBINLINE behaviour).
  if (f & TcpFlag.URG && acceptsText(ep.state)) {
    const up = seqAdd(seg.seq, seg.urgent);
    if (!ep.hasUrgent || seqLt(ep.rcvUp, up)) ep.rcvUp = up;
    ep.hasUrgent = true;
    mib.TCPUrgentSeen++;
  }

  textAndFin(ep, seg, o, seg.seq, payload, fin);
}

/** RFC 2883 §4.1: report data below RCV.NXT that arrived again in a D-SACK block (Linux tcp_send_dupack). */
function oldData(ep: TcpEndpoint, s: Seq, len: number): void {
  if (len === 0 || !seqLt(s, ep.rcvNxt) || !ep.sackOn || !ep.profile.dsack) return;
  const end = seqAdd(s, len);
  ep.dsack = { left: s, right: seqLt(end, ep.rcvNxt) ? end : ep.rcvNxt };
  ep.stack.mib.TCPDSACKOldSent++;
}

/** Seventh and eighth steps: segment text, then FIN. Ends by sending what is due. */
function textAndFin(ep: TcpEndpoint, seg: TcpRepr, o: ReceivedOptions, start: Seq, payload: Uint8Array, finFlag: boolean): void {
  const stack = ep.stack;
  let s = start;
  let data = payload;
  let fin = finFlag;
  // Trim what lies before RCV.NXT (reporting it as D-SACK) and beyond the window.
  const skip = seqDiff(ep.rcvNxt, s);
  if (skip > 0) {
    const dup = Math.min(skip, data.length);
    if (dup > 0 && ep.sackOn && ep.profile.dsack) {
      ep.dsack = { left: s, right: seqAdd(s, dup) };
      stack.mib.TCPDSACKOldSent++;
    }
    // Text we already had: tell the sender at once (Linux out_of_window, BSD TF_ACKNOW).
    if (dup > 0) ep.ackNow = true;
    if (skip > data.length) fin = false;
    data = data.subarray(Math.min(skip, data.length));
    s = ep.rcvNxt;
  }
  const room = seqDiff(seqAdd(ep.rcvNxt, acceptWnd(ep)), s);
  if (data.length > room) {
    // Text beyond the window is dropped; in a state that takes text, say so with an ACK.
    if (room <= 0 && acceptsText(ep.state)) ep.ackNow = true;
    data = data.subarray(0, Math.max(0, room));
    fin = false;
  }
  if ((data.length > 0 || fin) && acceptsText(ep.state)) {
    if (ep.orphan && data.length > 0) {
      // Data for a socket nobody will read: the connection goes, and the segment is answered
      // as if it had found none, <SEQ=SEG.ACK><CTL=RST> (Linux TCPAbortOnData then
      // tcp_v4_send_reset; BSD tcps_rcvafterclose, tcp_close, dropwithreset).
      stack.mib.TCPAbortOnData++;
      if (ep.state === TcpState.ESTABLISHED || ep.state === TcpState.CLOSE_WAIT) stack.mib.EstabResets++;
      const local = ep.localAddr;
      const remote = ep.remoteAddr;
      ep.drop(null);
      stack.replyRst(local, remote, seg);
      return;
    }
    const finNow = acceptText(ep, s, data, fin, o.tsEcr);
    if (finNow) finArrived(ep);
  }
  // Text and FIN after the peer's FIN (CLOSE-WAIT, CLOSING, LAST-ACK) are ignored, silently.
  if (ep.state !== TcpState.CLOSED) output(ep);
}

/** Eighth step: the peer's FIN, reached in sequence. */
function finArrived(ep: TcpEndpoint): void {
  const stack = ep.stack;
  ep.finReceived = true;
  ep.rcvNxt = seqAdd(ep.rcvNxt, 1);
  ep.ackNow = true;
  ep.reasm?.clear();
  stack.post(ep, 'peerClosed');
  switch (ep.state) {
    case TcpState.SYN_RECEIVED:
    case TcpState.ESTABLISHED:
      stack.setState(ep, TcpState.CLOSE_WAIT);
      break;
    case TcpState.FIN_WAIT_1:
      if (ep.finSent && ep.sndUna === ep.sndMax) enterTimeWait(ep);
      else stack.setState(ep, TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT_2:
      enterTimeWait(ep);
      break;
    default:
      break;
  }
}

/** TIME-WAIT: hold the TCB for the profile's 2*MSL, freeing everything else now. */
export function enterTimeWait(ep: TcpEndpoint): void {
  const now = ep.stack.now;
  ep.stack.setState(ep, TcpState.TIME_WAIT);
  ep.rtoAt = Number.POSITIVE_INFINITY;
  ep.persistAt = Number.POSITIVE_INFINITY;
  ep.keepAt = Number.POSITIVE_INFINITY;
  ep.sndBuf.clear();
  ep.reasm = null;
  ep.sackBoard = null;
  setCloseTimer(ep, now + ep.profile.timeWait);
}

/** The profile's oldSegmentRule (see profile.ts) for a segment that failed the window test. */
function oldButUseful(ep: TcpEndpoint, s: Seq, len: number): boolean {
  const end = seqAdd(s, len);
  if (!seqLt(s, ep.rcvNxt)) return false;
  if (ep.profile.oldSegmentRule === 'rcv-wup') return len > 0 && seqLe(ep.lastAckSent, end);
  return seqLe(end, ep.rcvNxt);
}

function afterPeerFin(s: TcpState): boolean {
  return s === TcpState.CLOSE_WAIT || s === TcpState.LAST_ACK || s === TcpState.CLOSING;
}

/**
 * TIME-WAIT (§3.10.7.4 for TIME-WAIT, as the stacks do it). Linux tcp_timewait_state_process:
 * a bare ACK or RST exactly at RCV.NXT is taken (ACK restarts 2MSL, RST kills unless
 * rfc1337); any other non-RST segment is ACKed (rate-limited) and, when it has an ACK,
 * restarts 2MSL; other RSTs are ignored. FreeBSD tcp_twcheck: RSTs and segments without ACK
 * are dropped; a retransmitted FIN restarts 2MSL; all but an exact duplicate ACK is ACKed.
 */
function timeWaitInput(ep: TcpEndpoint, seg: TcpRepr, o: ReceivedOptions): void {
  const stack = ep.stack;
  const p = ep.profile;
  const now = stack.now;
  const f = seg.flags;
  const rst = (f & TcpFlag.RST) !== 0;
  const hasAck = (f & TcpFlag.ACK) !== 0;
  const len = seg.payload.length + (f & TcpFlag.SYN ? 1 : 0) + (f & TcpFlag.FIN ? 1 : 0);
  if (p.timeWaitStyle === 'freebsd') {
    if (rst) {
      if (!p.rfc1337 && seg.seq === ep.rcvNxt) {
        stack.mib.TWKilled++;
        ep.drop(null);
      } else {
        stack.mib.TCPRSTIgnoredTimeWait++;
      }
      return;
    }
    if (!hasAck) return;
    if (f & TcpFlag.FIN && seqAdd(seg.seq, seg.payload.length + 1) === ep.rcvNxt) setCloseTimer(ep, now + p.timeWait);
    const dupAck = f === TcpFlag.ACK && seg.payload.length === 0 && seg.seq === ep.rcvNxt && seg.ack === ep.sndMax;
    if (!dupAck) sendAck(ep);
    return;
  }
  const pawsReject = ep.tsOn && o.hasTs && ((o.tsVal - ep.tsRecent) | 0) < 0 && now - ep.tsRecentAge < PAWS_IDLE;
  if (!pawsReject && seg.seq === ep.rcvNxt && (len === 0 || rst)) {
    if (rst) {
      if (p.rfc1337) {
        stack.mib.TCPRSTIgnoredTimeWait++;
        return;
      }
      stack.mib.TWKilled++;
      ep.drop(null);
      return;
    }
    setCloseTimer(ep, now + p.timeWait);
    if (o.hasTs && ep.tsOn) {
      ep.tsRecent = o.tsVal;
      ep.tsRecentAge = now;
    }
    return;
  }
  if (rst) return;
  if (pawsReject) stack.mib.PAWSEstab++;
  if (pawsReject || hasAck) setCloseTimer(ep, now + p.timeWait);
  stack.oowAck(ep, false, pawsReject ? 'paws' : 'seq');
}

/** A valid RST arrived (§3.10.7.4 second step). */
function resetArrived(ep: TcpEndpoint): void {
  const mib = ep.stack.mib;
  switch (ep.state) {
    case TcpState.SYN_RECEIVED:
      mib.AttemptFails++;
      // A passive open returns to LISTEN (the embryonic TCB goes); an active one is refused.
      ep.drop(ep.passive ? null : 'ECONNREFUSED');
      return;
    case TcpState.ESTABLISHED:
    case TcpState.CLOSE_WAIT:
      mib.EstabResets++;
      ep.drop('ECONNRESET');
      return;
    case TcpState.FIN_WAIT_1:
    case TcpState.FIN_WAIT_2:
      ep.drop('ECONNRESET');
      return;
    case TcpState.TIME_WAIT:
      if (ep.profile.rfc1337) {
        mib.TCPRSTIgnoredTimeWait++;
        return;
      }
      mib.TWKilled++;
      ep.drop(null);
      return;
    default:
      ep.drop(null);
  }
}
