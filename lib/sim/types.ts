/**
 * The seam between the machinery that keeps time (lib/sim, driven by the harness) and the code
 * that only asks for it (the STREAMS framework, modules). Modules never read a real clock:
 * they get one of these, as smoltcp passes `Instant` in.
 */
import type { Time } from './time.ts';

export type TimerId = number;

export interface TimeSource {
  /** Current virtual time in nanoseconds. */
  now(): Time;
  /** Run fn once after `delay` ns (>= 0). Same-time events run in the order scheduled. */
  schedule(delay: Time, fn: () => void): TimerId;
  /** Cancel a pending timer; cancelling a fired or unknown id is a no-op. */
  cancel(id: TimerId): void;
}

/** A seeded, reproducible random source. */
export interface Rng {
  /** Uniform unsigned 32-bit integer. */
  u32(): number;
  /** Uniform float in [0, 1). */
  float(): number;
  /** An independent generator derived from this one and a label (stable across runs). */
  fork(label: string): Rng;
}
