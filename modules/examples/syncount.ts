/**
 * syncount: counts TCP SYN, SYN/ACK and RST segments in each direction where whole IPv4
 * packets pass (between TCP and IP, where BTCP sits, or between IP and an interface driver).
 * Everything passes on untouched; it is the module of lab 1 (docs/labs/01-syncount).
 *
 * Reading the counts:
 * - SYNCOUNT_GET on a stream the module is on answers its counts; SYNCOUNT_RESET zeroes them.
 * - A stream linked under a multiplexor takes no ioctls (tcp-lower, eth0), so an instance
 *   pushed on an ordinary TCP stream can ask for it: SYNCOUNT_ASK sends an M_CTL query down,
 *   through TCP (which passes M_CTL both ways), to the first syncount below; that one answers
 *   with an M_CTL that TCP passes up to its subscribed streams, and the asker acks the ioctl
 *   with the counts. It is how handoffd reads BTCP's statistics through UTCP.
 */
import {
  defineModule,
  Errno,
  freemsg,
  INFPSZ,
  iocblk,
  M_CTL,
  M_DATA,
  M_FLUSH,
  M_IOCTL,
  miocack,
  miocnak,
  mkctl,
  modflush,
  passQueued,
  putInOrder,
  putnext,
  putq,
  qenable,
  qtimeout,
  quntimeout,
} from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

/** What one instance has counted. "in" = read side (coming up), "out" = write side (going down). */
export interface SynCounts {
  synIn: number;
  synAckIn: number;
  rstIn: number;
  synOut: number;
  synAckOut: number;
  rstOut: number;
}

/** Per-stream state: the counts, and the one SYNCOUNT_ASK waiting for its answer. */
interface ScState {
  counts: SynCounts;
  asking: { token: number; ioc: Mblk; timer: number } | null;
  nextToken: number;
}

/** The M_CTL payloads between an asking instance and a counting one. */
export type SyncountCtl = { syncount: 'ask'; token: number } | { syncount: 'counts'; token: number; counts: SynCounts };

/** ioctls. Not ('S' << 8 | n): that is where the stream head's own I_* commands live. */
const BASE = 0x53430000; // 'SC'
export const SYNCOUNT_GET = BASE | 1;
export const SYNCOUNT_RESET = BASE | 2;
export const SYNCOUNT_ASK = BASE | 3;

/** How long an asker waits for the instance below before NAKing with ETIME (virtual ns). */
export const ASK_TIMEOUT_NS = 1_000_000_000;

const scminfo: ModuleInfo = { id: 9501, name: 'syncount', minpsz: 0, maxpsz: INFPSZ, hiwat: 65536, lowat: 16384 };

const scrinit: QInit = { put: scrput, service: scrsrv, open: scopen, close: scclose, minfo: scminfo };
const scwinit: QInit = { put: scwput, service: scwsrv, minfo: scminfo };

export const scstab: StreamTab = { rdinit: scrinit, wrinit: scwinit };

export default defineModule(scstab, 'counts TCP SYN, SYN/ACK and RST each way; SYNCOUNT_GET / _RESET / _ASK ioctls');

function scopen(q: Queue, _ctx: OpenCtx): number {
  const st: ScState = { counts: zero(), asking: null, nextToken: 1 };
  q.ptr = q.other.ptr = st;
  return 0;
}

function scclose(q: Queue): void {
  const st = q.ptr as ScState;
  // An ioctl still waiting would hold its head's slot until the head's own timeout.
  if (st.asking !== null) {
    quntimeout(q, st.asking.timer);
    miocnak(q.other, st.asking.ioc, Errno.ENXIO);
    st.asking = null;
  }
  q.ptr = q.other.ptr = undefined;
}

// ---- read side: packets coming up, and answers to our question ----------------------------

function scrput(q: Queue, mp: Mblk): void {
  const st = q.ptr as ScState;
  switch (mp.db.type) {
    case M_FLUSH:
      return modflush(q, mp);
    case M_CTL:
      if (answered(q, st, mp)) return;
      break;
    default:
      count(st.counts, mp, 'in');
  }
  forward(q, mp);
}

function scrsrv(q: Queue): void {
  drain(q);
}

// ---- write side: packets going down, ioctls, questions from above ---------------------------

function scwput(q: Queue, mp: Mblk): void {
  const st = q.ptr as ScState;
  switch (mp.db.type) {
    case M_FLUSH:
      return modflush(q, mp);
    case M_IOCTL:
      return scioctl(q, mp, st);
    case M_CTL:
      if (asked(q, st, mp)) return;
      break;
    default:
      count(st.counts, mp, 'out');
  }
  forward(q, mp);
}

function scwsrv(q: Queue): void {
  drain(q);
}

function scioctl(q: Queue, mp: Mblk, st: ScState): void {
  const ioc = iocblk(mp)!;
  switch (ioc.cmd) {
    case SYNCOUNT_GET:
      return miocack(q, mp, { ...st.counts });
    case SYNCOUNT_RESET:
      st.counts = zero();
      return miocack(q, mp);
    case SYNCOUNT_ASK: {
      if (st.asking !== null) return miocnak(q, mp, Errno.EBUSY);
      const token = st.nextToken++;
      const timer = qtimeout(q, () => giveUp(q, st, token), ASK_TIMEOUT_NS);
      st.asking = { token, ioc: mp, timer };
      return forward(q, mkctl<SyncountCtl>({ syncount: 'ask', token }));
    }
    default:
      // Not ours: someone below may know it; the driver NAKs it otherwise.
      putnext(q, mp);
  }
}

// ---- helpers --------------------------------------------------------------------------------

/** The canonical put: queue behind anything already queued, or when the next queue is full. */
function forward(q: Queue, mp: Mblk): void {
  putInOrder(q, mp);
}

/** The canonical service loop. */
function drain(q: Queue): void {
  passQueued(q);
}

/** A question from an asker above: answer it on the read side. True when it was one. */
function asked(q: Queue, st: ScState, mp: Mblk): boolean {
  const m = mp.db.proto as Partial<SyncountCtl> | null;
  if (m?.syncount !== 'ask' || typeof m.token !== 'number') return false;
  // The answer goes up through our read queue and its service procedure, not straight from
  // here: we are inside TCP's put procedure, and TCP should not be re-entered from it.
  // A primitive object is a value (the block may be shared): answer with a new message.
  const token = m.token;
  freemsg(mp);
  putq(q.other, mkctl<SyncountCtl>({ syncount: 'counts', token, counts: { ...st.counts } }));
  qenable(q.other);
  return true;
}

/** The answer to our own question: ack the waiting ioctl. True when it was ours. */
function answered(q: Queue, st: ScState, mp: Mblk): boolean {
  const m = mp.db.proto as Partial<SyncountCtl> | null;
  if (m?.syncount !== 'counts' || st.asking === null || m.token !== st.asking.token) return false;
  const { ioc, timer } = st.asking;
  st.asking = null;
  quntimeout(q, timer);
  miocack(q.other, ioc, { ...m.counts });
  // Consumed here; a copy TCP gave another subscriber shares the block and passes on there.
  freemsg(mp);
  return true;
}

function giveUp(q: Queue, st: ScState, token: number): void {
  if (st.asking?.token !== token) return;
  const { ioc } = st.asking;
  st.asking = null;
  miocnak(q.other, ioc, Errno.ETIME);
}

/** Count the segment a message carries, if it is a whole IPv4 packet with TCP in it. */
function count(c: SynCounts, mp: Mblk, dir: 'in' | 'out'): void {
  const flags = tcpFlags(mp);
  if (flags === null) return;
  const syn = (flags & TcpFlag.SYN) !== 0;
  const ack = (flags & TcpFlag.ACK) !== 0;
  if (dir === 'in') {
    if (syn && !ack) c.synIn++;
    else if (syn) c.synAckIn++;
    if ((flags & TcpFlag.RST) !== 0) c.rstIn++;
  } else {
    if (syn && !ack) c.synOut++;
    else if (syn) c.synAckOut++;
    if ((flags & TcpFlag.RST) !== 0) c.rstOut++;
  }
}

/**
 * The TCP flags of the packet in a message: its first M_DATA block onwards (an interface
 * stream puts a DL_UNITDATA_REQ in front), read across `cont` without copying. Null when it
 * is not IPv4 + TCP, is a later fragment, or is too short: such messages are not counted.
 */
function tcpFlags(mp: Mblk): number | null {
  let b: Mblk | null = mp;
  while (b !== null && b.db.type !== M_DATA) b = b.cont;
  if (b === null) return null;
  const at = (off: number): number | null => {
    for (let x: Mblk | null = b; x !== null; x = x.cont) {
      const len = x.wptr - x.rptr;
      if (off < len) return x.db.buf[x.rptr + off]!;
      off -= len;
    }
    return null;
  };
  const v0 = at(0);
  if (v0 === null || v0 >> 4 !== 4 || at(9) !== IpProto.TCP) return null;
  const f6 = at(6);
  const f7 = at(7);
  if (f6 === null || f7 === null || ((f6 & 0x1f) | f7) !== 0) return null;
  const ihl = (v0 & 0x0f) * 4;
  const hi = at(ihl + 12);
  const lo = at(ihl + 13);
  return hi === null || lo === null ? null : ((hi & 0x01) << 8) | lo;
}

function zero(): SynCounts {
  return { synIn: 0, synAckIn: 0, rstIn: 0, synOut: 0, synAckOut: 0, rstOut: 0 };
}
