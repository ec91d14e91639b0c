/**
 * Loss recovery: duplicate-ACK counting and limited transmit (RFC 5681 §3.2, RFC 3042),
 * fast retransmit with NewReno partial-ACK handling (RFC 6582), and — when SACK was
 * negotiated — the conservative SACK-based recovery of RFC 6675 (pipe, NextSeg) on the
 * scoreboard. The congestion-control module only supplies the window arithmetic.
 */
import { seqDiff, seqGe, seqGt, type Seq } from '../../lib/wire/seq.ts';
import type { TcpEndpoint } from './endpoint.ts';
import type { ReceivedOptions } from './options.ts';
import { SackScoreboard, type SackUpdate } from './sack-scoreboard.ts';
import { output, retransmitAt } from './snd.ts';

/** Bytes in flight during SACK recovery (RFC 6675 SetPipe). */
export function sackInFlight(ep: TcpEndpoint): number {
  const b = ep.sackBoard;
  if (!b) return seqDiff(ep.sndNxt, ep.sndUna);
  return b.pipe(ep.sndUna, ep.sndMax, ep.sndMss, ep.profile.dupThresh);
}

/** RFC 3042: the first two duplicate ACKs each allow one new segment beyond cwnd. */
export function limitedTransmitAllowance(ep: TcpEndpoint): number {
  if (ep.inRecovery || ep.dupAcks === 0) return 0;
  return Math.min(ep.dupAcks, 2) * ep.sndMss;
}

function board(ep: TcpEndpoint): SackScoreboard {
  if (!ep.sackBoard) ep.sackBoard = new SackScoreboard(ep.sndUna);
  return ep.sackBoard;
}

/** Merge an ACK's SACK blocks into the scoreboard; returns the update (D-SACK counted). */
export function absorbSack(ep: TcpEndpoint, opts: ReceivedOptions): SackUpdate | null {
  if (!ep.sackOn || !opts.sack) return null;
  const u = board(ep).update(opts.sack, opts.ackSeen, ep.sndUna, ep.sndMax);
  if (u.dsack) ep.stack.mib.TCPDSACKRecv++;
  return u;
}

/** A duplicate ACK (RFC 5681 §2 definition, or one carrying new SACK information). */
export function onDupAck(ep: TcpEndpoint, sack: SackUpdate | null): void {
  // A D-SACK alone reports a spurious retransmission, not a loss.
  if (sack && sack.dsack && sack.newlySacked === 0) return;
  ep.dupAcks++;
  if (ep.inRecovery) {
    if (ep.sackOn) {
      sackRecoverySend(ep);
    } else {
      // RFC 6582 §3.2 step 4 / RFC 5681: inflate by one segment per further duplicate.
      ep.cc.cwnd += ep.sndMss;
      output(ep);
    }
    return;
  }
  const lost = ep.sackOn && ep.sackBoard !== null && ep.sackBoard.isLost(ep.sndUna, ep.sndMss, ep.profile.dupThresh);
  if (ep.dupAcks >= ep.profile.dupThresh || lost) {
    enterRecovery(ep);
    return;
  }
  // RFC 3042 limited transmit.
  output(ep);
}

/** RFC 6582 §3.2 steps 1-2 (and RFC 6675 §5 for SACK): start fast retransmit. */
function enterRecovery(ep: TcpEndpoint): void {
  // Step 1: do not start a new recovery for losses of the window already being recovered.
  if (!seqGt(ep.sndUna, ep.recover) && ep.recover !== ep.iss) {
    return;
  }
  const mib = ep.stack.mib;
  const mss = ep.sndMss;
  const flight = seqDiff(ep.sndMax, ep.sndUna);
  ep.cc.onCongestion(flight, mss, ep.stack.now);
  ep.recover = ep.sndMax;
  ep.inRecovery = true;
  ep.partialAcks = 0;
  ep.rttSeq = -1;
  mib.TCPFastRetrans++;
  if (ep.sackOn) {
    mib.TCPSackRecovery++;
    const b = board(ep);
    b.highRxt = ep.sndUna;
    ep.cc.cwnd = ep.cc.ssthresh;
    // RFC 6675 §5 step 4.3: retransmit the first segment at once.
    const n = retransmitAt(ep, ep.sndUna, Math.min(mss, holeLen(ep)));
    b.markRetransmitted(ep.sndUna, n);
    sackRecoverySend(ep);
  } else {
    mib.TCPRenoRecovery++;
    retransmitAt(ep, ep.sndUna, mss);
    ep.cc.cwnd = ep.cc.ssthresh + ep.profile.dupThresh * mss;
    output(ep);
  }
}

/** Length of the unSACKed range that starts at SND.UNA. */
function holeLen(ep: TcpEndpoint): number {
  const next = ep.sackBoard?.nextSackedAfter(ep.sndUna);
  return next ? seqDiff(next, ep.sndUna) : seqDiff(ep.sndMax, ep.sndUna);
}

/** RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, send NextSeg. */
function sackRecoverySend(ep: TcpEndpoint): void {
  const b = board(ep);
  const mss = ep.sndMss;
  const dupThresh = ep.profile.dupThresh;
  for (let guard = 0; guard < 1024; guard++) {
    const pipe = b.pipe(ep.sndUna, ep.sndMax, mss, dupThresh);
    if (ep.cc.cwnd - pipe < mss) break;
    const next = b.nextLost(ep.sndUna, mss, dupThresh);
    if (!next) break;
    const n = retransmitAt(ep, next.seq, next.len);
    if (n === 0) break;
    b.markRetransmitted(next.seq, n);
  }
  // Rule 2 of NextSeg: new data, within what pipe leaves of cwnd.
  output(ep);
}

/** SND.UNA advanced by `acked` bytes to `ack`. */
export function onNewAck(ep: TcpEndpoint, acked: number, ack: Seq): void {
  const mss = ep.sndMss;
  if (!ep.inRecovery) {
    ep.dupAcks = 0;
    ep.cc.onAck(acked, mss, cwndLimited(ep), ep.stack.now);
    return;
  }
  if (seqGe(ack, ep.recover)) {
    // Full acknowledgment: leave recovery (RFC 6582 §3.2 step 3).
    ep.inRecovery = false;
    ep.dupAcks = 0;
    ep.cc.onRecoveryExit(seqDiff(ep.sndMax, ack), mss);
    return;
  }
  // Partial acknowledgment (RFC 6582 §3.2 step 3, "impatient": only the first restarts the timer).
  ep.partialAcks++;
  if (ep.partialAcks > 1) ep.holdRto = true;
  if (ep.sackOn) {
    sackRecoverySend(ep);
    return;
  }
  retransmitAt(ep, ep.sndUna, mss);
  ep.cc.cwnd = Math.max(mss, ep.cc.cwnd - acked + (acked >= mss ? mss : 0));
  output(ep);
}

/**
 * Was the sender using its window (RFC 7661)? In slow start, Linux tcp_is_cwnd_limited:
 * cwnd below twice the most data in flight during the last round trip.
 */
function cwndLimited(ep: TcpEndpoint): boolean {
  const cwnd = ep.cc.cwnd;
  if (cwnd < ep.cc.ssthresh) return cwnd < 2 * ep.maxFlight;
  return ep.maxFlight + ep.sndMss >= cwnd;
}

/** RTO fired (RFC 5681 §3.1, RFC 6582 §3.2 step 4, RFC 6298 §5.4-5.6): go back to SND.UNA. */
export function onRetransmitTimeout(ep: TcpEndpoint): void {
  const mss = ep.sndMss;
  const flight = seqDiff(ep.sndMax, ep.sndUna);
  if (ep.retransmits === 1) ep.cc.onRto(flight, mss);
  else ep.cc.cwnd = mss;
  ep.recover = ep.sndMax;
  ep.inRecovery = false;
  ep.dupAcks = 0;
  ep.rttSeq = -1;
  // RFC 2018 §8 / RFC 6675 §5.1: the receiver may have reneged; start from SND.UNA afresh.
  ep.sackBoard?.clear(ep.sndUna);
  ep.sndNxt = ep.sndUna;
}
