/**
 * Every tunable of the TCP lives in one profile object, so that one stack can mirror the
 * defaults of Linux or FreeBSD (profiles/linux.ts, profiles/freebsd.ts) and a conformance
 * script can change them by sysctl name (each profile exports a `sysctlMap`).
 *
 * Times are virtual nanoseconds (lib/sim/time.ts). A profile is a plain frozen value;
 * `withSysctl` and `tuneProfile` make modified copies. Endpoints read the profile of their
 * stack when they need a value, so a change applies to existing connections where the
 * real stacks also read the sysctl live (timers, limits) and to new ones otherwise.
 */
import type { Time } from '../../lib/sim/time.ts';

/** How the options of a SYN or SYN/ACK are ordered and padded. */
export type SynOptionLayout =
  /** mss, sackOK, TS, nop, wscale (tcp_options_write): nops pair up sackOK/TS with the rest. */
  | 'linux'
  /** mss, nop, wscale, sackOK, TS, padded to 4 with EOL (tcp_addoptions). */
  | 'freebsd';

/** What the persist timer sends into a zero window. */
export type ZeroWindowProbe =
  /** A bare ACK with SEG.SEQ = SND.UNA - 1 (Linux tcp_xmit_probe_skb). */
  | 'old-seq'
  /** One byte of new data past the window (BSD t_force). */
  | 'one-byte';

export interface TcpProfile {
  readonly name: string;

  // ---- options and handshake ----
  readonly synOptionLayout: SynOptionLayout;
  /** RFC 2018 SACK-permitted in SYNs and SACK blocks on ACKs. */
  readonly sack: boolean;
  /** RFC 2883 D-SACK: report duplicate segments in the first SACK block. */
  readonly dsack: boolean;
  /** RFC 7323 timestamps. */
  readonly timestamps: boolean;
  /** RFC 7323 window scaling. */
  readonly windowScaling: boolean;
  /** The shift we announce in the wscale option (0..14). */
  readonly windowScaleShift: number;
  /** Timestamp clock rate (ticks per second of TSval). */
  readonly tsHz: number;
  /** Add a keyed per-connection random offset to TSval (RFC 7323 §7.1). */
  readonly tsRandomOffset: boolean;
  /** Put a timestamp option on the RST of an aborted connection. */
  readonly tsOnRst: boolean;
  /** Drop non-RST segments that lack TSopt once timestamps were negotiated (RFC 7323 §3.2). */
  readonly dropMissingTs: boolean;
  /** MSS assumed when the peer's SYN has no MSS option (RFC 9293 §3.7.1: 536). */
  readonly mssDefault: number;
  /** Floor for the peer's MSS, against tiny-MSS resource attacks. */
  readonly minSndMss: number;
  /** Retransmissions of a SYN before connect fails. */
  readonly synRetries: number;
  /**
   * Multiplier of the initial RTO for the n-th SYN retransmission (BSD tcp_syn_backoff);
   * null doubles each time (Linux).
   */
  readonly synBackoff: readonly number[] | null;
  /** Retransmissions of a SYN/ACK before the embryonic connection is dropped. */
  readonly synAckRetries: number;
  /** Connection-establishment timeout (BSD keepinit); 0 = only the SYN retries bound it. */
  readonly keepInit: Time;
  /** Clock tick of the ISN's time term (RFC 6528 M): Linux uses 64 ns, RFC 793 4 µs. */
  readonly isnTick: Time;

  // ---- buffers and windows ----
  readonly rcvBufMin: number;
  readonly rcvBufDefault: number;
  readonly rcvBufMax: number;
  readonly sndBufMin: number;
  readonly sndBufDefault: number;
  readonly sndBufMax: number;
  /** setsockopt(SO_RCVBUF/SO_SNDBUF, n) stores 2n (Linux sock_setsockopt). */
  readonly bufDoubling: boolean;
  /** Grow the receive buffer with the transfer rate (Linux tcp_moderate_rcvbuf, BSD recvbuf_auto). */
  readonly rcvBufAuto: boolean;
  /** Grow the send buffer with the congestion window. */
  readonly sndBufAuto: boolean;
  /** Fraction of the receive buffer offered as window (Linux tcp_adv_win_scale=1 gives 1/2). */
  readonly rcvWindowShare: number;
  /** Round the offered window down to a multiple of the MSS (Linux tcp_select_window). */
  readonly rcvWindowMssRounding: boolean;
  /**
   * Round both socket buffers up to a multiple of the MSS when the connection is established
   * (FreeBSD tcp_mss: a 65536-byte buffer becomes 65700 with MSS 1460), capped at sockBufLimit.
   */
  readonly sockBufMssRounding: boolean;
  /**
   * Test arriving segments against the free receive-buffer space when it exceeds the window
   * last advertised (FreeBSD rcv_wnd = imax(sbspace, rcv_adv - rcv_nxt)); otherwise against
   * the advertised window only (Linux tcp_receive_window).
   */
  readonly rcvWndFromSpace: boolean;
  /** Upper bound of the reassembly queue, in segments (BSD net.inet.tcp.reass.maxqueuelen). */
  readonly reasmMaxSegments: number;

  // ---- congestion control and loss recovery ----
  /** Name of the congestion-control module (congestion/index.ts). */
  readonly congestion: string;
  /** Initial congestion window, in segments (RFC 6928 IW10). */
  readonly initialCwnd: number;
  /** Duplicate ACKs that trigger fast retransmit (RFC 5681 §3.2; Linux tcp_reordering). */
  readonly dupThresh: number;
  readonly rtoInitial: Time;
  readonly rtoMin: Time;
  readonly rtoMax: Time;
  /** Added to every computed RTO (BSD tcp_rexmit_slop). */
  readonly rtoSlop: Time;
  /**
   * rtoMin bounds the variance term, not the RTO: RTO = SRTT + max(4*RTTVAR, rtoMin)
   * (Linux tcp_rtt_estimator); otherwise RTO = max(rtoMin, SRTT + 4*RTTVAR) (RFC 6298 §2).
   */
  readonly rtoMinIsVarianceFloor: boolean;
  /**
   * An ACK that ends inside the segment last retransmitted from SND.UNA counts as
   * acknowledging data: it is timed (by its timestamp echo), restarts the retransmission timer
   * and grows cwnd (FreeBSD: bytes are bytes, tcp_xmit_timer on any TS echo). Off (Linux
   * tcp_clean_rtx_queue: a one-packet skb only partly covered stays queued, FLAG_DATA_ACKED is
   * not set): SND.UNA moves, but no RTT sample, no timer rearm, no cwnd growth, the backoff stays.
   */
  readonly partialSegmentAckCounts: boolean;
  /** RTO once established after a lost SYN and no RTT sample (RFC 6298 §5.7). */
  readonly rtoAfterSynLoss: Time;
  /** Retransmissions of one segment before the connection is dropped (Linux tcp_retries2). */
  readonly maxRetries: number;
  /** The same for a connection the user has closed (Linux tcp_orphan_retries). */
  readonly orphanRetries: number;
  /** Send a RST when a connection is dropped for too many retransmissions. */
  readonly rstOnRetransmitTimeout: boolean;
  readonly persistMin: Time;
  readonly persistMax: Time;
  readonly zeroWindowProbe: ZeroWindowProbe;

  // ---- acknowledgments ----
  readonly delayedAck: boolean;
  /** Delayed-ACK timeout (Linux TCP_ATO_MIN, BSD delacktime). */
  readonly delAckTime: Time;
  /** Longest delay the stack ever uses (Linux TCP_DELACK_MAX); reported, not used on its own. */
  readonly delAckMax: Time;
  /** ACK at least every this many full-sized segments (RFC 5681 §4.2: 2). */
  readonly delAckSegments: number;
  /** Count pending bytes (more than (n-1) full segments, Linux) rather than segments (BSD). */
  readonly delAckCountsBytes: boolean;
  /** Segments acknowledged at once at the start of a connection (Linux quickack, max 16). */
  readonly quickAckSegments: number;

  // ---- robustness (RFC 5961, RFC 1337) ----
  /** RFC 5961 §3-5: exact-match RST, challenge ACKs, ACK acceptability. */
  readonly rfc5961: boolean;
  /** Host-wide challenge ACKs per second (Linux tcp_challenge_ack_limit); 0 = unlimited. */
  readonly challengeAckLimit: number;
  /** Per-connection limit on ACKs answering invalid segments: at most `count` per `window`. */
  readonly oowAckCount: number;
  readonly oowAckWindow: Time;
  /** Ignore RSTs in TIME-WAIT (RFC 1337 TIME-WAIT assassination fix). */
  readonly rfc1337: boolean;
  /**
   * A data segment may start exactly at RCV.NXT+RCV.WND and still pass the window test (Linux
   * tcp_sequence; its text is then trimmed away). Zero-length segments there pass on both.
   */
  readonly rightEdgeData: boolean;
  /**
   * Once the peer's FIN is in (CLOSE-WAIT, CLOSING, LAST-ACK) a RST at RCV.NXT-1 counts as
   * exact: the peer may not have seen our ACK of its FIN (Linux tcp_reset_check).
   */
  readonly rstAtFinMinus1: boolean;
  /**
   * A RST must lie strictly inside the window (BSD: SEQ_LT(th_seq, last_ack_sent + rcv_wnd),
   * tested before the general window test); one at RCV.NXT+RCV.WND is dropped without an
   * answer. Otherwise a zero-length RST at the right edge passes the window test.
   */
  readonly rstRightEdgeStrict: boolean;
  /**
   * The FIN counts in the segment length of the window test (RFC 9293 SEG.LEN). BSD trims by
   * payload only (todrop = th_seq + tlen - (rcv_nxt + rcv_wnd)), so a FIN right after the
   * last byte of the window is acceptable.
   */
  readonly windowTestCountsFin: boolean;
  /** In SYN-RECEIVED any in-window RST drops the embryonic connection (Linux tcp_check_req; no challenge ACK). */
  readonly synRcvdRstInWindow: boolean;
  /**
   * Every ACK sent while our FIN is unacknowledged carries the FIN again, with SEQ = the
   * FIN's sequence number (BSD tcp_output "snd_nxt--" for a resent FIN).
   */
  readonly ackRepeatsFin: boolean;
  /**
   * What becomes of a segment left of the window. 'rcv-wup' (Linux tcp_sequence): it is
   * acceptable if it reaches the point last acknowledged (RCV.WUP), so a repeated FIN still
   * has its ACK processed. 'trim' (BSD tcp_do_segment): a wholly old segment is trimmed to
   * nothing, answered with an ACK, and its ACK field is still processed.
   */
  readonly oldSegmentRule: 'rcv-wup' | 'trim';
  /** How TIME-WAIT answers segments: Linux tcp_timewait_state_process or FreeBSD tcp_twcheck. */
  readonly timeWaitStyle: 'linux' | 'freebsd';

  // ---- closing and keep-alive ----
  /** Maximum segment lifetime (RFC 9293 §3.4.2). */
  readonly msl: Time;
  /** TIME-WAIT length (2*MSL in the RFC; Linux fixes it at 60 s). */
  readonly timeWait: Time;
  /**
   * close() with received data the user never read resets the connection (Linux tcp_close,
   * RFC 2525 §2.17); otherwise the data is flushed and the close is orderly (FreeBSD
   * tcp_disconnect: sbflush, then tcp_usrclosed).
   */
  readonly closeUnreadResets: boolean;
  /** How long an orphaned connection may sit in FIN-WAIT-2. */
  readonly finWait2Timeout: Time;
  readonly keepIdle: Time;
  readonly keepIntvl: Time;
  readonly keepCnt: number;

  // ---- listen ----
  /** Upper bound of a listen backlog (net.core.somaxconn, kern.ipc.soacceptqueue). */
  readonly somaxconn: number;
  /** Upper bound of embryonic (SYN-RECEIVED) connections per listener. */
  readonly maxSynBacklog: number;
  /** The accept queue is full when it holds more than backlog * factor (Linux 1, BSD 1.5). */
  readonly acceptBacklogFactor: number;
  /**
   * A connection reset while it waits in the accept queue stays there: accept() returns it and
   * the first read reports the reset (Linux: tcp_reset leaves the child queued). Otherwise the
   * transport withdraws its indication (T_DISCON_IND) and accept() never sees it; FreeBSD's
   * accept() fails with ECONNABORTED there instead (tcp_usr_accept, INP_DROPPED), which the
   * socket layer does not model.
   */
  readonly acceptQueueKeepsReset: boolean;
  /** Answer the final ACK with RST when the accept queue is full, instead of dropping it. */
  readonly abortOnOverflow: boolean;

  // ---- misc ----
  readonly nagle: boolean;
  /**
   * Minshall's Nagle variant (Linux tcp_minshall_check): hold a short segment only while an
   * earlier *short* segment is unacknowledged, not any data.
   */
  readonly nagleMinshall: boolean;
  /**
   * Nagle judges idleness once per output call, before segmenting (BSD tcp_output computes
   * `idle = snd_max == snd_una` ahead of its sendalot loop): a write that reaches an idle
   * connection goes out whole, its short tail included.
   */
  readonly nagleIdlePerCall: boolean;
  /**
   * ECN mode as the sysctl writes it (0 off, 1 request and answer, 2 answer only). Stored and
   * reported only: this TCP has no ECN (docs/tcp.md §6), so it never sets ECE/CWR.
   */
  readonly ecnMode: number;
  /**
   * Largest socket buffer the host allows (FreeBSD kern.ipc.maxsockbuf, sb_max): caps the
   * rounding of sockBufMssRounding. Autotuning and setsockopt are bounded by rcvBufMax/sndBufMax.
   */
  readonly sockBufLimit: number;
  readonly ephemeralLow: number;
  readonly ephemeralHigh: number;
  readonly ttl: number;
}

/** How one sysctl maps onto profile fields. */
export interface SysctlEntry {
  /** The profile fields this sysctl sets (for documentation and tooling). */
  readonly fields: readonly (keyof TcpProfile)[];
  /** Parse the sysctl's text value; an error result names what was expected. */
  parse(text: string): { ok: true; set: Partial<TcpProfile> } | { ok: false; error: string };
  /** The current value, formatted as the real sysctl prints it. */
  show(p: TcpProfile): string;
}

export type SysctlMap = Readonly<Record<string, SysctlEntry>>;

/** A copy of `base` with some fields replaced. */
export function tuneProfile(base: TcpProfile, changes: Partial<TcpProfile>): TcpProfile {
  return Object.freeze({ ...base, ...changes });
}

/** Apply one sysctl by name; unknown names and bad values are typed errors, never throws. */
export function withSysctl(
  base: TcpProfile,
  map: SysctlMap,
  name: string,
  value: string,
): { ok: true; profile: TcpProfile } | { ok: false; error: string } {
  const entry = map[name];
  if (!entry) return { ok: false, error: `unknown sysctl ${name}` };
  const r = entry.parse(value.trim());
  if (!r.ok) return { ok: false, error: `${name}: ${r.error}` };
  return { ok: true, profile: tuneProfile(base, r.set) };
}

// ---- helpers for building sysctl maps ----

export function parseIntStrict(text: string): number | null {
  return /^-?\d+$/.test(text) ? Number(text) : null;
}

/** A boolean sysctl (0/1). */
export function boolSysctl(field: keyof TcpProfile & string): SysctlEntry {
  return {
    fields: [field],
    parse(text) {
      const n = parseIntStrict(text);
      if (n === null || n < 0) return { ok: false, error: 'expected 0 or 1' };
      return { ok: true, set: { [field]: n !== 0 } as Partial<TcpProfile> };
    },
    show: (p) => (p[field] ? '1' : '0'),
  };
}

/** An integer sysctl, optionally in a unit (the field holds nanoseconds when unit is given). */
export function intSysctl(field: keyof TcpProfile & string, unit = 1, min = 0, max = Number.MAX_SAFE_INTEGER): SysctlEntry {
  return {
    fields: [field],
    parse(text) {
      const n = parseIntStrict(text);
      if (n === null || n < min || n > max) return { ok: false, error: `expected an integer in ${min}..${max}` };
      return { ok: true, set: { [field]: n * unit } as Partial<TcpProfile> };
    },
    show: (p) => String(Math.round((p[field] as number) / unit)),
  };
}

/** A "min default max" triple such as net.ipv4.tcp_rmem. */
export function tripleSysctl(
  fields: readonly [keyof TcpProfile & string, keyof TcpProfile & string, keyof TcpProfile & string],
): SysctlEntry {
  return {
    fields,
    parse(text) {
      const parts = text.split(/\s+/).map(parseIntStrict);
      if (parts.length !== 3 || parts.some((n) => n === null || n <= 0)) {
        return { ok: false, error: 'expected three positive integers "min default max"' };
      }
      const [a, b, c] = parts as number[];
      if (!(a! <= b! && b! <= c!)) return { ok: false, error: 'expected min <= default <= max' };
      return { ok: true, set: { [fields[0]]: a, [fields[1]]: b, [fields[2]]: c } as Partial<TcpProfile> };
    },
    show: (p) => fields.map((f) => String(p[f])).join('\t'),
  };
}
