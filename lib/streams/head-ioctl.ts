/**
 * The stream head's ioctl entry: STREAMS ioctls are done here, the rest go down as M_IOCTL
 * and their answer comes back through strrput (head.ts) to the pending callback.
 */
import type { Stream } from './stream.ts';
import { StreamsError } from './errors.ts';
import { put } from './put.ts';
import { Errno } from './types.ts';
import type { IoctlCallback, IoctlResult } from './ioctl.ts';
import { I_FIND, I_FLUSH, I_LINK, I_LOOK, I_POP, I_PUSH, I_UNLINK, IOCTL_TIMEOUT_NS, mkioctl } from './ioctl.ts';
import { linkStream, unlinkStream } from './mux.ts';

/** Ioctls a stream may have waiting for an answer (a bound, like every table here). */
export const MAX_PENDING_IOCTLS = 64;

function done(cb: IoctlCallback, fn: () => IoctlResult): void {
  let r: IoctlResult;
  try {
    r = fn();
  } catch (e) {
    if (!(e instanceof StreamsError)) throw e;
    r = { ok: false, error: e.errno };
  }
  cb(r);
}

/**
 * Send an ioctl. STREAMS commands complete at once; others are answered by whoever knows
 * them. With a time source the head gives up after timeoutNs (0 = wait forever) with ETIME.
 * Returns the id of the M_IOCTL sent down (0 when the head answered itself).
 */
export function headIoctl(st: Stream, cmd: number, arg: unknown, cb: IoctlCallback, timeoutNs: number = IOCTL_TIMEOUT_NS): number {
  if (st.closed) return void cb({ ok: false, error: Errno.ENXIO }), 0;
  switch (cmd) {
    case I_PUSH:
      return done(cb, () => (st.push(String(arg)), { ok: true, rval: 0, data: undefined })), 0;
    case I_POP:
      return done(cb, () => (st.pop(), { ok: true, rval: 0, data: undefined })), 0;
    case I_LOOK: {
      const name = st.look();
      return cb(name === null ? { ok: false, error: Errno.EINVAL } : { ok: true, rval: 0, data: name }), 0;
    }
    case I_FIND:
      return cb({ ok: true, rval: st.find(String(arg)) ? 1 : 0, data: undefined }), 0;
    case I_FLUSH:
      return done(cb, () => (st.flush(Number(arg)), { ok: true, rval: 0, data: undefined })), 0;
    case I_LINK:
      return linkStream(st, arg as Stream, cb);
    case I_UNLINK:
      return unlinkStream(st, Number(arg), cb);
  }
  if (st.hungup) return cb({ ok: false, error: Errno.ENXIO }), 0;
  if (st.linkedUnder !== null) return cb({ ok: false, error: Errno.EINVAL }), 0;
  if (st.ioctls.size >= MAX_PENDING_IOCTLS) return cb({ ok: false, error: Errno.EAGAIN }), 0;
  return sendIoctl(st, cmd, arg, cb, timeoutNs);
}

/** Send an M_IOCTL down from the head (ignores flow control, as SVR4 does) and wait for it. */
export function sendIoctl(st: Stream, cmd: number, arg: unknown, cb: IoctlCallback, timeoutNs: number = IOCTL_TIMEOUT_NS): number {
  const env = st.env;
  const id = env.nextIoctlId();
  const time = env.time;
  const timer =
    time !== null && timeoutNs > 0
      ? time.schedule(timeoutNs, () => {
          if (!st.ioctls.delete(id)) return;
          if (env.tracing) env.traceIoctl(st, cmd, id, 'timeout', Errno.ETIME);
          cb({ ok: false, error: Errno.ETIME });
        })
      : null;
  st.ioctls.set(id, { cmd, cb, timer });
  if (env.tracing) env.traceIoctl(st, cmd, id, 'request');
  // Through the head's write put procedure, so a linked stream's mux qinit is not involved.
  put(st.wq, mkioctl(cmd, id, arg));
  return id;
}

export function headIoctlSync(st: Stream, cmd: number, arg: unknown): IoctlResult {
  let result: IoctlResult | null = null;
  const id = headIoctl(st, cmd, arg, (r) => (result = r), 0);
  if (result === null) st.env.runServices();
  const r = result as IoctlResult | null;
  if (r === null) {
    st.ioctls.delete(id);
    throw new StreamsError(Errno.ETIME, `ioctl 0x${cmd.toString(16)} on ${st.label}: no answer yet`);
  }
  return r;
}
