/**
 * A call in progress. Socket calls never block the JS thread: each returns a Call that is
 * done at once (non-blocking calls, calls the transport answers from its put procedure) or
 * completes later in virtual time (a blocking accept, read, write, connect, poll). The
 * packetdrill runner polls `done`; other callers give `onDone` a callback.
 *
 * A call is made for every read and write, so it stays small: the text naming it is only put
 * together when someone asks, and one callback needs no array.
 */
import type { SysResult } from './types.ts';

export class Call<R extends SysResult = SysResult> {
  result: R | null = null;
  private cb: ((r: R) => void) | null = null;
  private cbs: Array<(r: R) => void> | null = null;

  /**
   * What was called: a name and up to three numeric arguments (`what` then reads
   * `accept(3)`), or the whole text as the name.
   */
  constructor(
    private readonly name: string,
    private readonly a?: number,
    private readonly b?: number,
    private readonly c?: number,
  ) {}

  /** What was called, for messages: `accept(3)`. */
  get what(): string {
    if (this.a === undefined) return this.name.includes('(') ? this.name : `${this.name}()`;
    const args = [this.a, this.b, this.c].filter((x) => x !== undefined);
    return `${this.name}(${args.join(', ')})`;
  }

  get done(): boolean {
    return this.result !== null;
  }

  /** Call cb with the result: now if the call is done, else when it completes. */
  onDone(cb: (r: R) => void): this {
    if (this.result !== null) cb(this.result);
    else if (this.cb === null) this.cb = cb;
    else (this.cbs ??= []).push(cb);
    return this;
  }

  /** The result of a call that is done; throws if it is still blocked. */
  get value(): R {
    if (this.result === null) throw new Error(`${this.what} has not returned yet`);
    return this.result;
  }

  /** Settle the call (later settlements are ignored: a call returns once). */
  complete(r: R): void {
    if (this.result !== null) return;
    this.result = r;
    const cb = this.cb;
    if (cb === null) return;
    this.cb = null;
    const cbs = this.cbs;
    this.cbs = null;
    cb(r);
    if (cbs !== null) for (const f of cbs) f(r);
  }
}
