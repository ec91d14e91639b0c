/**
 * tee: passes every message on and sends a duplicate (dupmsg: shared bytes, no copy) of each
 * M_DATA back the way it came: written data also comes back up to the writer (local echo),
 * and, in 'read' or 'both' mode, data coming up also goes back down (a reflector). TEE_MODE
 * sets the mode.
 */
import { defineModule, dupmsg, INFPSZ, iocblk, M_DATA, M_FLUSH, M_IOCTL, miocack, miocnak, modflush, putnext, qreply } from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

export type TeeMode = 'write' | 'read' | 'both' | 'off';

interface TeeState {
  mode: TeeMode;
  /** Duplicates sent so far. */
  dups: number;
}

/** ioctl: data is the new TeeMode; answers with the old one. */
export const TEE_MODE = 0x5401;

const teeminfo: ModuleInfo = { id: 9004, name: 'tee', minpsz: 0, maxpsz: INFPSZ, hiwat: 8192, lowat: 2048 };

const teerinit: QInit = { put: teerput, open: teeopen, close: teeclose, minfo: teeminfo };
const teewinit: QInit = { put: teewput, minfo: teeminfo };

export const teestab: StreamTab = { rdinit: teerinit, wrinit: teewinit };

export default defineModule(teestab, 'duplicates M_DATA back the way it came (dupmsg); TEE_MODE ioctl');

function teeopen(q: Queue): number {
  const st: TeeState = { mode: 'write', dups: 0 };
  q.ptr = q.other.ptr = st;
  return 0;
}

function teeclose(q: Queue): void {
  q.ptr = q.other.ptr = undefined;
}

function teerput(q: Queue, mp: Mblk): void {
  const st = q.ptr as TeeState;
  if (mp.db.type === M_FLUSH) return modflush(q, mp);
  if (mp.db.type === M_DATA && (st.mode === 'read' || st.mode === 'both')) teedup(q, mp, st);
  putnext(q, mp);
}

function teewput(q: Queue, mp: Mblk): void {
  const st = q.ptr as TeeState;
  switch (mp.db.type) {
    case M_FLUSH:
      return modflush(q, mp);
    case M_IOCTL:
      return teeioctl(q, mp, st);
    case M_DATA:
      if (st.mode === 'write' || st.mode === 'both') teedup(q, mp, st);
  }
  putnext(q, mp);
}

function teedup(q: Queue, mp: Mblk, st: TeeState): void {
  st.dups++;
  qreply(q, dupmsg(mp));
}

function teeioctl(q: Queue, mp: Mblk, st: TeeState): void {
  const ioc = iocblk(mp)!;
  if (ioc.cmd !== TEE_MODE) return putnext(q, mp);
  const mode = ioc.data;
  if (mode !== 'write' && mode !== 'read' && mode !== 'both' && mode !== 'off') return miocnak(q, mp);
  const old = st.mode;
  st.mode = mode;
  miocack(q, mp, old);
}
