/**
 * Compact TIME-WAIT (Linux's inet_timewait_sock, FreeBSD's tcptw). An orphaned connection —
 * its user has closed it, so no one holds the endpoint — waits 2*MSL in TIME-WAIT doing
 * almost nothing, yet a full TCB is some 1.7 KB with its buffers, estimators and statistics.
 * Once such a connection is in TIME-WAIT the stack swaps its TCB for this record, which keeps
 * only what TIME-WAIT processing reads: the addresses, the sequence numbers, the timestamp
 * state, what the window of an ACK is computed from, the out-of-window ACK budget and the
 * timers (33 fields of the TCB's ~110). A segment, the timer or a listing of connections turns the record back into a full
 * endpoint (`thaw`) first, so every TIME-WAIT rule stays in input.ts and timer.ts, in one
 * place. A thawed endpoint starts what TIME-WAIT never reads from its defaults: statistics
 * (TCP_INFO counters, RTT, congestion window), MSS and MTU, send window, shutdown flags.
 * Linux reports none of these for a TIME-WAIT socket either.
 */
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { seq, type Seq } from '../../lib/wire/seq.ts';
import { algorithmFor } from './congestion/index.ts';
import { TcpEndpoint } from './endpoint.ts';
import { NO_HANDLER, type TcpHandler } from './events.ts';
import type { SackBlock } from './options.ts';
import type { TcpStack } from './stack.ts';
import { TcpState } from './state.ts';

/** The endpoint fields a TIME-WAIT record keeps (one list: freeze and thaw both copy it). */
export type TimeWaitFields = Pick<
  TcpEndpoint,
  | 'localAddr'
  | 'localPort'
  | 'remoteAddr'
  | 'remotePort'
  | 'handler'
  | 'sndUna'
  | 'sndNxt'
  | 'sndMax'
  | 'finSent'
  | 'rcvNxt'
  | 'rcvAdv'
  | 'rcvWscale'
  | 'rcvBufSize'
  | 'rcvWndLast'
  | 'rcvSsthresh'
  | 'tsOn'
  | 'sackOn'
  | 'tsRecent'
  | 'tsRecentAge'
  | 'lastAckSent'
  | 'tsOffset'
  | 'rcvMss'
  | 'delackAt'
  | 'closeAt'
  | 'ackNow'
  | 'unackedBytes'
  | 'unackedSegs'
  | 'dsack'
  | 'oowCount'
  | 'oowWindowStart'
  | 'windowClamp'
  | 'timerSlot'
>;

/** Copy the kept fields from one holder to the other. */
export function copyTimeWaitFields(to: TimeWaitFields, from: TimeWaitFields): void {
  to.localAddr = from.localAddr;
  to.localPort = from.localPort;
  to.remoteAddr = from.remoteAddr;
  to.remotePort = from.remotePort;
  to.handler = from.handler;
  to.sndUna = from.sndUna;
  to.sndNxt = from.sndNxt;
  to.sndMax = from.sndMax;
  to.finSent = from.finSent;
  to.rcvNxt = from.rcvNxt;
  to.rcvAdv = from.rcvAdv;
  to.rcvWscale = from.rcvWscale;
  to.rcvBufSize = from.rcvBufSize;
  to.rcvWndLast = from.rcvWndLast;
  to.rcvSsthresh = from.rcvSsthresh;
  to.tsOn = from.tsOn;
  to.sackOn = from.sackOn;
  to.tsRecent = from.tsRecent;
  to.tsRecentAge = from.tsRecentAge;
  to.lastAckSent = from.lastAckSent;
  to.tsOffset = from.tsOffset;
  to.rcvMss = from.rcvMss;
  to.delackAt = from.delackAt;
  to.closeAt = from.closeAt;
  to.ackNow = from.ackNow;
  to.unackedBytes = from.unackedBytes;
  to.unackedSegs = from.unackedSegs;
  to.dsack = from.dsack;
  to.oowCount = from.oowCount;
  to.oowWindowStart = from.oowWindowStart;
  to.windowClamp = from.windowClamp;
  to.timerSlot = from.timerSlot;
}

const NEVER = Number.POSITIVE_INFINITY;

export class TimeWaitRecord implements TimeWaitFields {
  localAddr: Ipv4Addr = 0 as Ipv4Addr;
  localPort = 0;
  remoteAddr: Ipv4Addr = 0 as Ipv4Addr;
  remotePort = 0;
  handler: TcpHandler = NO_HANDLER;
  sndUna: Seq = seq(0);
  sndNxt: Seq = seq(0);
  sndMax: Seq = seq(0);
  finSent = false;
  rcvNxt: Seq = seq(0);
  rcvAdv: Seq = seq(0);
  rcvWscale = 0;
  rcvBufSize = 0;
  rcvWndLast = 0;
  rcvSsthresh = 0;
  tsOn = false;
  sackOn = false;
  tsRecent = 0;
  tsRecentAge: Time = 0;
  lastAckSent: Seq = seq(0);
  tsOffset = 0;
  rcvMss = 0;
  delackAt: Time = NEVER;
  closeAt: Time = NEVER;
  ackNow = false;
  unackedBytes = 0;
  unackedSegs = 0;
  dsack: SackBlock | null = null;
  oowCount = 0;
  oowWindowStart: Time = 0;
  windowClamp = 0;
  timerSlot = -1;
  /** The time of this record's live timer-heap entry (timer-heap.ts). */
  heapAt: Time = NEVER;
  /** Always in TIME-WAIT; for code that reads the state of what the tables hold. */
  get state(): TcpState {
    return TcpState.TIME_WAIT;
  }
}

/**
 * May `ep` be swapped for a record? Only an orphan (no user can still hold the endpoint) that
 * is registered, in TIME-WAIT, with nothing queued for it to send or to read.
 */
export function canCompact(ep: TcpEndpoint): boolean {
  return (
    ep.orphan &&
    ep.registered &&
    ep.state === TcpState.TIME_WAIT &&
    ep.listener === null &&
    ep.sndBuf.length === 0 &&
    ep.rcvBuf.length === 0 &&
    ep.reasm === null &&
    ep.sackBoard === null
  );
}

export function freeze(ep: TcpEndpoint): TimeWaitRecord {
  const rec = new TimeWaitRecord();
  copyTimeWaitFields(rec, ep);
  return rec;
}

/** A full endpoint in TIME-WAIT again, as `freeze` found it (statistics start afresh). */
export function thaw(stack: TcpStack, rec: TimeWaitRecord): TcpEndpoint {
  const ep = new TcpEndpoint(stack, rec.localAddr, rec.localPort, rec.remoteAddr, rec.remotePort);
  copyTimeWaitFields(ep, rec);
  ep.state = TcpState.TIME_WAIT;
  ep.orphan = true;
  ep.registered = true;
  ep.rtoAt = ep.persistAt = ep.keepAt = NEVER;
  ep.cc = algorithmFor(stack.profile.congestion).factory.create(ep.rcvMss, stack.now);
  return ep;
}
