/**
 * NewReno window arithmetic: slow start with appropriate byte counting (RFC 3465, L = 2),
 * congestion avoidance by byte counting (RFC 5681 §3.1), halving on loss (RFC 5681 eq. 4),
 * and the RFC 6582 §3.2 step 3 "option 1" window on leaving recovery.
 */
import type { Time } from '../../../lib/sim/time.ts';
import type { CongestionControl, CongestionFactory } from './cc.ts';

/** cwnd never grows past this (1 GiB): the send window bounds it long before. */
const CWND_CAP = 1 << 30;

export class NewReno implements CongestionControl {
  readonly name = 'newreno';
  cwnd: number;
  ssthresh = CWND_CAP;
  /** Bytes acknowledged since cwnd last grew in congestion avoidance. */
  private acc = 0;

  constructor(initialWindow: number) {
    this.cwnd = initialWindow;
  }

  onAck(acked: number, mss: number, cwndLimited: boolean): void {
    if (!cwndLimited) return;
    if (this.cwnd < this.ssthresh) {
      this.cwnd = Math.min(this.cwnd + Math.min(acked, 2 * mss), CWND_CAP);
      return;
    }
    this.acc += acked;
    if (this.acc >= this.cwnd) {
      this.acc -= this.cwnd;
      this.cwnd = Math.min(this.cwnd + mss, CWND_CAP);
    }
  }

  onCongestion(flight: number, mss: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
    this.acc = 0;
  }

  onRecoveryExit(flight: number, mss: number): void {
    this.cwnd = Math.min(this.ssthresh, Math.max(flight, mss) + mss);
  }

  onRto(flight: number, mss: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
    this.cwnd = mss;
    this.acc = 0;
  }

  onIdleRestart(initialWindow: number): void {
    this.cwnd = Math.min(this.cwnd, initialWindow);
  }
}

export const newReno: CongestionFactory = {
  name: 'newreno',
  create: (iw: number, _now: Time) => new NewReno(iw),
};
