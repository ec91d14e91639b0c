/**
 * The sender's SACK scoreboard (RFC 2018 §5, RFC 6675 §4): which ranges above SND.UNA the
 * receiver holds, and the loss-recovery queries built on them — IsLost, NextSeg and the
 * pipe estimate. D-SACK blocks (RFC 2883 §4) are recognised and kept out of the board.
 * Bounded: past MAX_BLOCKS ranges the highest are forgotten, which only makes the sender
 * more conservative (it will retransmit data the receiver already has).
 */
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, type Seq } from '../../lib/wire/seq.ts';
import type { SackBlock } from './options.ts';

const MAX_BLOCKS = 64;

export interface SackUpdate {
  /** Bytes newly marked as SACKed by this ACK. */
  newlySacked: number;
  /** The ACK carried a D-SACK block. */
  dsack: boolean;
}

export class SackScoreboard {
  /** Sorted, disjoint, all above SND.UNA. */
  blocks: SackBlock[] = [];
  sackedBytes = 0;
  /** RFC 6675 HighRxt: the highest sequence number retransmitted in this recovery. */
  highRxt: Seq;

  constructor(una: Seq) {
    this.highRxt = una;
  }

  isEmpty(): boolean {
    return this.blocks.length === 0;
  }

  /** Highest SACKed sequence number (exclusive), or null. */
  highestSacked(): Seq | null {
    const b = this.blocks[this.blocks.length - 1];
    return b ? b.right : null;
  }

  /** Merge the blocks of one ACK. `ack` is the segment's cumulative ACK. */
  update(received: readonly SackBlock[], ack: Seq, una: Seq, sndMax: Seq): SackUpdate {
    const res: SackUpdate = { newlySacked: 0, dsack: false };
    for (let k = 0; k < received.length; k++) {
      const b = received[k]!;
      if (k === 0) {
        const second = received[1];
        const isDsack =
          seqLe(b.right, ack) ||
          (second !== undefined && seqGe(b.left, second.left) && seqLe(b.right, second.right));
        if (isDsack) {
          res.dsack = true;
          continue;
        }
      }
      if (!seqLt(b.left, b.right)) continue;
      if (seqGt(b.right, sndMax)) continue; // SACKs data never sent: ignore the block
      const left = seqMax(b.left, una);
      if (!seqLt(left, b.right)) continue;
      res.newlySacked += this.add(left, b.right);
    }
    return res;
  }

  private add(left: Seq, right: Seq): number {
    const bs = this.blocks;
    let i = 0;
    while (i < bs.length && seqLt(bs[i]!.right, left)) i++;
    let l = left;
    let r = right;
    let removed = 0;
    let j = i;
    while (j < bs.length && seqLe(bs[j]!.left, r)) {
      const b = bs[j]!;
      if (seqLt(b.left, l)) l = b.left;
      if (seqGt(b.right, r)) r = b.right;
      removed += seqDiff(b.right, b.left);
      j++;
    }
    bs.splice(i, j - i, { left: l, right: r });
    const added = seqDiff(r, l) - removed;
    this.sackedBytes += added;
    if (bs.length > MAX_BLOCKS) {
      const b = bs.pop()!;
      this.sackedBytes -= seqDiff(b.right, b.left);
    }
    return added;
  }

  /** SND.UNA moved: forget what lies below it. */
  advance(una: Seq): void {
    const bs = this.blocks;
    let k = 0;
    while (k < bs.length && seqLe(bs[k]!.right, una)) {
      this.sackedBytes -= seqDiff(bs[k]!.right, bs[k]!.left);
      k++;
    }
    if (k > 0) bs.splice(0, k);
    const first = bs[0];
    if (first && seqLt(first.left, una)) {
      this.sackedBytes -= seqDiff(una, first.left);
      first.left = una;
    }
    if (seqLt(this.highRxt, una)) this.highRxt = una;
  }

  clear(una: Seq): void {
    this.blocks = [];
    this.sackedBytes = 0;
    this.highRxt = una;
  }

  /** If `s` is SACKed, the end of its block; else `s`. */
  skipSacked(s: Seq): Seq {
    for (const b of this.blocks) {
      if (seqLt(s, b.left)) return s;
      if (seqLt(s, b.right)) return b.right;
    }
    return s;
  }

  /** Left edge of the first block above `s`, or null. */
  nextSackedAfter(s: Seq): Seq | null {
    for (const b of this.blocks) if (seqGt(b.left, s)) return b.left;
    return null;
  }

  /** RFC 6675 IsLost for the hole that ends at block index `k` (blocks k.. lie above it). */
  private holeLost(k: number, mss: number, dupThresh: number): boolean {
    const n = this.blocks.length - k;
    if (n >= dupThresh) return true;
    let bytes = 0;
    for (let i = k; i < this.blocks.length; i++) bytes += seqDiff(this.blocks[i]!.right, this.blocks[i]!.left);
    return bytes > (dupThresh - 1) * mss;
  }

  /** RFC 6675 IsLost(SeqNum). */
  isLost(s: Seq, mss: number, dupThresh: number): boolean {
    let k = 0;
    while (k < this.blocks.length && seqLe(this.blocks[k]!.left, s)) k++;
    return k < this.blocks.length && this.holeLost(k, mss, dupThresh);
  }

  /**
   * RFC 6675 NextSeg rule 1: the first lost, unSACKed range not yet retransmitted, as
   * [seq, seq + len) with len <= mss; null when none.
   */
  nextLost(una: Seq, mss: number, dupThresh: number): { seq: Seq; len: number } | null {
    let s = seqMax(una, this.highRxt);
    for (let k = 0; k < this.blocks.length; k++) {
      const b = this.blocks[k]!;
      if (seqGe(s, b.right)) continue;
      if (seqLt(s, b.left)) {
        if (!this.holeLost(k, mss, dupThresh)) return null;
        return { seq: s, len: Math.min(mss, seqDiff(b.left, s)) };
      }
      s = b.right;
    }
    return null;
  }

  /** RFC 6675 SetPipe: octets believed in flight between una and sndMax. */
  pipe(una: Seq, sndMax: Seq, mss: number, dupThresh: number): number {
    let pipe = 0;
    let s = una;
    const rxt = this.highRxt;
    const retransIn = (a: Seq, b: Seq): number => {
      if (!seqLt(a, rxt)) return 0;
      return seqDiff(seqLt(b, rxt) ? b : rxt, a);
    };
    for (let k = 0; k < this.blocks.length; k++) {
      const b = this.blocks[k]!;
      if (seqLt(s, b.left)) {
        const len = seqDiff(b.left, s);
        if (!this.holeLost(k, mss, dupThresh)) pipe += len;
        pipe += retransIn(s, b.left);
      }
      s = b.right;
    }
    if (seqLt(s, sndMax)) pipe += seqDiff(sndMax, s) + retransIn(s, sndMax);
    return pipe;
  }

  /** Mark [seq, seq+len) as retransmitted (HighRxt = its end when that is higher). */
  markRetransmitted(seq: Seq, len: number): void {
    const e = seqAdd(seq, len);
    if (seqGt(e, this.highRxt)) this.highRxt = e;
  }
}
