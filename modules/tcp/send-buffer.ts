/**
 * The send buffer: bytes the user has handed over, from SND.UNA on (sent-but-unacknowledged
 * first, then unsent). It holds the user's chunks as they are — no copy on write — and hands
 * out segment payloads as views when a segment lies within one chunk, which is the common
 * case for bulk writes; only a segment straddling two chunks is copied.
 * Callers must not modify a chunk after handing it over.
 */
export class SendBuffer {
  // Both lists are made on the first append and dropped when everything is acknowledged, so an
  // idle connection holds no arrays.
  private chunks: Uint8Array[] = NONE;
  /** Absolute stream offset of each chunk's first byte. */
  private starts: number[] = NONE;
  private head = 0;
  /** Absolute stream offset of the first byte still held (= SND.UNA, data part). */
  private base = 0;
  /** Bytes held. */
  length = 0;
  /** Chunk index where the last lookup ended (segments are read in order). */
  private cursor = 0;

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.chunks === NONE) {
      // Lists of exactly one: most connections write once (a request, a response) before
      // everything is acknowledged, and a list grown by push would reserve 17 places.
      this.chunks = [data];
      this.starts = [this.base];
      this.length += data.length;
      return;
    }
    const n = this.chunks.length;
    const last = n > this.head ? this.chunks[n - 1]! : null;
    if (last !== null && last.buffer === data.buffer && last.byteOffset + last.length === data.byteOffset) {
      // The bytes follow the last chunk in memory (consecutive writes cut from one buffer): one
      // chunk, so a segment across the two is still a view and not a copy.
      this.chunks[n - 1] = new Uint8Array(data.buffer, last.byteOffset, last.length + data.length);
    } else {
      this.starts.push(this.base + this.length);
      this.chunks.push(data);
    }
    this.length += data.length;
  }

  /** Bytes [off, off + len) counted from the first byte held. */
  slice(off: number, len: number): Uint8Array {
    if (len <= 0) return EMPTY;
    const abs = this.base + off;
    const i = this.find(abs);
    const c = this.chunks[i]!;
    const at = abs - this.starts[i]!;
    if (at + len <= c.length) return c.subarray(at, at + len);
    const out = new Uint8Array(len);
    let filled = 0;
    let j = i;
    let from = at;
    while (filled < len) {
      const src = this.chunks[j]!;
      const n = Math.min(src.length - from, len - filled);
      out.set(src.subarray(from, from + n), filled);
      filled += n;
      j++;
      from = 0;
    }
    return out;
  }

  /** Drop `n` acknowledged bytes from the front. */
  consume(n: number): void {
    if (n <= 0) return;
    if (n > this.length) n = this.length;
    this.base += n;
    this.length -= n;
    while (this.head < this.chunks.length) {
      const end = this.starts[this.head]! + this.chunks[this.head]!.length;
      if (end > this.base) break;
      this.chunks[this.head] = EMPTY;
      this.head++;
    }
    if (this.head === this.chunks.length) {
      this.chunks = NONE;
      this.starts = NONE;
      this.head = 0;
      this.cursor = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.starts = this.starts.slice(this.head);
      this.cursor = Math.max(0, this.cursor - this.head);
      this.head = 0;
    }
    if (this.cursor < this.head) this.cursor = this.head;
  }

  /** Drop everything (abort). */
  clear(): void {
    this.consume(this.length);
  }

  private find(abs: number): number {
    let i = this.cursor < this.head ? this.head : this.cursor;
    if (i >= this.chunks.length) i = this.chunks.length - 1;
    while (i > this.head && this.starts[i]! > abs) i--;
    while (i + 1 < this.chunks.length && this.starts[i + 1]! <= abs) i++;
    this.cursor = i;
    return i;
  }
}

const EMPTY = new Uint8Array(0);
/** The shared empty list of a buffer that holds nothing (frozen: never written). */
const NONE = Object.freeze([]) as unknown as never[];
