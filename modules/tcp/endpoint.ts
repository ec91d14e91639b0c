/**
 * One connection: the TCB of RFC 9293 §3.3.1 and the user calls of §3.10.1-§3.10.6
 * (gVisor's endpoint.go). Segment arrival lives in input.ts, the handshake in connect.ts,
 * sending in snd.ts, receiving in rcv.ts, loss recovery in recovery.ts, timers in timer.ts.
 * Those files work on the fields below directly; outside modules/tcp use the methods.
 *
 * The endpoint never reads a clock: every entry point takes `now`.
 */
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { seq, seqAdd, seqDiff, type Seq } from '../../lib/wire/seq.ts';
import type { CongestionControl } from './congestion/cc.ts';
import { NO_HANDLER, type TcpErrno, type TcpHandler } from './events.ts';
import type { TcpListener } from './listen.ts';
import type { SackBlock } from './options.ts';
import type { TcpProfile } from './profile.ts';
import { RecvBuffer } from './recv-buffer.ts';
import { RttEstimator } from './rtt.ts';
import type { SackScoreboard } from './sack-scoreboard.ts';
import type { SegmentQueue } from './segment-queue.ts';
import { SendBuffer } from './send-buffer.ts';
import { TcpState, canSend, stateName } from './state.ts';
import type { TcpStack } from './stack.ts';
import { afterRead, rcvWindowNow } from './rcv.ts';
import { output, sendRst } from './snd.ts';
import { armKeepalive, setCloseTimer } from './timer.ts';
import { tcpInfo, type TcpInfo } from './info.ts';

const NEVER = Number.POSITIVE_INFINITY;
/** Shared empty list (replaced, never changed): most connections never reorder. */
const NO_SEQS: readonly Seq[] = Object.freeze([]);

export class TcpEndpoint {
  readonly stack: TcpStack;
  state: TcpState = TcpState.CLOSED;
  localAddr: Ipv4Addr;
  localPort: number;
  remoteAddr: Ipv4Addr;
  remotePort: number;
  handler: TcpHandler = NO_HANDLER;
  /** Free for the owner (a driver's per-stream state). */
  user: unknown = null;
  /** The listener of a passive connection until it is accepted. */
  listener: TcpListener | null = null;
  /** Created by a listener (matters for RST in SYN-RECEIVED, RFC 9293 §3.10.7.4). */
  passive = false;
  /** Registered in the stack's demultiplexing table. */
  registered = false;

  // ---- send sequence space (RFC 9293 §3.3.1) ----
  iss: Seq = seq(0);
  sndUna: Seq = seq(0);
  /** Next sequence number to send; after a timeout it is pulled back to SND.UNA. */
  sndNxt: Seq = seq(0);
  /** Highest sequence number sent (BSD snd_max). */
  sndMax: Seq = seq(0);
  /** End of the last short segment sent (Linux snd_sml, for Minshall's Nagle). */
  sndSml: Seq = seq(0);
  sndWnd = 0;
  sndWl1: Seq = seq(0);
  sndWl2: Seq = seq(0);
  /** Largest window the peer ever offered (RFC 9293 §3.8.6.2.1, RFC 5961 §5.2). */
  maxSndWnd = 0;
  sndWscale = 0;
  readonly sndBuf = new SendBuffer();
  sndBufSize: number;
  sndBufLocked = false;
  /** The user asked for a FIN (shutdown or close); it goes after the buffered data. */
  finQueued = false;
  /** Our FIN has been sent at least once. */
  finSent = false;

  // ---- receive sequence space ----
  irs: Seq = seq(0);
  rcvNxt: Seq = seq(0);
  /** Right edge of the window last advertised (RCV.NXT + RCV.WND when it was sent). */
  rcvAdv: Seq = seq(0);
  rcvWscale = 0;
  readonly rcvBuf = new RecvBuffer();
  rcvBufSize: number;
  rcvBufLocked = false;
  /** Out-of-order segments, allocated on first use. */
  reasm: SegmentQueue | null = null;
  /** The window size chosen for the last segment sent (Linux tp->rcv_wnd). */
  rcvWndLast = 0;
  /** Linux rcv_ssthresh: the offered window grows toward the buffer as data arrives. */
  rcvSsthresh = 0;
  /** The peer's FIN has been received (in order). */
  finReceived = false;
  /** Receive urgent pointer (RFC 9293 §3.8.5); data stays inline. */
  rcvUp: Seq = seq(0);
  hasUrgent = false;

  // ---- options ----
  tsOn = false;
  sackOn = false;
  wsOn = false;
  tsRecent = 0;
  tsRecentAge: Time = 0;
  lastAckSent: Seq = seq(0);
  tsOffset = 0;
  /** Payload bytes in a full-sized segment we send (MSS less option overhead). */
  sndMss = 536;
  /** MSS the peer announced (or the default). */
  peerMss = 536;
  /** MSS we announced. */
  advMss = 536;
  /** Estimate of the peer's full segment size (delayed-ACK decisions). */
  rcvMss = 536;
  /** TCP_MAXSEG set by the user (0: none). */
  userMss = 0;
  mtu = 1500;

  // ---- round-trip time ----
  readonly rtt: RttEstimator;
  /** Sequence number being timed (Karn: only segments sent once), or -1 when none. */
  rttSeq = -1;
  rttTime: Time = 0;
  /** End of the segment last retransmitted from SND.UNA while SND.UNA is below it, or -1. */
  rtxSegEnd = -1;

  // ---- congestion control and recovery ----
  cc!: CongestionControl;
  dupAcks = 0;
  /** RFC 6582 `recover`. */
  recover: Seq = seq(0);
  inRecovery = false;
  /** Most bytes in flight during the current round trip (ends when SND.UNA passes maxFlightSeq). */
  maxFlight = 0;
  maxFlightSeq: Seq = seq(0);
  /** Partial ACKs seen in this recovery (RFC 6582 "impatient" timer rule). */
  partialAcks = 0;
  /** Do not restart the RTO on this ACK. */
  holdRto = false;
  sackBoard: SackScoreboard | null = null;
  /** Consecutive retransmission timeouts of the same data. */
  retransmits = 0;
  /** Times the SYN or SYN/ACK was retransmitted. */
  synRetrans = 0;
  /** Time the last data was sent (restart after idle, RFC 5681 §4.1). */
  lastSndTime: Time = 0;
  lastRcvTime: Time = 0;

  // ---- timers (absolute virtual times; Infinity when off) ----
  rtoAt: Time = NEVER;
  persistAt: Time = NEVER;
  delackAt: Time = NEVER;
  keepAt: Time = NEVER;
  /** TIME-WAIT, FIN-WAIT-2 and linger share this one. */
  closeAt: Time = NEVER;
  persistBackoff = 0;
  /** Zero-window probes sent without an ACK in between. */
  persistProbes = 0;
  keepProbes = 0;
  /** Timer-heap bookkeeping (timer-heap.ts): the live entry's time, and this connection's slot. */
  heapAt: Time = NEVER;
  timerSlot = -1;

  // ---- acknowledgments ----
  ackNow = false;
  /** Bytes and segments received since the last ACK we sent. */
  unackedBytes = 0;
  unackedSegs = 0;
  quickAcks = 0;
  /** A D-SACK block to report on the next ACK (RFC 2883). */
  dsack: SackBlock | null = null;
  /** Sequence numbers inside the most recently changed out-of-order blocks, newest first. */
  sackRecent: readonly Seq[] = NO_SEQS;
  oowCount = 0;
  oowWindowStart: Time = -NEVER;
  /** FreeBSD-style receive-buffer autotuning: bytes since rfbufTs. */
  rfbufCnt = 0;
  rfbufTs = 0;

  // ---- user settings ----
  nodelay: boolean;
  keepAlive = false;
  keepIdle: Time = 0;
  keepIntvl: Time = 0;
  keepCnt = 0;
  /** SO_LINGER: -1 off, else the linger time (0: abortive close). */
  linger: Time = -1;
  /** TCP_SYNCNT (0: the profile's synRetries). */
  synRetries = 0;
  /** TCP_LINGER2: orphaned FIN-WAIT-2 lifetime (0: the profile's). */
  linger2: Time = 0;
  /** TCP_WINDOW_CLAMP: largest window offered (0: no clamp). */
  windowClamp = 0;
  /** TCP_USER_TIMEOUT: longest time data may stay unacknowledged (0: count retransmissions). */
  userTimeout: Time = 0;
  /** When the current run of retransmission timeouts began (for userTimeout). */
  retransSince: Time = 0;
  /** The user called close(): nobody will read any more (an orphan). */
  orphan = false;
  shutRd = false;
  shutWr = false;
  writeBlocked = false;
  error: TcpErrno | null = null;

  // ---- statistics (TCP_INFO) ----
  bytesAcked = 0;
  bytesReceived = 0;
  segsIn = 0;
  segsOut = 0;
  dataSegsIn = 0;
  dataSegsOut = 0;
  totalRetrans = 0;

  constructor(stack: TcpStack, local: Ipv4Addr, localPort: number, remote: Ipv4Addr, remotePort: number) {
    this.stack = stack;
    this.localAddr = local;
    this.localPort = localPort;
    this.remoteAddr = remote;
    this.remotePort = remotePort;
    const p = stack.profile;
    this.rtt = new RttEstimator(p.rtoInitial);
    this.sndBufSize = p.sndBufDefault;
    this.rcvBufSize = p.rcvBufDefault;
    this.nodelay = !p.nagle;
  }

  get profile(): TcpProfile {
    return this.stack.profile;
  }

  get stateName(): string {
    return stateName(this.state);
  }

  // ---------------------------------------------------------------- sending

  /**
   * Queue bytes to send (SEND call, §3.10.2). Returns how many were taken — fewer than
   * offered when the send buffer is full (then `writable` fires when room appears) — or
   * -1 when the connection can no longer send (after shutdown, close or an error).
   * The bytes are kept by reference: do not modify them afterwards.
   */
  send(data: Uint8Array, now: Time): number {
    if (this.shutWr || this.error || !(canSend(this.state) || this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECEIVED)) {
      return -1;
    }
    this.stack.enter(now);
    const room = this.sndBufSize - this.sndBuf.length;
    const n = Math.min(room, data.length);
    if (n > 0) this.sndBuf.append(n === data.length ? data : data.subarray(0, n));
    if (n < data.length) this.writeBlocked = true;
    if (n > 0) output(this);
    this.stack.reschedule(this);
    this.stack.leave();
    return n;
  }

  /**
   * Queue bytes past the send-buffer limit: what a closing stream still held goes out after
   * everything else (its amount is bounded by the stream's own queue limits).
   */
  sendAll(data: Uint8Array, now: Time): boolean {
    if (this.shutWr || this.error || !(canSend(this.state) || this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECEIVED)) {
      return false;
    }
    this.stack.enter(now);
    this.sndBuf.append(data);
    output(this);
    this.stack.reschedule(this);
    this.stack.leave();
    return true;
  }

  /** Bytes that fit in the send buffer now. */
  get sendSpace(): number {
    return Math.max(0, this.sndBufSize - this.sndBuf.length);
  }

  /** Bytes written but not yet acknowledged (SIOCOUTQ). */
  get unacknowledged(): number {
    return this.sndBuf.length;
  }

  /** Bytes written but never sent (SIOCOUTQNSD). */
  get unsent(): number {
    return Math.max(0, this.sndBuf.length - Math.max(0, seqDiff(this.sndMax, this.sndUna) - (this.synPending() ? 1 : 0)));
  }

  /** Our SYN is not yet acknowledged (it occupies SND.UNA). */
  synPending(): boolean {
    return this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECEIVED;
  }

  // ---------------------------------------------------------------- receiving

  /** Bytes ready to read (SIOCINQ / FIONREAD). */
  get readable(): number {
    return this.rcvBuf.length;
  }

  /** End of stream: the peer's FIN has arrived and every byte before it was read. */
  get eof(): boolean {
    return this.finReceived && this.rcvBuf.length === 0;
  }

  /** Take up to `max` bytes (RECEIVE call, §3.10.3) as one view; null when nothing is buffered. */
  read(max: number, now: Time): Uint8Array | null {
    this.stack.enter(now);
    const out = this.rcvBuf.read(max);
    if (out) {
      afterRead(this);
      this.stack.reschedule(this);
    }
    this.stack.leave();
    return out;
  }

  /** Copy up to dst.length bytes into dst. */
  readInto(dst: Uint8Array, now: Time): number {
    this.stack.enter(now);
    const n = this.rcvBuf.readInto(dst);
    if (n > 0) {
      afterRead(this);
      this.stack.reschedule(this);
    }
    this.stack.leave();
    return n;
  }

  /** The receive window we would offer right now. */
  get receiveWindow(): number {
    return rcvWindowNow(this);
  }

  // ---------------------------------------------------------------- closing

  /** Half-close (shutdown(SHUT_WR), T_ORDREL_REQ): send a FIN after the buffered data. */
  shutdown(now: Time): void {
    this.stack.enter(now);
    if (!this.shutWr) {
      this.shutWr = true;
      if (this.state === TcpState.SYN_SENT && this.sndBuf.length === 0) {
        // §3.10.4: only a SYN was sent; the connection just goes.
        this.stack.destroy(this);
      } else {
        this.queueFin();
      }
      this.stack.reschedule(this);
    }
    this.stack.leave();
  }

  /** §3.10.4 CLOSE in a state that can still send: queue the FIN and change state. */
  private queueFin(): void {
    switch (this.state) {
      case TcpState.SYN_SENT:
      case TcpState.SYN_RECEIVED:
        // Sent once the handshake completes (the state changes then).
        this.finQueued = true;
        return;
      case TcpState.ESTABLISHED:
        this.finQueued = true;
        this.stack.setState(this, TcpState.FIN_WAIT_1);
        break;
      case TcpState.CLOSE_WAIT:
        this.finQueued = true;
        this.stack.setState(this, TcpState.LAST_ACK);
        break;
      default:
        return;
    }
    output(this);
  }

  /** Stop reading (shutdown(SHUT_RD)): later data is still acknowledged but discarded. */
  shutdownRead(now: Time): void {
    this.stack.enter(now);
    this.shutRd = true;
    this.rcvBuf.clear();
    this.stack.leave();
  }

  /**
   * CLOSE (§3.10.4) with socket semantics: the user goes away. Unread data (where the profile
   * says closeUnreadResets), or SO_LINGER with a zero time, aborts with a RST (RFC 2525 §2.17);
   * otherwise unread data is dropped and a FIN follows the
   * buffered data and the connection finishes on its own (an orphan). A linger time above
   * zero only says how long the caller waits for `drained`; the TCP does not use it.
   */
  close(now: Time): void {
    this.stack.enter(now);
    if (!this.orphan) {
      this.orphan = true;
      this.shutRd = true;
      this.writeBlocked = false;
      this.listener?.forget(this);
      if (this.state === TcpState.CLOSED || this.state === TcpState.SYN_SENT) {
        this.stack.destroy(this);
      } else if ((this.rcvBuf.length > 0 && this.profile.closeUnreadResets) || this.linger === 0) {
        if (this.rcvBuf.length > 0) this.stack.mib.TCPAbortOnClose++;
        else this.stack.mib.TCPAbortOnLinger++;
        this.rcvBuf.clear();
        this.abortWithRst(null);
      } else {
        // BSD tcp_disconnect: unread data is flushed (sbflush) and the close is orderly.
        this.rcvBuf.clear();
        this.shutWr = true;
        this.queueFin();
        if (this.state === TcpState.FIN_WAIT_2) setCloseTimer(this, this.stack.now + this.finWait2Timeout());
        this.stack.reschedule(this);
      }
    }
    this.stack.leave();
  }

  /** ABORT (§3.10.5): RST to the peer if synchronized, then delete the TCB. */
  abort(now: Time): void {
    this.stack.enter(now);
    this.orphan = true;
    if (this.state !== TcpState.CLOSED) this.abortWithRst(null);
    this.stack.leave();
  }

  /** Drop the connection from outside (tcpdrop): RST to the peer, ECONNABORTED to the user. */
  kill(now: Time): void {
    this.stack.enter(now);
    if (this.state !== TcpState.CLOSED) this.abortWithRst('ECONNABORTED');
    this.stack.leave();
  }

  /** Send RST (when the state calls for one) and delete the TCB, reporting `err` if given. */
  abortWithRst(err: TcpErrno | null): void {
    if (
      this.state === TcpState.SYN_RECEIVED ||
      this.state === TcpState.ESTABLISHED ||
      this.state === TcpState.FIN_WAIT_1 ||
      this.state === TcpState.FIN_WAIT_2 ||
      this.state === TcpState.CLOSE_WAIT
    ) {
      sendRst(this);
    }
    if (this.state === TcpState.ESTABLISHED || this.state === TcpState.CLOSE_WAIT) this.stack.mib.EstabResets++;
    this.drop(err);
  }

  /** Delete the TCB, telling the user why (RFC 9293 "enter CLOSED, delete TCB"). */
  drop(err: TcpErrno | null): void {
    if (err && !this.error) {
      this.error = err;
      this.stack.postError(this, err);
    }
    this.stack.destroy(this);
  }

  // ---------------------------------------------------------------- options

  /** TCP_NODELAY. */
  setNoDelay(on: boolean, now: Time): void {
    this.stack.enter(now);
    this.nodelay = on;
    if (on) output(this);
    this.stack.reschedule(this);
    this.stack.leave();
  }

  /** SO_KEEPALIVE, with optional TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (0: profile value). */
  setKeepAlive(on: boolean, now: Time, idle: Time = 0, intvl: Time = 0, cnt = 0): void {
    this.stack.enter(now);
    this.keepAlive = on;
    if (idle > 0) this.keepIdle = idle;
    if (intvl > 0) this.keepIntvl = intvl;
    if (cnt > 0) this.keepCnt = cnt;
    armKeepalive(this);
    this.stack.reschedule(this);
    this.stack.leave();
  }

  /** SO_LINGER: null turns it off; 0 makes close() abortive; more is the caller's wait. */
  setLinger(time: Time | null): void {
    this.linger = time === null ? -1 : Math.max(0, time);
  }

  /** SO_SNDBUF (doubled on profiles that do so). Returns the stored value. */
  setSendBuffer(bytes: number): number {
    const p = this.profile;
    const v = Math.max(p.sndBufMin, Math.min(p.bufDoubling ? bytes * 2 : bytes, p.sndBufMax * 2));
    this.sndBufSize = v;
    this.sndBufLocked = true;
    return v;
  }

  /** SO_RCVBUF (doubled on profiles that do so). Returns the stored value. */
  setReceiveBuffer(bytes: number): number {
    const p = this.profile;
    const v = Math.max(p.rcvBufMin, Math.min(p.bufDoubling ? bytes * 2 : bytes, p.rcvBufMax * 2));
    this.rcvBufSize = v;
    this.rcvBufLocked = true;
    return v;
  }

  /** TCP_MAXSEG: caps the MSS we announce and use. */
  setMaxSeg(bytes: number): void {
    this.userMss = Math.max(0, Math.floor(bytes));
  }

  /** Lifetime of an orphaned FIN-WAIT-2 connection. */
  finWait2Timeout(): Time {
    return this.linger2 > 0 ? this.linger2 : this.profile.finWait2Timeout;
  }

  /** Keep-alive parameters in force. */
  keepParams(): { idle: Time; intvl: Time; cnt: number } {
    const p = this.profile;
    return {
      idle: this.keepIdle || p.keepIdle,
      intvl: this.keepIntvl || p.keepIntvl,
      cnt: this.keepCnt || p.keepCnt,
    };
  }

  // ---------------------------------------------------------------- inspection

  /** A TCP_INFO-like snapshot (for ss / sockstat emulation). */
  info(): TcpInfo {
    return tcpInfo(this);
  }

  /** Sequence number right after the last data byte the user queued. */
  dataEnd(): Seq {
    return seqAdd(this.sndUna, this.sndBuf.length + (this.synPending() ? 1 : 0));
  }

  toString(): string {
    return `tcp ${this.localPort}->${this.remotePort} ${this.stateName}`;
  }
}
