/**
 * Linux defaults (6.x kernels, net.ipv4.* at their shipped values). Where Linux behaviour
 * depends on machinery this TCP does not have (syncookies, CUBIC, RACK, TSO autosizing),
 * the nearest RFC behaviour stands in; docs/tcp.md lists the differences.
 */
import { MS, SEC, US } from '../../../lib/sim/time.ts';
import {
  boolSysctl,
  intSysctl,
  parseIntStrict,
  tripleSysctl,
  tuneProfile,
  type SysctlEntry,
  type SysctlMap,
  type TcpProfile,
} from '../profile.ts';

export const linuxProfile: TcpProfile = tuneProfile({} as TcpProfile, {
  name: 'linux',
  synOptionLayout: 'linux',
  sack: true,
  dsack: true,
  timestamps: true,
  windowScaling: true,
  // tcp_select_initial_window: the smallest shift that covers tcp_rmem[2] (6 MB) is 7.
  windowScaleShift: 7,
  tsHz: 1000,
  tsRandomOffset: true,
  tsOnRst: true,
  dropMissingTs: false,
  mssDefault: 536,
  minSndMss: 48,
  synRetries: 6,
  synBackoff: null,
  synAckRetries: 5,
  keepInit: 0,
  isnTick: 64,

  rcvBufMin: 4096,
  rcvBufDefault: 131072,
  rcvBufMax: 6291456,
  sndBufMin: 4096,
  sndBufDefault: 16384,
  sndBufMax: 4194304,
  bufDoubling: true,
  rcvBufAuto: true,
  sndBufAuto: true,
  rcvWindowShare: 0.5,
  rcvWindowMssRounding: true,
  sockBufMssRounding: false,
  rcvWndFromSpace: false,
  reasmMaxSegments: 512,

  congestion: 'newreno',
  initialCwnd: 10,
  dupThresh: 3,
  rtoInitial: 1 * SEC,
  rtoMin: 200 * MS,
  rtoMax: 120 * SEC,
  rtoSlop: 0,
  rtoMinIsVarianceFloor: true,
  partialSegmentAckCounts: false,
  rtoAfterSynLoss: 3 * SEC,
  maxRetries: 15,
  orphanRetries: 8,
  rstOnRetransmitTimeout: false,
  // tcp_probe0_when: the RTO, backed off, capped at TCP_RTO_MAX.
  persistMin: 200 * MS,
  persistMax: 120 * SEC,
  zeroWindowProbe: 'old-seq',

  delayedAck: true,
  delAckTime: 40 * MS,
  delAckMax: 200 * MS,
  delAckSegments: 2,
  delAckCountsBytes: true,
  quickAckSegments: 16,

  rfc5961: true,
  // Since 6.0 the host-wide limit defaults to INT_MAX; the per-socket limit remains.
  challengeAckLimit: 0,
  oowAckCount: 1,
  oowAckWindow: 500 * MS,
  rfc1337: false,
  rightEdgeData: true,
  rstAtFinMinus1: true,
  rstRightEdgeStrict: false,
  windowTestCountsFin: true,
  synRcvdRstInWindow: true,
  ackRepeatsFin: false,
  oldSegmentRule: 'rcv-wup',
  timeWaitStyle: 'linux',

  msl: 30 * SEC,
  timeWait: 60 * SEC,
  closeUnreadResets: true,
  finWait2Timeout: 60 * SEC,
  keepIdle: 7200 * SEC,
  keepIntvl: 75 * SEC,
  keepCnt: 9,

  somaxconn: 4096,
  maxSynBacklog: 4096,
  acceptBacklogFactor: 1,
  acceptQueueKeepsReset: true,
  abortOnOverflow: false,

  nagle: true,
  nagleMinshall: true,
  nagleIdlePerCall: false,
  // net.ipv4.tcp_ecn: 2 = answer ECN when asked, never ask.
  ecnMode: 2,
  // net.core.rmem_max (stored only: setsockopt is bounded by tcp_rmem/tcp_wmem[2] here).
  sockBufLimit: 212992,
  ephemeralLow: 32768,
  ephemeralHigh: 60999,
  ttl: 64,
});

const timestamps: SysctlEntry = {
  fields: ['timestamps', 'tsRandomOffset'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 0 || n > 2) return { ok: false, error: 'expected 0, 1 (random offsets) or 2 (no offsets)' };
    return { ok: true, set: { timestamps: n !== 0, tsRandomOffset: n === 1 } };
  },
  show: (p) => (!p.timestamps ? '0' : p.tsRandomOffset ? '1' : '2'),
};

const advWinScale: SysctlEntry = {
  fields: ['rcvWindowShare'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < -31 || n > 31) return { ok: false, error: 'expected an integer in -31..31' };
    return { ok: true, set: { rcvWindowShare: n > 0 ? 1 - 2 ** -n : 2 ** n } };
  },
  show: (p) => {
    const s = p.rcvWindowShare;
    return String(s >= 1 ? 0 : s > 0.5 - 1e-9 && s < 1 ? Math.round(-Math.log2(1 - s)) : Math.round(Math.log2(s)));
  },
};

const orphanRetries: SysctlEntry = {
  fields: ['orphanRetries'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 0 || n > 255) return { ok: false, error: 'expected an integer in 0..255' };
    // tcp_orphan_retries(): 0 means "the default", which is 8.
    return { ok: true, set: { orphanRetries: n === 0 ? 8 : n } };
  },
  show: (p) => String(p.orphanRetries),
};

const challengeLimit: SysctlEntry = {
  fields: ['challengeAckLimit'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 0) return { ok: false, error: 'expected a non-negative integer' };
    return { ok: true, set: { challengeAckLimit: n >= 2147483647 ? 0 : n } };
  },
  show: (p) => String(p.challengeAckLimit === 0 ? 2147483647 : p.challengeAckLimit),
};

const invalidRatelimit: SysctlEntry = {
  fields: ['oowAckWindow', 'oowAckCount'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 0) return { ok: false, error: 'expected milliseconds' };
    return { ok: true, set: { oowAckWindow: n * MS, oowAckCount: n === 0 ? 0 : 1 } };
  },
  show: (p) => String(Math.round(p.oowAckWindow / MS)),
};

const portRange: SysctlEntry = {
  fields: ['ephemeralLow', 'ephemeralHigh'],
  parse(text) {
    const parts = text.split(/\s+/).map(parseIntStrict);
    const [lo, hi] = parts;
    if (parts.length !== 2 || lo == null || hi == null || lo < 1 || hi > 65535 || lo > hi) {
      return { ok: false, error: 'expected "low high" with 1 <= low <= high <= 65535' };
    }
    return { ok: true, set: { ephemeralLow: lo, ephemeralHigh: hi } };
  },
  show: (p) => `${p.ephemeralLow}\t${p.ephemeralHigh}`,
};

const congestion: SysctlEntry = {
  fields: ['congestion'],
  parse(text) {
    if (!/^[a-z0-9_]+$/.test(text)) return { ok: false, error: 'expected an algorithm name' };
    return { ok: true, set: { congestion: text } };
  },
  show: (p) => p.congestion,
};

const rtoMinUs: SysctlEntry = {
  fields: ['rtoMin'],
  parse(text) {
    const n = parseIntStrict(text);
    if (n === null || n < 1000 || n > 120_000_000) return { ok: false, error: 'expected microseconds in 1000..120000000' };
    return { ok: true, set: { rtoMin: n * US } };
  },
  show: (p) => String(Math.round(p.rtoMin / US)),
};

/** Linux sysctl names → profile fields. */
export const linuxSysctlMap: SysctlMap = {
  'net.ipv4.tcp_sack': boolSysctl('sack'),
  'net.ipv4.tcp_dsack': boolSysctl('dsack'),
  'net.ipv4.tcp_timestamps': timestamps,
  'net.ipv4.tcp_window_scaling': boolSysctl('windowScaling'),
  'net.ipv4.tcp_rmem': tripleSysctl(['rcvBufMin', 'rcvBufDefault', 'rcvBufMax']),
  'net.ipv4.tcp_wmem': tripleSysctl(['sndBufMin', 'sndBufDefault', 'sndBufMax']),
  'net.ipv4.tcp_moderate_rcvbuf': boolSysctl('rcvBufAuto'),
  'net.ipv4.tcp_adv_win_scale': advWinScale,
  'net.ipv4.tcp_syn_retries': intSysctl('synRetries', 1, 1, 127),
  'net.ipv4.tcp_synack_retries': intSysctl('synAckRetries', 1, 1, 255),
  'net.ipv4.tcp_retries2': intSysctl('maxRetries', 1, 1, 255),
  'net.ipv4.tcp_orphan_retries': orphanRetries,
  'net.ipv4.tcp_fin_timeout': intSysctl('finWait2Timeout', SEC, 1, 120),
  'net.ipv4.tcp_keepalive_time': intSysctl('keepIdle', SEC, 1, 32767),
  'net.ipv4.tcp_keepalive_intvl': intSysctl('keepIntvl', SEC, 1, 32767),
  'net.ipv4.tcp_keepalive_probes': intSysctl('keepCnt', 1, 1, 127),
  'net.ipv4.tcp_rfc1337': boolSysctl('rfc1337'),
  'net.ipv4.tcp_challenge_ack_limit': challengeLimit,
  'net.ipv4.tcp_invalid_ratelimit': invalidRatelimit,
  'net.ipv4.tcp_min_snd_mss': intSysctl('minSndMss', 1, 48, 65495),
  'net.ipv4.tcp_reordering': intSysctl('dupThresh', 1, 1, 300),
  'net.ipv4.tcp_max_syn_backlog': intSysctl('maxSynBacklog', 1, 1, 1 << 20),
  'net.ipv4.tcp_ecn': intSysctl('ecnMode', 1, 0, 2),
  'net.core.somaxconn': intSysctl('somaxconn', 1, 0, 1 << 20),
  'net.ipv4.tcp_abort_on_overflow': boolSysctl('abortOnOverflow'),
  'net.ipv4.ip_local_port_range': portRange,
  'net.ipv4.tcp_congestion_control': congestion,
  'net.ipv4.tcp_rto_min_us': rtoMinUs,
  'net.ipv4.ip_default_ttl': intSysctl('ttl', 1, 1, 255),
};
