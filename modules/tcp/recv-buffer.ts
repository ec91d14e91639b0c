/**
 * In-order received bytes waiting for the user to read them. Payloads are kept as the views
 * they arrived in (no copy); `read` hands out a view of the front chunk.
 */
export class RecvBuffer {
  /** Made on the first append and dropped when read empty (an idle connection holds no array). */
  private chunks: Uint8Array[] = NONE;
  private head = 0;
  /** Bytes held. */
  length = 0;

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    // A list of exactly one at first (push onto an empty list would reserve 17 places).
    if (this.chunks === NONE) this.chunks = [data];
    else this.chunks.push(data);
    this.length += data.length;
  }

  /** Up to `max` bytes from the front, as one view (at most one chunk). Null when empty. */
  read(max: number): Uint8Array | null {
    if (this.length === 0 || max <= 0) return null;
    const c = this.chunks[this.head]!;
    let out: Uint8Array;
    if (c.length <= max) {
      out = c;
      this.chunks[this.head] = EMPTY;
      this.head++;
      if (this.head === this.chunks.length) {
        this.chunks = NONE;
        this.head = 0;
      } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    } else {
      out = c.subarray(0, max);
      this.chunks[this.head] = c.subarray(max);
    }
    this.length -= out.length;
    return out;
  }

  /** Copy up to `dst.length` bytes into dst; returns the count. */
  readInto(dst: Uint8Array): number {
    let n = 0;
    while (n < dst.length) {
      const c = this.read(dst.length - n);
      if (!c) break;
      dst.set(c, n);
      n += c.length;
    }
    return n;
  }

  clear(): void {
    this.chunks = NONE;
    this.head = 0;
    this.length = 0;
  }
}

const EMPTY = new Uint8Array(0);
/** The shared empty list of a buffer that holds nothing (frozen: never written). */
const NONE = Object.freeze([]) as unknown as never[];
