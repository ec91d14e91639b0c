/**
 * One upper stream of the tcp driver = one TPI transport endpoint (unbound, bound, listening
 * or connected). TPI requests coming down become calls on the pure TcpStack; the stack's
 * events come back (through `tcpEvents`) as TPI indications going up:
 *
 *   T_BIND_REQ → T_BIND_ACK          T_CONN_REQ → T_OK_ACK, later T_CONN_CON / T_DISCON_IND
 *   (SYN arrives) T_CONN_IND         T_CONN_RES → T_OK_ACK (the acceptor takes the connection)
 *   M_DATA / T_DATA_REQ down         M_DATA up (as the reader makes room: flow control)
 *   T_ORDREL_REQ (FIN)               T_ORDREL_IND (peer FIN, after its data)
 *   T_DISCON_REQ (RST / refuse)      T_DISCON_IND (reset, refused, timed out)
 *   T_OPTMGMT_REQ → T_OPTMGMT_ACK    T_ADDR_REQ → T_ADDR_ACK, T_INFO_REQ → T_INFO_ACK
 *
 * Data going up stays in the TCP receive buffer until the stream above has room, so the
 * window the peer sees follows what the reader consumed.
 */
import {
  canputnext,
  esballoc,
  freeb,
  freemsg,
  M_DATA,
  mkproto,
  mktpi,
  putnext,
  qenable,
  qreply,
  T_COTS_ORD,
  tErrorAck,
  TLI,
  tOkAck,
  tOrdrel,
  TS,
  tpiAs,
  type Mblk,
  type Queue,
  type TAddr,
  type TConnReq,
  type TConnRes,
  type TDisconReq,
  type TBindReq,
  type TPrimitive,
} from '../../../lib/streams/index.ts';
import type { Ipv4Addr } from '../../../lib/wire/ip-types.ts';
import type { TcpEndpoint } from '../endpoint.ts';
import type { TcpErrno, TcpHandler, TcpListenHandler } from '../events.ts';
import type { TcpListener } from '../listen.ts';
import { TcpState } from '../state.ts';
import type { IpRouteReq } from '../../ip/proto.ts';
import type { TcpHost } from './host.ts';
import { applyOptions, NO_OPTIONS, optmgmt, ownOptions, type StoredOptions } from './optmgmt.ts';

/** Linux errno numbers for what a TCP reports. */
const ERRNO: Record<TcpErrno | 'ENETUNREACH' | 'EADDRINUSE' | 'EADDRNOTAVAIL', number> = {
  EPIPE: 32,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
};

/** Largest M_DATA message sent up at once. */
const UP_CHUNK = 65536;

export interface TcpUpper {
  host: TcpHost;
  rq: Queue;
  wq: Queue;
  streamId: number;
  /** TPI state (TS_*). */
  tpi: number;
  /** Local address as bound (addr 0: any). */
  bound: TAddr | null;
  /** Port held with stack.bindPort (0: none). */
  portHeld: number;
  /** Bound with no address at all (autobind): the port is chosen at connect time. */
  lazyPort: boolean;
  listener: TcpListener | null;
  ep: TcpEndpoint | null;
  /** Connection indications sent up and not yet answered, by SEQ_number (listeners only: made on the first). */
  pending: Map<number, TcpEndpoint> | null;
  nextSeq: number;
  opts: StoredOptions;
  /** The peer's FIN arrived; T_ORDREL_IND goes once the data before it went up. */
  ordrelPending: boolean;
  /** The connection failed or was reset; T_DISCON_IND goes after the data before it. */
  discon: number | null;
  /** The stream takes M_CTL messages from below (TCP_IOC_CTL_SUBSCRIBE). */
  wantCtl: boolean;
  /** The TCP send buffer refused data; the write service waits for `writable`. */
  writeBlocked: boolean;
}


export function newUpper(host: TcpHost, rq: Queue, wq: Queue, streamId: number): TcpUpper {
  return {
    host,
    rq,
    wq,
    streamId,
    tpi: TS.TS_UNBND,
    bound: null,
    portHeld: 0,
    lazyPort: false,
    listener: null,
    ep: null,
    pending: null,
    nextSeq: 1,
    opts: NO_OPTIONS,
    ordrelPending: false,
    discon: null,
    wantCtl: false,
    writeBlocked: false,
  };
}

/**
 * `ep.user` holds the upper stream the endpoint belongs to: the stream whose connection it is
 * (`u.ep === ep`), or, while it waits for T_CONN_RES, the listener's stream (the endpoint is
 * then in `u.pending`). No object per connection for the link.
 */
function link(ep: TcpEndpoint): TcpUpper | null {
  return (ep.user as TcpUpper | null) ?? null;
}

function own(ep: TcpEndpoint): TcpUpper | null {
  const u = link(ep);
  return u !== null && u.ep === ep ? u : null;
}

/** The SEQ_number of the indication sent for an unaccepted endpoint, or -1. */
function indicationOf(u: TcpUpper, ep: TcpEndpoint): number {
  if (u.pending === null || u.ep === ep) return -1;
  for (const [seq, child] of u.pending) if (child === ep) return seq;
  return -1;
}

// ---- events from the stack ------------------------------------------------------------------

export const tcpEvents: TcpHandler = {
  established(ep) {
    const u = own(ep);
    if (u === null) return;
    u.tpi = TS.TS_DATA_XFER;
    putnext(u.rq, mktpi({ PRIM_type: 'T_CONN_CON', RES_addr: { addr: ep.remoteAddr, port: ep.remotePort }, OPT: null }));
    pump(u);
  },
  readable(ep) {
    const u = own(ep);
    if (u !== null) pump(u);
  },
  writable(ep) {
    const u = own(ep);
    if (u === null) return;
    u.writeBlocked = false;
    qenable(u.wq);
  },
  peerClosed(ep) {
    const u = own(ep);
    if (u === null) return;
    u.ordrelPending = true;
    pump(u);
  },
  error(ep, err) {
    const l = link(ep);
    if (l === null) return;
    const seq = indicationOf(l, ep);
    if (seq >= 0) return keepsReset(l) ? undefined : indicationGone(l, seq, ep, ERRNO[err]);
    const u = own(ep);
    if (u === null) return;
    u.discon = ERRNO[err];
    pump(u);
  },
  closed(ep) {
    const l = link(ep);
    if (l === null) return;
    const seq = indicationOf(l, ep);
    // A reset connection stays indicated where the profile keeps it; any other end withdraws it.
    if (seq >= 0) return ep.error !== null && keepsReset(l) ? undefined : indicationGone(l, seq, ep, ERRNO.ECONNRESET);
    const u = own(ep);
    if (u === null) return;
    // Data still buffered goes up before the connection disappears from the stream.
    if (u.discon === null) pump(u);
    if (u.ep === ep && ep.rcvBuf.length === 0) detach(u);
  },
};

export const tcpListenEvents: TcpListenHandler = {
  connection(l, child) {
    const u = l.user as TcpUpper | null;
    if (u === null || u.listener !== l) return;
    const seq = u.nextSeq++;
    (u.pending ??= new Map()).set(seq, child);
    child.user = u;
    putnext(
      u.rq,
      mktpi({
        PRIM_type: 'T_CONN_IND',
        SRC_addr: { addr: child.remoteAddr, port: child.remotePort },
        DEST_addr: { addr: child.localAddr, port: child.localPort },
        SEQ_number: seq,
        OPT: null,
      }),
    );
  },
};

/**
 * A connection reset while it waits for T_CONN_RES stays indicated where the profile keeps it
 * (Linux: the child stays in the accept queue, accept() returns it, the first read reports
 * the reset); T_CONN_RES then hands over a connection that is already gone (acceptConn).
 */
function keepsReset(u: TcpUpper): boolean {
  return u.host.stack.profile.acceptQueueKeepsReset;
}

/** An unaccepted connection went away: tell the listener's user. */
function indicationGone(u: TcpUpper, seq: number, ep: TcpEndpoint, reason: number): void {
  u.pending!.delete(seq);
  ep.user = null;
  putnext(u.rq, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: reason, SEQ_number: seq }));
}

function detach(u: TcpUpper): void {
  const ep = u.ep;
  if (ep !== null && ep.user === u) ep.user = null;
  u.ep = null;
}

/**
 * Move received data up as far as the stream above has room, then the orderly-release or
 * disconnect indication that follows it.
 */
export function pump(u: TcpUpper): void {
  const ep = u.ep;
  if (ep === null) return;
  const now = u.host.env.now();
  const forced = u.discon !== null;
  while (ep.readable > 0) {
    if (!forced && !canputnext(u.rq)) return;
    const avail = Math.min(ep.readable, UP_CHUNK);
    let mp: Mblk;
    const first = ep.read(avail, now)!;
    if (first.length === avail) {
      mp = esballoc(first);
    } else {
      // Gather several received segments into one message: fewer, larger messages up.
      const buf = new Uint8Array(avail);
      buf.set(first);
      ep.readInto(buf.subarray(first.length), now);
      mp = esballoc(buf);
    }
    putnext(u.rq, mp);
  }
  if (u.ordrelPending) {
    u.ordrelPending = false;
    u.tpi = u.tpi === TS.TS_WIND_ORDREL ? TS.TS_IDLE : TS.TS_WREQ_ORDREL;
    putnext(u.rq, tOrdrel('T_ORDREL_IND'));
  }
  if (u.discon !== null) {
    const reason = u.discon;
    u.discon = null;
    u.tpi = TS.TS_IDLE;
    detach(u);
    putnext(u.rq, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: reason, SEQ_number: -1 }));
  } else if (ep.state === TcpState.CLOSED) {
    detach(u);
  }
}

// ---- data down --------------------------------------------------------------------------------

/**
 * Hand a data message to the TCP send buffer. Returns null when all of it was taken (or it
 * had to be dropped), else the part left over (to be queued until `writable`).
 */
export function writeData(u: TcpUpper, mp: Mblk): Mblk | null {
  const ep = u.ep;
  if (ep === null) {
    freemsg(mp);
    return null;
  }
  const now = u.host.env.now();
  let b: Mblk | null = mp;
  while (b !== null) {
    if (b.db.type === M_DATA && b.len > 0) {
      const data = b.data();
      const n = ep.send(data, now);
      if (n < 0) {
        freemsg(b);
        return null;
      }
      if (n < data.length) {
        b.rptr += n;
        u.writeBlocked = true;
        return b;
      }
    }
    const next: Mblk | null = b.cont;
    b.cont = null;
    freeb(b);
    b = next;
  }
  return null;
}

// ---- TPI requests -----------------------------------------------------------------------------

/** Handle a TPI request from above; false when it must wait behind queued data (putq it). */
export function tpiRequest(u: TcpUpper, mp: Mblk, p: TPrimitive): void {
  switch (p.PRIM_type) {
    case 'T_BIND_REQ':
      return bind(u, mp, p);
    case 'T_UNBIND_REQ':
      return unbind(u, mp);
    case 'T_CONN_REQ':
      return connect(u, mp, p);
    case 'T_CONN_RES':
      return acceptConn(u, mp, p);
    case 'T_DISCON_REQ':
      return disconnect(u, mp, p);
    case 'T_ORDREL_REQ':
      freemsg(mp);
      return ordrel(u);
    case 'T_OPTMGMT_REQ':
      return qreply(u.wq, (freemsg(mp), optmgmt(u, p)));
    case 'T_ADDR_REQ':
      freemsg(mp);
      return qreply(u.wq, mktpi({ PRIM_type: 'T_ADDR_ACK', LOCADDR: localAddr(u), REMADDR: u.ep ? { addr: u.ep.remoteAddr, port: u.ep.remotePort } : null }));
    case 'T_INFO_REQ':
      freemsg(mp);
      return qreply(u.wq, mktpi({
        PRIM_type: 'T_INFO_ACK',
        TSDU_size: 0,
        ETSDU_size: -2,
        CDATA_size: -2,
        DDATA_size: -2,
        ADDR_size: 8,
        OPT_size: -1,
        TIDU_size: UP_CHUNK,
        SERV_type: T_COTS_ORD,
        CURRENT_state: u.tpi,
        PROVIDER_flag: 0,
      }));
    default:
      freemsg(mp);
      return qreply(u.wq, tErrorAck(p.PRIM_type, TLI.TNOTSUPPORT));
  }
}

/** Refuse a request with T_ERROR_ACK. */
function errorAck(u: TcpUpper, prim: TPrimitive['PRIM_type'], tli: number, unix = 0): void {
  qreply(u.wq, tErrorAck(prim, tli, unix));
}

function localAddr(u: TcpUpper): TAddr | null {
  if (u.ep) return { addr: u.ep.localAddr, port: u.ep.localPort };
  if (u.listener) return { addr: u.listener.localAddr, port: u.listener.localPort };
  return u.bound;
}

function bind(u: TcpUpper, mp: Mblk, p: TBindReq): void {
  freemsg(mp);
  const host = u.host;
  const stack = host.stack;
  if (u.tpi !== TS.TS_UNBND) return errorAck(u, 'T_BIND_REQ', TLI.TOUTSTATE);
  const addr = (p.ADDR?.addr ?? 0) as Ipv4Addr;
  const port = p.ADDR?.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return errorAck(u, 'T_BIND_REQ', TLI.TBADADDR);
  if (addr !== 0 && !host.isLocal(addr)) return errorAck(u, 'T_BIND_REQ', TLI.TNOADDR);
  if (p.CONIND_number <= 0 && p.ADDR === null) {
    // Autobind before connect: the port is chosen with the destination (RFC 6056).
    u.lazyPort = true;
    u.bound = { addr: 0 as Ipv4Addr, port: 0 };
    u.tpi = TS.TS_IDLE;
    return qreply(u.wq, mktpi({ PRIM_type: 'T_BIND_ACK', ADDR: u.bound, CONIND_number: 0 }));
  }
  const held = stack.bindPort(port, u.opts.reuseaddr === true);
  if (typeof held === 'string') return errorAck(u, 'T_BIND_REQ', held === 'EADDRINUSE' ? TLI.TADDRBUSY : TLI.TNOADDR);
  if (p.CONIND_number > 0) {
    const l = stack.listen(addr, held, p.CONIND_number, tcpListenEvents);
    if (typeof l === 'string') {
      stack.releasePort(held);
      return errorAck(u, 'T_BIND_REQ', TLI.TADDRBUSY);
    }
    l.user = u;
    l.childHandler = tcpEvents;
    l.inherit = {
      nodelay: u.opts.nodelay,
      keepAlive: u.opts.keepalive,
      rcvBuf: u.opts.rcvbuf,
      sndBuf: u.opts.sndbuf,
      maxSeg: u.opts.maxseg,
    };
    u.listener = l;
  }
  u.portHeld = held;
  u.lazyPort = false;
  u.bound = { addr, port: held };
  u.tpi = TS.TS_IDLE;
  qreply(u.wq, mktpi({ PRIM_type: 'T_BIND_ACK', ADDR: u.bound, CONIND_number: Math.max(0, p.CONIND_number) }));
}

/** Give up the address (and the listener): TS_IDLE → TS_UNBND. */
export function releaseBinding(u: TcpUpper): void {
  const now = u.host.env.now();
  if (u.listener !== null) {
    const l = u.listener;
    u.listener = null;
    if (u.pending !== null) for (const child of u.pending.values()) child.user = null;
    u.pending = null;
    l.user = null;
    l.close(now);
  }
  if (u.portHeld !== 0) u.host.stack.releasePort(u.portHeld);
  u.portHeld = 0;
  u.bound = null;
  u.lazyPort = false;
  u.tpi = TS.TS_UNBND;
}

function unbind(u: TcpUpper, mp: Mblk): void {
  freemsg(mp);
  if (u.tpi !== TS.TS_IDLE || u.ep !== null) return qreply(u.wq, tErrorAck('T_UNBIND_REQ', TLI.TOUTSTATE));
  releaseBinding(u);
  qreply(u.wq, tOkAck('T_UNBIND_REQ'));
}

function connect(u: TcpUpper, mp: Mblk, p: TConnReq): void {
  freemsg(mp);
  const host = u.host;
  if (u.tpi !== TS.TS_IDLE || u.listener !== null || u.ep !== null) return errorAck(u, 'T_CONN_REQ', TLI.TOUTSTATE);
  const dst = p.DEST_addr;
  if (!dst || !Number.isInteger(dst.port) || dst.port <= 0 || dst.port > 65535) return errorAck(u, 'T_CONN_REQ', TLI.TBADADDR);
  const lower = host.lower;
  if (lower === null) return errorAck(u, 'T_CONN_REQ', TLI.TSYSERR, ERRNO.ENETUNREACH);
  if (p.OPT) Object.assign(ownOptions(u), p.OPT, { extra: { ...u.opts.extra, ...p.OPT.extra } });
  u.tpi = TS.TS_WCON_CREQ;
  qreply(u.wq, tOkAck('T_CONN_REQ'));
  const token = host.nextToken++;
  host.routeWaits.set(token, (src, mtu) => routed(u, dst, src, mtu));
  putnext(lower.wq, mkproto<IpRouteReq>({ prim: 'IP_ROUTE_REQ', token, dst: dst.addr }));
}

/** A connect that cannot start: back to TS_IDLE, T_DISCON_IND up. */
function refuseConnect(u: TcpUpper, errno: number): void {
  u.tpi = TS.TS_IDLE;
  putnext(u.rq, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: errno, SEQ_number: -1 }));
}

/** Socket options stored on the stream, applied before the SYN goes out. */
function setupFromUpper(ep: TcpEndpoint): void {
  applyOptions(ep, (ep.user as TcpUpper).opts);
}

function routed(u: TcpUpper, dst: TAddr, src: Ipv4Addr | null, mtu: number): void {
  if (u.tpi !== TS.TS_WCON_CREQ || u.ep !== null) return;
  if (src === null) return refuseConnect(u, ERRNO.ENETUNREACH);
  const bound = u.bound!;
  const localAddr = bound.addr !== 0 ? bound.addr : src;
  const r = u.host.stack.connect(
    {
      localAddr,
      localPort: u.lazyPort ? 0 : bound.port,
      remoteAddr: dst.addr,
      remotePort: dst.port,
      mtu: Math.min(mtu || 1500, 65535),
      handler: tcpEvents,
      user: u,
      setup: setupFromUpper,
    },
    u.host.env.now(),
  );
  if (typeof r === 'string') return refuseConnect(u, ERRNO[r]);
  u.ep = r;
}

function acceptConn(u: TcpUpper, mp: Mblk, p: TConnRes): void {
  freemsg(mp);
  if (u.listener === null) return errorAck(u, 'T_CONN_RES', TLI.TOUTSTATE);
  const child = u.pending?.get(p.SEQ_number);
  if (child === undefined) return errorAck(u, 'T_CONN_RES', TLI.TBADSEQ);
  const acc = u.host.uppers.get(p.ACCEPTOR_id);
  if (acc === undefined || acc === u) return errorAck(u, 'T_CONN_RES', TLI.TBADF);
  if (acc.ep !== null || acc.listener !== null || (acc.tpi !== TS.TS_UNBND && acc.tpi !== TS.TS_IDLE)) return errorAck(u, 'T_CONN_RES', TLI.TOUTSTATE);
  u.pending!.delete(p.SEQ_number);
  u.listener.take(child);
  if (acc.portHeld !== 0) u.host.stack.releasePort(acc.portHeld);
  acc.portHeld = 0;
  acc.ep = child;
  acc.bound = { addr: child.localAddr, port: child.localPort };
  acc.tpi = TS.TS_DATA_XFER;
  child.user = acc;
  child.handler = tcpEvents;
  applyOptions(child, acc.opts);
  qreply(u.wq, tOkAck('T_CONN_RES'));
  if (child.finReceived) acc.ordrelPending = true;
  if (child.error !== null) acc.discon = ERRNO[child.error];
  pump(acc);
}

function disconnect(u: TcpUpper, mp: Mblk, p: TDisconReq): void {
  freemsg(mp);
  const now = u.host.env.now();
  if (u.listener !== null && p.SEQ_number >= 0) {
    const child = u.pending?.get(p.SEQ_number);
    if (child === undefined) return qreply(u.wq, tErrorAck('T_DISCON_REQ', TLI.TBADSEQ));
    u.pending!.delete(p.SEQ_number);
    child.user = null;
    child.abort(now);
    return qreply(u.wq, tOkAck('T_DISCON_REQ'));
  }
  const ep = u.ep;
  if (ep === null) return qreply(u.wq, tErrorAck('T_DISCON_REQ', TLI.TOUTSTATE));
  detach(u);
  u.ordrelPending = false;
  u.discon = null;
  u.tpi = TS.TS_IDLE;
  ep.abort(now);
  qreply(u.wq, tOkAck('T_DISCON_REQ'));
}

/** T_ORDREL_REQ: our FIN, after the data already handed over. */
export function ordrel(u: TcpUpper): void {
  const ep = u.ep;
  if (ep === null) return;
  ep.shutdown(u.host.env.now());
  u.tpi = u.tpi === TS.TS_WREQ_ORDREL ? TS.TS_IDLE : TS.TS_WIND_ORDREL;
}

/**
 * The stream closes: whatever data it still held is handed to TCP, then the connection is
 * closed as close(2) closes it (FIN, or RST when received data was never read).
 */
export function closeUpper(u: TcpUpper, leftover: Mblk[]): void {
  const now = u.host.env.now();
  const ep = u.ep;
  for (const mp of leftover) {
    const isData = mp.db.type === M_DATA || tpiAs(mp, 'T_DATA_REQ') !== null;
    if (ep !== null && isData) {
      for (let b: Mblk | null = mp; b !== null; b = b.cont) if (b.db.type === M_DATA && b.len > 0) ep.sendAll(b.data(), now);
    }
    freemsg(mp);
  }
  releaseBinding(u);
  if (u.pending !== null) {
    for (const child of u.pending.values()) {
      child.user = null;
      child.abort(now);
    }
    u.pending = null;
  }
  if (ep !== null) {
    detach(u);
    ep.close(now);
  }
}
