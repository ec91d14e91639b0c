/**
 * Holding connection indications (claims 6, 16, 31): on a listening stream of a service the
 * FE dispatches, TCP's T_CONN_IND stops at UTCP — the application does not see the connection
 * yet. BTCP's `release` (local service, claims 8, 20, 33) sends it on; `discard` (handed off,
 * claims 7, 17, 32) drops it, and the T_DISCON_IND TCP sends when BTCP resets its copy is
 * kept from the application too. A T_DISCON_IND for a held indication (the client reset the
 * connection) drops both. Bounded: past `maxHeld`, or older than the hold timeout, an
 * indication goes on to the application.
 */
import { freemsg, putnext, type Mblk, type TConnInd } from '../../lib/streams/index.ts';
import type { Time } from '../../lib/sim/time.ts';
import { formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { connKey, type UtcpInst } from './node.ts';

interface Held {
  mp: Mblk;
  key: string;
  since: Time;
}

/** How many withdrawn SEQ_numbers are remembered (their T_DISCON_IND is swallowed). */
const MAX_DISCARDED = 256;

export class Hold {
  private readonly held = new Map<number, Held>();
  private readonly bySeq = new Map<string, number>();
  private readonly discarded: number[] = [];

  constructor(private readonly inst: UtcpInst) {}

  get size(): number {
    return this.held.size;
  }

  has(key: string): boolean {
    return this.bySeq.has(key);
  }

  /** A T_CONN_IND came up: hold it (true) or let it go on (false: not ours, or full). */
  indication(mp: Mblk, ind: TConnInd): boolean {
    const node = this.inst.node;
    const cfg = node.config;
    if (cfg === null) return false;
    const d = ind.DEST_addr;
    if (!cfg.services.some((s) => s.addr === d.addr && s.port === d.port)) return false;
    const key = connKey({ client: { addr: ind.SRC_addr.addr, port: ind.SRC_addr.port }, server: { addr: d.addr, port: d.port } });
    const early = node.takeEarly(key);
    if (early === 'release') return false;
    if (early === 'discard') {
      this.forget(ind.SEQ_number);
      freemsg(mp);
      node.count('discarded');
      return true;
    }
    if (this.held.size >= cfg.maxHeld) {
      node.count('holdOverflow');
      return false;
    }
    this.held.set(ind.SEQ_number, { mp, key, since: node.env.now() });
    this.bySeq.set(key, ind.SEQ_number);
    node.holders.set(key, this.inst);
    node.count('held');
    if (node.tracing) node.note(this.inst.rq, 'handoff.hold', { client: clientOf(key), seq: ind.SEQ_number });
    return true;
  }

  /** A T_DISCON_IND came up: true when it concerns an indication the application never saw. */
  disconnect(seq: number): boolean {
    const h = this.held.get(seq);
    if (h !== undefined) {
      this.remove(seq, h);
      freemsg(h.mp);
      this.inst.node.count('heldReset');
      return true;
    }
    const i = this.discarded.indexOf(seq);
    if (i < 0) return false;
    this.discarded.splice(i, 1);
    return true;
  }

  release(key: string): boolean {
    const seq = this.bySeq.get(key);
    if (seq === undefined) return false;
    const h = this.held.get(seq)!;
    this.remove(seq, h);
    this.inst.node.count('released');
    if (this.inst.node.tracing) this.inst.node.note(this.inst.rq, 'handoff.release', { client: clientOf(key), seq });
    putnext(this.inst.rq, h.mp);
    return true;
  }

  discard(key: string): boolean {
    const seq = this.bySeq.get(key);
    if (seq === undefined) return false;
    const h = this.held.get(seq)!;
    this.remove(seq, h);
    this.forget(seq);
    freemsg(h.mp);
    this.inst.node.count('discarded');
    if (this.inst.node.tracing) this.inst.node.note(this.inst.rq, 'handoff.discard', { client: clientOf(key), seq });
    return true;
  }

  /** Indications held longer than `limit` go on to the application. */
  expire(now: Time, limit: Time): void {
    for (const [, h] of [...this.held]) {
      if (now - h.since < limit) continue;
      this.inst.node.count('holdTimeouts');
      this.release(h.key);
    }
  }

  /** The stream closes: TCP drops the connections; the held messages are freed. */
  clear(): void {
    for (const [seq, h] of [...this.held]) {
      this.remove(seq, h);
      freemsg(h.mp);
    }
  }

  private remove(seq: number, h: Held): void {
    this.held.delete(seq);
    this.bySeq.delete(h.key);
    if (this.inst.node.holders.get(h.key) === this.inst) this.inst.node.holders.delete(h.key);
  }

  private forget(seq: number): void {
    if (this.discarded.length >= MAX_DISCARDED) this.discarded.shift();
    this.discarded.push(seq);
  }
}

/** The client of a connKey as "a.b.c.d:port" (the trace's connection key). */
function clientOf(key: string): string {
  const [addr, port] = key.slice(0, key.indexOf('>')).split(':');
  return `${formatIpv4(Number(addr) as Ipv4Addr)}:${port}`;
}
