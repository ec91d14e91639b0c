/**
 * Congestion-control algorithms by name (Linux tcp_congestion_control, BSD cc.algorithm).
 * Unknown names fall back to NewReno, which `algorithmFor` reports so callers can warn.
 */
import type { CongestionFactory } from './cc.ts';
import { newReno } from './newreno.ts';

const algorithms = new Map<string, CongestionFactory>([[newReno.name, newReno]]);

export function registerCongestion(f: CongestionFactory): void {
  algorithms.set(f.name, f);
}

export function algorithmFor(name: string): { factory: CongestionFactory; fallback: boolean } {
  const f = algorithms.get(name);
  return f ? { factory: f, fallback: false } : { factory: newReno, fallback: true };
}

export function congestionNames(): string[] {
  return [...algorithms.keys()];
}

export type { CongestionControl, CongestionFactory } from './cc.ts';
