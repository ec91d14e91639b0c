/**
 * A call in progress. Socket calls never block the JS thread: each returns a Call that is
 * done at once (non-blocking calls, calls the transport answers from its put procedure) or
 * completes later in virtual time (a blocking accept, read, write, connect, poll). The
 * packetdrill runner polls `done`; other callers give `onDone` a callback.
 */
import type { SysResult } from './types.ts';

export class Call<R extends SysResult = SysResult> {
  result: R | null = null;
  private cbs: Array<(r: R) => void> | null = null;

  /** What was called, for messages: `accept(3)`. */
  constructor(readonly what: string) {}

  get done(): boolean {
    return this.result !== null;
  }

  /** Call cb with the result: now if the call is done, else when it completes. */
  onDone(cb: (r: R) => void): this {
    if (this.result !== null) cb(this.result);
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
    const cbs = this.cbs;
    this.cbs = null;
    if (cbs !== null) for (const cb of cbs) cb(r);
  }
}
