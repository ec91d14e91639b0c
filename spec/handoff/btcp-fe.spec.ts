/**
 * BTCP on the front end, alone on a stream: the spec plays IP below it (client packets up,
 * what BTCP sends down is logged) and TCP above it (TCP's output written down, what BTCP sends
 * up is kept), and UTCP's M_CTL messages. Claims 2-4, 6-8, 10-14, 17, 20, 22, 27-30, 32-33;
 * the forwarding golden packets.
 */
import { expect } from 'chai';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { seq, seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpOption } from '../../lib/wire/tcp-types.ts';
import { MS, SEC } from '../../lib/sim/time.ts';
import type { Endpoint, HandoffReq } from '../../modules/control/frame.ts';
import type { BtcpConfig, CtlUp } from '../../modules/control/ctl.ts';
import { initialState } from '../../modules/btcp/rewrite-state.ts';
import { hex, packet, type Seg } from './packets.ts';
import { ctlMsg, ctls, packetMsg, packets, rig, type Rig } from './support/rig.ts';

const { SYN, ACK, PSH, FIN, RST } = TcpFlag;

const CLIENT: Endpoint = { addr: ipv4('198.51.100.10'), port: 40000 };
const VIP: Endpoint = { addr: ipv4('203.0.113.10'), port: 80 };
const FE_LAN = ipv4('192.0.2.10');
const BE1: Endpoint = { addr: ipv4('192.0.2.11'), port: 80 };

const C_ISN = 1_000_000;
const FE_ISN = 1000;
const BE_ISN = 0xfffffc00;

export const feConfig: BtcpConfig = {
  nodeId: 'fe',
  lanAddr: FE_LAN,
  services: [VIP],
  nodes: [
    { id: 'fe', weight: 1 },
    { id: 'be1', weight: 1 },
  ],
  policy: { policy: 'url-partition', rules: [{ prefix: '/img/', nodes: ['be1'] }], defaultNodes: ['fe'] },
  draining: false,
  limits: { headTimeout: 2 * SEC, handoffTimeout: 100 * MS },
};

const ts = (val: number, ecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val, ecr }];

const c2s = (s: Omit<Seg, 'src' | 'dst'>): Uint8Array => packet({ src: CLIENT, dst: VIP, ipId: 0x4242, ...s });
const s2c = (s: Omit<Seg, 'src' | 'dst'>): Uint8Array => packet({ src: VIP, dst: CLIENT, ipId: 0, ...s });

const SYN_PKT = c2s({
  seq: C_ISN,
  flags: SYN,
  window: 65535,
  options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
});
const SYNACK_PKT = s2c({
  seq: FE_ISN,
  ack: C_ISN + 1,
  flags: SYN | ACK,
  window: 65160,
  options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 5000, ecr: 100 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
});
const ACK_PKT = c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK, window: 502, options: ts(110, 5000) });
const REQUEST = 'GET /img/photo-1.jpg HTTP/1.1\r\nHost: cluster.test\r\n\r\n';
const REQ_PKT = c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK | PSH, window: 502, options: ts(120, 5000), payload: REQUEST });

const peerUp = (r: Rig): void => {
  r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'be1', addr: BE1.addr, maxBody: 65536 }));
  r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 1, msg: { type: 'HEARTBEAT', nodeId: 'be1', activeConns: 0, queueDepth: 0, cpuPermille: 0, draining: false } }));
};

/** Up to the complete request head: SYN, SYN/ACK, ACK, request. */
function recorded(path = '/img/photo-1.jpg'): { r: Rig; up: ReturnType<Rig['takeUp']> } {
  const r = rig('btcp', feConfig);
  peerUp(r);
  r.fromBelow(packetMsg(SYN_PKT));
  r.fromAbove(packetMsg(SYNACK_PKT));
  r.fromBelow(packetMsg(ACK_PKT));
  r.takeUp();
  r.takeDown();
  const req = path === '/img/photo-1.jpg' ? REQ_PKT : c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK | PSH, window: 502, options: ts(120, 5000), payload: REQUEST.replace('/img/photo-1.jpg', path) });
  r.fromBelow(packetMsg(req));
  return { r, up: r.takeUp() };
}

function sentRequest(up: ReturnType<Rig['takeUp']>): HandoffReq {
  const s = ctls(up).find((m): m is CtlUp & { ho: 'send' } => m.ho === 'send');
  expect(s, 'a send M_CTL').to.not.equal(undefined);
  expect(s!.msg.type).to.equal('HANDOFF_REQ');
  return s!.msg as HandoffReq;
}

const BE_OPTS = { mss: 1460, wscale: 9, sackOk: true, tsVal: 0xffffff00 };

function handedOff(): Rig {
  const { r, up } = recorded();
  const req = sentRequest(up);
  r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 7, msg: { type: 'HANDOFF_ACK', connId: req.connId, beIsn: seq(BE_ISN), beOpts: BE_OPTS } }));
  r.takeUp();
  r.takeDown();
  return r;
}

/** A full recomputation of both checksums agrees with what the packet carries. */
function checksumsRecomputed(b: Uint8Array): boolean {
  const p = parseIpv4Tcp(b);
  return p.ok;
}

describe('BTCP on the front end', () => {
  describe('connection set-up (claims 2, 12, 22, 28)', () => {
    it("sends the client's SYN up to its TCP unchanged and records it", () => {
      const r = rig('btcp', feConfig);
      r.fromBelow(packetMsg(SYN_PKT));
      expect(packets(r.takeUp()).map(hex)).to.deep.equal([hex(SYN_PKT)]);
      r.fromAbove(packetMsg(SYNACK_PKT));
      r.fromBelow(packetMsg(ACK_PKT));
      peerUp(r);
      r.fromBelow(packetMsg(REQ_PKT));
      expect(hex(sentRequest(r.takeUp()).syn)).to.equal(hex(SYN_PKT));
    });

    it("parses the FE's initial state from TCP's SYN/ACK and sends the SYN/ACK on to the client", () => {
      const r = rig('btcp', feConfig);
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      expect(packets(r.takeDown()).map(hex)).to.deep.equal([hex(SYNACK_PKT)]);
      peerUp(r);
      r.fromBelow(packetMsg(ACK_PKT));
      r.fromBelow(packetMsg(REQ_PKT));
      const req = sentRequest(r.takeUp());
      expect(req.feIsn).to.equal(FE_ISN);
      expect(req.feOpts).to.deep.equal({ mss: 1460, wscale: 7, sackOk: true, tsVal: 5000 });
    });

    it('sends the ACK up to TCP (which then indicates the connection) and records it', () => {
      const r = rig('btcp', feConfig);
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      r.takeUp();
      r.fromBelow(packetMsg(ACK_PKT));
      expect(packets(r.takeUp()).map(hex)).to.deep.equal([hex(ACK_PKT)]);
    });

    it('keeps the request segments below TCP: nothing of the request goes up before dispatch', () => {
      const r = rig('btcp', { ...feConfig, policy: null });
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      r.fromBelow(packetMsg(ACK_PKT));
      r.takeUp();
      r.fromBelow(packetMsg(c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK, window: 502, options: ts(120, 5000), payload: 'GET /img/x HTTP/1.1\r\n' })));
      expect(r.takeUp()).to.have.length(0);
    });

    it('sends TCP only the ACK when the client completes the handshake with request bytes in the same segment', () => {
      const r = rig('btcp', feConfig);
      peerUp(r);
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      r.takeUp();
      r.fromBelow(packetMsg(REQ_PKT));
      const up = r.takeUp();
      const [bare] = packets(up);
      const p = parseIpv4Tcp(bare!);
      expect(p.ok).to.equal(true);
      if (!p.ok) return;
      expect(p.value.tcp.payload.length).to.equal(0);
      expect(p.value.tcp.flags).to.equal(ACK);
      expect(p.value.tcp.ack).to.equal(FE_ISN + 1);
      expect(sentRequest(up).data.map(hex)).to.deep.equal([hex(REQ_PKT)]);
    });
  });

  describe('dispatch and handoff request (claims 3, 4, 11 b-f, 13, 14, 27, 29, 30)', () => {
    it('examines the completed request head and sends a handoff request to the BE the content names', () => {
      const { up } = recorded('/img/photo-1.jpg');
      const s = ctls(up).find((m) => m.ho === 'send') as CtlUp & { ho: 'send' };
      expect(s.peer).to.equal('be1');
    });

    it('includes the recorded SYN, ACK and request segments in the handoff request', () => {
      const req = sentRequest(recorded().up);
      expect(hex(req.syn)).to.equal(hex(SYN_PKT));
      expect(hex(req.ack)).to.equal(hex(ACK_PKT));
      expect(req.data.map(hex)).to.deep.equal([hex(REQ_PKT)]);
    });

    it("includes the FE's initial state: its ISN, the options of its SYN/ACK and its timestamp clock", () => {
      const req = sentRequest(recorded().up);
      expect({ feIsn: req.feIsn, feOpts: req.feOpts, feTsNow: req.feTsNow }).to.deep.equal({
        feIsn: FE_ISN,
        feOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: 5000 },
        feTsNow: 5000,
      });
      expect(req.clientIsn).to.equal(C_ISN);
      expect(req.clientOpts).to.deep.equal({ mss: 1460, wscale: 7, sackOk: true, tsVal: 100 });
      expect(req.vip).to.deep.equal(VIP);
      expect(req.target).to.deep.equal(BE1);
      expect(req.client).to.deep.equal(CLIENT);
    });

    it('announces as feTsNow the highest TSval its own TCP sent on the connection', () => {
      const r = rig('btcp', feConfig);
      peerUp(r);
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      // A retransmitted SYN/ACK carries a later TSval: the client has seen it.
      r.fromAbove(packetMsg(s2c({ seq: FE_ISN, ack: C_ISN + 1, flags: SYN | ACK, window: 65160, options: [{ kind: 'mss', mss: 1460 }, { kind: 'ts', val: 6000, ecr: 100 }] })));
      r.fromBelow(packetMsg(ACK_PKT));
      r.fromBelow(packetMsg(REQ_PKT));
      expect(sentRequest(r.takeUp()).feTsNow).to.equal(6000);
    });
  });

  describe('local service (claims 8, 20, 33)', () => {
    it('tells UTCP to release the held indication, then sends the request up, when the FE itself is chosen', () => {
      const { up } = recorded('/about.txt');
      const m = ctls(up);
      expect(m[0]).to.deep.equal({ ho: 'release', conn: { client: CLIENT, server: VIP } });
      expect(packets(up).map(hex)).to.deep.equal([hex(c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK | PSH, window: 502, options: ts(120, 5000), payload: REQUEST.replace('/img/photo-1.jpg', '/about.txt') }))]);
      // The release comes before the data: the application gets the connection, then its bytes.
      expect(up[0]!.db.type).to.not.equal(0);
    });
  });

  describe('after the handoff acknowledgment (claims 5, 7, 15, 17, 32)', () => {
    it('sends a RST up to the local TCP at exactly RCV.NXT, and tells UTCP to discard the held indication', () => {
      const { r, up } = recorded();
      const req = sentRequest(up);
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 7, msg: { type: 'HANDOFF_ACK', connId: req.connId, beIsn: seq(BE_ISN), beOpts: BE_OPTS } }));
      const after = r.takeUp();
      expect(ctls(after)).to.deep.equal([{ ho: 'discard', conn: { client: CLIENT, server: VIP } }]);
      const [rst] = packets(after);
      const p = parseIpv4Tcp(rst!);
      expect(p.ok).to.equal(true);
      if (!p.ok) return;
      expect(p.value.tcp.flags).to.equal(RST);
      expect(p.value.tcp.seq).to.equal(C_ISN + 1);
      expect([p.value.ip.src, p.value.tcp.srcPort, p.value.ip.dst, p.value.tcp.dstPort]).to.deep.equal([CLIENT.addr, CLIENT.port, VIP.addr, VIP.port]);
      // Nothing went to the client.
      expect(r.takeDown()).to.have.length(0);
    });

    it("drops its own TCP's output for the connection once the handoff request is sent", () => {
      const { r } = recorded();
      r.takeDown();
      r.fromAbove(packetMsg(s2c({ seq: FE_ISN + 1, ack: C_ISN + 1, flags: ACK, window: 502, options: ts(5100, 120) })));
      expect(r.takeDown()).to.have.length(0);
    });

    it('forwards client segments that arrived during the handoff, in order, once the BE answered', () => {
      const { r, up } = recorded();
      const req = sentRequest(up);
      const later = [1, 2, 3].map((i) => c2s({ seq: C_ISN + 1 + REQUEST.length, ack: FE_ISN + 1, flags: ACK, window: 502 + i, options: ts(120 + i, 5000) }));
      for (const p of later) r.fromBelow(packetMsg(p));
      expect(r.takeDown()).to.have.length(0);
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 7, msg: { type: 'HANDOFF_ACK', connId: req.connId, beIsn: seq(BE_ISN), beOpts: BE_OPTS } }));
      const out = packets(r.takeDown()).map((b) => parseIpv4Tcp(b));
      expect(out.map((p) => (p.ok ? p.value.tcp.window : -1))).to.deep.equal([503, 504, 505]);
    });
  });

  describe('forwarding mode: golden packets (claims 7, 11 j, 17, 32)', () => {
    // seqDelta = 0xfffffc00 - 1000 = -2024 mod 2^32; tsDelta = 5000 - 0xffffff00 = 5256 mod 2^32.
    const DATA = c2s({
      seq: C_ISN + 1 + REQUEST.length,
      ack: FE_ISN + 1 + 4000,
      flags: ACK,
      window: 400,
      options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 300, ecr: 5016 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: seq(FE_ISN + 1 + 5448), right: seq(FE_ISN + 1 + 6896) }] }],
    });

    it('rewrites destination, ack, SACK edges and TSecr into the BE spaces, checksums updated incrementally', () => {
      const r = handedOff();
      r.fromBelow(packetMsg(DATA));
      const [out] = packets(r.takeDown());
      const expected = packet({
        src: CLIENT,
        dst: BE1,
        ipId: 0x4242,
        seq: C_ISN + 1 + REQUEST.length,
        ack: seqAdd(seq(FE_ISN + 1 + 4000), -2024),
        flags: ACK,
        window: 400,
        options: [
          { kind: 'nop' },
          { kind: 'nop' },
          { kind: 'ts', val: 300, ecr: 0xffffff10 },
          { kind: 'nop' },
          { kind: 'nop' },
          { kind: 'sack', blocks: [{ left: seqAdd(seq(FE_ISN + 1 + 5448), -2024), right: seqAdd(seq(FE_ISN + 1 + 6896), -2024) }] },
        ],
      });
      // `expected` was built with both checksums computed in full: equal bytes prove the
      // incremental updates agree with a full recomputation.
      expect(hex(out!)).to.equal(hex(expected));
      expect(checksumsRecomputed(out!)).to.equal(true);
      expect(hex(out!)).to.equal(
        '450000404242400040060c2dc633640ac000020b9c400050000f427600000ba1b01001903f9f00000101080a' +
          '0000012cffffff100101050a00001149000016f1',
      );
    });

    it('leaves a corrupted client packet detectably corrupted (no full recomputation launders it)', () => {
      const r = handedOff();
      const bad = DATA.slice();
      bad[bad.length - 1]! ^= 0x01;
      r.fromBelow(packetMsg(bad));
      const [out] = packets(r.takeDown());
      const p = parseIpv4Tcp(out!);
      expect(p.ok ? 'ok' : p.error).to.equal('bad-checksum');
    });
  });

  describe('termination (claims 10, 19)', () => {
    it('leaves forwarding mode and frees the connection on TERMINATE from the BE', () => {
      const r = handedOff();
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 9, msg: { type: 'TERMINATE', connId: 1, reason: 'fin' } }));
      // The connection is unknown now: a late client packet goes up to TCP (which resets it).
      const late = c2s({ seq: C_ISN + 1 + REQUEST.length, ack: FE_ISN + 1, flags: ACK, window: 400, options: ts(400, 5000) });
      r.fromBelow(packetMsg(late));
      expect(packets(r.takeUp()).map(hex)).to.deep.equal([hex(late)]);
      expect(r.takeDown()).to.have.length(0);
      r.fromAbove(ctlMsg({ ho: 'stats-query', token: 1 }));
      const [stats] = ctls(r.takeUp());
      expect(stats).to.deep.include({ ho: 'stats', token: 1 });
      expect((stats as CtlUp & { ho: 'stats' }).stats.fe).to.deep.equal({ recording: 0, handoff: 0, forwarding: 0 });
    });
  });

  describe('failures', () => {
    it('tries the next node (here: local service) after a NAK', () => {
      const { r, up } = recorded();
      const req = sentRequest(up);
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 7, msg: { type: 'HANDOFF_NAK', connId: req.connId, reason: 'overloaded' } }));
      const after = r.takeUp();
      expect(ctls(after)[0]).to.deep.equal({ ho: 'release', conn: { client: CLIENT, server: VIP } });
      expect(packets(after).map(hex)).to.deep.equal([hex(REQ_PKT)]);
    });

    it('aborts the BE copy and serves elsewhere when the answer does not come in time', () => {
      const { r } = recorded();
      r.advance(150 * MS);
      const after = r.takeUp();
      const m = ctls(after);
      expect(m[0]).to.deep.equal({ ho: 'send', peer: 'be1', msg: { type: 'TERMINATE', connId: 1, reason: 'aborted' } });
      expect(m[1]).to.deep.include({ ho: 'release' });
    });

    it('resets the client and its own copy when the request head does not complete in time', () => {
      const r = rig('btcp', feConfig);
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      r.fromBelow(packetMsg(ACK_PKT));
      r.fromBelow(packetMsg(c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK, window: 502, options: ts(120, 5000), payload: 'GET /img/' })));
      r.takeUp();
      r.takeDown();
      r.advance(2 * SEC);
      const [toClient] = packets(r.takeDown());
      const p = parseIpv4Tcp(toClient!);
      expect(p.ok && [p.value.tcp.flags, p.value.tcp.seq, p.value.tcp.ack]).to.deep.equal([RST | ACK, FE_ISN + 1, C_ISN + 1 + 9]);
      const up = r.takeUp();
      expect(ctls(up)).to.deep.equal([{ ho: 'discard', conn: { client: CLIENT, server: VIP } }]);
      expect(packets(up).map((b) => initialState(b).ok)).to.deep.equal([false]);
    });

    it('resets the client when the channel to the BE breaks after the request left', () => {
      const { r } = recorded();
      r.takeDown();
      r.fromAbove(ctlMsg({ ho: 'peer-down', peer: 'be1' }));
      const [toClient] = packets(r.takeDown());
      const p = parseIpv4Tcp(toClient!);
      expect(p.ok && p.value.tcp.flags & RST).to.equal(RST);
      // The abort for the BE waits for the channel to come back.
      r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'be1', addr: BE1.addr, maxBody: 65536 }));
      expect(ctls(r.takeUp()).filter((m) => m.ho === 'send')).to.deep.equal([{ ho: 'send', peer: 'be1', msg: { type: 'TERMINATE', connId: 1, reason: 'aborted' } }]);
    });

    it('retries elsewhere at once when the request could not be sent at all', () => {
      const { r, up } = recorded();
      const req = sentRequest(up);
      r.fromAbove(ctlMsg({ ho: 'send-failed', peer: 'be1', msg: req }));
      expect(ctls(r.takeUp())[0]).to.deep.include({ ho: 'release' });
    });

    it('answers a late HANDOFF_ACK with TERMINATE aborted', () => {
      const r = rig('btcp', feConfig);
      peerUp(r);
      r.takeUp();
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'be1', id: 3, msg: { type: 'HANDOFF_ACK', connId: 77, beIsn: seq(1), beOpts: BE_OPTS } }));
      expect(ctls(r.takeUp())).to.deep.equal([{ ho: 'send', peer: 'be1', msg: { type: 'TERMINATE', connId: 77, reason: 'aborted' } }]);
    });

    it('passes a client FIN with an incomplete head to its own server (which answers it)', () => {
      const r = rig('btcp', feConfig);
      r.fromBelow(packetMsg(SYN_PKT));
      r.fromAbove(packetMsg(SYNACK_PKT));
      r.fromBelow(packetMsg(ACK_PKT));
      r.takeUp();
      const fin = c2s({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK | FIN, window: 502, options: ts(120, 5000), payload: 'GET / HT' });
      r.fromBelow(packetMsg(fin));
      const up = r.takeUp();
      expect(ctls(up)[0]).to.deep.include({ ho: 'release' });
      expect(packets(up).map(hex)).to.deep.equal([hex(fin)]);
    });
  });
});
