/**
 * A TCP_INFO-like snapshot of one connection (Linux struct tcp_info names, camel-cased),
 * enough to emulate `ss -ti` and `sockstat`. Times are virtual nanoseconds.
 */
import type { Time } from '../../lib/sim/time.ts';
import { seqDiff } from '../../lib/wire/seq.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { rcvWnd } from './rcv.ts';
import { stateName } from './state.ts';

export interface TcpInfo {
  state: string;
  /** Linux ca_state: open, disorder (dup ACKs), recovery, loss (after a timeout). */
  caState: 'open' | 'disorder' | 'recovery' | 'loss';
  retransmits: number;
  probes: number;
  backoff: number;
  options: { timestamps: boolean; sack: boolean; windowScale: boolean };
  sndWscale: number;
  rcvWscale: number;
  rto: Time;
  ato: Time;
  sndMss: number;
  rcvMss: number;
  advMss: number;
  pmtu: number;
  unackedBytes: number;
  sackedBytes: number;
  notSentBytes: number;
  rtt: Time;
  rttVar: Time;
  minRtt: Time;
  sndSsthresh: number;
  sndCwnd: number;
  sndWnd: number;
  rcvWnd: number;
  rcvSsthresh: number;
  sndBuf: number;
  rcvBuf: number;
  recvQ: number;
  sendQ: number;
  totalRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  dataSegsIn: number;
  lastDataSent: Time;
  lastDataRecv: Time;
  reordering: number;
  congestion: string;
}

export function tcpInfo(ep: TcpEndpoint): TcpInfo {
  const p = ep.profile;
  const cc = ep.cc;
  const caState: TcpInfo['caState'] = ep.retransmits > 0 ? 'loss' : ep.inRecovery ? 'recovery' : ep.dupAcks > 0 ? 'disorder' : 'open';
  return {
    state: stateName(ep.state),
    caState,
    retransmits: ep.retransmits,
    probes: Math.max(ep.keepProbes, ep.persistProbes),
    backoff: ep.rtt.backoff,
    options: { timestamps: ep.tsOn, sack: ep.sackOn, windowScale: ep.wsOn },
    sndWscale: ep.sndWscale,
    rcvWscale: ep.rcvWscale,
    rto: ep.rtt.rto(p),
    ato: p.delAckTime,
    sndMss: ep.sndMss,
    rcvMss: ep.rcvMss,
    advMss: ep.advMss,
    pmtu: ep.mtu,
    unackedBytes: Math.max(0, seqDiff(ep.sndMax, ep.sndUna)),
    sackedBytes: ep.sackBoard?.sackedBytes ?? 0,
    notSentBytes: ep.unsent,
    rtt: ep.rtt.srtt,
    rttVar: ep.rtt.rttvar,
    minRtt: ep.rtt.minRtt,
    sndSsthresh: cc ? cc.ssthresh : 0,
    sndCwnd: cc ? cc.cwnd : 0,
    sndWnd: ep.sndWnd,
    rcvWnd: rcvWnd(ep),
    rcvSsthresh: ep.rcvSsthresh,
    sndBuf: ep.sndBufSize,
    rcvBuf: ep.rcvBufSize,
    recvQ: ep.rcvBuf.length,
    sendQ: ep.sndBuf.length,
    totalRetrans: ep.totalRetrans,
    bytesAcked: ep.bytesAcked,
    bytesReceived: ep.bytesReceived,
    segsOut: ep.segsOut,
    segsIn: ep.segsIn,
    dataSegsOut: ep.dataSegsOut,
    dataSegsIn: ep.dataSegsIn,
    lastDataSent: ep.lastSndTime,
    lastDataRecv: ep.lastRcvTime,
    reordering: p.dupThresh,
    congestion: cc ? cc.name : p.congestion,
  };
}
