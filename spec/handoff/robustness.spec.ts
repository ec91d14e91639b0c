/**
 * Bad input never throws out of a stack: BTCP and UTCP take random packets, truncated and
 * mangled ones, and malformed M_CTL messages, from both sides, count or pass them, and keep
 * every table within its bound.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { esballoc, mkctl, mktpi } from '../../lib/streams/index.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { MS, SEC } from '../../lib/sim/time.ts';
import { sinkUp } from '../streams/support/env.ts';
import type { BtcpConfig } from '../../modules/control/ctl.ts';
import { HANDOFF_IOC_CHANNEL, HANDOFF_IOC_CONFIG } from '../../modules/utcp/ioctl.ts';
import { packet } from './packets.ts';
import { ctlMsg, ctls, packetMsg, rig, rigEnv } from './support/rig.ts';

const VIP = { addr: ipv4('203.0.113.10'), port: 80 };
const config: BtcpConfig = {
  nodeId: 'fe',
  lanAddr: ipv4('192.0.2.10'),
  services: [VIP],
  nodes: [
    { id: 'fe', weight: 1 },
    { id: 'be1', weight: 1 },
  ],
  policy: { policy: 'url-partition', rules: [{ prefix: '/', nodes: ['be1'] }], defaultNodes: ['fe'] },
  draining: false,
  limits: { maxConns: 8, headTimeout: 1 * SEC, handoffTimeout: 50 * MS },
};

/** A TCP packet to or from the VIP with random fields, sometimes mangled after encoding. */
const arbPacket = fc
  .record({
    client: fc.integer({ min: 1, max: 6 }),
    port: fc.integer({ min: 40000, max: 40003 }),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    ack: fc.integer({ min: 0, max: 0xffffffff }),
    flags: fc.constantFrom(TcpFlag.SYN, TcpFlag.SYN | TcpFlag.ACK, TcpFlag.ACK, TcpFlag.ACK | TcpFlag.PSH, TcpFlag.RST, TcpFlag.FIN | TcpFlag.ACK),
    payload: fc.oneof(fc.constant(''), fc.constant('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), fc.string({ maxLength: 40 })),
    toServer: fc.boolean(),
    cut: fc.option(fc.integer({ min: 0, max: 80 })),
    flip: fc.option(fc.integer({ min: 0, max: 80 })),
  })
  .map((p) => {
    const client = { addr: ipv4(`198.51.100.${p.client}`), port: p.port };
    const b = packet(p.toServer ? { src: client, dst: VIP, seq: p.seq, ack: p.ack, flags: p.flags, payload: p.payload } : { src: VIP, dst: client, seq: p.seq, ack: p.ack, flags: p.flags, payload: p.payload });
    let out = p.cut !== null ? b.subarray(0, Math.min(b.length, p.cut)) : b;
    out = out.slice();
    if (p.flip !== null && p.flip < out.length) out[p.flip]! ^= 0x5a;
    return { bytes: out, up: p.toServer };
  });

const arbCtl = fc.oneof(
  fc.constant({ ho: 'recv', peer: 'be1', id: 1, msg: { type: 'HANDOFF_ACK', connId: 1, beIsn: 5, beOpts: { mss: null, wscale: null, sackOk: false, tsVal: null } } }),
  fc.constant({ ho: 'recv', peer: 'be1', id: 2, msg: { type: 'HANDOFF_NAK', connId: 2, reason: 'refused' } }),
  fc.constant({ ho: 'recv', peer: 'be1', id: 3, msg: { type: 'TERMINATE', connId: 1, reason: 'fin' } }),
  fc.constant({ ho: 'recv', peer: 'fe', id: 4, msg: { type: 'TERMINATE', connId: 9, reason: 'aborted' } }),
  fc.constant({ ho: 'peer-up', peer: 'be1', addr: ipv4('192.0.2.11'), maxBody: 65536 }),
  fc.constant({ ho: 'peer-down', peer: 'be1' }),
  fc.constant({ ho: 'send-failed', peer: 'be1', msg: { type: 'TERMINATE', connId: 3, reason: 'rst' } }),
  fc.constant({ ho: 'stats-query', token: 1 }),
  fc.constant({ ho: 'nonsense' }),
  fc.constant({ ho: 'recv', peer: 'x', id: 1, msg: { type: 'HELLO' } }),
);

describe('handoff modules under bad input', () => {
  it('BTCP never throws and keeps its tables bounded, whatever packets and M_CTLs come from either side', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbPacket.map((p) => ({ p })), arbCtl.map((c) => ({ c }))), { maxLength: 60 }), (steps) => {
        const r = rig('btcp', config);
        for (const s of steps) {
          if ('p' in s) {
            if (s.p.up) r.fromBelow(packetMsg(s.p.bytes));
            else r.fromAbove(packetMsg(s.p.bytes));
          } else {
            r.fromAbove(ctlMsg(s.c as never));
          }
          r.advance(10 * MS);
        }
        r.fromAbove(ctlMsg({ ho: 'stats-query', token: 9 }));
        const stats = ctls(r.takeUp()).find((m) => m.ho === 'stats');
        expect(stats).to.not.equal(undefined);
        const st = (stats as { stats: { fe: Record<string, number>; be: Record<string, number> } }).stats;
        expect(st.fe.recording + st.fe.handoff + st.fe.forwarding).to.be.at.most(8);
        // Every timer ran out: nothing is left waiting for a message that will never come.
        r.advance(20 * 60 * SEC);
        r.takeUp();
        r.fromAbove(ctlMsg({ ho: 'stats-query', token: 10 }));
        const after = (ctls(r.takeUp()).find((m) => m.ho === 'stats') as { stats: { fe: Record<string, number>; be: Record<string, number> } }).stats;
        expect(after.fe).to.deep.equal({ recording: 0, handoff: 0, forwarding: 0 });
        expect(after.be.replaying + after.be.active).to.equal(0);
      }),
      { numRuns: 150 },
    );
  });

  it('UTCP never throws on a channel fed random bytes, nor on odd primitives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const { env } = rigEnv();
        const ctl = env.open('sink');
        ctl.push('utcp');
        expect(ctl.ioctlSync(HANDOFF_IOC_CONFIG, { nodeId: 'n1', lanAddr: ipv4('192.0.2.10'), services: [VIP] }).ok).to.equal(true);
        const ch = env.open('sink');
        ch.push('utcp');
        ch.ioctlSync(HANDOFF_IOC_CHANNEL, {});
        for (const c of chunks) sinkUp(ch, esballoc(c));
        sinkUp(ch, mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: 104, SEQ_number: 77 }));
        sinkUp(ctl, mkctl({ ho: 'release', conn: { client: { addr: 1, port: 2 }, server: VIP } }));
        sinkUp(ctl, mkctl({ ho: 'send', peer: 'nobody', msg: { type: 'TERMINATE', connId: 1, reason: 'fin' } }));
        sinkUp(ctl, mkctl({ ho: 'stats', token: 12345, stats: null }));
        env.runServices();
      }),
      { numRuns: 200 },
    );
  });
});
