/**
 * The three-way handshake (RFC 9293 §3.5): the active OPEN (SYN-SENT), the passive side's
 * SYN-RECEIVED, simultaneous open, option negotiation (MSS §3.7.1, window scale and
 * timestamps RFC 7323 §2-3, SACK-permitted RFC 2018 §2) and the move to ESTABLISHED.
 */
import type { Time } from '../../lib/sim/time.ts';
import { seqAdd, seqGt, seqLe, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { algorithmFor } from './congestion/index.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { dataOptionBytes, synOptions, type ReceivedOptions } from './options.ts';
import { roundBuffersToMss, synWindow, tsNow } from './rcv.ts';
import { output, transmit } from './snd.ts';
import { TcpState } from './state.ts';
import { armKeepalive } from './timer.ts';

const EMPTY = new Uint8Array(0);
const NEVER = Number.POSITIVE_INFINITY;
const IP_TCP_HEADERS = 40;
/** RFC 7323 §2.3: a shift above 14 is treated as 14. */
const MAX_WSCALE = 14;

function chooseIss(ep: TcpEndpoint, now: Time): void {
  const s = ep.stack;
  ep.iss = s.isnGen.isn(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort, now, ep.profile.isnTick);
  ep.sndUna = ep.iss;
  ep.sndNxt = seqAdd(ep.iss, 1);
  ep.sndMax = ep.sndNxt;
  ep.sndSml = ep.iss;
  ep.maxFlightSeq = ep.iss;
  ep.recover = ep.iss;
  ep.tsOffset = ep.profile.tsRandomOffset ? s.isnGen.tsOffset(ep.localAddr, ep.remoteAddr) : 0;
}

function initMss(ep: TcpEndpoint): void {
  const cap = ep.userMss > 0 ? ep.userMss : Number.POSITIVE_INFINITY;
  ep.advMss = Math.max(64, Math.min(ep.mtu - IP_TCP_HEADERS, cap));
}

/** Active OPEN (§3.10.1): choose the ISS, send <SEQ=ISS><CTL=SYN>, enter SYN-SENT. */
export function startConnect(ep: TcpEndpoint): void {
  const now = ep.stack.now;
  chooseIss(ep, now);
  initMss(ep);
  ep.stack.setState(ep, TcpState.SYN_SENT);
  ep.stack.mib.ActiveOpens++;
  sendSyn(ep);
  ep.rtoAt = now + ep.rtt.rto(ep.profile);
  if (ep.profile.keepInit > 0) ep.keepAt = now + ep.profile.keepInit;
}

export function sendSyn(ep: TcpEndpoint): void {
  const p = ep.profile;
  const repr: TcpRepr = {
    srcPort: ep.localPort,
    dstPort: ep.remotePort,
    seq: ep.iss,
    ack: 0 as Seq,
    flags: TcpFlag.SYN,
    window: synWindow(ep, ep.advMss),
    urgent: 0,
    options: synOptions(p.synOptionLayout, {
      mss: ep.advMss,
      wscale: p.windowScaling ? Math.min(p.windowScaleShift, MAX_WSCALE) : -1,
      sackOK: p.sack,
      ts: p.timestamps ? { val: tsNow(ep), ecr: 0 } : null,
    }),
    payload: EMPTY,
  };
  if (ep.synRetrans === 0) {
    ep.rttSeq = ep.iss;
    ep.rttTime = ep.stack.now;
  }
  transmit(ep, repr);
}

/** SYN/ACK: our options only where the peer's SYN offered them (RFC 7323 §2.2, §3.2; RFC 2018 §2). */
export function sendSynAck(ep: TcpEndpoint): void {
  const p = ep.profile;
  const roundMss = ep.advMss - dataOptionBytes(ep.tsOn);
  const repr: TcpRepr = {
    srcPort: ep.localPort,
    dstPort: ep.remotePort,
    seq: ep.iss,
    ack: ep.rcvNxt,
    flags: TcpFlag.SYN | TcpFlag.ACK,
    window: synWindow(ep, roundMss),
    urgent: 0,
    options: synOptions(p.synOptionLayout, {
      mss: ep.advMss,
      wscale: ep.wsOn ? ep.rcvWscale : -1,
      sackOK: ep.sackOn,
      ts: ep.tsOn ? { val: tsNow(ep), ecr: ep.tsRecent } : null,
    }),
    payload: EMPTY,
  };
  if (ep.synRetrans === 0) {
    ep.rttSeq = ep.iss;
    ep.rttTime = ep.stack.now;
  }
  ep.lastAckSent = ep.rcvNxt;
  transmit(ep, repr);
}

/**
 * Record what the peer's SYN negotiated. `ourSynSent` says whether our own SYN (active
 * open) already offered the options; a passive open offers what the peer offered.
 */
function negotiate(ep: TcpEndpoint, seg: TcpRepr, o: ReceivedOptions): void {
  const p = ep.profile;
  ep.irs = seg.seq;
  ep.rcvNxt = seqAdd(seg.seq, 1);
  ep.rcvAdv = ep.rcvNxt;
  ep.rcvUp = ep.rcvNxt;
  ep.wsOn = p.windowScaling && o.wscale >= 0;
  ep.sndWscale = ep.wsOn ? Math.min(o.wscale, MAX_WSCALE) : 0;
  ep.rcvWscale = ep.wsOn ? Math.min(p.windowScaleShift, MAX_WSCALE) : 0;
  ep.sackOn = p.sack && o.sackOK;
  ep.tsOn = p.timestamps && o.hasTs;
  if (ep.tsOn) {
    ep.tsRecent = o.tsVal;
    ep.tsRecentAge = ep.stack.now;
  }
  ep.peerMss = o.mss >= 0 ? Math.max(o.mss, p.minSndMss) : p.mssDefault;
  updateSndMss(ep);
  // Linux tcp_initialize_rcv_mss: start low (536) and learn the real size from arriving data.
  ep.rcvMss = Math.max(88, Math.min(ep.advMss - dataOptionBytes(ep.tsOn), ep.sndMss, 536));
}

/** Effective send MSS: the peer's MSS, the path MTU and TCP_MAXSEG, less option bytes. */
export function updateSndMss(ep: TcpEndpoint): void {
  const cap = ep.userMss > 0 ? ep.userMss : Number.POSITIVE_INFINITY;
  const mss = Math.min(ep.peerMss, ep.mtu - IP_TCP_HEADERS, cap) - dataOptionBytes(ep.tsOn);
  ep.sndMss = Math.max(8, mss);
}

/** LISTEN got a SYN: set up the new endpoint in SYN-RECEIVED and answer SYN/ACK (§3.10.7.2). */
export function passiveOpen(ep: TcpEndpoint, seg: TcpRepr, o: ReceivedOptions): void {
  const now = ep.stack.now;
  ep.passive = true;
  chooseIss(ep, now);
  initMss(ep);
  negotiate(ep, seg, o);
  ep.stack.setState(ep, TcpState.SYN_RECEIVED);
  sendSynAck(ep);
  ep.rtoAt = now + ep.rtt.rto(ep.profile);
  if (ep.profile.keepInit > 0) ep.keepAt = now + ep.profile.keepInit;
}

/** The handshake completed: initialise congestion control and timers, enter ESTABLISHED. */
export function becomeEstablished(ep: TcpEndpoint): void {
  const p = ep.profile;
  const now = ep.stack.now;
  // RTT of the SYN exchange, unless the SYN was retransmitted (Karn).
  if (ep.rttSeq === ep.iss && ep.synRetrans === 0) ep.rtt.sample(now - ep.rttTime, p);
  ep.rttSeq = -1;
  // RFC 6298 §5.7: after a lost SYN without an RTT sample, the RTO starts at 3 s.
  if (ep.synRetrans > 0 && !ep.rtt.hasSample) ep.rtt.base = Math.max(ep.rtt.base, p.rtoAfterSynLoss);
  ep.rtt.backoff = 0;
  roundBuffersToMss(ep, ep.sndMss + dataOptionBytes(ep.tsOn));
  // RFC 5681 §3.1: one segment of initial window if the SYN or SYN/ACK was lost.
  const iw = (ep.synRetrans > 0 ? 1 : p.initialCwnd) * ep.sndMss;
  const cc = algorithmFor(p.congestion);
  ep.cc = cc.factory.create(iw, now);
  ep.rtoAt = NEVER;
  ep.keepAt = NEVER;
  ep.synRetrans = 0;
  ep.quickAcks = p.quickAckSegments;
  ep.lastRcvTime = now;
  ep.rfbufTs = now;
  ep.stack.setState(ep, TcpState.ESTABLISHED);
  armKeepalive(ep);
}

/**
 * Segment arrival in SYN-SENT (§3.10.7.3). Returns the segment text to process further
 * (data on a SYN/ACK) as [seq, payload, fin], or null when nothing more is to be done.
 */
export function synSentInput(ep: TcpEndpoint, seg: TcpRepr, o: ReceivedOptions): boolean {
  const stack = ep.stack;
  const f = seg.flags;
  const hasAck = (f & TcpFlag.ACK) !== 0;
  if (hasAck && (seqLe(seg.ack, ep.iss) || seqGt(seg.ack, ep.sndMax))) {
    // First check: an ACK for something we never sent.
    if (!(f & TcpFlag.RST)) stack.replyRst(ep.localAddr, ep.remoteAddr, seg);
    return false;
  }
  if (f & TcpFlag.RST) {
    // Second check (RFC 5961 §3.2 in SYN-SENT): a RST is valid only if it ACKs our SYN.
    if (hasAck) {
      stack.mib.AttemptFails++;
      ep.drop('ECONNREFUSED');
    }
    return false;
  }
  if (!(f & TcpFlag.SYN)) return false;
  negotiate(ep, seg, o);
  if (hasAck) {
    ep.sndUna = seg.ack;
    // RFC 7323 §2.2: the window of a SYN segment is never scaled.
    ep.sndWnd = seg.window;
    ep.maxSndWnd = seg.window;
    ep.sndWl1 = seg.seq;
    ep.sndWl2 = seg.ack;
    becomeEstablished(ep);
    stack.post(ep, 'established');
    ep.ackNow = true;
    if (ep.finQueued) stack.setState(ep, TcpState.FIN_WAIT_1);
    return true;
  }
  // Simultaneous open: SYN-RECEIVED, answer <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
  stack.setState(ep, TcpState.SYN_RECEIVED);
  ep.sndNxt = seqAdd(ep.iss, 1);
  sendSynAck(ep);
  ep.rtoAt = stack.now + ep.rtt.rto(ep.profile);
  return false;
}

/** After ESTABLISHED from SYN-SENT: send the ACK (with queued data, if any). */
export function finishActiveOpen(ep: TcpEndpoint): void {
  output(ep);
}
