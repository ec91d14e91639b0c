/**
 * UTCP alone: several streams of one node, each a `sink` driver (standing in for TCP: what
 * goes down is logged, the spec sends TPI and M_CTL up) with UTCP on it. One stream is the
 * control stream (HANDOFF_IOC_CONFIG), one a listening stream, one a control channel.
 * Claims 6, 16, 31 (holding the indication), 7-8 (discard / release), 1 and 23 (the channel).
 */
import { expect } from 'chai';
import { esballoc, M_DATA, mkctl, mktpi, msgbytes, type Mblk, type Stream, type TPrimitive } from '../../lib/streams/index.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seq } from '../../lib/wire/seq.ts';
import { SEC } from '../../lib/sim/time.ts';
import { sinkLog, sinkUp } from '../streams/support/env.ts';
import { encodeFrame } from '../../modules/control/encode.ts';
import { FrameDecoder } from '../../modules/control/decode.ts';
import { FrameFlag, type ControlMessage, type Endpoint, type Frame } from '../../modules/control/frame.ts';
import { handoffCtl, type CtlDown } from '../../modules/control/ctl.ts';
import { HANDOFF_IOC_CHANNEL, HANDOFF_IOC_CONFIG, HANDOFF_IOC_STATS, type UtcpConfig } from '../../modules/utcp/ioctl.ts';
import { utcpNodeOf } from '../../modules/utcp/node.ts';
import { rigEnv } from './support/rig.ts';

const CLIENT: Endpoint = { addr: ipv4('198.51.100.10'), port: 40000 };
const VIP: Endpoint = { addr: ipv4('203.0.113.10'), port: 80 };

const config: UtcpConfig = {
  nodeId: 'fe',
  lanAddr: ipv4('192.0.2.10'),
  services: [VIP],
  nodes: [{ id: 'be1', weight: 1 }],
  policy: null,
  heartbeatInterval: 1 * SEC,
  holdTimeout: 30 * SEC,
};

interface Node {
  env: ReturnType<typeof rigEnv>['env'];
  clock: ReturnType<typeof rigEnv>['clock'];
  ctl: Stream;
  open(): Stream;
}

function node(cfg: UtcpConfig = config): Node {
  const { env, clock } = rigEnv();
  const open = (): Stream => {
    const st = env.open('sink');
    st.push('utcp');
    return st;
  };
  const ctl = open();
  const r = ctl.ioctlSync(HANDOFF_IOC_CONFIG, cfg);
  expect(r.ok).to.equal(true);
  return { env, clock, ctl, open };
}

/** Handoff M_CTLs that went down a stream (taken). */
function downCtls(st: Stream): CtlDown[] {
  return sinkLog(st)
    .splice(0)
    .map((m) => handoffCtl(m.db.proto) as CtlDown | null)
    .filter((m): m is CtlDown => m !== null);
}

function conind(seqNo: number, dest: Endpoint = VIP): Mblk {
  return mktpi({ PRIM_type: 'T_CONN_IND', SRC_addr: CLIENT, DEST_addr: dest, SEQ_number: seqNo, OPT: null });
}

function readPrims(st: Stream): TPrimitive[] {
  const out: TPrimitive[] = [];
  for (let mp = st.read(); mp !== null; mp = st.read()) out.push(mp.db.proto as TPrimitive);
  return out;
}

/** The frames a channel stream sent down (its M_DATA, decoded). */
function framesDown(st: Stream): Frame[] {
  const dec = new FrameDecoder();
  const out: Frame[] = [];
  for (const mp of sinkLog(st).splice(0)) {
    if (mp.db.type !== M_DATA) continue;
    for (const r of dec.push(msgbytes(mp))) if (r.ok) out.push(r.frame);
  }
  return out;
}

function frame(msg: ControlMessage, id: number, flags = 0): Mblk {
  const r = encodeFrame(msg, { id, flags });
  if (!r.ok) throw new Error(r.error.detail);
  return esballoc(r.bytes);
}

const HELLO_BE1: ControlMessage = { type: 'HELLO', nodeId: 'be1', version: 1, capabilities: 7, addr: ipv4('192.0.2.11'), maxBody: 65536 };

function channel(n: Node): Stream {
  const ch = n.open();
  expect(ch.ioctlSync(HANDOFF_IOC_CHANNEL, {}).ok).to.equal(true);
  sinkUp(ch, frame(HELLO_BE1, 1));
  n.env.runServices();
  return ch;
}

describe('UTCP', () => {
  describe('holding the connection indication (claims 6, 16, 31)', () => {
    it('holds the T_CONN_IND of a dispatched service: the application does not see the connection yet', () => {
      const n = node();
      const l = n.open();
      sinkUp(l, conind(1));
      expect(readPrims(l)).to.deep.equal([]);
    });

    it('passes the T_CONN_IND of any other address on at once', () => {
      const n = node();
      const l = n.open();
      sinkUp(l, conind(1, { addr: ipv4('192.0.2.10'), port: 7070 }));
      expect(readPrims(l).map((p) => p.PRIM_type)).to.deep.equal(['T_CONN_IND']);
    });

    it("releases the held indication to the application on BTCP's release (claims 8, 20, 33)", () => {
      const n = node();
      const l = n.open();
      sinkUp(l, conind(4));
      sinkUp(n.ctl, mkctl({ ho: 'release', conn: { client: CLIENT, server: VIP } }));
      const [p] = readPrims(l);
      expect(p).to.deep.include({ PRIM_type: 'T_CONN_IND', SEQ_number: 4 });
    });

    it("discards the held indication on BTCP's discard, and keeps TCP's T_DISCON_IND for it from the application (claims 7, 17, 32)", () => {
      const n = node();
      const l = n.open();
      sinkUp(l, conind(4));
      sinkUp(n.ctl, mkctl({ ho: 'discard', conn: { client: CLIENT, server: VIP } }));
      sinkUp(l, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: 104, SEQ_number: 4 }));
      expect(readPrims(l)).to.deep.equal([]);
    });

    it('drops a held indication with the T_DISCON_IND that withdraws it (the client reset)', () => {
      const n = node();
      const l = n.open();
      sinkUp(l, conind(4));
      sinkUp(l, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: 104, SEQ_number: 4 }));
      sinkUp(n.ctl, mkctl({ ho: 'release', conn: { client: CLIENT, server: VIP } }));
      expect(readPrims(l)).to.deep.equal([]);
    });

    it('applies an order that arrived before the indication it concerns', () => {
      const n = node();
      const l = n.open();
      sinkUp(n.ctl, mkctl({ ho: 'release', conn: { client: CLIENT, server: VIP } }));
      sinkUp(l, conind(2));
      expect(readPrims(l).map((p) => p.PRIM_type)).to.deep.equal(['T_CONN_IND']);
    });

    it('hands an indication held past the hold timeout to the application', () => {
      const n = node({ ...config, holdTimeout: 2 * SEC });
      const l = n.open();
      sinkUp(l, conind(3));
      n.clock.advance(3 * SEC);
      n.env.runServices();
      expect(readPrims(l).map((p) => p.PRIM_type)).to.deep.equal(['T_CONN_IND']);
    });

    it('holds at most maxHeld indications per listening stream', () => {
      const n = node({ ...config, maxHeld: 2 });
      const l = n.open();
      for (const s of [1, 2, 3]) sinkUp(l, mktpi({ PRIM_type: 'T_CONN_IND', SRC_addr: { ...CLIENT, port: 40000 + s }, DEST_addr: VIP, SEQ_number: s, OPT: null }));
      expect(readPrims(l).map((p) => (p as { SEQ_number: number }).SEQ_number)).to.deep.equal([3]);
    });

    it('releases everything it holds when the daemon goes (a plain stack again)', () => {
      const n = node();
      const l = n.open();
      sinkUp(l, conind(5));
      n.ctl.close();
      expect(readPrims(l).map((p) => p.PRIM_type)).to.deep.equal(['T_CONN_IND']);
      sinkUp(l, conind(6));
      expect(readPrims(l).map((p) => p.PRIM_type)).to.deep.equal(['T_CONN_IND']);
    });
  });

  describe('the persistent control channel (claims 1, 23)', () => {
    it('sends HELLO with its name, LAN address and frame bound when a stream becomes a channel', () => {
      const n = node();
      const ch = n.open();
      ch.ioctlSync(HANDOFF_IOC_CHANNEL, {});
      const [f] = framesDown(ch);
      expect(f!.msg).to.deep.equal({ type: 'HELLO', nodeId: 'fe', version: 1, capabilities: 7, addr: config.lanAddr, maxBody: 65536 });
    });

    it("answers the peer's HELLO with HELLO+REPLY and tells BTCP the peer is up", () => {
      const n = node();
      downCtls(n.ctl);
      const ch = channel(n);
      const fs = framesDown(ch);
      expect(fs[1]!.header.flags & FrameFlag.REPLY).to.equal(FrameFlag.REPLY);
      expect(fs[1]!.header.id).to.equal(1);
      expect(downCtls(n.ctl)).to.deep.include({ ho: 'peer-up', peer: 'be1', addr: ipv4('192.0.2.11'), maxBody: 65536 });
    });

    it('takes bytes that arrived before the stream became a channel (from the daemon)', () => {
      const n = node();
      const ch = n.open();
      const hello = encodeFrame(HELLO_BE1, { id: 1 });
      if (!hello.ok) throw new Error('encode');
      ch.ioctlSync(HANDOFF_IOC_CHANNEL, { pending: hello.bytes });
      expect(downCtls(n.ctl).map((m) => m.ho)).to.include('peer-up');
    });

    it('relays every validated control message from the peer down to BTCP as M_CTL, frame id included', () => {
      const n = node();
      const ch = channel(n);
      downCtls(n.ctl);
      const ack: ControlMessage = { type: 'HANDOFF_ACK', connId: 3, beIsn: seq(77), beOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: 9 } };
      sinkUp(ch, frame(ack, 12, FrameFlag.REPLY));
      expect(downCtls(n.ctl)).to.deep.equal([{ ho: 'recv', peer: 'be1', id: 12, msg: ack }]);
    });

    it("sends BTCP's messages on the peer's channel as frames (a reply carries the request's id)", () => {
      const n = node();
      const ch = channel(n);
      framesDown(ch);
      const nak: ControlMessage = { type: 'HANDOFF_NAK', connId: 3, reason: 'overloaded' };
      sinkUp(n.ctl, mkctl({ ho: 'send', peer: 'be1', msg: nak, replyTo: 40 }));
      const [f] = framesDown(ch);
      expect(f!.msg).to.deep.equal(nak);
      expect([f!.header.id, f!.header.flags]).to.deep.equal([40, FrameFlag.REPLY]);
    });

    it('tells BTCP a send failed when the peer has no channel', () => {
      const n = node();
      downCtls(n.ctl);
      const t: ControlMessage = { type: 'TERMINATE', connId: 9, reason: 'fin' };
      sinkUp(n.ctl, mkctl({ ho: 'send', peer: 'be7', msg: t }));
      expect(downCtls(n.ctl)).to.deep.equal([{ ho: 'send-failed', peer: 'be7', msg: t }]);
    });

    it("sends HEARTBEATs with BTCP's load on every channel", () => {
      const n = node();
      const ch = channel(n);
      framesDown(ch);
      const q = downCtls(n.ctl).find((m) => m.ho === 'stats-query') as CtlDown & { ho: 'stats-query' };
      expect(q, 'a load question as soon as the channel is up').to.not.equal(undefined);
      sinkUp(n.ctl, mkctl({ ho: 'stats', token: q.token, stats: { nodeId: 'fe', fe: { recording: 0, handoff: 0, forwarding: 0 }, be: { replaying: 1, active: 5, pendingTerminates: 0 }, counters: {}, handoffs: {} } }));
      const [hb] = framesDown(ch);
      expect(hb!.msg).to.deep.equal({ type: 'HEARTBEAT', nodeId: 'fe', activeConns: 5, queueDepth: 1, cpuPermille: 0, draining: false });
    });

    it('drops a frame that breaks its schema and goes on; cuts the channel when framing is lost', () => {
      const n = node();
      const ch = channel(n);
      framesDown(ch);
      downCtls(n.ctl);
      // A NAK with reason code 99: decodes, fails the schema.
      const good = encodeFrame({ type: 'HANDOFF_NAK', connId: 1, reason: 'refused' }, { id: 2 });
      if (!good.ok) throw new Error('encode');
      const bad = good.bytes.slice();
      bad[bad.length - 1] = 99;
      sinkUp(ch, esballoc(bad));
      expect(downCtls(n.ctl)).to.deep.equal([]);
      sinkUp(ch, esballoc(new Uint8Array(20).fill(0x55)));
      n.env.runServices();
      const down = sinkLog(ch).splice(0).map((m) => (m.db.proto as TPrimitive | undefined)?.PRIM_type);
      expect(down).to.include('T_DISCON_REQ');
      expect(readPrims(ch).map((p) => p.PRIM_type)).to.deep.equal(['T_DISCON_IND']);
      expect(downCtls(n.ctl)).to.deep.include({ ho: 'peer-down', peer: 'be1' });
      // TCP's acknowledgement of UTCP's own T_DISCON_REQ never reaches the socket.
      sinkUp(ch, mktpi({ PRIM_type: 'T_OK_ACK', CORRECT_prim: 'T_DISCON_REQ' }));
      expect(readPrims(ch)).to.deep.equal([]);
    });

    it('cuts a channel that stays silent past the bound', () => {
      const n = node({ ...config, channelDeadAfter: 3 * SEC });
      const ch = channel(n);
      n.clock.advance(4.5 * SEC);
      n.env.runServices();
      expect(readPrims(ch).map((p) => p.PRIM_type)).to.include('T_DISCON_IND');
    });

    it('reports the peer down when its connection ends', () => {
      const n = node();
      const ch = channel(n);
      downCtls(n.ctl);
      sinkUp(ch, mktpi({ PRIM_type: 'T_ORDREL_IND' }));
      expect(downCtls(n.ctl)).to.deep.equal([{ ho: 'peer-down', peer: 'be1' }]);
      expect(readPrims(ch).map((p) => p.PRIM_type)).to.deep.equal(['T_ORDREL_IND']);
    });

    it('tells BTCP to keep a sent TERMINATE as long as a stuck channel can live before it is cut, twice over', () => {
      const n = node({ ...config, channelDeadAfter: 3 * SEC });
      const cfg = downCtls(n.ctl).find((m) => m.ho === 'config') as CtlDown & { ho: 'config' };
      expect(cfg.config.limits).to.deep.equal({ terminateResendWindow: 8 * SEC });
      const own = node({ ...config, limits: { terminateResendWindow: 30 * SEC } });
      const cfg2 = downCtls(own.ctl).find((m) => m.ho === 'config') as CtlDown & { ho: 'config' };
      expect(cfg2.config.limits).to.deep.equal({ terminateResendWindow: 30 * SEC });
    });

    it("answers HANDOFF_IOC_STATS on any UTCP stream of the node (a tool's own), through the control stream", () => {
      const n = node();
      downCtls(n.ctl);
      const tool = n.open();
      let answer: unknown = null;
      tool.ioctl(HANDOFF_IOC_STATS, null, (r) => (answer = r));
      n.env.runServices();
      const q = downCtls(n.ctl).find((m) => m.ho === 'stats-query') as CtlDown & { ho: 'stats-query' };
      expect(q, 'the question goes down the control stream').to.not.equal(undefined);
      const stats = { nodeId: 'fe', fe: { recording: 0, handoff: 0, forwarding: 2 }, be: { replaying: 0, active: 0, pendingTerminates: 0 }, counters: {}, handoffs: {} };
      sinkUp(n.ctl, mkctl({ ho: 'stats', token: q.token, stats }));
      n.env.runServices();
      expect(answer).to.deep.include({ ok: true });
      expect((answer as unknown as { data: { btcp: unknown } }).data.btcp).to.deep.equal(stats);
    });

    it('forgets a statistics question whose stream closed before the answer', () => {
      const n = node();
      downCtls(n.ctl);
      const tool = n.open();
      tool.ioctl(HANDOFF_IOC_STATS, null, () => {});
      n.env.runServices();
      const waits = utcpNodeOf(n.env).statsWaits;
      expect([...waits.values()].filter((w) => w !== 'heartbeat')).to.have.length(1);
      tool.close();
      expect([...waits.values()].filter((w) => w !== 'heartbeat')).to.have.length(0);
    });

    it('refuses a configuration without a valid node name', () => {
      const { env } = rigEnv();
      const st = env.open('sink');
      st.push('utcp');
      expect(st.ioctlSync(HANDOFF_IOC_CONFIG, { ...config, nodeId: 'bad name!' }).ok).to.equal(false);
    });
  });
});
