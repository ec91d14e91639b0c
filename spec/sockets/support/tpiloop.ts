/**
 * tpiloop: a fake connection-oriented transport for the socket specs. It answers TPI the way
 * a TCP driver would (T_BIND_REQ/ACK with ephemeral ports and address-in-use, listeners with
 * a backlog, T_CONN_REQ -> T_CONN_IND / T_CONN_CON, T_CONN_RES with an acceptor stream,
 * T_DATA / M_DATA, T_ORDREL, T_DISCON, T_OPTMGMT, T_ADDR) and carries data in memory
 * between endpoints, with STREAMS flow control end to end: the writer's driver write queue
 * is its send buffer (SO_SNDBUF sets its hiwat), the reader's driver read queue its receive
 * buffer (SO_RCVBUF), and a reader draining its queue back-enables the writer.
 *
 * Endpoints in every StreamsEnv attached to the same TpiLoopNet can reach each other; each
 * env is one host with one address. `connectDelay` makes the handshake take virtual time (so
 * a non-blocking connect sees EINPROGRESS); otherwise everything answers from the put
 * procedure. A write to a peer whose stream is closed resets the writer (T_DISCON_IND
 * ECONNRESET), as a TCP would answer with RST.
 */
import {
  canput,
  canputnext,
  defineDriver,
  drvflush,
  Errno,
  FLUSHALL,
  FLUSHDATA,
  flushq,
  freemsg,
  getq,
  INFPSZ,
  M_DATA,
  M_FLUSH,
  M_IOCTL,
  M_PCPROTO,
  M_PROTO,
  miocnak,
  mktpi,
  putbq,
  putInOrder,
  putnext,
  putq,
  qenable,
  QPCTL,
  qreply,
  qsetwater,
  Registry,
  StreamsEnv,
  T_CURRENT,
  T_SUCCESS,
  tErrorAck,
  TLI,
  tOkAck,
  tprim,
  type DriverDef,
  type Mblk,
  type ModuleInfo,
  type OpenCtx,
  type Queue,
  type TAddr,
  type TOptions,
  type TPrimitive,
} from '../../../lib/streams/index.ts';
import type { Time } from '../../../lib/sim/time.ts';
import type { TimeSource } from '../../../lib/sim/types.ts';
import { ipv4, type Ipv4Addr } from '../../../lib/wire/ip-types.ts';

const ECONNREFUSED = 111;
const ECONNRESET = 104;

type EpState = 'unbound' | 'idle' | 'listen' | 'wcon' | 'data';

interface Ep {
  net: TpiLoopNet;
  env: StreamsEnv;
  /** null for the server half of a connection nobody accepted yet. */
  rq: Queue | null;
  wq: Queue | null;
  streamId: number;
  state: EpState;
  addr: TAddr | null;
  conind: number;
  peer: Ep | null;
  /** Listener: server halves of connections waiting for T_CONN_RES, by sequence number. */
  pending: Map<number, Ep>;
  /** Client: the listener and sequence number while its connection waits for accept. */
  waitingOn: { listener: Ep; seq: number } | null;
  opts: TOptions;
  sentOrdrel: boolean;
  gotOrdrel: boolean;
  closed: boolean;
}

const minfo: ModuleInfo = { id: 9190, name: 'tpiloop', minpsz: 0, maxpsz: INFPSZ, hiwat: 16384, lowat: 4096 };

export interface TpiLoopStats {
  refused: number;
  resets: number;
  badPrims: number;
}

export class TpiLoopNet {
  readonly driver: DriverDef;
  /** Handshake time (0: answered from the put procedure). */
  connectDelay: Time = 0;
  readonly stats: TpiLoopStats = { refused: 0, resets: 0, badPrims: 0 };
  /** Open endpoints (stream ids are per env, so look them up with the env). */
  readonly eps = new Set<Ep>();
  private readonly hosts = new Map<StreamsEnv, Ipv4Addr>();
  private nextPort = 32768;
  private nextSeq = 1;

  constructor(readonly name = 'tpiloop') {
    const info: ModuleInfo = { ...minfo, name };
    this.driver = defineDriver({
      rdinit: { put: rput, service: rsrv, open: (q, ctx) => this.open(q, ctx), close: (q) => this.close(q), minfo: info },
      wrinit: { put: wput, service: wsrv, minfo: info },
    });
  }

  /** A new host: a StreamsEnv on `time` with its own registry holding this driver. */
  host(name: string, addr: string, time: TimeSource): StreamsEnv {
    const registry = new Registry();
    registry.register(this.driver);
    const env = new StreamsEnv({ name, time, registry });
    this.hosts.set(env, ipv4(addr));
    env.shared(`${this.name}:net`, () => this);
    return env;
  }

  addrOf(env: StreamsEnv): Ipv4Addr {
    return this.hosts.get(env) ?? (0 as Ipv4Addr);
  }

  private open(q: Queue, ctx: OpenCtx): number {
    if (!this.hosts.has(ctx.env)) return Errno.ENXIO;
    const ep: Ep = {
      net: this,
      env: ctx.env,
      rq: q,
      wq: q.other,
      streamId: ctx.stream.id,
      state: 'unbound',
      addr: null,
      conind: 0,
      peer: null,
      pending: new Map(),
      waitingOn: null,
      opts: {},
      sentOrdrel: false,
      gotOrdrel: false,
      closed: false,
    };
    q.ptr = q.other.ptr = ep;
    this.eps.add(ep);
    if (ctx.sflag === 'clone') ctx.minor = ep.streamId;
    return 0;
  }

  private close(q: Queue): void {
    const ep = q.ptr as Ep;
    ep.closed = true;
    if (ep.state === 'listen') {
      for (const half of ep.pending.values()) this.resetPeer(half.peer);
      ep.pending.clear();
    } else if (ep.state === 'wcon' || ep.state === 'data') {
      const w = ep.waitingOn;
      if (w !== null) {
        w.listener.pending.delete(w.seq);
        upNow(w.listener, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: ECONNRESET, SEQ_number: w.seq }));
      }
      const p = ep.peer;
      if (p !== null && p.rq !== null && !ep.sentOrdrel) {
        // Graceful close: what is queued still goes, then the FIN.
        let mp: Mblk | null;
        while ((mp = getq(ep.wq!)) !== null) deliverForced(p, mp);
        deliverForced(p, mktpi({ PRIM_type: 'T_ORDREL_IND' }));
      }
    }
    flushq(ep.wq!, FLUSHALL);
    flushq(ep.rq!, FLUSHALL);
    this.eps.delete(ep);
    ep.state = 'unbound';
    q.ptr = q.other.ptr = undefined;
  }

  // ---- primitives --------------------------------------------------------------------------

  prim(ep: Ep, q: Queue, mp: Mblk, p: TPrimitive): void {
    switch (p.PRIM_type) {
      case 'T_BIND_REQ':
        return this.bind(ep, q, mp, p.ADDR, p.CONIND_number);
      case 'T_UNBIND_REQ':
        if (ep.state !== 'idle' && ep.state !== 'listen') return reply(q, mp, tErrorAck('T_UNBIND_REQ', TLI.TOUTSTATE));
        ep.state = 'unbound';
        ep.addr = null;
        return reply(q, mp, tOkAck('T_UNBIND_REQ'));
      case 'T_CONN_REQ':
        return this.connect(ep, q, mp, p.DEST_addr);
      case 'T_CONN_RES':
        return this.acceptConn(ep, q, mp, p.ACCEPTOR_id, p.SEQ_number);
      case 'T_DISCON_REQ':
        return this.discon(ep, q, mp, p.SEQ_number);
      case 'T_OPTMGMT_REQ':
        return this.optmgmt(ep, q, mp, p.MGMT_flags, p.OPT);
      case 'T_ADDR_REQ': {
        const loc = ep.addr === null ? null : { addr: ep.addr.addr === 0 && ep.peer !== null ? this.addrOf(ep.env) : ep.addr.addr, port: ep.addr.port };
        const rem = ep.peer?.addr ?? null;
        return reply(q, mp, mktpi({ PRIM_type: 'T_ADDR_ACK', LOCADDR: loc, REMADDR: rem }));
      }
      default:
        this.stats.badPrims++;
        return reply(q, mp, tErrorAck(p.PRIM_type, TLI.TNOTSUPPORT));
    }
  }

  private bind(ep: Ep, q: Queue, mp: Mblk, addr: TAddr | null, conind: number): void {
    if (ep.state !== 'unbound') return reply(q, mp, tErrorAck('T_BIND_REQ', TLI.TOUTSTATE));
    const a = addr === null ? (0 as Ipv4Addr) : addr.addr;
    if (a !== 0 && a !== this.addrOf(ep.env)) return reply(q, mp, tErrorAck('T_BIND_REQ', TLI.TNOADDR));
    let port = addr?.port ?? 0;
    if (port === 0) {
      port = this.ephemeral(ep.env);
      if (port === 0) return reply(q, mp, tErrorAck('T_BIND_REQ', TLI.TNOADDR));
    } else if (this.busy(ep, a, port, conind > 0)) {
      return reply(q, mp, tErrorAck('T_BIND_REQ', TLI.TADDRBUSY));
    }
    ep.addr = { addr: a, port };
    ep.conind = conind;
    ep.state = conind > 0 ? 'listen' : 'idle';
    reply(q, mp, mktpi({ PRIM_type: 'T_BIND_ACK', ADDR: { ...ep.addr }, CONIND_number: conind }));
  }

  /** Linux's rule, roughly: a port is shared only when both set SO_REUSEADDR and neither listens. */
  private busy(ep: Ep, a: Ipv4Addr, port: number, listening: boolean): boolean {
    for (const o of this.eps) {
      if (o === ep || o.env !== ep.env || o.addr === null || o.addr.port !== port) continue;
      if (o.addr.addr !== 0 && a !== 0 && o.addr.addr !== a) continue;
      if (ep.opts.reuseaddr && o.opts.reuseaddr && o.state !== 'listen' && !listening) continue;
      return true;
    }
    return false;
  }

  private ephemeral(env: StreamsEnv): number {
    for (let i = 0; i < 28232; i++) {
      const port = this.nextPort;
      this.nextPort = port >= 60999 ? 32768 : port + 1;
      let used = false;
      for (const o of this.eps) if (o.env === env && o.addr?.port === port) used = true;
      if (!used) return port;
    }
    return 0;
  }

  private connect(ep: Ep, q: Queue, mp: Mblk, dest: TAddr): void {
    if (ep.state !== 'idle') return reply(q, mp, tErrorAck('T_CONN_REQ', TLI.TOUTSTATE));
    reply(q, mp, tOkAck('T_CONN_REQ'));
    ep.state = 'wcon';
    const listener = this.listenerFor(dest);
    const local: TAddr = { addr: ep.addr!.addr === 0 ? this.addrOf(ep.env) : ep.addr!.addr, port: ep.addr!.port };
    if (listener === null || listener.pending.size >= listener.conind) {
      this.stats.refused++;
      ep.state = 'idle';
      return this.later(ep.env, () => upNow(ep, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: ECONNREFUSED, SEQ_number: -1 })));
    }
    const half: Ep = {
      ...newHalf(this, listener.env),
      addr: { addr: dest.addr, port: dest.port },
      peer: ep,
      opts: { ...listener.opts },
    };
    const seq = this.nextSeq++;
    listener.pending.set(seq, half);
    ep.peer = half;
    ep.waitingOn = { listener, seq };
    this.later(ep.env, () => {
      if (ep.closed || ep.peer !== half) return;
      ep.state = 'data';
      upNow(ep, mktpi({ PRIM_type: 'T_CONN_CON', RES_addr: { ...dest }, OPT: null }));
      deliverForced(listener, mktpi({ PRIM_type: 'T_CONN_IND', SRC_addr: local, DEST_addr: { ...dest }, SEQ_number: seq, OPT: null }));
    });
  }

  private listenerFor(dest: TAddr): Ep | null {
    for (const o of this.eps) {
      if (o.state !== 'listen' || o.addr === null || o.addr.port !== dest.port) continue;
      const hostAddr = this.addrOf(o.env);
      if (dest.addr !== hostAddr) continue;
      if (o.addr.addr === 0 || o.addr.addr === dest.addr) return o;
    }
    return null;
  }

  private acceptConn(ep: Ep, q: Queue, mp: Mblk, acceptorId: number, seq: number): void {
    const half = ep.pending.get(seq);
    if (ep.state !== 'listen' || half === undefined) return reply(q, mp, tErrorAck('T_CONN_RES', TLI.TBADSEQ));
    const acc = [...this.eps].find((o) => o.env === ep.env && o.streamId === acceptorId);
    if (acc === undefined || acc === ep || (acc.state !== 'unbound' && acc.state !== 'idle')) return reply(q, mp, tErrorAck('T_CONN_RES', TLI.TBADF));
    ep.pending.delete(seq);
    const client = half.peer!;
    acc.state = 'data';
    acc.addr = half.addr;
    acc.peer = client;
    acc.opts = { ...half.opts, ...acc.opts };
    acc.gotOrdrel = half.gotOrdrel;
    client.peer = acc;
    client.waitingOn = null;
    reply(q, mp, tOkAck('T_CONN_RES'));
    if (half.gotOrdrel) deliverForced(acc, mktpi({ PRIM_type: 'T_ORDREL_IND' }));
    if (client.wq !== null) qenable(client.wq);
  }

  private discon(ep: Ep, q: Queue, mp: Mblk, seq: number): void {
    if (ep.state === 'listen') {
      const half = ep.pending.get(seq);
      if (half === undefined) return reply(q, mp, tErrorAck('T_DISCON_REQ', TLI.TBADSEQ));
      ep.pending.delete(seq);
      reply(q, mp, tOkAck('T_DISCON_REQ'));
      return this.resetPeer(half.peer);
    }
    if (ep.state !== 'data' && ep.state !== 'wcon') return reply(q, mp, tErrorAck('T_DISCON_REQ', TLI.TOUTSTATE));
    flushq(ep.wq!, FLUSHDATA);
    const w = ep.waitingOn;
    if (w !== null) {
      w.listener.pending.delete(w.seq);
      upNow(w.listener, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: ECONNRESET, SEQ_number: w.seq }));
      ep.waitingOn = null;
    }
    const p = ep.peer;
    ep.peer = null;
    ep.state = 'idle';
    reply(q, mp, tOkAck('T_DISCON_REQ'));
    if (p !== null && p.rq !== null) this.resetPeer(p);
  }

  /** The peer hears a RST: T_DISCON_IND at once (data it already has stays readable). */
  resetPeer(p: Ep | null): void {
    if (p === null || p.closed || p.rq === null) return;
    this.stats.resets++;
    flushq(p.wq!, FLUSHDATA);
    p.peer = null;
    p.state = 'idle';
    p.waitingOn = null;
    upNow(p, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: ECONNRESET, SEQ_number: -1 }));
  }

  private optmgmt(ep: Ep, q: Queue, mp: Mblk, flags: number, opt: TOptions): void {
    if ((flags & T_CURRENT) === 0) {
      const next: TOptions = { ...ep.opts, ...opt, extra: { ...ep.opts.extra, ...opt.extra } };
      if (opt.linger !== undefined && opt.linger < 0) delete next.linger;
      ep.opts = next;
      if (opt.rcvbuf !== undefined && ep.rq !== null) qsetwater(ep.rq, opt.rcvbuf, Math.floor(opt.rcvbuf / 4));
      if (opt.sndbuf !== undefined && ep.wq !== null) qsetwater(ep.wq, opt.sndbuf, Math.floor(opt.sndbuf / 4));
    }
    const cur: TOptions = { rcvbuf: ep.rq?.hiwat ?? 0, sndbuf: ep.wq?.hiwat ?? 0, nodelay: false, keepalive: false, reuseaddr: false, maxseg: 1460, ...ep.opts };
    if (opt.extra?.['outq'] !== undefined) cur.extra = { ...cur.extra, outq: ep.wq?.count ?? 0 };
    if (opt.extra?.['tcp_info'] === true) cur.extra = { ...cur.extra, tcpi_state: ep.state === 'data' ? 1 : 7, tcpi_snd_mss: 1460 };
    reply(q, mp, mktpi({ PRIM_type: 'T_OPTMGMT_ACK', MGMT_flags: T_SUCCESS, OPT: cur }));
  }

  /** Run fn now, or after the handshake delay. */
  private later(env: StreamsEnv, fn: () => void): void {
    if (this.connectDelay <= 0) fn();
    else env.time!.schedule(this.connectDelay, fn);
  }
}

function newHalf(net: TpiLoopNet, env: StreamsEnv): Ep {
  return {
    net,
    env,
    rq: null,
    wq: null,
    streamId: 0,
    state: 'data',
    addr: null,
    conind: 0,
    peer: null,
    pending: new Map(),
    waitingOn: null,
    opts: {},
    sentOrdrel: false,
    gotOrdrel: false,
    closed: false,
  };
}

function reply(q: Queue, req: Mblk, ack: Mblk): void {
  freemsg(req);
  qreply(q, ack);
}

/** Up the read side now, ahead of queued data (acks and resets do not wait for the reader). */
function upNow(ep: Ep, mp: Mblk): void {
  if (ep.rq === null || ep.closed) return freemsg(mp);
  putnext(ep.rq, mp);
}

/** Up the read side in order behind queued data, whatever the reader's flow control says. */
function deliverForced(ep: Ep, mp: Mblk): void {
  if (ep.rq === null) {
    if (tprim(mp)?.PRIM_type === 'T_ORDREL_IND') ep.gotOrdrel = true;
    return freemsg(mp);
  }
  if (ep.closed) return freemsg(mp);
  rput(ep.rq, mp);
}

// ---- queue procedures ------------------------------------------------------------------------

function wput(q: Queue, mp: Mblk): void {
  const ep = q.ptr as Ep;
  switch (mp.db.type) {
    case M_FLUSH:
      return drvflush(q, mp);
    case M_IOCTL:
      return miocnak(q, mp);
    case M_DATA:
      return send(ep, q, mp);
    case M_PROTO:
    case M_PCPROTO: {
      const p = tprim(mp);
      if (p === null) break;
      if (p.PRIM_type === 'T_DATA_REQ' || p.PRIM_type === 'T_ORDREL_REQ') return send(ep, q, mp);
      return ep.net.prim(ep, q, mp, p);
    }
  }
  ep.net.stats.badPrims++;
  freemsg(mp);
}

/** Data and the orderly release travel in order, behind flow control. */
function send(ep: Ep, q: Queue, mp: Mblk): void {
  if (ep.state !== 'data' || ep.sentOrdrel) {
    ep.net.stats.badPrims++;
    return freemsg(mp);
  }
  if (tprim(mp)?.PRIM_type === 'T_ORDREL_REQ') ep.sentOrdrel = true;
  if (q.first !== null || !canDeliver(ep)) {
    putq(q, mp);
    return;
  }
  deliver(ep, mp);
}

function canDeliver(ep: Ep): boolean {
  const p = ep.peer;
  if (p === null) return true; // nowhere to go: deliver() frees it
  if (p.closed) return true; // deliver() resets us
  return p.rq !== null && canput(p.rq);
}

function deliver(ep: Ep, mp: Mblk): void {
  const p = ep.peer;
  if (p === null) return freemsg(mp);
  if (p.closed) {
    freemsg(mp);
    return ep.net.resetPeer(ep);
  }
  const prim = tprim(mp);
  if (prim?.PRIM_type === 'T_ORDREL_REQ') {
    freemsg(mp);
    return deliverForced(p, mktpi({ PRIM_type: 'T_ORDREL_IND' }));
  }
  if (prim?.PRIM_type === 'T_DATA_REQ') {
    const data = mp.cont;
    mp.cont = null;
    freemsg(mp);
    if (data === null) return;
    return rput(p.rq!, mktpi({ PRIM_type: 'T_DATA_IND', MORE_flag: false }, data));
  }
  rput(p.rq!, mp);
}

function wsrv(q: Queue): void {
  const ep = q.ptr as Ep | undefined;
  if (ep === undefined) return;
  while (q.first !== null) {
    if (!canDeliver(ep)) return;
    deliver(ep, getq(q)!);
  }
}

function rput(q: Queue, mp: Mblk): void {
  putInOrder(q, mp);
}

/** Canonical read service; draining the receive buffer lets the peer's writer go on. */
function rsrv(q: Queue): void {
  let mp: Mblk | null;
  while ((mp = getq(q)) !== null) {
    if (mp.db.type < QPCTL && !canputnext(q)) {
      putbq(q, mp);
      break;
    }
    putnext(q, mp);
  }
  const ep = q.ptr as Ep | undefined;
  const w = ep?.peer?.wq;
  if (w && w.first !== null && q.count < q.lowat) qenable(w);
}
