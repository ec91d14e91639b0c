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

/** Linux TCP state numbers (include/net/tcp_states.h), as tcpi_state reports them. */
const LINUX_STATE: Record<string, number> = {
  ESTABLISHED: 1,
  'SYN-SENT': 2,
  'SYN-RECEIVED': 3,
  'FIN-WAIT-1': 4,
  'FIN-WAIT-2': 5,
  'TIME-WAIT': 6,
  CLOSED: 7,
  'CLOSE-WAIT': 8,
  'LAST-ACK': 9,
  LISTEN: 10,
  CLOSING: 11,
};

const CA_STATE = { open: 0, disorder: 1, cwr: 2, recovery: 3, loss: 4 } as const;

/** The snapshot as struct tcp_info fields (tcpi_*; times in µs or ms as Linux reports them). */
export function tcpiFields(i: TcpInfo, now: Time): Record<string, number> {
  const mss = Math.max(1, i.sndMss);
  const us = (t: Time): number => Math.round(t / 1000);
  const msAgo = (t: Time): number => Math.max(0, Math.round((now - t) / 1e6));
  return {
    tcpi_state: LINUX_STATE[i.state] ?? 7,
    tcpi_ca_state: CA_STATE[i.caState],
    tcpi_retransmits: i.retransmits,
    tcpi_probes: i.probes,
    tcpi_backoff: i.backoff,
    tcpi_options: (i.options.timestamps ? 1 : 0) | (i.options.sack ? 2 : 0) | (i.options.windowScale ? 4 : 0),
    tcpi_snd_wscale: i.sndWscale,
    tcpi_rcv_wscale: i.rcvWscale,
    tcpi_rto: us(i.rto),
    tcpi_ato: us(i.ato),
    tcpi_snd_mss: i.sndMss,
    tcpi_rcv_mss: i.rcvMss,
    tcpi_unacked: Math.ceil(i.unackedBytes / mss),
    tcpi_sacked: Math.ceil(i.sackedBytes / mss),
    tcpi_last_data_sent: msAgo(i.lastDataSent),
    tcpi_last_data_recv: msAgo(i.lastDataRecv),
    tcpi_pmtu: i.pmtu,
    tcpi_rcv_ssthresh: i.rcvSsthresh,
    tcpi_rtt: us(i.rtt),
    tcpi_rttvar: us(i.rttVar),
    tcpi_snd_ssthresh: Math.min(0x7fffffff, Math.floor(i.sndSsthresh / mss)),
    tcpi_snd_cwnd: Math.floor(i.sndCwnd / mss),
    tcpi_advmss: i.advMss,
    tcpi_reordering: i.reordering,
    tcpi_rcv_space: i.rcvWnd,
    tcpi_total_retrans: i.totalRetrans,
    tcpi_bytes_acked: i.bytesAcked,
    tcpi_bytes_received: i.bytesReceived,
    tcpi_segs_out: i.segsOut,
    tcpi_segs_in: i.segsIn,
    tcpi_notsent_bytes: i.notSentBytes,
    tcpi_min_rtt: us(i.minRtt),
    tcpi_data_segs_in: i.dataSegsIn,
    tcpi_data_segs_out: i.dataSegsOut,
    tcpi_snd_wnd: i.sndWnd,
    tcpi_rcv_wnd: i.rcvWnd,
  };
}
