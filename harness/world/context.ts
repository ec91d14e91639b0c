/** What every object of one world shares: the clock, the random source, the trace. */
import type { Scheduler } from '../../lib/sim/scheduler.ts';
import type { SeededRng } from '../../lib/sim/rng.ts';
import type { TraceSink } from '../../lib/sim/trace.ts';
import type { NeighbourAddr } from '../../modules/netdrv/device.ts';

export interface WorldContext {
  readonly sched: Scheduler;
  readonly rng: SeededRng;
  readonly trace: TraceSink;
  /** A fresh packet serial number (packets are numbered when first sent, for the trace). */
  packetId(): number;
}

/** A packet on the wire, with the next hop its sender chose (what a link-layer header holds). */
export interface Frame {
  data: Uint8Array;
  nextHop: NeighbourAddr | null;
  /** Serial number, shared by a packet's duplicates. */
  id: number;
}
