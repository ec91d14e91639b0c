/**
 * utcp: the upper handoff module (seed 004 "UTCP"), autopushed on every TCP endpoint stream
 * of a node (between the socket and TCP). TCP needs no handoff code: UTCP and BTCP talk with
 * M_CTL messages that TCP passes through (modules/control/ctl.ts).
 *
 *   listening stream of a dispatched service: holds T_CONN_IND until BTCP says release
 *     (served here) or discard (handed off) — hold.ts
 *   control channel (HANDOFF_IOC_CHANNEL): frames / unframes control messages, relays them
 *     to and from BTCP — channel.ts
 *   control stream (HANDOFF_IOC_CONFIG; the one TCP passes M_CTL up to): configuration,
 *     relay of BTCP's sends to the channels, heartbeats with the node's load, statistics
 *   any other stream: a pass-through
 *
 * Popping UTCP from a stream (or never configuring it) leaves a plain TCP stream.
 */
import {
  defineModule,
  Errno,
  freemsg,
  INFPSZ,
  iocblk,
  M_CTL,
  M_DATA,
  M_IOCTL,
  M_PCCTL,
  M_PCPROTO,
  M_PROTO,
  miocack,
  miocnak,
  put,
  putnext,
  qtimeout,
  tprim,
  WR,
} from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';
import { handoffCtl, type BtcpConfig, type CtlUp } from '../control/ctl.ts';
import { Channel, dataOf } from './channel.ts';
import { Hold } from './hold.ts';
import {
  HANDOFF_IOC_CHANNEL,
  HANDOFF_IOC_CONFIG,
  HANDOFF_IOC_DRAIN,
  HANDOFF_IOC_STATS,
  type ChannelArg,
  type HandoffStats,
  type UtcpConfig,
} from './ioctl.ts';
import { checkUtcpConfig, connKey, resolveUtcpConfig, utcpNodeOf, type UtcpInst, type UtcpNode } from './node.ts';

/** Statistics questions waiting for BTCP's answer (an ioctl unanswered times out at the head). */
const MAX_STATS_WAITS = 64;

const utcpminfo: ModuleInfo = { id: 9400, name: 'utcp', minpsz: 0, maxpsz: INFPSZ, hiwat: 0, lowat: 0 };

const utcprinit: QInit = { put: utcprput, open: utcpopen, close: utcpclose, minfo: utcpminfo };
const utcpwinit: QInit = { put: utcpwput, minfo: utcpminfo };

export const utcptab: StreamTab = { rdinit: utcprinit, wrinit: utcpwinit };

export default defineModule(utcptab, 'handoff, upper half: holds connection indications, carries the control channel');

// ---- open / close -----------------------------------------------------------------------------

function utcpopen(q: Queue, ctx: OpenCtx): number | void {
  if (ctx.sflag !== 'module') return Errno.EINVAL;
  const inst: UtcpInst = { node: utcpNodeOf(ctx.env), rq: q, wq: WR(q), kind: 'plain', hold: null, channel: null, swallowAcks: 0 };
  q.ptr = WR(q).ptr = inst;
}

function utcpclose(q: Queue): void {
  const inst = q.ptr as UtcpInst;
  const node = inst.node;
  inst.channel?.down();
  inst.hold?.clear();
  if (node.control === inst) {
    // The daemon is gone: the node stops holding, and what it held goes to the applications.
    for (const holder of new Set(node.holders.values())) holder.hold?.expire(node.env.now(), 0);
    node.config = null;
    node.control = null;
    node.heartbeatTimer = null;
  }
  // Questions asked on this stream can no longer be answered on it.
  for (const [token, w] of [...node.statsWaits]) {
    if (w !== 'heartbeat' && w.q === inst.wq) node.statsWaits.delete(token);
  }
  q.ptr = WR(q).ptr = undefined;
}

// ---- read side: from TCP ----------------------------------------------------------------------

function utcprput(q: Queue, mp: Mblk): void {
  const inst = q.ptr as UtcpInst;
  switch (mp.db.type) {
    case M_DATA:
      if (inst.channel !== null) return channelData(inst.channel, mp);
      return putnext(q, mp);
    case M_PROTO:
    case M_PCPROTO:
      return primitive(inst, mp);
    case M_CTL:
    case M_PCCTL: {
      const m = handoffCtl(mp.db.proto);
      if (m === null) return putnext(q, mp);
      return fromBtcp(inst, m as CtlUp, mp);
    }
  }
  putnext(q, mp);
}

function channelData(ch: Channel, mp: Mblk): void {
  const chunks = dataOf(mp);
  freemsg(mp);
  for (const c of chunks) ch.receive(c);
}

function primitive(inst: UtcpInst, mp: Mblk): void {
  const p = tprim(mp);
  const q = inst.rq;
  if (p === null) return putnext(q, mp);
  switch (p.PRIM_type) {
    case 'T_CONN_IND': {
      inst.hold ??= new Hold(inst);
      if (inst.hold.indication(mp, p)) return;
      break;
    }
    case 'T_DISCON_IND':
      if (p.SEQ_number >= 0 && inst.hold?.disconnect(p.SEQ_number)) return freemsg(mp);
      if (p.SEQ_number < 0) inst.channel?.down();
      break;
    case 'T_ORDREL_IND':
      inst.channel?.down();
      break;
    case 'T_DATA_IND':
      if (inst.channel !== null) {
        const rest = mp.cont;
        mp.cont = null;
        freemsg(mp);
        if (rest !== null) channelData(inst.channel, rest);
        return;
      }
      break;
    case 'T_OK_ACK':
    case 'T_ERROR_ACK': {
      const prim = p.PRIM_type === 'T_OK_ACK' ? p.CORRECT_prim : p.ERROR_prim;
      if (prim === 'T_DISCON_REQ' && inst.swallowAcks > 0) {
        inst.swallowAcks--;
        return freemsg(mp);
      }
      break;
    }
  }
  putnext(q, mp);
}

/** An M_CTL from BTCP (via TCP), or an order the control stream passed to this listening stream. */
function fromBtcp(inst: UtcpInst, m: CtlUp, mp: Mblk): void {
  const node = inst.node;
  switch (m.ho) {
    case 'release':
    case 'discard': {
      const key = connKey(m.conn);
      if (inst.hold?.has(key)) {
        freemsg(mp);
        if (m.ho === 'release') inst.hold.release(key);
        else inst.hold.discard(key);
        return;
      }
      if (inst !== node.control) return freemsg(mp);
      const holder = node.holders.get(key);
      // The listening stream acts on it in its own put procedure (SVR4 put(9F)).
      if (holder !== undefined) return put(holder.rq, mp);
      freemsg(mp);
      node.remember(key, m.ho);
      return;
    }
    case 'send':
      freemsg(mp);
      if (inst !== node.control) return node.count('ctlNotControl');
      return relay(node, inst, m);
    case 'stats':
      freemsg(mp);
      return statsArrived(node, m.token, m.stats);
  }
  node.count('ctlUnknown');
  freemsg(mp);
}

/** BTCP's message for a peer goes on that peer's channel, or comes back as send-failed. */
function relay(node: UtcpNode, inst: UtcpInst, m: CtlUp & { ho: 'send' }): void {
  const ch = node.byPeer.get(m.peer);
  if (ch !== undefined && ch.send(m.msg, m.replyTo)) return node.count(`sent.${m.msg.type}`);
  node.count('sendFailed');
  node.down({ ho: 'send-failed', peer: m.peer, msg: m.msg }, inst);
}

function statsArrived(node: UtcpNode, token: number, stats: HandoffStats['btcp'] & object): void {
  const w = node.statsWaits.get(token);
  if (w === undefined) return;
  node.statsWaits.delete(token);
  if (w !== 'heartbeat') return miocack(w.q, w.mp, { utcp: node.stats(), btcp: stats } satisfies HandoffStats);
  const cfg = node.config;
  if (cfg === null) return;
  for (const ch of node.byPeer.values()) {
    ch.send({
      type: 'HEARTBEAT',
      nodeId: cfg.nodeId,
      activeConns: stats.be.active,
      queueDepth: stats.be.replaying + node.heldCount(),
      cpuPermille: 0,
      draining: cfg.draining,
    });
  }
}

// ---- write side: from the socket --------------------------------------------------------------

function utcpwput(q: Queue, mp: Mblk): void {
  if (mp.db.type !== M_IOCTL) return putnext(q, mp);
  const inst = q.ptr as UtcpInst;
  const ioc = iocblk(mp)!;
  switch (ioc.cmd) {
    case HANDOFF_IOC_CONFIG:
      return configure(inst, q, mp, ioc.data);
    case HANDOFF_IOC_CHANNEL:
      return makeChannel(inst, q, mp, (ioc.data ?? {}) as ChannelArg);
    case HANDOFF_IOC_STATS:
      return askStats(inst, q, mp);
    case HANDOFF_IOC_DRAIN:
      return drain(inst, q, mp, ioc.data === true);
  }
  putnext(q, mp);
}

function btcpConfig(node: UtcpNode): BtcpConfig {
  const c = node.config!;
  // A TERMINATE lost in a stuck channel is sent again if it is younger than the longest a stuck
  // channel lives before it is cut (channelDeadAfter, plus a tick), twice over for the reconnect.
  const limits = { terminateResendWindow: 2 * (c.channelDeadAfter + c.heartbeatInterval), ...c.limits };
  return { nodeId: c.nodeId, lanAddr: c.lanAddr, services: c.services, nodes: c.nodes, policy: c.policy ?? null, draining: c.draining, limits };
}

function configure(inst: UtcpInst, q: Queue, mp: Mblk, data: unknown): void {
  const err = checkUtcpConfig(data);
  if (err !== null) return miocnak(q, mp, Errno.EINVAL);
  const node = inst.node;
  if (node.control !== null && node.control !== inst) return miocnak(q, mp, Errno.EBUSY);
  node.config = resolveUtcpConfig(data as UtcpConfig);
  node.control = inst;
  inst.kind = 'control';
  node.down({ ho: 'config', config: btcpConfig(node) }, inst);
  if (node.heartbeatTimer === null) scheduleTick(inst);
  miocack(q, mp);
}

function drain(inst: UtcpInst, q: Queue, mp: Mblk, on: boolean): void {
  const node = inst.node;
  if (node.control !== inst || node.config === null) return miocnak(q, mp, Errno.EINVAL);
  node.config.draining = on;
  node.down({ ho: 'config', config: btcpConfig(node) }, inst);
  miocack(q, mp);
}

function makeChannel(inst: UtcpInst, q: Queue, mp: Mblk, arg: ChannelArg): void {
  const node = inst.node;
  if (node.config === null || inst.kind !== 'plain') return miocnak(q, mp, Errno.EINVAL);
  inst.kind = 'channel';
  const ch = new Channel(inst);
  inst.channel = ch;
  node.channels.add(ch);
  miocack(q, mp);
  ch.start(arg.pending);
}

function askStats(inst: UtcpInst, q: Queue, mp: Mblk): void {
  const node = inst.node;
  // Any UTCP stream of the node may ask (a tool's own, not only the daemon's): the question
  // goes down the control stream, which TCP answers up, and the answer is acked here.
  if (node.control === null) return miocnak(q, mp, Errno.EINVAL);
  if (node.statsWaits.size >= MAX_STATS_WAITS) return miocnak(q, mp, Errno.EAGAIN);
  const token = node.token();
  node.statsWaits.set(token, { q, mp });
  node.down({ ho: 'stats-query', token }, inst);
}

// ---- the control stream's tick: heartbeats, silent channels, old holds --------------------------

function scheduleTick(inst: UtcpInst): void {
  const node = inst.node;
  if (inst.rq.env.time === null || node.config === null) return;
  node.heartbeatTimer = qtimeout(inst.rq, () => tick(inst), node.config.heartbeatInterval);
}

function tick(inst: UtcpInst): void {
  const node = inst.node;
  node.heartbeatTimer = null;
  const cfg = node.config;
  if (cfg === null || node.control !== inst) return;
  const now = node.env.now();
  for (const ch of [...node.channels]) if (now - ch.lastRx > cfg.channelDeadAfter) ch.abort('silent');
  for (const holder of new Set(node.holders.values())) holder.hold?.expire(now, cfg.holdTimeout);
  if (node.byPeer.size > 0) node.heartbeatSoon();
  scheduleTick(inst);
}
