/**
 * Out-of-order reassembly (RFC 9293 §3.10.7.4, seventh step: segments beyond RCV.NXT are
 * held until the gap before them fills). Entries never overlap: a new segment is cut into
 * the pieces that fall into gaps, and what it repeats is reported back for D-SACK.
 * The queue is bounded in entries; pieces past the bound are dropped (the sender will
 * retransmit them), as Linux prunes its out-of-order queue under memory pressure.
 */
import { seqAdd, seqDiff, seqGt, seqLe, seqLt, type Seq } from '../../lib/wire/seq.ts';
import type { SackBlock } from './options.ts';

interface Entry {
  seq: Seq;
  data: Uint8Array;
  /** A FIN follows the last byte of this entry. */
  fin: boolean;
}

export interface InsertResult {
  /** Bytes newly stored. */
  stored: number;
  /** The first range of the segment that was already held (for a D-SACK block), or null. */
  duplicate: SackBlock | null;
  /** Pieces refused because the queue was full. */
  dropped: boolean;
}

function end(e: Entry): Seq {
  return seqAdd(e.seq, e.data.length);
}

export class SegmentQueue {
  private entries: Entry[] = [];
  /** Payload bytes held. */
  bytes = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.length;
  }

  isEmpty(): boolean {
    return this.entries.length === 0;
  }

  insert(seq: Seq, data: Uint8Array, fin: boolean): InsertResult {
    const res: InsertResult = { stored: 0, duplicate: null, dropped: false };
    const es = this.entries;
    let s = seq;
    let d = data;
    let i = 0;
    while (i < es.length && seqLe(end(es[i]!), s)) i++;
    for (;;) {
      const next = es[i];
      if (!next || seqLe(seqAdd(s, d.length), next.seq)) {
        // What is left fits in the gap before `next` (or after the last entry).
        if (d.length > 0) this.place(i, s, d, fin, res);
        else if (fin) this.placeFin(i, s, res);
        return res;
      }
      if (seqLt(s, next.seq)) {
        const n = seqDiff(next.seq, s);
        if (!this.place(i, s, d.subarray(0, n), false, res)) return res;
        i++;
        s = next.seq;
        d = d.subarray(n);
        continue;
      }
      // s lies inside `next`: that part is already held.
      const segEnd = seqAdd(s, d.length);
      const ovEnd = seqLt(segEnd, end(next)) ? segEnd : end(next);
      if (!res.duplicate) res.duplicate = { left: s, right: ovEnd };
      d = d.subarray(seqDiff(ovEnd, s));
      s = ovEnd;
      i++;
      if (d.length === 0) {
        if (fin && s === end(next)) next.fin = true;
        return res;
      }
    }
  }

  /** A FIN with no data of its own at `s`: mark the entry ending there, or hold it alone. */
  private placeFin(i: number, s: Seq, res: InsertResult): void {
    const prev = this.entries[i - 1];
    if (prev && end(prev) === s) {
      prev.fin = true;
      return;
    }
    const next = this.entries[i];
    if (next && next.seq === s) return; // a FIN inside data we hold: contradictory, ignore
    this.place(i, s, EMPTY, true, res);
  }

  private place(i: number, s: Seq, d: Uint8Array, fin: boolean, res: InsertResult): boolean {
    if (this.entries.length >= this.maxEntries) {
      res.dropped = true;
      return false;
    }
    this.entries.splice(i, 0, { seq: s, data: d, fin });
    this.bytes += d.length;
    res.stored += d.length;
    return true;
  }

  /**
   * Take the entry that starts at or before `rcvNxt` (trimmed to start there), if any.
   * Entries wholly below rcvNxt are discarded on the way.
   */
  pop(rcvNxt: Seq): { data: Uint8Array; fin: boolean } | null {
    const es = this.entries;
    while (es.length > 0) {
      const e = es[0]!;
      if (seqGt(e.seq, rcvNxt)) return null;
      es.shift();
      this.bytes -= e.data.length;
      const skip = seqDiff(rcvNxt, e.seq);
      if (skip >= e.data.length) {
        if (skip === e.data.length && e.fin) return { data: e.data.subarray(e.data.length), fin: true };
        continue;
      }
      return { data: skip > 0 ? e.data.subarray(skip) : e.data, fin: e.fin };
    }
    return null;
  }

  /** The held ranges, contiguous entries merged, lowest first. */
  blocks(): SackBlock[] {
    const out: SackBlock[] = [];
    for (const e of this.entries) {
      const last = out[out.length - 1];
      if (last && last.right === e.seq) last.right = end(e);
      else out.push({ left: e.seq, right: end(e) });
    }
    return out;
  }

  /** Highest sequence number held (end of the last entry), or null. */
  highest(): Seq | null {
    const e = this.entries[this.entries.length - 1];
    return e ? end(e) : null;
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
