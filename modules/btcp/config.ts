/**
 * BTCP's configuration: what UTCP passes down from the daemon (control/ctl.ts BtcpConfig) with
 * every limit filled in. The defaults suit a LAN cluster on a virtual clock; a scenario or a
 * spec shortens the timers it wants to see fire.
 */
import { MS, SEC } from '../../lib/sim/time.ts';
import type { BtcpConfig, BtcpLimits } from '../control/ctl.ts';

export const DEFAULT_LIMITS: BtcpLimits = {
  maxConns: 65_536,
  headTimeout: 10 * SEC,
  handoffTimeout: 500 * MS,
  synTimeout: 75 * SEC,
  idleTimeout: 15 * 60 * SEC,
  finLinger: 3 * SEC,
  maxRequestSegments: 48,
  maxRequestBytes: 48 * 1024,
  maxQueued: 64,
  maxPendingTerminates: 4096,
  terminateResendWindow: 10 * SEC,
  deadAfter: 3 * SEC,
};

/** How long the BE waits for its TCP to answer a replayed SYN (a SYN/ACK comes at once unless the backlog is full). */
export const BE_SYN_TIMEOUT = 200 * MS;

export interface ResolvedConfig extends BtcpConfig {
  limits: BtcpLimits;
}

export function resolveConfig(c: BtcpConfig): ResolvedConfig {
  const limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(c.limits ?? {})) {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) (limits as unknown as Record<string, number>)[k] = v;
  }
  limits.maxRequestSegments = Math.min(255, Math.floor(limits.maxRequestSegments));
  return { ...c, limits };
}
