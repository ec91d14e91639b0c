/**
 * The client's request bytes in order, for the head parser: segments may arrive out of order
 * or twice before the head is complete. Bounded: at most `maxHeld` segments wait for a gap to
 * fill, none further than `window` bytes ahead; anything else is refused (the client sends it
 * again, and the BE's TCP sorts out what the FE did not keep).
 */
import { seqAdd, seqDiff, type Seq } from '../../lib/wire/seq.ts';

export interface ReassemblyResult {
  /** Bytes that became in-order, in order (views into the pushed data). */
  chunks: Uint8Array[];
  /** The segment brought something new: bytes (now or held) or a FIN. */
  added: boolean;
  /** The FIN is reached: the client's byte stream is complete. */
  ended: boolean;
}

export class Reassembly {
  /** The next byte expected. */
  next: Seq;
  private held: Array<{ seq: Seq; data: Uint8Array }> = [];
  private finAt: Seq | null = null;

  constructor(
    start: Seq,
    private readonly maxHeld = 16,
    private readonly window = 64 * 1024,
  ) {
    this.next = start;
  }

  get heldSegments(): number {
    return this.held.length;
  }

  get ended(): boolean {
    return this.finAt !== null && this.next === this.finAt;
  }

  push(s: Seq, data: Uint8Array, fin: boolean): ReassemblyResult {
    const chunks: Uint8Array[] = [];
    let added = false;
    if (fin) {
      const at = seqAdd(s, data.length);
      if (this.finAt === null && seqDiff(at, this.next) >= 0) {
        this.finAt = at;
        added = true;
      }
    }
    const behind = seqDiff(this.next, s);
    if (behind > 0) {
      data = behind >= data.length ? data.subarray(data.length) : data.subarray(behind);
      s = this.next;
    }
    if (data.length > 0) {
      const ahead = seqDiff(s, this.next);
      if (ahead === 0) {
        chunks.push(data);
        this.next = seqAdd(this.next, data.length);
        added = true;
        this.drain(chunks);
      } else if (ahead + data.length <= this.window && this.held.length < this.maxHeld && !this.covered(s, data.length)) {
        this.held.push({ seq: s, data });
        this.held.sort((a, b) => seqDiff(a.seq, b.seq));
        added = true;
      }
    }
    return { chunks, added, ended: this.ended };
  }

  private covered(s: Seq, len: number): boolean {
    return this.held.some((h) => seqDiff(s, h.seq) >= 0 && seqDiff(seqAdd(s, len), seqAdd(h.seq, h.data.length)) <= 0);
  }

  private drain(chunks: Uint8Array[]): void {
    while (this.held.length > 0) {
      const h = this.held[0]!;
      const behind = seqDiff(this.next, h.seq);
      if (behind < 0) return;
      this.held.shift();
      if (behind >= h.data.length) continue;
      const part = h.data.subarray(behind);
      chunks.push(part);
      this.next = seqAdd(this.next, part.length);
    }
  }
}
