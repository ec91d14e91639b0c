/**
 * One control channel (claims 1, 23): a TCP connection between the UTCPs of an FE and a BE,
 * opened by the daemons and handed to UTCP, which frames and unframes the control messages
 * (modules/control) on it. Each side starts with HELLO and answers the other's with HELLO
 * +REPLY; the peer's name, LAN address and frame bound come from it. Every decoded message
 * was validated against its schema by the decoder; messages other than HELLO go down to BTCP.
 * A channel that loses framing or stays silent past the bound is cut (the daemon reconnects).
 */
import { canputnext, esballoc, M_DATA, mktpi, putnext, type Mblk } from '../../lib/streams/index.ts';
import { formatIpv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Time } from '../../lib/sim/time.ts';
import { encodeFrame } from '../control/encode.ts';
import { controlMessageToJson } from '../control/json.ts';
import { FrameDecoder } from '../control/decode.ts';
import { Capability, DEFAULT_MAX_BODY, FRAME_VERSION, FrameFlag, type ControlMessage, type Hello } from '../control/frame.ts';
import type { UtcpInst } from './node.ts';
import type { PeerStatus } from './ioctl.ts';

/** Linux ECONNABORTED: what the socket sees when UTCP cuts a channel. */
const ECONNABORTED = 103;

export class Channel {
  peer: string | null = null;
  addr = 0 as Ipv4Addr;
  /** The largest body the peer accepts (its HELLO). */
  peerMaxBody = DEFAULT_MAX_BODY;
  /** HELLO exchanged: the channel carries handoff messages. */
  up = false;
  closed = false;
  lastRx: Time;
  framesIn = 0;
  framesOut = 0;
  private readonly decoder: FrameDecoder;
  private nextId = 1;

  constructor(readonly inst: UtcpInst) {
    const cfg = inst.node.config!;
    this.decoder = new FrameDecoder(cfg.maxBody);
    this.lastRx = inst.node.env.now();
  }

  start(pending: Uint8Array | undefined): void {
    this.sendMsg(this.hello(), 0, 0);
    if (pending !== undefined && pending.length > 0) this.receive(pending);
  }

  status(): PeerStatus {
    return { peer: this.peer ?? '?', addr: this.addr, up: this.up && !this.closed, framesIn: this.framesIn, framesOut: this.framesOut };
  }

  private hello(): Hello {
    const cfg = this.inst.node.config!;
    return {
      type: 'HELLO',
      nodeId: cfg.nodeId,
      version: FRAME_VERSION,
      capabilities: Capability.TIMESTAMPS | Capability.SACK | Capability.WINDOW_RESCALE,
      addr: cfg.lanAddr,
      maxBody: cfg.maxBody,
    };
  }

  /** Send a message; `replyTo` answers the peer's frame of that id. False when it cannot go. */
  send(msg: ControlMessage, replyTo?: number): boolean {
    if (!this.up || this.closed) return false;
    return this.sendMsg(msg, replyTo ?? this.takeId(), replyTo === undefined ? 0 : FrameFlag.REPLY);
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    return id;
  }

  private sendMsg(msg: ControlMessage, id: number, flags: number): boolean {
    const node = this.inst.node;
    if (id === 0) id = this.takeId();
    const r = encodeFrame(msg, { id, flags, maxBody: this.peerMaxBody });
    if (!r.ok) {
      node.count(`encode.${r.error.reason}`);
      return false;
    }
    // The channel's own TCP send queue is its bound: a peer that cannot keep up loses sends.
    if (!canputnext(this.inst.wq)) {
      node.count('channelFull');
      return false;
    }
    this.framesOut++;
    if (node.tracing) node.note(this.inst.wq, 'ctl.tx', { peer: this.peer, id, flags, msg: controlMessageToJson(msg) });
    putnext(this.inst.wq, esballoc(r.bytes));
    return true;
  }

  /** Bytes of the channel's stream, in order. */
  receive(bytes: Uint8Array): void {
    const node = this.inst.node;
    this.lastRx = node.env.now();
    for (const r of this.decoder.push(bytes)) {
      if (!r.ok) {
        node.count(`decode.${r.error.reason}`);
        if (r.error.fatal) return this.abort('framing lost');
        continue;
      }
      this.framesIn++;
      const { header, msg } = r.frame;
      if (node.tracing) node.note(this.inst.rq, 'ctl.rx', { peer: msg.type === 'HELLO' ? msg.nodeId : this.peer, id: header.id, flags: header.flags, msg: controlMessageToJson(msg) });
      if (msg.type === 'HELLO') {
        this.hello_(msg, (header.flags & FrameFlag.REPLY) !== 0, header.id);
        continue;
      }
      if (!this.up || this.peer === null) {
        node.count('beforeHello');
        continue;
      }
      if (msg.type === 'HEARTBEAT') node.count('heartbeatsIn');
      node.down({ ho: 'recv', peer: this.peer, id: header.id, msg }, this.inst);
    }
  }

  private hello_(h: Hello, reply: boolean, id: number): void {
    const node = this.inst.node;
    // Named before the reply goes, so that the trace says to whom.
    if (!this.up) this.peer = h.nodeId;
    if (!reply) this.sendMsg(this.hello(), id, FrameFlag.REPLY);
    if (this.up) return;
    this.addr = h.addr;
    this.peerMaxBody = Math.min(h.maxBody, 0xffffffff);
    this.up = true;
    const old = node.byPeer.get(h.nodeId);
    node.byPeer.set(h.nodeId, this);
    // A newer channel to the same peer replaces the old one (its reconnect crossed ours).
    if (old !== undefined && old !== this) old.abort('replaced');
    node.count('channelsUp');
    if (node.tracing) node.note(this.inst.rq, 'ctl.up', { peer: h.nodeId, addr: formatIpv4(h.addr), maxBody: this.peerMaxBody });
    node.down({ ho: 'peer-up', peer: h.nodeId, addr: h.addr, maxBody: this.peerMaxBody }, this.inst);
    // The peer's dispatch view counts a node alive from its first heartbeat: send one now.
    node.heartbeatSoon();
  }

  /** Cut the channel: RST the connection, tell the socket above, forget the peer. */
  abort(why: string): void {
    if (this.closed) return;
    const node = this.inst.node;
    node.count(`abort.${why}`);
    if (node.tracing) node.note(this.inst.rq, 'ctl.abort', { peer: this.peer, why });
    this.inst.swallowAcks++;
    putnext(this.inst.wq, mktpi({ PRIM_type: 'T_DISCON_REQ', SEQ_number: -1 }));
    this.down();
    putnext(this.inst.rq, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: ECONNABORTED, SEQ_number: -1 }));
  }

  /** The connection is gone (closed, reset, cut): no more sends; BTCP hears the peer is down. */
  down(): void {
    if (this.closed) return;
    this.closed = true;
    const node = this.inst.node;
    node.channels.delete(this);
    if (this.peer !== null && node.byPeer.get(this.peer) === this) {
      node.byPeer.delete(this.peer);
      node.count('channelsDown');
      if (node.tracing) node.note(this.inst.rq, 'ctl.down', { peer: this.peer });
      node.down({ ho: 'peer-down', peer: this.peer }, this.inst);
    }
  }
}

/** All the M_DATA bytes of a message (channels get plain M_DATA from TCP). */
export function dataOf(mp: Mblk): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let b: Mblk | null = mp; b !== null; b = b.cont) if (b.db.type === M_DATA && b.len > 0) out.push(b.data());
  return out;
}
