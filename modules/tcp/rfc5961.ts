/**
 * Rate limits on the ACKs a connection sends in answer to segments it will not accept:
 * challenge ACKs (RFC 5961 §3.2, §4.2, §5.2, with the host-wide limit of §7) and duplicate
 * ACKs for out-of-window or PAWS-failing segments. Unlimited answers would let an attacker
 * turn one TCP into an ACK reflector (Linux tcp_oow_rate_limited, BSD ack_war).
 */
import type { Time } from '../../lib/sim/time.ts';
import { SEC } from '../../lib/sim/time.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { sendAck } from './snd.ts';

/** Host-wide challenge-ACK budget (one per stack), refilled every second. */
export class ChallengeLimiter {
  private second = -1;
  private count = 0;

  allow(limit: number, now: Time): boolean {
    if (limit <= 0) return true;
    const s = Math.floor(now / SEC);
    if (s !== this.second) {
      this.second = s;
      this.count = 0;
    }
    return ++this.count <= limit;
  }
}

/**
 * Per-connection budget: at most oowAckCount answers per oowAckWindow. Segments with data
 * (and no SYN) are exempt, as in Linux: they cannot be part of an ACK loop.
 */
export function oowAllowed(ep: TcpEndpoint, hasData: boolean): boolean {
  const p = ep.profile;
  if (hasData || p.oowAckCount <= 0 || p.oowAckWindow <= 0) return true;
  const now = ep.stack.now;
  if (now - ep.oowWindowStart >= p.oowAckWindow) {
    ep.oowWindowStart = now;
    ep.oowCount = 0;
  }
  return ++ep.oowCount <= p.oowAckCount;
}

/** RFC 5961 challenge ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, if both budgets allow. */
export function challengeAck(ep: TcpEndpoint, limiter: ChallengeLimiter, hasData: boolean): void {
  const mib = ep.stack.mib;
  if (!oowAllowed(ep, hasData) || !limiter.allow(ep.profile.challengeAckLimit, ep.stack.now)) {
    mib.TCPACKSkippedChallenge++;
    return;
  }
  mib.TCPChallengeACK++;
  sendAck(ep, true);
}

/** Duplicate ACK for an unacceptable segment (§3.10.7.4 first step), rate-limited. */
export function oowAck(ep: TcpEndpoint, hasData: boolean, why: 'seq' | 'paws'): void {
  if (!oowAllowed(ep, hasData)) {
    if (why === 'paws') ep.stack.mib.TCPACKSkippedPAWS++;
    else ep.stack.mib.TCPACKSkippedSeq++;
    return;
  }
  sendAck(ep);
}
