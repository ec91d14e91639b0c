/**
 * A bounded table of connections keyed by their 4-tuple, with idle timeouts driven by a `now`
 * the caller passes in (modules never read a clock). BTCP keeps one on each node: the FE for
 * connections being recorded, handed off or forwarded, the BE for connections it took over.
 *
 * Every entry has an idle timeout; any touch moves its deadline to now + timeout. expire(now)
 * hands back the entries whose deadline passed, so the caller can free what they hold (send
 * a TERMINATE, a RST) — the "timeouts free state a lost message would leave behind" of
 * DESIGN §4. Deadlines sit in a min-heap that is re-sorted lazily: a touch is O(1), and an
 * entry whose deadline moved is re-queued only when its old deadline comes up.
 */
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';

/** A connection as the network sees it, from the client's side. */
export interface FourTuple {
  clientAddr: Ipv4Addr;
  clientPort: number;
  /** The address and port the client reaches (the VIP on the FE, the BE address on a BE). */
  serverAddr: Ipv4Addr;
  serverPort: number;
}

/** A Map key for a tuple; exact, as 2^32 * 2^16 < 2^53. */
export function tupleKey(t: FourTuple): string {
  return `${t.clientAddr * 65536 + t.clientPort}>${t.serverAddr * 65536 + t.serverPort}`;
}

/**
 * Entries by tuple: a map by server endpoint of maps by client endpoint, each keyed by the
 * exact number addr * 2^16 + port. Looked up for every forwarded packet: numeric keys cost
 * no string building (tupleKey is for display and specs).
 */
class TupleMap<E> {
  private readonly byServer = new Map<number, Map<number, E>>();
  size = 0;

  get(t: FourTuple): E | undefined {
    return this.byServer.get(t.serverAddr * 65536 + t.serverPort)?.get(t.clientAddr * 65536 + t.clientPort);
  }

  has(t: FourTuple): boolean {
    return this.get(t) !== undefined;
  }

  set(t: FourTuple, e: E): void {
    const sk = t.serverAddr * 65536 + t.serverPort;
    let m = this.byServer.get(sk);
    if (m === undefined) this.byServer.set(sk, (m = new Map()));
    const ck = t.clientAddr * 65536 + t.clientPort;
    if (!m.has(ck)) this.size++;
    m.set(ck, e);
  }

  delete(t: FourTuple): void {
    const sk = t.serverAddr * 65536 + t.serverPort;
    const m = this.byServer.get(sk);
    if (m === undefined || !m.delete(t.clientAddr * 65536 + t.clientPort)) return;
    this.size--;
    if (m.size === 0) this.byServer.delete(sk);
  }

  *values(): IterableIterator<E> {
    for (const m of this.byServer.values()) yield* m.values();
  }
}

interface Entry<V> {
  tuple: FourTuple;
  value: V;
  timeout: Time;
  /** Idle deadline: the entry expires once now >= deadline. */
  deadline: Time;
  /** The time of this entry's current heap node; always <= deadline. */
  queuedAt: Time;
  live: boolean;
}

/** A heap node; stale once its entry is gone or has been queued again at another time. */
interface HeapNode<V> {
  at: Time;
  entry: Entry<V>;
}

const stale = <V>(n: HeapNode<V>): boolean => !n.entry.live || n.at !== n.entry.queuedAt;

export type InsertResult = { ok: true } | { ok: false; reason: 'full' | 'exists' };

export class ConnTable<V> {
  private readonly entries = new TupleMap<Entry<V>>();
  private heap: HeapNode<V>[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`ConnTable capacity must be positive (got ${capacity})`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Heap nodes held, stale ones included: at most 2 x capacity + 16. */
  get queued(): number {
    return this.heap.length;
  }

  /** Adds a connection. A full table refuses: the caller drops the SYN or resets, and counts it. */
  insert(tuple: FourTuple, value: V, now: Time, timeout: Time): InsertResult {
    if (this.entries.has(tuple)) return { ok: false, reason: 'exists' };
    if (this.entries.size >= this.capacity) return { ok: false, reason: 'full' };
    const e: Entry<V> = { tuple, value, timeout, deadline: now + timeout, queuedAt: now + timeout, live: true };
    this.entries.set(tuple, e);
    this.push(e);
    return { ok: true };
  }

  get(tuple: FourTuple): V | undefined {
    return this.entries.get(tuple)?.value;
  }

  /** Replaces the value of an existing entry (its state moving on); false if absent. */
  set(tuple: FourTuple, value: V): boolean {
    const e = this.entries.get(tuple);
    if (!e) return false;
    e.value = value;
    return true;
  }

  /** Traffic seen: the deadline moves to now + timeout. Returns the value, if present. */
  touch(tuple: FourTuple, now: Time): V | undefined {
    const e = this.entries.get(tuple);
    if (!e) return undefined;
    e.deadline = Math.max(e.deadline, now + e.timeout);
    return e.value;
  }

  /** Changes an entry's idle timeout (e.g. short while a handoff is in flight) and restarts it. */
  setTimeout(tuple: FourTuple, timeout: Time, now: Time): boolean {
    const e = this.entries.get(tuple);
    if (!e) return false;
    e.timeout = timeout;
    e.deadline = now + timeout;
    if (e.deadline < e.queuedAt) {
      // Queued for later than the new deadline: queue it again; the old node goes stale.
      e.queuedAt = e.deadline;
      this.push(e);
    }
    return true;
  }

  delete(tuple: FourTuple): V | undefined {
    const e = this.entries.get(tuple);
    if (!e) return undefined;
    this.entries.delete(tuple);
    e.live = false;
    return e.value;
  }

  /** Removes and returns every entry whose deadline is <= now, earliest first. */
  expire(now: Time): Array<{ tuple: FourTuple; value: V }> {
    const out: Array<{ tuple: FourTuple; value: V }> = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const node = this.pop();
      if (stale(node)) continue;
      const e = node.entry;
      if (e.deadline > now) {
        e.queuedAt = e.deadline;
        this.push(e);
        continue;
      }
      e.live = false;
      this.entries.delete(e.tuple);
      out.push({ tuple: e.tuple, value: e.value });
    }
    return out;
  }

  /**
   * When to call expire() next (for the caller's timer), or null when the table is empty. It
   * may come early — a touched entry then just moves on — but never late.
   */
  nextDeadline(): Time | null {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (!stale(top)) return top.at;
      this.pop();
    }
    return null;
  }

  *[Symbol.iterator](): IterableIterator<[FourTuple, V]> {
    for (const e of this.entries.values()) yield [e.tuple, e.value];
  }

  // A binary min-heap on `at`. Stale nodes are skipped when they surface, and compacted away
  // when they would make the heap outgrow twice the table.

  private push(e: Entry<V>): void {
    if (this.heap.length >= 2 * this.capacity + 16) this.compact();
    const h = this.heap;
    h.push({ at: e.queuedAt, entry: e });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): HeapNode<V> {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  /** Rebuilds the heap from the live entries only (a sorted array is a valid heap). */
  private compact(): void {
    this.heap = [...this.entries.values()].map((e) => ({ at: e.queuedAt, entry: e })).sort((a, b) => a.at - b.at);
  }
}
