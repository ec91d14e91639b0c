/**
 * BTCP on a back end, alone on a stream: the spec plays UTCP's M_CTL messages (the HANDOFF_REQ
 * from the FE), the BE's TCP above (its SYN/ACK, its responses) and IP below. Claims 3, 5, 9,
 * 10, 13, 15, 18, 19, 34-37; the response golden packets; the refusals.
 */
import { expect } from 'chai';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { seq, seqAdd } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpOption } from '../../lib/wire/tcp-types.ts';
import { MS, SEC } from '../../lib/sim/time.ts';
import type { Endpoint, HandoffReq, SynOptions } from '../../modules/control/frame.ts';
import type { BtcpConfig, CtlUp } from '../../modules/control/ctl.ts';
import { hex, packet, type Seg } from './packets.ts';
import { ctlMsg, ctls, packetMsg, packets, rig, type Rig } from './support/rig.ts';

const { SYN, ACK, PSH, FIN, RST } = TcpFlag;

const CLIENT: Endpoint = { addr: ipv4('198.51.100.10'), port: 40000 };
const VIP: Endpoint = { addr: ipv4('203.0.113.10'), port: 80 };
const BE1: Endpoint = { addr: ipv4('192.0.2.11'), port: 80 };
const FE_LAN = ipv4('192.0.2.10');

const C_ISN = 1_000_000;
const FE_ISN = 1000;
const BE_ISN = 0xfffffc00;
const REQUEST = 'GET /img/photo-1.jpg HTTP/1.1\r\nHost: cluster.test\r\n\r\n';

const beConfig: BtcpConfig = { nodeId: 'be1', lanAddr: BE1.addr, services: [], nodes: [], policy: null, draining: false, limits: { finLinger: 1 * SEC } };

const ts = (val: number, ecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val, ecr }];
const c2v = (s: Omit<Seg, 'src' | 'dst'>): Uint8Array => packet({ src: CLIENT, dst: VIP, ipId: 0x4242, ...s });
const c2b = (s: Omit<Seg, 'src' | 'dst'>): Uint8Array => packet({ src: CLIENT, dst: BE1, ipId: 0x4343, ...s });
const b2c = (s: Omit<Seg, 'src' | 'dst'>): Uint8Array => packet({ src: BE1, dst: CLIENT, ipId: 0, ...s });

const CLIENT_OPTS: SynOptions = { mss: 1460, wscale: 7, sackOk: true, tsVal: 100 };
const FE_OPTS: SynOptions = { mss: 1460, wscale: 7, sackOk: true, tsVal: 5000 };
const SYN_PKT = c2v({ seq: C_ISN, flags: SYN, window: 65535, options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }] });
const ACK_PKT = c2v({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK, window: 502, options: ts(110, 5000) });
const REQ_PKT = c2v({ seq: C_ISN + 1, ack: FE_ISN + 1, flags: ACK | PSH, window: 502, options: ts(120, 5000), payload: REQUEST });

const REQ: HandoffReq = {
  type: 'HANDOFF_REQ',
  connId: 1,
  client: CLIENT,
  vip: VIP,
  target: BE1,
  clientIsn: seq(C_ISN),
  clientOpts: CLIENT_OPTS,
  feIsn: seq(FE_ISN),
  feOpts: FE_OPTS,
  feTsNow: 5000,
  syn: SYN_PKT,
  ack: ACK_PKT,
  data: [REQ_PKT],
};

const synAck = (opts: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 0xffffff00, ecr: 100 }, { kind: 'nop' }, { kind: 'wscale', shift: 9 }]): Uint8Array =>
  b2c({ seq: BE_ISN, ack: C_ISN + 1, flags: SYN | ACK, window: 65160, options: opts });

function requested(req: HandoffReq = REQ, config: BtcpConfig = beConfig): { r: Rig; up: ReturnType<Rig['takeUp']> } {
  const r = rig('btcp', config);
  r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'fe', addr: FE_LAN, maxBody: 65536 }));
  r.fromAbove(ctlMsg({ ho: 'recv', peer: 'fe', id: 5, msg: req }));
  return { r, up: r.takeUp() };
}

function takenOver(): Rig {
  const { r } = requested();
  r.fromAbove(packetMsg(synAck()));
  r.takeUp();
  r.takeDown();
  return r;
}

function parsed(b: Uint8Array): NonNullable<ReturnType<typeof parseIpv4Tcp> & { ok: true }>['value'] {
  const p = parseIpv4Tcp(b);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

function sent(up: ReturnType<Rig['takeUp']>): Array<CtlUp & { ho: 'send' }> {
  return ctls(up).filter((m): m is CtlUp & { ho: 'send' } => m.ho === 'send');
}

describe('BTCP on a back end', () => {
  describe('taking the connection over (claims 3, 13, 34)', () => {
    it("changes the recorded SYN's destination to the BE address and sends it up to its TCP", () => {
      const { up } = requested();
      const [syn] = packets(up);
      const p = parsed(syn!);
      expect([p.ip.src, p.tcp.srcPort, p.ip.dst, p.tcp.dstPort]).to.deep.equal([CLIENT.addr, CLIENT.port, BE1.addr, BE1.port]);
      expect(p.tcp.flags).to.equal(SYN);
      expect(p.tcp.seq).to.equal(C_ISN);
    });

    it("catches TCP's SYN/ACK (the client never sees it), then replays the ACK rewritten into the BE's space, then the request", () => {
      const { r } = requested();
      r.fromAbove(packetMsg(synAck()));
      expect(r.takeDown(), 'nothing toward the client').to.have.length(0);
      const up = r.takeUp();
      const [ack, req] = packets(up).map(parsed);
      expect(ack!.ip.dst).to.equal(BE1.addr);
      expect(ack!.tcp.ack).to.equal(seqAdd(seq(BE_ISN), 1));
      expect(ack!.tcp.options.find((o) => o.kind === 'ts')).to.deep.equal({ kind: 'ts', val: 110, ecr: 0xffffff00 });
      expect(new TextDecoder().decode(req!.tcp.payload)).to.equal(REQUEST);
      expect(req!.tcp.ack).to.equal(seqAdd(seq(BE_ISN), 1));
    });
  });

  describe('handoff acknowledgment (claims 3, 5, 15, 35)', () => {
    it("answers the FE with a handoff ack carrying the BE's initial state, in reply to the request's frame", () => {
      const { r } = requested();
      r.fromAbove(packetMsg(synAck()));
      expect(sent(r.takeUp())).to.deep.equal([
        { ho: 'send', peer: 'fe', replyTo: 5, msg: { type: 'HANDOFF_ACK', connId: 1, beIsn: BE_ISN, beOpts: { mss: 1460, wscale: 9, sackOk: true, tsVal: 0xffffff00 } } },
      ]);
    });
  });

  describe('responses straight to the client: golden packets (claims 9, 11 k, 18, 36)', () => {
    it('rewrites source to the VIP, sequence number and TSval into the FE spaces, rescales the window, checksums incremental', () => {
      const r = takenOver();
      const resp = b2c({ seq: BE_ISN + 1, ack: C_ISN + 1 + REQUEST.length, flags: ACK | PSH, window: 1000, options: ts(0xffffff10, 120), payload: 'HTTP/1.1 200 OK\r\n' });
      r.fromAbove(packetMsg(resp));
      const [out] = packets(r.takeDown());
      const expected = packet({
        src: VIP,
        dst: CLIENT,
        ipId: 0,
        seq: FE_ISN + 1,
        ack: C_ISN + 1 + REQUEST.length,
        flags: ACK | PSH,
        // BE shift 9, FE shift 7: the client reads the field with 7.
        window: 4000,
        options: ts(5016, 120),
        payload: 'HTTP/1.1 200 OK\r\n',
      });
      expect(hex(out!)).to.equal(hex(expected));
      expect(hex(out!)).to.equal(
        '45000045000040004006d46acb00710ac633640a00509c40000003e9000f427680180fa049e700000101080a' +
          '0000139800000078485454502f312e3120323030204f4b0d0a',
      );
    });

    it('passes the forwarded client packets of the connection up to its TCP untouched', () => {
      const r = takenOver();
      const fwd = c2b({ seq: C_ISN + 1 + REQUEST.length, ack: BE_ISN + 1 + 17, flags: ACK, window: 500, options: ts(130, 0xffffff10) });
      r.fromBelow(packetMsg(fwd));
      expect(packets(r.takeUp()).map(hex)).to.deep.equal([hex(fwd)]);
    });
  });

  describe('termination (claims 10, 19, 37)', () => {
    it('sends TERMINATE once both FINs are acknowledged, after the linger', () => {
      const r = takenOver();
      r.fromAbove(packetMsg(b2c({ seq: BE_ISN + 1, ack: C_ISN + 1 + REQUEST.length, flags: ACK | FIN, window: 1000, options: ts(0xffffff20, 120) })));
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, ack: BE_ISN + 2, flags: ACK | FIN, window: 500, options: ts(140, 0xffffff20) })));
      r.takeUp();
      expect(sent(r.takeUp())).to.have.length(0);
      r.fromAbove(packetMsg(b2c({ seq: BE_ISN + 2, ack: C_ISN + 2 + REQUEST.length, flags: ACK, window: 1000, options: ts(0xffffff21, 140) })));
      r.advance(900 * MS);
      expect(sent(r.takeUp())).to.have.length(0);
      r.advance(200 * MS);
      expect(sent(r.takeUp())).to.deep.equal([{ ho: 'send', peer: 'fe', msg: { type: 'TERMINATE', connId: 1, reason: 'fin' } }]);
    });

    it('sends TERMINATE at once when the client resets the connection', () => {
      const r = takenOver();
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, flags: RST, window: 0 })));
      expect(sent(r.takeUp())).to.deep.equal([{ ho: 'send', peer: 'fe', msg: { type: 'TERMINATE', connId: 1, reason: 'rst' } }]);
    });

    it('sends the RST of its own TCP to the client from the VIP, then TERMINATE', () => {
      const r = takenOver();
      r.fromAbove(packetMsg(b2c({ seq: BE_ISN + 1, ack: C_ISN + 1 + REQUEST.length, flags: RST | ACK, window: 0 })));
      const [out] = packets(r.takeDown()).map(parsed);
      expect([out!.ip.src, out!.tcp.seq]).to.deep.equal([VIP.addr, FE_ISN + 1]);
      expect(sent(r.takeUp())[0]!.msg).to.deep.equal({ type: 'TERMINATE', connId: 1, reason: 'rst' });
    });

    it("resets its TCP's copy at RCV.NXT when the FE aborts the handoff", () => {
      const r = takenOver();
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'fe', id: 6, msg: { type: 'TERMINATE', connId: 1, reason: 'aborted' } }));
      const [rst] = packets(r.takeUp()).map(parsed);
      expect([rst!.tcp.flags, rst!.tcp.seq, rst!.ip.dst]).to.deep.equal([RST, C_ISN + 1 + REQUEST.length, BE1.addr]);
    });

    it('keeps a TERMINATE while the channel to its FE is down and sends it when it is back', () => {
      const r = takenOver();
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, ack: BE_ISN + 1, flags: ACK, window: 500, options: ts(130, 0xffffff00) })));
      r.fromAbove(ctlMsg({ ho: 'peer-down', peer: 'fe' }));
      r.takeUp();
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, flags: RST, window: 0 })));
      expect(sent(r.takeUp())).to.have.length(0);
      r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'fe', addr: FE_LAN, maxBody: 65536 }));
      expect(sent(r.takeUp()).map((m) => m.msg)).to.deep.equal([{ type: 'TERMINATE', connId: 1, reason: 'rst' }]);
    });

    it('swallows the SYN/ACK its TCP answers to a replay the FE aborted before it, and resets the copy from below', () => {
      const { r } = requested();
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'fe', id: 6, msg: { type: 'TERMINATE', connId: 1, reason: 'aborted' } }));
      const [rst] = packets(r.takeUp()).map(parsed);
      expect([rst!.tcp.flags, rst!.tcp.seq, rst!.ip.dst]).to.deep.equal([RST, C_ISN + 1, BE1.addr]);
      // The BE's TCP answers the replayed SYN after BTCP dropped the connection: nothing may leave.
      r.fromAbove(packetMsg(synAck()));
      r.fromAbove(packetMsg(b2c({ seq: BE_ISN, ack: C_ISN + 1, flags: SYN | ACK, window: 65160 })));
      expect(r.takeDown()).to.have.length(0);
      expect(sent(r.takeUp())).to.have.length(0);
    });

    it('never lets out, from its own address, what its TCP sends after a copy was reset from below', () => {
      const r = takenOver();
      r.fromAbove(ctlMsg({ ho: 'peer-down', peer: 'fe' }));
      r.takeUp();
      r.fromAbove(packetMsg(b2c({ seq: BE_ISN + 1, ack: C_ISN + 1 + REQUEST.length, flags: ACK | PSH, window: 1000, payload: 'HTTP/1.1 200 OK\r\n\r\n' })));
      expect(r.takeDown()).to.have.length(0);
    });

    it('sends a TERMINATE again on the new channel when the channel it was written on dies', () => {
      const r = takenOver();
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, ack: BE_ISN + 1, flags: ACK, window: 500, options: ts(130, 0xffffff00) })));
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, flags: RST, window: 0 })));
      r.takeUp();
      expect(sent(r.takeUp())).to.have.length(0);
      r.advance(4 * SEC);
      r.fromAbove(ctlMsg({ ho: 'peer-down', peer: 'fe' }));
      r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'fe', addr: FE_LAN, maxBody: 65536 }));
      expect(sent(r.takeUp()).map((m) => m.msg)).to.deep.equal([{ type: 'TERMINATE', connId: 1, reason: 'rst' }]);
    });

    it('does not send a TERMINATE again once it is older than the resend window', () => {
      const r = takenOver();
      r.fromBelow(packetMsg(c2b({ seq: C_ISN + 1 + REQUEST.length, flags: RST, window: 0 })));
      r.takeUp();
      r.advance(11 * SEC);
      r.fromAbove(ctlMsg({ ho: 'peer-down', peer: 'fe' }));
      r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'fe', addr: FE_LAN, maxBody: 65536 }));
      expect(sent(r.takeUp())).to.have.length(0);
    });

    it('resets a copy the FE never used when the channel to it breaks', () => {
      const r = takenOver();
      r.fromAbove(ctlMsg({ ho: 'peer-down', peer: 'fe' }));
      const [rst] = packets(r.takeUp()).map(parsed);
      expect(rst!.tcp.flags).to.equal(RST);
    });
  });

  describe('refusals (HANDOFF_NAK)', () => {
    it('refuses with no-listener when its TCP answers the replayed SYN with a RST (which the client never sees)', () => {
      const { r } = requested();
      r.fromAbove(packetMsg(b2c({ seq: 0, ack: C_ISN + 1, flags: RST | ACK, window: 0 })));
      expect(r.takeDown()).to.have.length(0);
      expect(sent(r.takeUp())).to.deep.equal([{ ho: 'send', peer: 'fe', replyTo: 5, msg: { type: 'HANDOFF_NAK', connId: 1, reason: 'no-listener' } }]);
    });

    it('refuses with option-mismatch, resetting its copy, when its TCP will not do the timestamps the FE agreed', () => {
      const { r } = requested();
      r.fromAbove(packetMsg(synAck([{ kind: 'mss', mss: 1460 }])));
      const up = r.takeUp();
      expect(packets(up).map(parsed).map((p) => p.tcp.flags)).to.deep.equal([RST]);
      expect(sent(up)[0]!.msg).to.deep.equal({ type: 'HANDOFF_NAK', connId: 1, reason: 'option-mismatch' });
    });

    it('refuses with bad-request a request whose target is not this node', () => {
      const { up } = requested({ ...REQ, target: { addr: ipv4('192.0.2.99'), port: 80 } });
      expect(sent(up)[0]!.msg).to.deep.equal({ type: 'HANDOFF_NAK', connId: 1, reason: 'bad-request' });
      expect(packets(up)).to.have.length(0);
    });

    it('refuses while draining', () => {
      const { up } = requested(REQ, { ...beConfig, draining: true });
      expect(sent(up)[0]!.msg).to.deep.include({ type: 'HANDOFF_NAK', reason: 'refused' });
    });

    it('refuses with overloaded when its TCP does not answer the replayed SYN (full listen queue)', () => {
      const { r } = requested();
      r.advance(300 * MS);
      expect(sent(r.takeUp())[0]!.msg).to.deep.equal({ type: 'HANDOFF_NAK', connId: 1, reason: 'overloaded' });
    });

    it('ignores the same request delivered twice', () => {
      const { r } = requested();
      r.fromAbove(ctlMsg({ ho: 'recv', peer: 'fe', id: 5, msg: REQ }));
      expect(r.takeUp()).to.have.length(0);
    });
  });
});
