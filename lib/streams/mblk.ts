/**
 * Message blocks (mblk) over reference-counted data blocks (dblk). The type lives on the data
 * block, as in SVR4. A data block holds either bytes (a Uint8Array, with the read/write
 * offsets on each mblk) or a typed primitive object in `proto` (TPI primitives, ioctl blocks,
 * M_CTL payloads), or both. `proto` values are treated as immutable: copyb shares them, and a
 * module that wants a different primitive builds a new one.
 *
 * Nothing here copies bytes except copyb/copymsg/pullupmsg and copyOnWrite. Using a block after
 * it was freed throws UseAfterFreeError: putnext, putq, dupb, data() and freeb all check.
 */
import { M_DATA, PROTO_WEIGHT } from './types.ts';
import { UseAfterFreeError } from './errors.ts';

const EMPTY = new Uint8Array(0);

export class Dblk {
  type: number;
  buf: Uint8Array;
  /** Number of mblks sharing this data block. */
  ref = 1;
  proto: unknown;
  constructor(type: number, buf: Uint8Array, proto: unknown) {
    this.type = type;
    this.buf = buf;
    this.proto = proto;
  }
}

export class Mblk {
  db: Dblk;
  /** Read offset into db.buf: first valid byte. */
  rptr: number;
  /** Write offset into db.buf: one past the last valid byte. */
  wptr: number;
  /** Next block of the same message (b_cont). */
  cont: Mblk | null = null;
  /** Queue links (b_next / b_prev), owned by the queue holding the message. */
  next: Mblk | null = null;
  prev: Mblk | null = null;
  /** Priority band (0 = normal). */
  band = 0;
  /** Free for module use (b_flag). */
  flag = 0;
  freed = false;
  /** Size charged to q.count while queued (set by the queue). */
  qsize = 0;

  constructor(db: Dblk, rptr: number, wptr: number) {
    this.db = db;
    this.rptr = rptr;
    this.wptr = wptr;
  }

  get type(): number {
    return this.db.type;
  }

  /** The typed primitive carried by this block's data block (undefined for plain data). */
  get proto(): unknown {
    return this.db.proto;
  }

  /** Bytes between rptr and wptr of this block only: a view, not a copy. */
  data(): Uint8Array {
    if (this.freed) throw new UseAfterFreeError('data');
    const buf = this.db.buf;
    // The whole buffer (a packet built to size, a received frame): no new view needed.
    if (this.rptr === 0 && this.wptr === buf.length) return buf;
    return buf.subarray(this.rptr, this.wptr);
  }

  /** Bytes in this block (MBLKL). */
  get len(): number {
    return this.wptr - this.rptr;
  }

  /** Room left after wptr (MBLKTAIL). */
  get tailroom(): number {
    return this.db.buf.length - this.wptr;
  }

  /** Append bytes at wptr; throws RangeError when they do not fit (allocate enough first). */
  append(bytes: Uint8Array): void {
    if (this.freed) throw new UseAfterFreeError('append');
    if (bytes.length > this.db.buf.length - this.wptr) throw new RangeError('mblk: no room to append');
    this.db.buf.set(bytes, this.wptr);
    this.wptr += bytes.length;
  }
}

/**
 * Data buffers up to SLAB_MAX bytes are cut from a shared, zeroed slab, as Node's Buffer pool
 * does: a fresh ArrayBuffer per packet costs microseconds (its memory lives outside the JS
 * heap and the collector tracks each one), a view on a slab a tenth of that. Every byte is
 * handed out once, so a buffer is as zeroed as a fresh one. A live view keeps its slab alive,
 * which bounds the waste at one slab per long-held small buffer.
 */
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX = 16 * 1024;

/** Cuts buffers of up to SLAB_MAX bytes from slabs made by `make`, each byte handed out once. */
class Slab {
  private buf: ArrayBuffer = new ArrayBuffer(0);
  private at = 0;
  constructor(private readonly make: () => ArrayBuffer) {}

  take(size: number): Uint8Array {
    if (size <= 0) return EMPTY;
    if (size > SLAB_MAX) return new Uint8Array(size);
    if (this.at + size > this.buf.byteLength) {
      this.buf = this.make();
      this.at = 0;
    }
    const out = new Uint8Array(this.buf, this.at, size);
    // Every buffer starts 8-byte aligned, so a word view over one (Uint32Array, Float64Array)
    // never throws.
    this.at += (size + 7) & ~7;
    return out;
  }
}

const zeroed = new Slab(() => new ArrayBuffer(SLAB_SIZE));
// Buffers their caller writes in full (a packet built to size) come from slabs that are not
// zeroed first (Node's allocUnsafeSlow), so their memory is written once, not twice; as an
// SVR4 allocb's buffer, their bytes are undefined until written.
const raw = new Slab(() => Buffer.allocUnsafeSlow(SLAB_SIZE).buffer as ArrayBuffer);

/** A zeroed byte buffer of `size` bytes (from the slab when small). */
export function allocBytes(size: number): Uint8Array {
  return zeroed.take(size);
}

/** Allocate a message block with room for `size` bytes (rptr = wptr = 0). */
export function allocb(size: number, type: number = M_DATA): Mblk {
  return new Mblk(new Dblk(type, zeroed.take(size), undefined), 0, 0);
}

/**
 * allocb whose buffer is NOT zeroed: for a caller that writes every one of the `size` bytes
 * before anyone reads them. Saves clearing memory that is about to be overwritten (measured:
 * a 1.5 KB buffer costs about a fifth as much).
 */
export function allocbUninit(size: number, type: number = M_DATA): Mblk {
  return new Mblk(new Dblk(type, raw.take(size), undefined), 0, 0);
}

/**
 * Wrap existing bytes in a message without copying (SVR4 esballoc). The caller must not change
 * `bytes` afterwards except through the message.
 */
export function esballoc(bytes: Uint8Array, type: number = M_DATA): Mblk {
  return new Mblk(new Dblk(type, bytes, undefined), 0, bytes.length);
}

/** A message whose data block carries a typed primitive (M_PROTO, M_PCPROTO, M_CTL, ...). */
export function allocproto(type: number, proto: unknown, cont: Mblk | null = null): Mblk {
  const mp = new Mblk(new Dblk(type, EMPTY, proto), 0, 0);
  mp.cont = cont;
  return mp;
}

/** A one-block M_DATA message holding a copy of `bytes`. */
export function mkdata(bytes: Uint8Array): Mblk {
  const mp = allocb(bytes.length);
  mp.db.buf.set(bytes);
  mp.wptr = bytes.length;
  return mp;
}

/** Free one block; frees the data block when its last reference goes. */
export function freeb(mp: Mblk): void {
  if (mp.freed) throw new UseAfterFreeError('freeb (double free)');
  mp.freed = true;
  mp.cont = null;
  const db = mp.db;
  if (--db.ref === 0) {
    db.buf = EMPTY;
    db.proto = undefined;
  }
}

/** Free every block of a message. */
export function freemsg(mp: Mblk | null): void {
  while (mp !== null) {
    const next = mp.cont;
    freeb(mp);
    mp = next;
  }
}

/** A new mblk sharing mp's data block (refcount + 1); offsets copied, cont not. */
export function dupb(mp: Mblk): Mblk {
  if (mp.freed) throw new UseAfterFreeError('dupb');
  mp.db.ref++;
  const nb = new Mblk(mp.db, mp.rptr, mp.wptr);
  nb.band = mp.band;
  nb.flag = mp.flag;
  return nb;
}

/** dupb every block of a message. */
export function dupmsg(mp: Mblk): Mblk {
  const head = dupb(mp);
  let tail = head;
  for (let b = mp.cont; b !== null; b = b.cont) {
    tail.cont = dupb(b);
    tail = tail.cont;
  }
  return head;
}

/** A private copy of one block: new data block holding the bytes rptr..wptr; proto shared. */
export function copyb(mp: Mblk): Mblk {
  if (mp.freed) throw new UseAfterFreeError('copyb');
  const n = mp.wptr - mp.rptr;
  const buf = allocBytes(n);
  if (n > 0) buf.set(mp.db.buf.subarray(mp.rptr, mp.wptr));
  const nb = new Mblk(new Dblk(mp.db.type, buf, mp.db.proto), 0, n);
  nb.band = mp.band;
  nb.flag = mp.flag;
  return nb;
}

/** copyb every block of a message. */
export function copymsg(mp: Mblk): Mblk {
  const head = copyb(mp);
  let tail = head;
  for (let b = mp.cont; b !== null; b = b.cont) {
    tail.cont = copyb(b);
    tail = tail.cont;
  }
  return head;
}

/**
 * Make mp's bytes private before changing them: returns mp itself when its data block is not
 * shared, else a copy of the block (mp is freed, its cont moves to the copy).
 */
export function copyOnWrite(mp: Mblk): Mblk {
  if (mp.freed) throw new UseAfterFreeError('copyOnWrite');
  if (mp.db.ref === 1) return mp;
  const nb = copyb(mp);
  nb.cont = mp.cont;
  mp.cont = null;
  freeb(mp);
  return nb;
}

/** Append bp to the end of mp's block chain. */
export function linkb(mp: Mblk, bp: Mblk): void {
  let b = mp;
  while (b.cont !== null) b = b.cont;
  b.cont = bp;
}

/** Detach the first block from the rest; returns the rest (or null). The first block is not freed. */
export function unlinkb(mp: Mblk): Mblk | null {
  const rest = mp.cont;
  mp.cont = null;
  return rest;
}

/** Number of blocks in a message. */
export function msgblocks(mp: Mblk | null): number {
  let n = 0;
  for (; mp !== null; mp = mp.cont) n++;
  return n;
}

/** Bytes in the M_DATA blocks of a message (SVR4 msgdsize). */
export function msgdsize(mp: Mblk | null): number {
  let n = 0;
  for (; mp !== null; mp = mp.cont) if (mp.db.type === M_DATA) n += mp.wptr - mp.rptr;
  return n;
}

/** Bytes in all blocks of a message, whatever their type. */
export function msgsize(mp: Mblk | null): number {
  let n = 0;
  for (; mp !== null; mp = mp.cont) n += mp.wptr - mp.rptr;
  return n;
}

/** What a message costs in q.count: its bytes, plus PROTO_WEIGHT per block carrying a primitive. */
export function qcost(mp: Mblk | null): number {
  let n = 0;
  for (; mp !== null; mp = mp.cont) {
    n += mp.wptr - mp.rptr;
    if (mp.db.proto !== undefined) n += PROTO_WEIGHT;
  }
  return n;
}

/**
 * Concatenate the first `len` bytes (all of them when len < 0) of the leading blocks that share
 * mp's type into mp's own block. mp keeps its identity; emptied blocks are freed. Returns false
 * (and changes nothing) when the message holds fewer bytes of that type than asked.
 */
export function pullupmsg(mp: Mblk, len = -1): boolean {
  if (mp.freed) throw new UseAfterFreeError('pullupmsg');
  const type = mp.db.type;
  let avail = 0;
  for (let b: Mblk | null = mp; b !== null && b.db.type === type; b = b.cont) avail += b.wptr - b.rptr;
  if (len < 0) len = avail;
  if (len > avail) return false;
  if (len === 0 || (mp.wptr - mp.rptr >= len && mp.db.ref === 1)) return true;
  const buf = allocBytes(len);
  let off = 0;
  let b: Mblk | null = mp;
  while (off < len && b !== null) {
    const take = Math.min(len - off, b.wptr - b.rptr);
    buf.set(b.db.buf.subarray(b.rptr, b.rptr + take), off);
    off += take;
    b.rptr += take;
    if (b !== mp && b.rptr === b.wptr) {
      const next: Mblk | null = b.cont;
      freeb(b);
      b = next;
    } else if (b === mp) {
      b = mp.cont;
    }
  }
  // mp's old block was consumed from the front; anything left of it follows the new bytes.
  const rest = b;
  const leftover = mp.wptr > mp.rptr ? new Mblk(mp.db, mp.rptr, mp.wptr) : null;
  if (leftover === null && --mp.db.ref === 0) mp.db.buf = EMPTY;
  const proto = mp.db.proto;
  mp.db = new Dblk(type, buf, proto);
  mp.rptr = 0;
  mp.wptr = len;
  if (leftover !== null) {
    leftover.cont = rest;
    mp.cont = leftover;
  } else {
    mp.cont = rest;
  }
  return true;
}

/**
 * Trim |len| bytes from the front (len > 0) or the back (len < 0) of a message, across the
 * leading (front) or trailing (back) blocks of the first block's type. Emptied blocks stay in
 * the chain with zero length. Returns false (nothing changed) if there are too few bytes.
 */
export function adjmsg(mp: Mblk, len: number): boolean {
  if (mp.freed) throw new UseAfterFreeError('adjmsg');
  const type = mp.db.type;
  if (len >= 0) {
    let avail = 0;
    for (let b: Mblk | null = mp; b !== null && b.db.type === type; b = b.cont) avail += b.wptr - b.rptr;
    if (len > avail) return false;
    for (let b: Mblk | null = mp; len > 0 && b !== null; b = b.cont) {
      const take = Math.min(len, b.wptr - b.rptr);
      b.rptr += take;
      len -= take;
    }
    return true;
  }
  // From the back: the trailing run of blocks with the first block's type.
  const blocks: Mblk[] = [];
  for (let b: Mblk | null = mp; b !== null; b = b.cont) {
    if (b.db.type === type) blocks.push(b);
    else blocks.length = 0;
  }
  let want = -len;
  let avail = 0;
  for (const b of blocks) avail += b.wptr - b.rptr;
  if (want > avail) return false;
  for (let i = blocks.length - 1; want > 0 && i >= 0; i--) {
    const b = blocks[i]!;
    const take = Math.min(want, b.wptr - b.rptr);
    b.wptr -= take;
    want -= take;
  }
  return true;
}

/** All M_DATA bytes of a message in one new array (a copy; for tests, apps and parsers). */
export function msgbytes(mp: Mblk | null): Uint8Array {
  // A buffer of its own, not a slab view: callers use it as a private copy.
  const out = new Uint8Array(msgdsize(mp));
  let off = 0;
  for (; mp !== null; mp = mp.cont) {
    if (mp.db.type !== M_DATA) continue;
    out.set(mp.data(), off);
    off += mp.wptr - mp.rptr;
  }
  return out;
}
