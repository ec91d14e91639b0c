/**
 * One binary min-heap of deadlines over all connections of a stack, so that a driver needs a
 * single framework timer. Entries are never removed in place: a connection remembers the
 * time of its live entry (`heapAt`); entries whose time no longer matches are stale and are
 * skipped when they surface. A connection pushes only when its deadline moves earlier than
 * its live entry, so a stream of ACKs that keeps pushing the RTO later costs nothing here.
 * Entries name a connection by its timer slot (a number the stack maps to the endpoint or
 * its TIME-WAIT record), so a stale entry never keeps a closed connection's TCB alive.
 */
import type { Time } from '../../lib/sim/time.ts';

export class TimerHeap {
  private times: Time[] = [];
  private eps: number[] = [];

  get size(): number {
    return this.times.length;
  }

  /** Earliest entry time (possibly stale), or Infinity. */
  peek(): Time {
    return this.times.length > 0 ? this.times[0]! : Number.POSITIVE_INFINITY;
  }

  push(at: Time, ep: number): void {
    const t = this.times;
    const e = this.eps;
    let i = t.length;
    t.push(at);
    e.push(ep);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent]! <= at) break;
      t[i] = t[parent]!;
      e[i] = e[parent]!;
      i = parent;
    }
    t[i] = at;
    e[i] = ep;
  }

  /** Remove the earliest entry; returns its slot, or -1 when empty (and leaves its time in `lastTime`). */
  pop(): number {
    const t = this.times;
    const e = this.eps;
    if (t.length === 0) return -1;
    const topEp = e[0]!;
    this.lastTime = t[0]!;
    const lastT = t.pop()!;
    const lastE = e.pop()!;
    const n = t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && t[r]! < t[l]! ? r : l;
        if (t[c]! >= lastT) break;
        t[i] = t[c]!;
        e[i] = e[c]!;
        i = c;
      }
      t[i] = lastT;
      e[i] = lastE;
    }
    return topEp;
  }

  lastTime: Time = 0;
}
