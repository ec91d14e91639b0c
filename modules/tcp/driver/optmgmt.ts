/**
 * T_OPTMGMT_REQ: the socket options of one endpoint. Values set before there is a
 * connection are stored and applied when it appears (connect, accept, or inherited by the
 * children of a listener); T_CURRENT reads them back, from the live connection when there is
 * one. Option names follow lib/streams/tpi.ts TOptions and harness/sockets/options.ts
 * (`extra.*` keys, `extra.tcp_info` for TCP_INFO). Unknown extra keys are kept and echoed.
 */
import { mktpi, T_CURRENT, T_DEFAULT, T_FAILURE, T_SUCCESS, type Mblk, type TOptions, type TOptmgmtReq } from '../../../lib/streams/index.ts';
import { SEC } from '../../../lib/sim/time.ts';
import type { TcpEndpoint } from '../endpoint.ts';
import { tcpiFields } from '../info.ts';
import { updateSndMss } from '../connect.ts';
import type { TcpUpper } from './upper.ts';

export type StoredOptions = {
  -readonly [K in keyof TOptions]: TOptions[K];
} & { extra?: Record<string, number | boolean | string> };

/** The options of a stream that never set any (shared; replaced by its own object on the first set). */
export const NO_OPTIONS: StoredOptions = Object.freeze({});

/** The stream's own stored options, made on the first write. */
export function ownOptions(u: TcpUpper): StoredOptions {
  if (u.opts === NO_OPTIONS) u.opts = {};
  return u.opts;
}

/** Apply stored options to a (new) connection. */
export function applyOptions(ep: TcpEndpoint, o: StoredOptions): void {
  if (o.nodelay !== undefined) ep.nodelay = o.nodelay;
  if (o.keepalive !== undefined) ep.keepAlive = o.keepalive;
  if (o.rcvbuf !== undefined) ep.setReceiveBuffer(o.rcvbuf);
  if (o.sndbuf !== undefined) ep.setSendBuffer(o.sndbuf);
  if (o.maxseg !== undefined) ep.setMaxSeg(o.maxseg);
  if (o.linger !== undefined) ep.setLinger(o.linger < 0 ? null : o.linger * SEC);
  const x = o.extra;
  if (x) {
    if (typeof x.keepidle === 'number') ep.keepIdle = x.keepidle * SEC;
    if (typeof x.keepintvl === 'number') ep.keepIntvl = x.keepintvl * SEC;
    if (typeof x.keepcnt === 'number') ep.keepCnt = x.keepcnt;
    applyTcpExtras(ep, x);
  }
}

/** TCP_SYNCNT, TCP_LINGER2 (seconds), TCP_WINDOW_CLAMP (bytes), TCP_USER_TIMEOUT (ms). */
function applyTcpExtras(ep: TcpEndpoint, x: Record<string, number | boolean | string>): void {
  if (typeof x.syncnt === 'number') ep.synRetries = x.syncnt;
  if (typeof x.linger2 === 'number') ep.linger2 = x.linger2 > 0 ? x.linger2 * SEC : 0;
  if (typeof x.window_clamp === 'number') ep.windowClamp = x.window_clamp;
  if (typeof x.user_timeout === 'number') ep.userTimeout = x.user_timeout * 1e6;
}

/** Options that change a live connection at once. */
function applyLive(ep: TcpEndpoint, o: TOptions, now: number): void {
  if (o.nodelay !== undefined) ep.setNoDelay(o.nodelay, now);
  if (o.rcvbuf !== undefined) ep.setReceiveBuffer(o.rcvbuf);
  if (o.sndbuf !== undefined) ep.setSendBuffer(o.sndbuf);
  if (o.maxseg !== undefined) {
    ep.setMaxSeg(o.maxseg);
    if (ep.state >= 4) updateSndMss(ep);
  }
  if (o.linger !== undefined) ep.setLinger(o.linger < 0 ? null : o.linger * SEC);
  const x = o.extra ?? {};
  const ka = o.keepalive ?? ep.keepAlive;
  if (o.keepalive !== undefined || 'keepidle' in x || 'keepintvl' in x || 'keepcnt' in x) {
    ep.setKeepAlive(
      ka,
      now,
      typeof x.keepidle === 'number' ? x.keepidle * SEC : 0,
      typeof x.keepintvl === 'number' ? x.keepintvl * SEC : 0,
      typeof x.keepcnt === 'number' ? x.keepcnt : 0,
    );
  }
  if (x.quickack === true) ep.quickAcks = Math.max(ep.quickAcks, ep.profile.quickAckSegments || 1);
  applyTcpExtras(ep, x);
}

/** Current value of every option named in `ask`. */
function current(u: TcpUpper, ask: TOptions, defaults: boolean): TOptions {
  const p = u.host.stack.profile;
  const ep = defaults ? null : u.ep;
  const o = defaults ? {} : u.opts;
  const out: StoredOptions = {};
  if ('nodelay' in ask) out.nodelay = ep ? ep.nodelay : (o.nodelay ?? !p.nagle);
  if ('keepalive' in ask) out.keepalive = ep ? ep.keepAlive : (o.keepalive ?? false);
  if ('rcvbuf' in ask) out.rcvbuf = ep ? ep.rcvBufSize : o.rcvbuf !== undefined ? (p.bufDoubling ? 2 * o.rcvbuf : o.rcvbuf) : p.rcvBufDefault;
  if ('sndbuf' in ask) out.sndbuf = ep ? ep.sndBufSize : o.sndbuf !== undefined ? (p.bufDoubling ? 2 * o.sndbuf : o.sndbuf) : p.sndBufDefault;
  if ('maxseg' in ask) out.maxseg = ep && ep.state >= 4 ? ep.sndMss : (o.maxseg || p.mssDefault);
  if ('reuseaddr' in ask) out.reuseaddr = o.reuseaddr ?? false;
  if ('linger' in ask) {
    const l = ep ? ep.linger : o.linger !== undefined && o.linger >= 0 ? o.linger * SEC : -1;
    if (l >= 0) out.linger = Math.round(l / SEC);
  }
  const ax = ask.extra;
  if (ax) {
    const x: Record<string, number | boolean | string> = {};
    const stored = o.extra ?? {};
    for (const k of Object.keys(ax)) {
      switch (k) {
        case 'tcp_info':
          if (ep) Object.assign(x, tcpiFields(ep.info(), u.host.env.now()));
          else x.tcpi_state = u.listener ? 10 : 7;
          break;
        case 'keepidle':
          x[k] = Math.round((ep?.keepParams().idle ?? (typeof stored.keepidle === 'number' ? stored.keepidle * SEC : p.keepIdle)) / SEC);
          break;
        case 'keepintvl':
          x[k] = Math.round((ep?.keepParams().intvl ?? (typeof stored.keepintvl === 'number' ? stored.keepintvl * SEC : p.keepIntvl)) / SEC);
          break;
        case 'keepcnt':
          x[k] = ep?.keepParams().cnt ?? (typeof stored.keepcnt === 'number' ? stored.keepcnt : p.keepCnt);
          break;
        case 'syncnt':
          x[k] = ep?.synRetries || (typeof stored.syncnt === 'number' ? stored.syncnt : p.synRetries);
          break;
        case 'linger2':
          x[k] = ep ? Math.round(ep.finWait2Timeout() / SEC) : typeof stored.linger2 === 'number' ? stored.linger2 : Math.round(p.finWait2Timeout / SEC);
          break;
        case 'window_clamp':
          x[k] = ep?.windowClamp || (typeof stored.window_clamp === 'number' ? stored.window_clamp : 0);
          break;
        case 'user_timeout':
          x[k] = ep ? Math.round(ep.userTimeout / 1e6) : typeof stored.user_timeout === 'number' ? stored.user_timeout : 0;
          break;
        case 'congestion':
          x[k] = ep?.cc?.name ?? (typeof stored.congestion === 'string' ? stored.congestion : p.congestion);
          break;
        default:
          x[k] = stored[k] ?? (typeof ax[k] === 'boolean' ? false : typeof ax[k] === 'string' ? '' : 0);
      }
    }
    out.extra = x;
  }
  return out;
}

export function optmgmt(u: TcpUpper, req: TOptmgmtReq): Mblk {
  const opt = req.OPT ?? {};
  if (req.MGMT_flags & T_CURRENT || req.MGMT_flags & T_DEFAULT) {
    return mktpi({ PRIM_type: 'T_OPTMGMT_ACK', MGMT_flags: T_SUCCESS, OPT: current(u, opt, (req.MGMT_flags & T_DEFAULT) !== 0) });
  }
  // T_NEGOTIATE (and T_CHECK, which we answer the same way): store, and apply when live.
  if (typeof opt !== 'object') return mktpi({ PRIM_type: 'T_OPTMGMT_ACK', MGMT_flags: T_FAILURE, OPT: {} });
  const { extra, ...plain } = opt;
  const stored = ownOptions(u);
  Object.assign(stored, plain);
  if (extra) stored.extra = { ...stored.extra, ...extra };
  if (u.ep) applyLive(u.ep, opt, u.host.env.now());
  if (u.listener) {
    const inh = u.listener.inherit;
    if (opt.nodelay !== undefined) inh.nodelay = opt.nodelay;
    if (opt.keepalive !== undefined) inh.keepAlive = opt.keepalive;
    if (opt.rcvbuf !== undefined) inh.rcvBuf = opt.rcvbuf;
    if (opt.sndbuf !== undefined) inh.sndBuf = opt.sndbuf;
    if (opt.maxseg !== undefined) inh.maxSeg = opt.maxseg;
  }
  return mktpi({ PRIM_type: 'T_OPTMGMT_ACK', MGMT_flags: T_SUCCESS, OPT: current(u, opt, false) });
}
