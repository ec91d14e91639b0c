/**
 * Socket options: the SOL_SOCKET and IPPROTO_TCP names Linux uses, their value checks (the
 * ones Linux makes before any protocol code runs), and how each maps onto the TPI option
 * record (T_OPTMGMT_REQ / ACK) the transport understands. The transport owns the values
 * (buffer rounding, MSS clamping are its profile's business); a few options live in the
 * socket layer only (SO_ERROR, SO_TYPE, the receive / send timeouts).
 */
import type { TOptions } from '../../lib/streams/index.ts';
import type { ErrnoName } from './errno.ts';
import { IPPROTO_TCP, type Linger, type SockoptValue } from './types.ts';

export const SOL_SOCKET = 1;

export const SO_DEBUG = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_ACCEPTCONN = 30;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;

export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_SYNCNT = 7;
export const TCP_LINGER2 = 8;
export const TCP_DEFER_ACCEPT = 9;
export const TCP_WINDOW_CLAMP = 10;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_CONGESTION = 13;
export const TCP_USER_TIMEOUT = 18;

/** Options the socket layer answers itself. */
export type LocalOpt = 'error' | 'type' | 'acceptconn' | 'protocol' | 'domain' | 'rcvtimeo' | 'sndtimeo';

export type OptSpec =
  | { kind: 'local'; name: string; local: LocalOpt; settable: boolean }
  | { kind: 'bool'; name: string; key: keyof TOptions | `extra.${string}` }
  | { kind: 'int'; name: string; key: keyof TOptions | `extra.${string}`; min?: number; max?: number; zeroOk?: boolean }
  | { kind: 'string'; name: string; key: `extra.${string}` }
  | { kind: 'linger'; name: string }
  | { kind: 'info'; name: string };

const INT32_MAX = 0x7fffffff;

const solSocket = new Map<number, OptSpec>([
  [SO_REUSEADDR, { kind: 'bool', name: 'SO_REUSEADDR', key: 'reuseaddr' }],
  [SO_REUSEPORT, { kind: 'bool', name: 'SO_REUSEPORT', key: 'extra.reuseport' }],
  [SO_KEEPALIVE, { kind: 'bool', name: 'SO_KEEPALIVE', key: 'keepalive' }],
  [SO_OOBINLINE, { kind: 'bool', name: 'SO_OOBINLINE', key: 'extra.oobinline' }],
  [SO_DEBUG, { kind: 'bool', name: 'SO_DEBUG', key: 'extra.debug' }],
  [SO_DONTROUTE, { kind: 'bool', name: 'SO_DONTROUTE', key: 'extra.dontroute' }],
  [SO_BROADCAST, { kind: 'bool', name: 'SO_BROADCAST', key: 'extra.broadcast' }],
  [SO_SNDBUF, { kind: 'int', name: 'SO_SNDBUF', key: 'sndbuf' }],
  [SO_RCVBUF, { kind: 'int', name: 'SO_RCVBUF', key: 'rcvbuf' }],
  [SO_RCVLOWAT, { kind: 'int', name: 'SO_RCVLOWAT', key: 'extra.rcvlowat', min: 0 }],
  [SO_SNDLOWAT, { kind: 'int', name: 'SO_SNDLOWAT', key: 'extra.sndlowat', min: 0 }],
  [SO_LINGER, { kind: 'linger', name: 'SO_LINGER' }],
  [SO_ERROR, { kind: 'local', name: 'SO_ERROR', local: 'error', settable: false }],
  [SO_TYPE, { kind: 'local', name: 'SO_TYPE', local: 'type', settable: false }],
  [SO_ACCEPTCONN, { kind: 'local', name: 'SO_ACCEPTCONN', local: 'acceptconn', settable: false }],
  [SO_PROTOCOL, { kind: 'local', name: 'SO_PROTOCOL', local: 'protocol', settable: false }],
  [SO_DOMAIN, { kind: 'local', name: 'SO_DOMAIN', local: 'domain', settable: false }],
  [SO_RCVTIMEO, { kind: 'local', name: 'SO_RCVTIMEO', local: 'rcvtimeo', settable: true }],
  [SO_SNDTIMEO, { kind: 'local', name: 'SO_SNDTIMEO', local: 'sndtimeo', settable: true }],
]);

const ipprotoTcp = new Map<number, OptSpec>([
  [TCP_NODELAY, { kind: 'bool', name: 'TCP_NODELAY', key: 'nodelay' }],
  [TCP_CORK, { kind: 'bool', name: 'TCP_CORK', key: 'extra.cork' }],
  [TCP_QUICKACK, { kind: 'bool', name: 'TCP_QUICKACK', key: 'extra.quickack' }],
  // Linux: 0 means "no user MSS"; otherwise TCP_MIN_MSS (88) .. MAX_TCP_WINDOW (32767).
  [TCP_MAXSEG, { kind: 'int', name: 'TCP_MAXSEG', key: 'maxseg', min: 88, max: 32767, zeroOk: true }],
  [TCP_KEEPIDLE, { kind: 'int', name: 'TCP_KEEPIDLE', key: 'extra.keepidle', min: 1, max: 32767 }],
  [TCP_KEEPINTVL, { kind: 'int', name: 'TCP_KEEPINTVL', key: 'extra.keepintvl', min: 1, max: 32767 }],
  [TCP_KEEPCNT, { kind: 'int', name: 'TCP_KEEPCNT', key: 'extra.keepcnt', min: 1, max: 127 }],
  [TCP_SYNCNT, { kind: 'int', name: 'TCP_SYNCNT', key: 'extra.syncnt', min: 1, max: 127 }],
  [TCP_LINGER2, { kind: 'int', name: 'TCP_LINGER2', key: 'extra.linger2' }],
  [TCP_DEFER_ACCEPT, { kind: 'int', name: 'TCP_DEFER_ACCEPT', key: 'extra.defer_accept', min: 0 }],
  [TCP_WINDOW_CLAMP, { kind: 'int', name: 'TCP_WINDOW_CLAMP', key: 'extra.window_clamp', min: 0 }],
  [TCP_USER_TIMEOUT, { kind: 'int', name: 'TCP_USER_TIMEOUT', key: 'extra.user_timeout', min: 0 }],
  [TCP_CONGESTION, { kind: 'string', name: 'TCP_CONGESTION', key: 'extra.congestion' }],
  [TCP_INFO, { kind: 'info', name: 'TCP_INFO' }],
]);

/** The option at (level, name), or ENOPROTOOPT as Linux answers for unknown ones. */
export function optSpec(level: number, name: number): OptSpec | ErrnoName {
  const table = level === SOL_SOCKET ? solSocket : level === IPPROTO_TCP ? ipprotoTcp : null;
  return table?.get(name) ?? 'ENOPROTOOPT';
}

/** Key used in TOptions.extra to ask for TCP_INFO; the answer's extra holds `tcpi_*` fields. */
export const TCP_INFO_KEY = 'tcp_info';

/** The TPI option record that sets `spec` to `value`, or the errno Linux gives for a bad value. */
export function toTpi(spec: OptSpec, value: SockoptValue): TOptions | ErrnoName {
  switch (spec.kind) {
    case 'bool': {
      if (typeof value !== 'number' && typeof value !== 'boolean') return 'EINVAL';
      return withKey(spec.key, Boolean(value));
    }
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT32_MAX + 1) return 'EINVAL';
      if (!(spec.zeroOk === true && value === 0)) {
        if (spec.min !== undefined && value < spec.min) return 'EINVAL';
        if (spec.max !== undefined && value > spec.max) return 'EINVAL';
      }
      return withKey(spec.key, value);
    }
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number') return 'EINVAL';
      return withKey(spec.key, String(value));
    case 'linger': {
      const l = value as Partial<Linger>;
      if (typeof value !== 'object' || typeof l.linger !== 'number' || !Number.isInteger(l.linger)) return 'EINVAL';
      // TOptions.linger absent means "off" in an answer; in a request -1 turns it off.
      return { linger: l.onoff ? Math.max(0, l.linger) : -1 };
    }
    default:
      return 'ENOPROTOOPT';
  }
}

/** The record that asks the transport for the current value of `spec` (T_CURRENT). */
export function queryTpi(spec: OptSpec): TOptions {
  switch (spec.kind) {
    case 'bool':
      return withKey(spec.key, false);
    case 'int':
      return withKey(spec.key, 0);
    case 'string':
      return withKey(spec.key, '');
    case 'linger':
      return { linger: 0 };
    case 'info':
      return { extra: { [TCP_INFO_KEY]: true } };
    default:
      return {};
  }
}

/** Read `spec`'s value out of a T_OPTMGMT_ACK record (undefined when the transport left it out). */
export function fromTpi(spec: OptSpec, o: TOptions): SockoptValue | undefined {
  switch (spec.kind) {
    case 'bool': {
      const v = readKey(o, spec.key);
      return v === undefined ? undefined : v === true || (typeof v === 'number' && v !== 0) ? 1 : 0;
    }
    case 'int': {
      const v = readKey(o, spec.key);
      return typeof v === 'number' ? v : undefined;
    }
    case 'string': {
      const v = readKey(o, spec.key);
      return v === undefined ? undefined : String(v);
    }
    case 'linger':
      return o.linger === undefined || o.linger < 0 ? { onoff: false, linger: 0 } : { onoff: true, linger: o.linger };
    case 'info': {
      const out: Record<string, number | boolean | string> = {};
      for (const [k, v] of Object.entries(o.extra ?? {})) if (k.startsWith('tcpi_')) out[k] = v;
      return out;
    }
    default:
      return undefined;
  }
}

function withKey(key: string, v: number | boolean | string): TOptions {
  if (key.startsWith('extra.')) return { extra: { [key.slice(6)]: v } };
  return { [key]: v } as TOptions;
}

function readKey(o: TOptions, key: string): number | boolean | string | undefined {
  if (key.startsWith('extra.')) return o.extra?.[key.slice(6)];
  return (o as Record<string, unknown>)[key] as number | boolean | undefined;
}
