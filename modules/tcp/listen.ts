/**
 * A listening socket (RFC 9293 §3.10.7.2, LISTEN) with the two bounded queues of the real
 * stacks: embryonic connections in SYN-RECEIVED (the SYN queue, bounded by maxSynBacklog —
 * there are no SYN cookies here) and completed ones waiting for accept (bounded by the
 * backlog, itself capped by somaxconn). A SYN that finds the accept queue full is dropped
 * (ListenOverflows), as Linux and FreeBSD do; a final ACK that finds it full is dropped
 * too (or answered with RST under abortOnOverflow), leaving the peer to retransmit.
 */
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { passiveOpen } from './connect.ts';
import { TcpEndpoint } from './endpoint.ts';
import { NO_HANDLER, NO_LISTEN_HANDLER, type TcpHandler, type TcpListenHandler } from './events.ts';
import { readOptions } from './options.ts';
import type { TcpStack } from './stack.ts';

export class TcpListener {
  readonly stack: TcpStack;
  /** 0 for INADDR_ANY. */
  readonly localAddr: Ipv4Addr;
  readonly localPort: number;
  backlog: number;
  handler: TcpListenHandler = NO_LISTEN_HANDLER;
  /** Handler given to new connections (until the user sets their own after accept). */
  childHandler: TcpHandler = NO_HANDLER;
  user: unknown = null;
  closed = false;
  /** Endpoint options inherited by children (setsockopt on the listening socket). */
  inherit: { nodelay?: boolean; keepAlive?: boolean; rcvBuf?: number; sndBuf?: number; maxSeg?: number } = {};
  private readonly synQueue = new Set<TcpEndpoint>();
  private acceptQueue: TcpEndpoint[] = [];

  constructor(stack: TcpStack, addr: Ipv4Addr, port: number, backlog: number) {
    this.stack = stack;
    this.localAddr = addr;
    this.localPort = port;
    this.backlog = this.clampBacklog(backlog);
  }

  private clampBacklog(n: number): number {
    return Math.max(0, Math.min(Math.floor(n), this.stack.profile.somaxconn));
  }

  /** listen() again on a listening socket changes only the backlog. */
  setBacklog(n: number): void {
    this.backlog = this.clampBacklog(n);
  }

  /** Connections waiting for accept. */
  get pending(): number {
    return this.acceptQueue.length;
  }

  /** Embryonic connections (SYN-RECEIVED). */
  get embryonic(): number {
    return this.synQueue.size;
  }

  /**
   * Linux sk_acceptq_is_full: more than `backlog` waiting (backlog 0 still takes one);
   * FreeBSD sonewconn: more than 3/2 of it.
   */
  acceptQueueFull(): boolean {
    return this.acceptQueue.length > Math.floor(this.backlog * this.stack.profile.acceptBacklogFactor);
  }

  /** Take the oldest completed connection, or null. */
  accept(): TcpEndpoint | null {
    const ep = this.acceptQueue.shift();
    if (!ep) return null;
    ep.listener = null;
    return ep;
  }

  /** Take a particular completed connection (TPI T_CONN_RES names one by its indication). */
  take(child: TcpEndpoint): boolean {
    const i = this.acceptQueue.indexOf(child);
    if (i < 0) return false;
    this.acceptQueue.splice(i, 1);
    child.listener = null;
    return true;
  }

  /** LISTEN state segment processing. */
  input(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr): void {
    const stack = this.stack;
    const mib = stack.mib;
    const f = seg.flags;
    if (f & TcpFlag.RST) return;
    if (f & TcpFlag.ACK) {
      stack.replyRst(dst, src, seg);
      return;
    }
    if (!(f & TcpFlag.SYN)) return;
    if (this.acceptQueueFull()) {
      mib.ListenOverflows++;
      mib.ListenDrops++;
      return;
    }
    if (this.synQueue.size >= stack.profile.maxSynBacklog) {
      mib.ListenDrops++;
      return;
    }
    const child = new TcpEndpoint(stack, dst, this.localPort, src, seg.srcPort);
    child.listener = this;
    child.handler = this.childHandler;
    child.mtu = stack.mtuFor(dst, src);
    const inh = this.inherit;
    if (inh.nodelay !== undefined) child.nodelay = inh.nodelay;
    if (inh.keepAlive) child.keepAlive = true;
    if (inh.rcvBuf) child.setReceiveBuffer(inh.rcvBuf);
    if (inh.sndBuf) child.setSendBuffer(inh.sndBuf);
    if (inh.maxSeg) child.setMaxSeg(inh.maxSeg);
    stack.register(child);
    this.synQueue.add(child);
    mib.PassiveOpens++;
    passiveOpen(child, seg, readOptions(seg.options, stack.scratchOptions));
    stack.reschedule(child);
  }

  /** A child completed its handshake: move it to the accept queue and tell the owner. */
  childEstablished(child: TcpEndpoint): void {
    this.synQueue.delete(child);
    this.acceptQueue.push(child);
    this.stack.postConnection(this, child);
  }

  /** A child went away before being accepted. */
  forget(child: TcpEndpoint): void {
    if (!this.synQueue.delete(child)) {
      const i = this.acceptQueue.indexOf(child);
      if (i >= 0) this.acceptQueue.splice(i, 1);
    }
  }

  /** Stop listening: unaccepted connections are reset, embryonic ones dropped. */
  close(now: Time): void {
    this.stack.enter(now);
    if (!this.closed) {
      this.closed = true;
      this.stack.unlisten(this);
      for (const ep of [...this.acceptQueue, ...this.synQueue]) {
        ep.listener = null;
        ep.orphan = true;
        ep.abortWithRst(null);
      }
      this.acceptQueue = [];
      this.synQueue.clear();
    }
    this.stack.leave();
  }
}
