/**
 * The send side: building segments, the output loop (segmentation to the MSS, the send and
 * congestion windows, Nagle's algorithm and sender SWS avoidance, RFC 9293 §3.7.4 and
 * §3.8.6.2.1), and processing the ACK field of arriving segments (§3.10.7.4 fifth step,
 * with the RFC 5961 §5.2 acceptability test).
 */
import type { Time } from '../../lib/sim/time.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { NO_OPTIONS, segmentOptions, type ReceivedOptions, type SackBlock } from './options.ts';
import { sackBlocks, sackOptionBytes, tsNow, windowField } from './rcv.ts';
import { absorbSack, onDupAck, onNewAck, limitedTransmitAllowance, sackInFlight } from './recovery.ts';
import { TcpState } from './state.ts';
import { armPersist } from './timer.ts';

const NEVER = Number.POSITIVE_INFINITY;
const EMPTY = new Uint8Array(0);

/**
 * Build a non-SYN segment from the TCB (ACK, window, timestamp and SACK options). `sack` are
 * blocks already chosen (to size the payload); by default they are chosen here.
 */
export function makeSegment(ep: TcpEndpoint, s: Seq, flags: number, payload: Uint8Array, sack: SackBlock[] | null | undefined = undefined): TcpRepr {
  const ack = (flags & TcpFlag.ACK) !== 0;
  if (sack === undefined) sack = ack ? sackBlocks(ep) : null;
  const stack = ep.stack;
  const repr = stack.newSegment();
  repr.srcPort = ep.localPort;
  repr.dstPort = ep.remotePort;
  repr.seq = s;
  repr.ack = ack ? ep.rcvNxt : (0 as Seq);
  repr.flags = flags;
  repr.window = windowField(ep);
  repr.urgent = 0;
  repr.options = ep.tsOn || sack ? stack.segmentOptions(tsNow(ep), ep.tsRecent, ep.tsOn, sack) : NO_OPTIONS;
  repr.payload = payload;
  if (sack !== null) ep.dsack = null;
  if (ack) {
    ep.lastAckSent = ep.rcvNxt;
    ep.ackNow = false;
    ep.delackAt = NEVER;
    ep.unackedBytes = 0;
    ep.unackedSegs = 0;
  }
  return repr;
}

export function transmit(ep: TcpEndpoint, repr: TcpRepr): void {
  ep.segsOut++;
  ep.stack.transmit(ep, repr);
}

/**
 * A bare ACK (SEQ = SND.MAX as both BSD and Linux send it). With `ackRepeatsFin` (BSD), while
 * our FIN is outstanding the ACK is the FIN again: SEQ = the FIN's sequence number — unless
 * `plain` (BSD tcp_respond, used for challenge ACKs, never carries a FIN).
 */
export function sendAck(ep: TcpEndpoint, plain = false): void {
  if (!plain && ep.profile.ackRepeatsFin && ep.finSent && ep.sndNxt === ep.sndMax && seqLt(ep.sndUna, ep.sndMax) && finOutstanding(ep.state)) {
    transmit(ep, makeSegment(ep, seqAdd(ep.sndMax, -1), TcpFlag.ACK | TcpFlag.FIN, EMPTY));
    return;
  }
  transmit(ep, makeSegment(ep, ep.sndMax, TcpFlag.ACK, EMPTY));
}

function finOutstanding(st: TcpState): boolean {
  return st === TcpState.FIN_WAIT_1 || st === TcpState.CLOSING || st === TcpState.LAST_ACK;
}

/** RST for an established connection being aborted: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>. */
export function sendRst(ep: TcpEndpoint): void {
  const p = ep.profile;
  const repr: TcpRepr = {
    srcPort: ep.localPort,
    dstPort: ep.remotePort,
    seq: ep.sndMax,
    ack: ep.rcvNxt,
    flags: TcpFlag.RST | TcpFlag.ACK,
    window: ep.state === TcpState.SYN_RECEIVED ? 0 : windowField(ep),
    urgent: 0,
    options: ep.tsOn && p.tsOnRst ? segmentOptions(tsNow(ep), ep.tsRecent, true, null) : NO_OPTIONS,
    payload: EMPTY,
  };
  ep.stack.mib.OutRsts++;
  transmit(ep, repr);
}

/** Offset into the send buffer of sequence number `s`. */
export function dataOffset(ep: TcpEndpoint, s: Seq): number {
  return seqDiff(s, ep.sndUna) - (ep.synPending() ? 1 : 0);
}

/** States in which data and FIN may be (re)transmitted. */
function mayTransmit(st: TcpState): boolean {
  return (
    st === TcpState.ESTABLISHED ||
    st === TcpState.CLOSE_WAIT ||
    st === TcpState.FIN_WAIT_1 ||
    st === TcpState.CLOSING ||
    st === TcpState.LAST_ACK
  );
}

/**
 * Send what the windows, Nagle and SWS avoidance allow, then a bare ACK if one is owed.
 * `forceLen` > 0 sends one segment of up to that many bytes even into a closed window
 * (retransmission timeout, persist probe, SWS override).
 */
export function output(ep: TcpEndpoint, forceLen = 0): void {
  const st = ep.state;
  if (!mayTransmit(st)) {
    if (ep.ackNow && (st === TcpState.TIME_WAIT || st === TcpState.FIN_WAIT_2)) sendAck(ep);
    return;
  }
  const now = ep.stack.now;
  // RFC 5681 §4.1: restart from the initial window after an idle period longer than the RTO.
  if (ep.sndNxt === ep.sndUna && ep.sndBuf.length > 0 && ep.lastSndTime > 0 && now - ep.lastSndTime > ep.rtt.rto(ep.profile)) {
    ep.cc.onIdleRestart(ep.profile.initialCwnd * ep.sndMss);
    ep.lastSndTime = now;
  }
  const dataEnd = ep.dataEnd();
  // BSD tcp_output judges Nagle's idleness once, before its sendalot loop.
  const idleAtCall = ep.sndMax === ep.sndUna;
  for (let budget = 1 << 16; budget > 0; budget--) {
    // RFC 6691: the data shrinks by the option bytes a segment carries beyond the timestamp.
    const sack = sackBlocks(ep);
    const mss = ep.sndMss - sackOptionBytes(sack);
    const off = dataOffset(ep, ep.sndNxt);
    const avail = Math.max(0, ep.sndBuf.length - off);
    const flight = ep.inRecovery && ep.sackOn ? sackInFlight(ep) : seqDiff(ep.sndNxt, ep.sndUna);
    const cwnd = ep.cc.cwnd + limitedTransmitAllowance(ep);
    const force = forceLen > 0;
    let usable = Math.min(ep.sndWnd - seqDiff(ep.sndNxt, ep.sndUna), cwnd - flight);
    if (force && usable < forceLen) usable = forceLen;
    let len = Math.min(avail, mss, Math.max(0, usable));
    const fin = ep.finQueued && seqAdd(ep.sndNxt, len) === dataEnd;
    let go = false;
    if (len > 0) {
      if (len === mss) go = true;
      else if (len === avail && (ep.nodelay || fin || !nagleHolds(ep, idleAtCall))) go = true;
      else if (ep.maxSndWnd > 0 && len >= ep.maxSndWnd / 2) go = true;
      else if (force) go = true;
    } else if (fin && (usable >= 0 || force || ep.sndWnd === 0)) {
      go = true;
    }
    if (!go) break;
    if (ep.sackBoard && seqLt(ep.sndNxt, ep.sndMax) && !force) {
      // Re-sending after a timeout: skip what the receiver already holds.
      const skip = ep.sackBoard.skipSacked(ep.sndNxt);
      if (skip !== ep.sndNxt) {
        ep.sndNxt = seqMin(skip, ep.sndMax);
        continue;
      }
      const nextSacked = ep.sackBoard.nextSackedAfter(ep.sndNxt);
      if (nextSacked && len > seqDiff(nextSacked, ep.sndNxt)) len = seqDiff(nextSacked, ep.sndNxt);
    }
    sendData(ep, ep.sndNxt, len, fin && seqAdd(ep.sndNxt, len) === dataEnd, now, sack);
    forceLen = 0;
  }
  if (ep.ackNow) sendAck(ep);
  armPersist(ep);
}

/**
 * Nagle (RFC 9293 §3.7.4): hold a short segment while data (Minshall: a short segment) is
 * unacknowledged. With nagleIdlePerCall the connection counts as idle for the whole output
 * call if nothing was outstanding when it began (`idleAtCall`), so a write's short tail
 * follows its full segments at once.
 */
function nagleHolds(ep: TcpEndpoint, idleAtCall: boolean): boolean {
  if (ep.sndNxt === ep.sndUna) return false;
  const p = ep.profile;
  if (p.nagleIdlePerCall && idleAtCall) return false;
  if (p.nagleMinshall) return seqGt(ep.sndSml, ep.sndUna);
  return true;
}

/** Transmit [s, s+len) (+FIN) from the send buffer and advance SND.NXT/SND.MAX. */
function sendData(ep: TcpEndpoint, s: Seq, len: number, fin: boolean, now: Time, sack: SackBlock[] | null): void {
  const off = dataOffset(ep, s);
  const payload = ep.sndBuf.slice(off, len);
  let flags = TcpFlag.ACK;
  if (len > 0 && off + len === ep.sndBuf.length) flags |= TcpFlag.PSH;
  if (fin) flags |= TcpFlag.FIN;
  const retrans = seqLt(s, ep.sndMax);
  transmit(ep, makeSegment(ep, s, flags, payload, sack));
  if (retrans) {
    ep.stack.mib.RetransSegs++;
    ep.totalRetrans++;
    if (s === ep.sndUna) ep.rtxSegEnd = seqAdd(s, len + (fin ? 1 : 0));
  } else if (ep.rttSeq < 0 && (len > 0 || fin)) {
    ep.rttSeq = s;
    ep.rttTime = now;
  }
  if (len > 0) ep.dataSegsOut++;
  if (len > 0 && len < ep.sndMss) ep.sndSml = seqAdd(s, len);
  ep.sndNxt = seqAdd(s, len + (fin ? 1 : 0));
  if (seqGt(ep.sndNxt, ep.sndMax)) ep.sndMax = ep.sndNxt;
  // Linux tcp_cwnd_validate: the most in flight during the current round trip.
  const flight = seqDiff(ep.sndNxt, ep.sndUna);
  if (seqGe(ep.sndUna, ep.maxFlightSeq) || flight > ep.maxFlight) {
    ep.maxFlight = flight;
    ep.maxFlightSeq = ep.sndNxt;
  }
  if (fin) ep.finSent = true;
  ep.lastSndTime = now;
  if (ep.rtoAt === NEVER) ep.rtoAt = now + ep.rtt.rto(ep.profile);
  ep.persistAt = NEVER;
}

/** Retransmit up to `len` bytes at `s` without moving SND.NXT (fast retransmit, SACK recovery). */
export function retransmitAt(ep: TcpEndpoint, s: Seq, len: number): number {
  const dataEnd = ep.dataEnd();
  const off = dataOffset(ep, s);
  const sack = sackBlocks(ep);
  const n = Math.max(0, Math.min(len, ep.sndMss - sackOptionBytes(sack), ep.sndBuf.length - off));
  const fin = ep.finSent && seqAdd(s, n) === dataEnd && seqLt(dataEnd, ep.sndMax);
  if (n === 0 && !fin) return 0;
  let flags = TcpFlag.ACK;
  if (n > 0 && off + n === ep.sndBuf.length) flags |= TcpFlag.PSH;
  if (fin) flags |= TcpFlag.FIN;
  transmit(ep, makeSegment(ep, s, flags, ep.sndBuf.slice(off, n), sack));
  ep.stack.mib.RetransSegs++;
  ep.totalRetrans++;
  if (s === ep.sndUna) ep.rtxSegEnd = seqAdd(s, n + (fin ? 1 : 0));
  // Karn: a retransmitted range can no longer be timed.
  if (ep.rttSeq >= 0 && seqLe(s, ep.rttSeq as Seq)) ep.rttSeq = -1;
  const now = ep.stack.now;
  ep.lastSndTime = now;
  if (ep.rtoAt === NEVER) ep.rtoAt = now + ep.rtt.rto(ep.profile);
  return n + (fin ? 1 : 0);
}

/**
 * Fifth step of segment arrival for synchronized states: check and apply SEG.ACK.
 * Returns false when the segment must be dropped (an ACK for unsent data, or too old).
 */
export function processAck(ep: TcpEndpoint, seg: TcpRepr, opts: ReceivedOptions, segLen: number): boolean {
  const ack = seg.ack;
  const p = ep.profile;
  if (seqGt(ack, ep.sndMax)) {
    // §3.10.7.4: acks something not yet sent — ACK and drop (RFC 5961 §5.2: challenge ACK).
    ep.stack.challengeAck(ep, false);
    return false;
  }
  if (p.rfc5961 && seqLt(ack, seqAdd(ep.sndUna, -ep.maxSndWnd))) {
    ep.stack.challengeAck(ep, false);
    return false;
  }
  const acked = seqDiff(ack, ep.sndUna);
  const segWnd = seg.window << ep.sndWscale;
  opts.ackSeen = ack;
  const sack = acked >= 0 ? absorbSack(ep, opts) : null;
  if (acked > 0) {
    ackNewData(ep, ack, acked, opts);
  } else if (
    acked === 0 &&
    segLen === 0 &&
    ep.sndMax !== ep.sndUna &&
    (segWnd === ep.sndWnd || (sack !== null && sack.newlySacked > 0))
  ) {
    onDupAck(ep, sack);
  }
  // Window update (§3.10.7.4): only from a segment newer than the last one that set it.
  if (acked >= 0 && (seqLt(ep.sndWl1, seg.seq) || (ep.sndWl1 === seg.seq && seqLe(ep.sndWl2, ack)))) {
    const opened = segWnd > ep.sndWnd;
    ep.sndWnd = segWnd;
    ep.sndWl1 = seg.seq;
    ep.sndWl2 = ack;
    if (segWnd > ep.maxSndWnd) ep.maxSndWnd = segWnd;
    if (opened && segWnd > 0) {
      ep.persistAt = NEVER;
      ep.persistBackoff = 0;
    }
  }
  return true;
}

function ackNewData(ep: TcpEndpoint, ack: Seq, acked: number, opts: ReceivedOptions): void {
  const now = ep.stack.now;
  const dataEnd = ep.dataEnd();
  let dataBytes = acked;
  if (ep.synPending()) dataBytes--; // the SYN (SYN-RECEIVED → ESTABLISHED is handled by input.ts)
  const finAcked = ep.finSent && seqGt(ack, dataEnd);
  if (finAcked) dataBytes--;
  // Linux counts whole segments: an ACK inside the head retransmission acknowledges none.
  const inSegment = ep.rtxSegEnd >= 0 && seqLt(ack, ep.rtxSegEnd as Seq);
  if (!inSegment) ep.rtxSegEnd = -1;
  const counts = !inSegment || ep.profile.partialSegmentAckCounts;
  if (dataBytes > 0) ep.sndBuf.consume(dataBytes);
  ep.bytesAcked += Math.max(0, dataBytes);
  ep.sndUna = ack;
  if (seqLt(ep.sndNxt, ack)) ep.sndNxt = ack;
  ep.retransmits = 0;
  ep.persistProbes = 0;
  // RTT: a timed segment (Karn-safe), else the timestamp echo (RFC 7323 §4).
  if (!counts) {
    // Linux tcp_ack_update_rtt needs FLAG_ACKED; the timer keeps its backed-off deadline.
  } else if (ep.rttSeq >= 0 && seqGt(ack, ep.rttSeq as Seq)) {
    ep.rtt.sample(now - ep.rttTime, ep.profile);
    ep.rttSeq = -1;
  } else if (ep.tsOn && opts.hasTs && opts.tsEcr !== 0) {
    const ticks = (tsNow(ep) - opts.tsEcr) | 0;
    if (ticks >= 0 && ticks < 0x7fffffff) ep.rtt.sample((ticks * 1e9) / ep.profile.tsHz, ep.profile);
  }
  ep.sackBoard?.advance(ack);
  if (counts || ep.inRecovery) onNewAck(ep, acked, ack);
  else ep.dupAcks = 0;
  // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
  if (ep.sndUna === ep.sndMax) ep.rtoAt = NEVER;
  else if (!ep.holdRto && counts) ep.rtoAt = now + ep.rtt.rto(ep.profile);
  ep.holdRto = false;
  autotuneSend(ep);
  if (ep.writeBlocked && (ep.sendSpace >= ep.sndBufSize / 4 || ep.sndBuf.length === 0)) {
    ep.writeBlocked = false;
    ep.stack.post(ep, 'writable');
  }
  if (finAcked) ep.stack.post(ep, 'drained');
}

/** Let the send buffer follow the congestion window (Linux tcp_sndbuf_expand). */
function autotuneSend(ep: TcpEndpoint): void {
  const p = ep.profile;
  if (!p.sndBufAuto || ep.sndBufLocked) return;
  const want = Math.min(p.sndBufMax, 2 * Math.max(ep.cc.cwnd, ep.sndWnd));
  if (want > ep.sndBufSize) ep.sndBufSize = want;
}

/** SEG.ACK acceptable in SYN-RECEIVED / SYN-SENT: SND.UNA < SEG.ACK <= SND.NXT. */
export function ackAcceptable(ep: TcpEndpoint, ack: Seq): boolean {
  return seqLt(ep.sndUna, ack) && seqLe(ack, seqMax(ep.sndNxt, ep.sndMax));
}
