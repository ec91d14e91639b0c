/**
 * Retransmission timeout per RFC 6298: SRTT/RTTVAR smoothing (§2), exponential backoff
 * (§5.5), and Karn's rule (§3) — the caller only feeds samples from segments that were
 * not retransmitted, or from timestamp echoes (RFC 7323 §4), which are unambiguous.
 */
import type { Time } from '../../lib/sim/time.ts';
import type { TcpProfile } from './profile.ts';

/** Clock granularity G of RFC 6298 §2.3. */
const G: Time = 1_000_000;

export class RttEstimator {
  srtt: Time = 0;
  rttvar: Time = 0;
  /** Smallest RTT seen (for TCP_INFO). */
  minRtt: Time = 0;
  hasSample = false;
  /** The RTO before backoff and slop. */
  base: Time;
  /** Number of doublings applied since the last valid sample. */
  backoff = 0;

  constructor(initial: Time) {
    this.base = initial;
  }

  /**
   * Current RTO, backoff applied, clamped to the profile's maximum. The slop comes after the
   * backoff (FreeBSD TCPT_RANGESET(t_rxtcur, TCP_REXMTVAL * tcp_backoff[shift]) adds
   * tcp_rexmit_slop to the product); the initial RTO, set before any sample or expiry, has none.
   */
  rto(p: TcpProfile): Time {
    const slop = this.hasSample || this.backoff > 0 ? p.rtoSlop : 0;
    return Math.min(this.base * 2 ** this.backoff + slop, p.rtoMax);
  }

  sample(r: Time, p: TcpProfile): void {
    if (r < 0) return;
    if (!this.hasSample) {
      this.srtt = r;
      this.rttvar = r / 2;
      this.minRtt = r;
      this.hasSample = true;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
      if (r < this.minRtt) this.minRtt = r;
    }
    let rto: Time;
    if (p.rtoMinIsVarianceFloor) {
      rto = this.srtt + Math.max(4 * this.rttvar, p.rtoMin);
    } else {
      rto = Math.max(p.rtoMin, this.srtt + Math.max(G, 4 * this.rttvar));
    }
    this.base = Math.min(Math.round(rto), p.rtoMax);
    // §5.7 of RFC 6298 / Karn: a valid sample ends the backoff.
    this.backoff = 0;
  }

  /** §5.5: double the RTO after a retransmission timeout. */
  backOff(p: TcpProfile): void {
    if (this.base * 2 ** this.backoff < p.rtoMax) this.backoff++;
  }
}
