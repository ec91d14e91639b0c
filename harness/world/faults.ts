/**
 * The fault model of one link direction. Every probability is per packet and drawn from the
 * direction's own RNG streams (one per fault kind), so changing one fault's rate does not move
 * the draws of another, and adding a link does not move anybody's.
 */
import type { Time } from '../../lib/sim/time.ts';

export interface FaultSettings {
  /** Probability a packet is lost on the wire (after it used the queue and the bandwidth). */
  loss: number;
  /** Probability a packet arrives twice (the copy right after the original). */
  duplicate: number;
  /** Probability a packet is held back by `reorderDelay`, so later packets overtake it. */
  reorder: number;
  reorderDelay: Time;
  /** Probability a packet has `corruptBits` random bits flipped (checksums then fail). */
  corrupt: number;
  corruptBits: number;
  /** Drop everything sent this way (a one-way partition). */
  partitioned: boolean;
}

export const noFaults: Readonly<FaultSettings> = Object.freeze({
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 0,
  corrupt: 0,
  corruptBits: 1,
  partitioned: false,
});

/** Merge a change into settings, refusing impossible values with a message naming the field. */
export function applyFaults(into: FaultSettings, change: Partial<FaultSettings>): void {
  for (const k of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    const v = change[k];
    if (v === undefined) continue;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`fault ${k} must be a probability in [0, 1], got ${v}`);
    into[k] = v;
  }
  if (change.reorderDelay !== undefined) {
    if (!(change.reorderDelay >= 0) || !Number.isFinite(change.reorderDelay)) {
      throw new RangeError(`fault reorderDelay must be a time >= 0 ns, got ${change.reorderDelay}`);
    }
    into.reorderDelay = Math.ceil(change.reorderDelay);
  }
  if (change.corruptBits !== undefined) {
    if (!Number.isInteger(change.corruptBits) || change.corruptBits < 1) {
      throw new RangeError(`fault corruptBits must be an integer >= 1, got ${change.corruptBits}`);
    }
    into.corruptBits = change.corruptBits;
  }
  if (change.partitioned !== undefined) into.partitioned = change.partitioned;
}

/** What a direction counts. Drops say where the packet died; faults what happened to it. */
export interface DirectionCounters {
  /** Packets and bytes offered to this direction. */
  sent: number;
  sentBytes: number;
  /** Packets and bytes handed to the far end (duplicates included). */
  delivered: number;
  deliveredBytes: number;
  /** Lost on the wire (the loss fault). */
  lost: number;
  /** Refused because the direction was partitioned. */
  partitionDrops: number;
  /** Refused or lost in flight because the link was down. */
  downDrops: number;
  /** Tail drops: the queue was full. */
  queueDrops: number;
  /** Larger than the link MTU. */
  mtuDrops: number;
  /** Delivered with flipped bits. */
  corrupted: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Held back by the reorder fault. */
  reordered: number;
  /** Deepest the queue got, in packets (including the one on the wire). */
  maxQueue: number;
}

export function zeroCounters(): DirectionCounters {
  return {
    sent: 0,
    sentBytes: 0,
    delivered: 0,
    deliveredBytes: 0,
    lost: 0,
    partitionDrops: 0,
    downDrops: 0,
    queueDrops: 0,
    mtuDrops: 0,
    corrupted: 0,
    duplicated: 0,
    reordered: 0,
    maxQueue: 0,
  };
}
