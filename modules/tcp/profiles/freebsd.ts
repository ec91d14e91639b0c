/**
 * FreeBSD defaults (13/14, net.inet.tcp.* at their shipped values, the default "freebsd"
 * stack, not RACK/BBR). Times in FreeBSD sysctls are milliseconds.
 */
import { MS, SEC } from '../../../lib/sim/time.ts';
import {
  boolSysctl,
  intSysctl,
  parseIntStrict,
  tuneProfile,
  type SysctlEntry,
  type SysctlMap,
  type TcpProfile,
} from '../profile.ts';

export const freebsdProfile: TcpProfile = tuneProfile({} as TcpProfile, {
  name: 'freebsd',
  synOptionLayout: 'freebsd',
  sack: true,
  dsack: true,
  timestamps: true,
  windowScaling: true,
  // tcp_connect: the smallest shift with TCP_MAXWIN << shift >= sb_max (2 MB) is 6.
  windowScaleShift: 6,
  tsHz: 1000,
  tsRandomOffset: true,
  tsOnRst: false,
  // net.inet.tcp.tolerate_missing_ts = 1 (tcp_input.c: "several TCP stacks violate RFC 7323").
  dropMissingTs: false,
  mssDefault: 536,
  minSndMss: 216,
  // tcp_syn_backoff[]; keepinit (75 s) ends the attempt before the table does.
  synRetries: 12,
  synBackoff: [1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64, 64, 64],
  // net.inet.tcp.syncache.rexmtlimit
  synAckRetries: 3,
  keepInit: 75 * SEC,
  isnTick: 4000,

  rcvBufMin: 4096,
  rcvBufDefault: 65536,
  rcvBufMax: 2097152,
  sndBufMin: 4096,
  sndBufDefault: 32768,
  sndBufMax: 2097152,
  bufDoubling: false,
  rcvBufAuto: true,
  sndBufAuto: true,
  rcvWindowShare: 1,
  rcvWindowMssRounding: false,
  sockBufMssRounding: true,
  rcvWndFromSpace: true,
  reasmMaxSegments: 100,

  congestion: 'newreno',
  initialCwnd: 10,
  dupThresh: 3,
  rtoInitial: 1 * SEC,
  rtoMin: 30 * MS,
  rtoMax: 64 * SEC,
  rtoSlop: 200 * MS,
  rtoMinIsVarianceFloor: false,
  partialSegmentAckCounts: true,
  rtoAfterSynLoss: 3 * SEC,
  maxRetries: 12,
  orphanRetries: 12,
  rstOnRetransmitTimeout: true,
  persistMin: 5 * SEC,
  persistMax: 60 * SEC,
  zeroWindowProbe: 'one-byte',

  delayedAck: true,
  delAckTime: 40 * MS,
  delAckMax: 100 * MS,
  delAckSegments: 2,
  delAckCountsBytes: false,
  quickAckSegments: 0,

  rfc5961: true,
  challengeAckLimit: 0,
  oowAckCount: 5,
  oowAckWindow: 1000 * MS,
  rfc1337: true,
  rightEdgeData: false,
  rstAtFinMinus1: false,
  rstRightEdgeStrict: true,
  windowTestCountsFin: false,
  synRcvdRstInWindow: false,
  ackRepeatsFin: true,
  oldSegmentRule: 'trim',
  timeWaitStyle: 'freebsd',

  msl: 30 * SEC,
  timeWait: 60 * SEC,
  closeUnreadResets: false,
  finWait2Timeout: 60 * SEC,
  keepIdle: 7200 * SEC,
  keepIntvl: 75 * SEC,
  keepCnt: 8,

  somaxconn: 128,
  maxSynBacklog: 15360,
  acceptBacklogFactor: 1.5,
  acceptQueueKeepsReset: false,
  abortOnOverflow: false,

  nagle: true,
  nagleMinshall: false,
  nagleIdlePerCall: true,
  // net.inet.tcp.ecn.enable: 2 = answer ECN when asked, never ask (FreeBSD 14).
  ecnMode: 2,
  // kern.ipc.maxsockbuf (sb_max): 2 MB.
  sockBufLimit: 2097152,
  ephemeralLow: 10000,
  ephemeralHigh: 65535,
  ttl: 64,
});

const rfc1323: SysctlEntry = {
  fields: ['windowScaling', 'timestamps'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 0 || n > 3) return { ok: false, error: 'expected 0..3 (1 both, 2 window scaling only, 3 timestamps only)' };
    return { ok: true, set: { windowScaling: n === 1 || n === 2, timestamps: n === 1 || n === 3 } };
  },
  show: (p) => String(p.windowScaling ? (p.timestamps ? 1 : 2) : p.timestamps ? 3 : 0),
};

function inverse(field: 'rfc5961' | 'dropMissingTs'): SysctlEntry {
  return {
    fields: [field],
    parse(text) {
      const n = parseIntStrict(text);
      if (n === null || n < 0) return { ok: false, error: 'expected 0 or 1' };
      return { ok: true, set: { [field]: n === 0 } as Partial<TcpProfile> };
    },
    show: (p) => (p[field] ? '0' : '1'),
  };
}

const msl: SysctlEntry = {
  fields: ['msl', 'timeWait'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 1) return { ok: false, error: 'expected milliseconds' };
    return { ok: true, set: { msl: n * MS, timeWait: 2 * n * MS } };
  },
  show: (p) => String(Math.round(p.msl / MS)),
};

/** A write-only action: any integer is accepted, reading shows 0 (hostcache.purgenow; there is no host cache to purge). */
const action: SysctlEntry = {
  fields: [],
  parse(text) {
    return parseIntStrict(text) === null ? { ok: false, error: 'expected an integer' } : { ok: true, set: {} };
  },
  show: () => '0',
};

const algorithm: SysctlEntry = {
  fields: ['congestion'],
  parse(text) {
    if (!/^[a-z0-9_]+$/.test(text)) return { ok: false, error: 'expected an algorithm name' };
    return { ok: true, set: { congestion: text } };
  },
  show: (p) => p.congestion,
};

/** FreeBSD sysctl names → profile fields. */
export const freebsdSysctlMap: SysctlMap = {
  'net.inet.tcp.rfc1323': rfc1323,
  'net.inet.tcp.sack.enable': boolSysctl('sack'),
  'net.inet.tcp.delayed_ack': boolSysctl('delayedAck'),
  'net.inet.tcp.delacktime': intSysctl('delAckTime', MS, 1, 1000),
  'net.inet.tcp.msl': msl,
  'net.inet.tcp.keepidle': intSysctl('keepIdle', MS, 1),
  'net.inet.tcp.keepintvl': intSysctl('keepIntvl', MS, 1),
  'net.inet.tcp.keepinit': intSysctl('keepInit', MS, 1),
  'net.inet.tcp.keepcnt': intSysctl('keepCnt', 1, 1),
  'net.inet.tcp.rexmit_min': intSysctl('rtoMin', MS, 1),
  'net.inet.tcp.rexmit_initial': intSysctl('rtoInitial', MS, 1),
  'net.inet.tcp.rexmit_slop': intSysctl('rtoSlop', MS, 0),
  'net.inet.tcp.sendspace': intSysctl('sndBufDefault', 1, 1),
  'net.inet.tcp.recvspace': intSysctl('rcvBufDefault', 1, 1),
  'net.inet.tcp.sendbuf_max': intSysctl('sndBufMax', 1, 1),
  'net.inet.tcp.recvbuf_max': intSysctl('rcvBufMax', 1, 1),
  'net.inet.tcp.sendbuf_auto': boolSysctl('sndBufAuto'),
  'net.inet.tcp.recvbuf_auto': boolSysctl('rcvBufAuto'),
  'net.inet.tcp.insecure_rst': inverse('rfc5961'),
  'net.inet.tcp.tolerate_missing_ts': inverse('dropMissingTs'),
  'net.inet.tcp.ts_offset_per_conn': boolSysctl('tsRandomOffset'),
  'net.inet.tcp.ack_war_cnt': intSysctl('oowAckCount', 1, 0),
  'net.inet.tcp.ack_war_timewindow': intSysctl('oowAckWindow', MS, 0),
  'net.inet.tcp.initcwnd_segments': intSysctl('initialCwnd', 1, 1, 1000),
  'net.inet.tcp.mssdflt': intSysctl('mssDefault', 1, 64, 65535),
  'net.inet.tcp.minmss': intSysctl('minSndMss', 1, 64, 65535),
  'net.inet.tcp.finwait2_timeout': intSysctl('finWait2Timeout', MS, 1),
  'net.inet.tcp.syncache.rexmtlimit': intSysctl('synAckRetries', 1, 0, 255),
  'net.inet.tcp.reass.maxqueuelen': intSysctl('reasmMaxSegments', 1, 1),
  'kern.ipc.soacceptqueue': intSysctl('somaxconn', 1, 1, 65535),
  'kern.ipc.somaxconn': intSysctl('somaxconn', 1, 1, 65535),
  'net.inet.ip.portrange.first': intSysctl('ephemeralLow', 1, 1, 65535),
  'net.inet.ip.portrange.last': intSysctl('ephemeralHigh', 1, 1, 65535),
  'net.inet.tcp.cc.algorithm': algorithm,
  'net.inet.ip.ttl': intSysctl('ttl', 1, 1, 255),
  'net.inet.tcp.ecn.enable': intSysctl('ecnMode', 1, 0, 2),
  'kern.ipc.maxsockbuf': intSysctl('sockBufLimit', 1, 1),
  'net.inet.tcp.hostcache.purgenow': action,
};
