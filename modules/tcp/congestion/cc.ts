/**
 * The congestion-control interface (smoltcp's `congestion/`, FreeBSD's cc_algo): the
 * endpoint detects events — new data ACKed, loss detected, recovery over, timeout — and
 * the algorithm decides cwnd and ssthresh. Loss *recovery* (which bytes to resend) stays
 * in the endpoint (recovery.ts); only the window arithmetic lives here.
 * All quantities are bytes.
 */
import type { Time } from '../../../lib/sim/time.ts';

export interface CongestionControl {
  readonly name: string;
  cwnd: number;
  ssthresh: number;
  /**
   * A cumulative ACK newly acknowledged `acked` bytes outside recovery. `cwndLimited` says
   * whether the sender was using its window (RFC 7661: do not grow an unused window).
   */
  onAck(acked: number, mss: number, cwndLimited: boolean, now: Time): void;
  /** Loss detected by duplicate ACKs or SACK: set ssthresh (RFC 5681 eq. 4). */
  onCongestion(flight: number, mss: number, now: Time): void;
  /** A full ACK ended fast recovery (RFC 6582 §3.2 step 3). */
  onRecoveryExit(flight: number, mss: number): void;
  /** Retransmission timeout (RFC 5681 §3.1): ssthresh from flight, cwnd to one segment. */
  onRto(flight: number, mss: number): void;
  /** Sending resumed after an idle period longer than the RTO (RFC 5681 §4.1). */
  onIdleRestart(initialWindow: number): void;
}

export interface CongestionFactory {
  readonly name: string;
  create(initialWindow: number, now: Time): CongestionControl;
}
