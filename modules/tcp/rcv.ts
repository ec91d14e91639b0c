/**
 * The receive side: accepting segment text in order (RFC 9293 §3.10.7.4 step 7), holding
 * what arrives early (segment-queue.ts), choosing the window we offer (§3.8.6.2.2, with
 * receiver SWS avoidance and never shrinking the right edge), deciding when to ACK
 * (delayed ACK, RFC 9293 §3.8.6.3 and RFC 5681 §4.2), and building SACK blocks
 * (RFC 2018 §4, D-SACK RFC 2883).
 */
import { seqAdd, seqDiff, seqGe, seqGt, seqLt, type Seq } from '../../lib/wire/seq.ts';
import type { TcpEndpoint } from './endpoint.ts';
import { maxSackBlocks, type SackBlock } from './options.ts';
import { SegmentQueue } from './segment-queue.ts';
import { sendAck } from './snd.ts';
import { TcpState } from './state.ts';

const MAX_WINDOW_FIELD = 65535;

/** The window we would offer now, in bytes (not yet advertised). */
export function rcvWindowNow(ep: TcpEndpoint): number {
  const p = ep.profile;
  const share = p.rcvWindowShare;
  const full = Math.floor(ep.rcvBufSize * share);
  // The share of the buffer that payload may use (the rest stands for per-segment overhead,
  // as Linux's tcp_adv_win_scale does); what is not read yet takes from it.
  let free = Math.max(0, full - ep.rcvBuf.length);
  const mss = ep.rcvMss;
  // Receiver SWS avoidance: offer nothing rather than a sliver (Linux __tcp_select_window,
  // BSD tcp_output "recwin < hiwat/4 && recwin < maxseg").
  if (free < full / 2 && free < mss) free = 0;
  if (p.rcvWindowMssRounding && ep.rcvSsthresh > 0 && free > ep.rcvSsthresh) free = ep.rcvSsthresh;
  if (ep.windowClamp > 0 && free > ep.windowClamp) free = ep.windowClamp;
  const maxWin = MAX_WINDOW_FIELD << ep.rcvWscale;
  let win = Math.min(free, maxWin);
  if (ep.rcvWscale > 0) {
    const g = 1 << ep.rcvWscale;
    win = Math.min(Math.ceil(win / g) * g, maxWin);
  } else if (p.rcvWindowMssRounding) {
    // Linux __tcp_select_window: keep the window last chosen unless the free space moved
    // by more than a segment from it; then round the free space down to a segment.
    const last = ep.rcvWndLast;
    win = last > win || last <= win - mss ? (win > mss ? Math.floor(win / mss) * mss : win) : last;
  }
  // Never move the right edge left (§3.8.6.2.2).
  const cur = seqDiff(ep.rcvAdv, ep.rcvNxt);
  if (win < cur) win = cur;
  return win;
}

/**
 * Window field for an outgoing non-SYN segment; records the right edge the peer will see.
 * A window kept only to avoid shrinking is rounded up to the scale granularity (Linux
 * tcp_select_window ALIGN), so the field never says less than we promised before.
 */
export function windowField(ep: TcpEndpoint): number {
  const win = rcvWindowNow(ep);
  const g = 1 << ep.rcvWscale;
  const field = Math.min(MAX_WINDOW_FIELD, Math.ceil(win / g));
  const edge = seqAdd(ep.rcvNxt, field * g);
  if (seqGt(edge, ep.rcvAdv)) ep.rcvAdv = edge;
  ep.rcvWndLast = field * g;
  return field;
}

/** Window of a SYN or SYN/ACK: never scaled (RFC 7323 §2.2), rounded to `mss` where the profile does. */
export function synWindow(ep: TcpEndpoint, mss: number): number {
  const p = ep.profile;
  let space = Math.floor(ep.rcvBufSize * p.rcvWindowShare);
  if (p.rcvWindowMssRounding && space > mss) space = Math.floor(space / mss) * mss;
  const win = Math.min(space, MAX_WINDOW_FIELD);
  ep.rcvSsthresh = p.rcvWindowMssRounding ? win : 0;
  ep.rcvWndLast = win;
  ep.rcvAdv = seqAdd(ep.rcvNxt, win);
  return win;
}

/** Current offered window (RCV.WND): from RCV.NXT to the right edge last advertised. */
export function rcvWnd(ep: TcpEndpoint): number {
  return Math.max(0, seqDiff(ep.rcvAdv, ep.rcvNxt));
}

/**
 * The window segments are tested against (RFC 9293 §3.10.7.4). Normally RCV.WND as advertised;
 * with rcvWndFromSpace the larger of that and the free buffer space (FreeBSD tcp_input:
 * rcv_wnd = imax(sbspace(&so->so_rcv), rcv_adv - rcv_nxt)), which exceeds what an unscaled
 * window field can say once the buffer is larger than 65535.
 */
export function acceptWnd(ep: TcpEndpoint): number {
  const adv = rcvWnd(ep);
  // An embryo is judged by the window its SYN/ACK offered (BSD syncache: sc_wnd).
  if (!ep.profile.rcvWndFromSpace || ep.state === TcpState.SYN_RECEIVED) return adv;
  const space = Math.floor(ep.rcvBufSize * ep.profile.rcvWindowShare) - ep.rcvBuf.length;
  return space > adv ? space : adv;
}

/**
 * Round the socket buffers up to a whole number of segments once the MSS is known (FreeBSD
 * tcp_mss: roundup(sb_hiwat, mss), capped at sb_max, only ever growing). `mss` is the
 * segment size before option bytes (t_maxseg).
 */
export function roundBuffersToMss(ep: TcpEndpoint, mss: number): void {
  const p = ep.profile;
  if (!p.sockBufMssRounding || mss <= 0) return;
  if (ep.sndBufSize >= mss) {
    const r = Math.min(Math.ceil(ep.sndBufSize / mss) * mss, p.sockBufLimit);
    if (r > ep.sndBufSize) ep.sndBufSize = r;
  }
  if (ep.rcvBufSize > mss) {
    const r = Math.min(Math.ceil(ep.rcvBufSize / mss) * mss, p.sockBufLimit);
    if (r > ep.rcvBufSize) ep.rcvBufSize = r;
  }
}

/**
 * Accept in-window text at `s` (already trimmed to start at or after RCV.NXT and to end
 * within the window). Returns true when the FIN has now been reached in order.
 */
export function acceptText(ep: TcpEndpoint, s: Seq, data: Uint8Array, fin: boolean, tsEcr: number): boolean {
  const mib = ep.stack.mib;
  if (s !== ep.rcvNxt) {
    if (!ep.reasm) ep.reasm = new SegmentQueue(ep.profile.reasmMaxSegments);
    const r = ep.reasm.insert(s, data, fin);
    if (r.stored > 0 || fin) mib.TCPOFOQueue++;
    if (r.dropped) mib.TCPOFODrop++;
    if (r.duplicate && ep.profile.dsack && ep.sackOn) {
      ep.dsack = r.duplicate;
      mib.TCPDSACKOfoSent++;
    }
    noteSackRecent(ep, s);
    // RFC 5681 §4.2: an out-of-order segment is acknowledged at once (a duplicate ACK).
    ep.ackNow = true;
    return false;
  }
  let finNow = fin;
  let filled = false;
  if (data.length > 0) deliver(ep, data, tsEcr);
  if (!finNow && ep.reasm && !ep.reasm.isEmpty()) {
    for (;;) {
      const next = ep.reasm.pop(ep.rcvNxt);
      if (!next) break;
      filled = true;
      if (next.data.length > 0) deliver(ep, next.data, tsEcr);
      if (next.fin) {
        finNow = true;
        break;
      }
    }
    // RFC 5681 §4.2: a segment that fills a gap is acknowledged at once.
    if (filled) ep.ackNow = true;
  }
  if (data.length > 0) scheduleAck(ep, data.length);
  return finNow;
}

function deliver(ep: TcpEndpoint, data: Uint8Array, tsEcr: number): void {
  ep.rcvNxt = seqAdd(ep.rcvNxt, data.length);
  ep.bytesReceived += data.length;
  if (data.length > ep.rcvMss && data.length <= ep.advMss) ep.rcvMss = data.length;
  growWindow(ep, data.length);
  autotune(ep, data.length, tsEcr);
  if (ep.shutRd) return;
  ep.rcvBuf.append(data);
  ep.stack.post(ep, 'readable');
}

/** Linux tcp_grow_window: rcv_ssthresh opens by two segments per in-order segment. */
function growWindow(ep: TcpEndpoint, _len: number): void {
  if (ep.rcvSsthresh === 0) return;
  const clamp = Math.floor(ep.rcvBufSize * ep.profile.rcvWindowShare);
  if (ep.rcvSsthresh < clamp) ep.rcvSsthresh = Math.min(clamp, ep.rcvSsthresh + 2 * ep.advMss);
}

/**
 * Receive-buffer autotuning in the manner of FreeBSD tcp_autorcvbuf: when the peer filled
 * 7/8 of the buffer within one round trip, double it (up to the profile's maximum).
 */
function autotune(ep: TcpEndpoint, len: number, tsEcr: number): void {
  const p = ep.profile;
  if (!p.rcvBufAuto || ep.rcvBufLocked || ep.rcvBufSize >= p.rcvBufMax) return;
  ep.rfbufCnt += len;
  const now = ep.stack.now;
  let rttPassed: boolean;
  if (ep.tsOn && tsEcr !== 0) {
    rttPassed = ((tsEcr - ep.rfbufTs) | 0) > 0;
  } else {
    const rtt = ep.rtt.hasSample ? ep.rtt.srtt : p.rtoInitial / 10;
    rttPassed = now - ep.rfbufTs >= rtt;
  }
  if (!rttPassed) return;
  if (ep.rfbufCnt > (ep.rcvBufSize / 8) * 7) {
    ep.rcvBufSize = Math.min(p.rcvBufMax, ep.rcvBufSize * 2);
  }
  ep.rfbufCnt = 0;
  ep.rfbufTs = ep.tsOn && tsEcr !== 0 ? tsNow(ep) : now;
}

/** Our current TSval. */
export function tsNow(ep: TcpEndpoint): number {
  const p = ep.profile;
  return (Math.floor((ep.stack.now * p.tsHz) / 1e9) + ep.tsOffset) >>> 0;
}

/** Decide between an immediate and a delayed ACK for `len` new in-order bytes. */
export function scheduleAck(ep: TcpEndpoint, len: number): void {
  const p = ep.profile;
  ep.unackedBytes += len;
  ep.unackedSegs++;
  ep.dataSegsIn++;
  if (ep.ackNow) return;
  if (ep.quickAcks > 0) {
    ep.quickAcks--;
    ep.ackNow = true;
    return;
  }
  if (!p.delayedAck) {
    ep.ackNow = true;
    return;
  }
  // RFC 5681 §4.2: ACK at least every second full-sized segment. Linux counts bytes
  // (more than one full segment pending), BSD counts segments.
  const due = p.delAckCountsBytes
    ? ep.unackedBytes > (p.delAckSegments - 1) * ep.rcvMss
    : ep.unackedSegs >= p.delAckSegments;
  if (due) {
    ep.ackNow = true;
    return;
  }
  if (ep.delackAt === Number.POSITIVE_INFINITY) ep.delackAt = ep.stack.now + p.delAckTime;
}

function noteSackRecent(ep: TcpEndpoint, s: Seq): void {
  // Drop entries the cumulative ACK has passed, then put the newest first.
  const r = ep.sackRecent.filter((x) => seqGt(x, ep.rcvNxt));
  r.unshift(s);
  if (r.length > 8) r.length = 8;
  ep.sackRecent = r;
}

/** SACK blocks for the next outgoing segment (D-SACK first), or null. Does not consume the D-SACK. */
export function sackBlocks(ep: TcpEndpoint): SackBlock[] | null {
  if (!ep.sackOn) return null;
  const hasOoo = ep.reasm !== null && !ep.reasm.isEmpty();
  if (ep.dsack === null && !hasOoo) return null;
  const max = maxSackBlocks(ep.tsOn);
  const out: SackBlock[] = [];
  const ooo = hasOoo ? ep.reasm!.blocks() : null;
  const has = (b: SackBlock): boolean => out.some((o) => o.left === b.left && o.right === b.right);
  if (ep.dsack) {
    const d = ep.dsack;
    out.push({ left: d.left, right: d.right });
    if (ooo) {
      const holder = ooo.find((b) => seqGe(d.left, b.left) && !seqGt(d.right, b.right));
      if (holder) out.push(holder);
    }
  }
  if (ooo) {
    for (const s of ep.sackRecent) {
      if (out.length >= max) break;
      const b = ooo.find((x) => seqGe(s, x.left) && seqLt(s, x.right));
      if (b && !has(b)) out.push(b);
    }
    for (let i = ooo.length - 1; i >= 0 && out.length < max; i--) {
      if (!has(ooo[i]!)) out.push(ooo[i]!);
    }
  }
  if (out.length > max) out.length = max;
  return out.length > 0 ? out : null;
}

/** Option bytes the SACK blocks take on a segment: NOP, NOP, kind, length, 8 per block. */
export function sackOptionBytes(sack: SackBlock[] | null): number {
  return sack === null ? 0 : 4 + 8 * sack.length;
}

/**
 * After the user read: if the window can now open by two segments or by half the buffer,
 * tell the peer at once (BSD tcp_output window-update rule, Linux tcp_cleanup_rbuf).
 */
export function afterRead(ep: TcpEndpoint): void {
  if (ep.state < TcpState.ESTABLISHED) return;
  const cur = rcvWnd(ep);
  const next = rcvWindowNow(ep);
  const grow = next - cur;
  if (grow <= 0) return;
  const full = ep.rcvBufSize * ep.profile.rcvWindowShare;
  if (grow >= 2 * ep.rcvMss || 2 * grow >= full || (cur === 0 && next >= ep.rcvMss)) {
    sendAck(ep);
  }
}
