/**
 * btcp: the bottom handoff module (seed 004 "BTCP"), inserted between TCP and IP on a running
 * stack — into the IP stream linked under TCP, just below the multiplexor — without any change
 * to TCP. It sees every whole IPv4 packet both ways (modules/ip/proto.ts) and the M_CTL
 * messages UTCP sends down through TCP.
 *
 *   read side (from IP):   client packets: record / dispatch / queue / forward (FE),
 *                          forwarded packets of taken-over connections (BE); others pass up
 *   write side (from TCP): the FE's SYN/ACK parsed, its output dropped once handed off;
 *                          the BE's output rewritten toward the client; M_CTL from UTCP
 *
 * Messages BTCP sends up while in its write put (answers to TCP's own output, replays caused
 * by an M_CTL that TCP is passing down) go through the read queue and its service procedure,
 * so TCP is never re-entered from inside its own put procedure. Popping BTCP with no
 * connection in its tables returns the node to a plain stack; popping it with handed-off
 * connections abandons them (their clients time out).
 * Files: record, decide, handoff, takeover, forward, terminate, control (docs/handoff.md §5).
 */
import {
  defineModule,
  freemsg,
  getq,
  INFPSZ,
  M_CTL,
  M_DATA,
  M_PCCTL,
  mkctl,
  putnext,
  putq,
  qtimeout,
  quntimeout,
  WR,
} from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';
import type { TimerId } from '../../lib/sim/types.ts';
import type { Time } from '../../lib/sim/time.ts';
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import { handoffCtl, type BtcpConfig, type CtlDown, type CtlUp } from '../control/ctl.ts';
import { ctlDown } from './control.ts';
import { beInbound, beOutbound } from './forward.ts';
import { feInbound, feOutbound } from './record.ts';
import { inboundTuple, outboundTuple, readSeg } from './segment.ts';
import { BtcpState } from './state.ts';
import { answerFromTcp } from './takeover.ts';
import { beExpired, feExpired } from './terminate.ts';

/** Per-instance private state: the handoff state and the module's one timer. */
interface Btcp {
  st: BtcpState;
  rq: Queue;
  /** Inside the write put: what goes up waits for the read service. */
  inWrite: number;
  timer: TimerId | null;
  timerAt: Time;
}

const btcpminfo: ModuleInfo = { id: 9410, name: 'btcp', minpsz: 0, maxpsz: INFPSZ, hiwat: 256 * 1024, lowat: 64 * 1024 };

const btcprinit: QInit = { put: btcprput, service: btcprsrv, open: btcpopen, close: btcpclose, minfo: btcpminfo };
const btcpwinit: QInit = { put: btcpwput, minfo: btcpminfo };

export const btcptab: StreamTab = { rdinit: btcprinit, wrinit: btcpwinit };

export default defineModule(btcptab, 'handoff, bottom half: records, dispatches, hands off and rewrites connections below TCP');

// ---- open / close -----------------------------------------------------------------------------

/** args: an optional BtcpConfig, applied at once (the daemon normally sends it through UTCP). */
function btcpopen(q: Queue, ctx: OpenCtx): number | void {
  if (ctx.sflag !== 'module') return 22; // EINVAL: a module, not a driver
  const b: Btcp = { st: null!, rq: q, inWrite: 0, timer: null, timerAt: Infinity };
  b.st = new BtcpState({
    up: (mp) => up(b, mp),
    down: (mp) => putnext(WR(q), mp),
    ctl: (m: CtlUp) => up(b, mkctl(m)),
    now: () => q.env.now(),
    rearm: () => rearm(b),
    tracing: () => q.env.tracing,
    note: (ev, fields) => q.env.trace.emit('note', { t: q.env.now(), q, ev, fields }),
  });
  q.ptr = WR(q).ptr = b;
  if (ctx.args !== undefined && ctx.args !== null) b.st.configure(ctx.args as BtcpConfig);
}

function btcpclose(q: Queue): void {
  const b = q.ptr as Btcp;
  if (b.timer !== null) quntimeout(q, b.timer);
  for (const [, c] of b.st.fe) for (const s of c.queued) freemsg(s.mp);
  q.ptr = WR(q).ptr = undefined;
}

// ---- read side: from IP -----------------------------------------------------------------------

function btcprput(q: Queue, mp: Mblk): void {
  const b = q.ptr as Btcp;
  if (mp.db.type !== M_DATA || b.st.config === null) return up(b, mp);
  const r = readSeg(mp);
  const s = r.seg;
  if (s === null) return up(b, r.mp);
  const st = b.st;
  if (st.isService(s.dst, s.dport)) feInbound(st, s);
  else {
    const c = st.be.size > 0 ? st.be.get(inboundTuple(s)) : undefined;
    if (c !== undefined) beInbound(st, c, s);
    else up(b, s.mp);
  }
}

/** Sends up what was queued while in the write put, in order. */
function btcprsrv(q: Queue): void {
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) putnext(q, mp);
}

// ---- write side: from TCP ---------------------------------------------------------------------

function btcpwput(q: Queue, mp: Mblk): void {
  const b = q.ptr as Btcp;
  const t = mp.db.type;
  if (t === M_CTL || t === M_PCCTL) {
    const m = handoffCtl(mp.db.proto);
    if (m === null) return putnext(q, mp);
    freemsg(mp);
    b.inWrite++;
    try {
      ctlDown(b.st, m as CtlDown);
    } finally {
      b.inWrite--;
    }
    return;
  }
  if (t !== M_DATA || b.st.config === null) return putnext(q, mp);
  const r = readSeg(mp);
  const s = r.seg;
  if (s === null) return putnext(q, r.mp);
  const st = b.st;
  b.inWrite++;
  try {
    if (st.isService(s.src, s.sport)) return feOutbound(st, s);
    const t = st.be.size + st.beGone.size > 0 ? outboundTuple(s) : null;
    const c = t !== null && st.be.size > 0 ? st.be.get(t) : undefined;
    if (c === undefined) {
      if (t === null || st.beGone.size === 0 || !st.isGone(t)) return putnext(q, s.mp);
      // TCP still speaks for a connection BTCP dropped (reset from below): never to the client.
      st.count('swallowedAfterDrop');
      if (st.io.tracing()) st.io.note('handoff.swallow', { client: `${formatIpv4(s.dst)}:${s.dport}`, flags: s.flags, why: 'dropped' });
      return freemsg(s.mp);
    }
    if (c.phase === 'syn') return answerFromTcp(st, c, s);
    beOutbound(st, c, s);
  } finally {
    b.inWrite--;
  }
}

// ---- helpers ----------------------------------------------------------------------------------

function up(b: Btcp, mp: Mblk): void {
  const q = b.rq;
  if (b.inWrite > 0 || q.first !== null) putq(q, mp);
  else putnext(q, mp);
}

/** Keep the one timer at the earliest deadline of both tables. */
function rearm(b: Btcp): void {
  const at = Math.min(b.st.fe.nextDeadline() ?? Infinity, b.st.be.nextDeadline() ?? Infinity);
  if (at >= b.timerAt && b.timer !== null) return;
  if (b.timer !== null) quntimeout(b.rq, b.timer);
  b.timer = null;
  b.timerAt = Infinity;
  if (at === Infinity || b.rq.env.time === null) return;
  b.timerAt = at;
  b.timer = qtimeout(b.rq, () => expire(b), Math.max(0, at - b.rq.env.now()));
}

function expire(b: Btcp): void {
  b.timer = null;
  b.timerAt = Infinity;
  const st = b.st;
  const now = st.io.now();
  for (const { value } of st.fe.expire(now)) feExpired(st, value);
  for (const { value } of st.be.expire(now)) beExpired(st, value);
  rearm(b);
}
