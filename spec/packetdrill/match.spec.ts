import { expect } from 'chai';
import { parseScript } from '../../harness/packetdrill/parser.ts';
import type { TcpPacketSpec } from '../../harness/packetdrill/ast.ts';
import { ConnMap } from '../../harness/packetdrill/conn-map.ts';
import { matchOutbound, continuesBurst, mergeBurst } from '../../harness/packetdrill/match.ts';
import type { MatchOptions } from '../../harness/packetdrill/match.ts';
import { checkDue, dueTime, toleranceNs } from '../../harness/packetdrill/timing.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';
import { seq } from '../../lib/wire/seq.ts';
import { MS, US } from '../../lib/sim/time.ts';

function spec(line: string): TcpPacketSpec {
  const r = parseScript(`0 ${line}\n`);
  if (!r.ok) throw new Error(r.error.message);
  const ev = r.script.events[0]!;
  if (ev.kind !== 'packet') throw new Error('not a packet');
  return ev.packet;
}

function seg(flags: number, s: number, a: number, len = 0, options: TcpOption[] = [], window = 65535): TcpRepr {
  return { srcPort: 8080, dstPort: 40000, seq: seq(s), ack: seq(a), flags, window, urgent: 0, options, payload: new Uint8Array(len) };
}

const OPTS: MatchOptions = { tsTickUsecs: 0, toleranceUsecs: 4000, checkTsEcr: false };
const IP = { tos: 0, ttl: 64 };
const LIVE_ISN = 0x9abcdef0;

/** A passive connection: the peer's SYN (ISN 0) is in, the stack answered with LIVE_ISN. */
function passive(): ConnMap {
  const m = new ConnMap();
  m.learnRemoteIsn(0);
  m.learnLocalIsn(0, LIVE_ISN);
  return m;
}

describe('packetdrill matcher', () => {
  describe('sequence mapping', () => {
    it('maps the stack sequence numbers relative to its ISN and matches S. 0:0(0) ack 1', () => {
      const m = passive();
      const want = spec('> S. 0:0(0) ack 1 <mss 1460>');
      const got = m.outboundToScript(seg(TcpFlag.SYN | TcpFlag.ACK, LIVE_ISN, 1, 0, [{ kind: 'mss', mss: 1460 }]), want);
      expect(got.seq).to.equal(0);
      expect(matchOutbound(want, got, IP, OPTS)).to.equal(null);
    });

    it('maps data after the handshake to 1-based offsets and wraps modulo 2^32', () => {
      const m = new ConnMap();
      m.learnRemoteIsn(0);
      m.learnLocalIsn(0, 0xffffff00);
      const got = m.outboundToScript(seg(TcpFlag.PSH | TcpFlag.ACK, 0xffffff01, 1, 1000), null);
      expect(got.seq).to.equal(1);
      expect(matchOutbound(spec('> P. 1:1001(1000) ack 1'), got, IP, OPTS)).to.equal(null);
    });

    it('injects inbound numbers as written when the peer ISN is 0, and maps ack onto the stack ISN', () => {
      const m = passive();
      const r = m.inboundToLive(spec('< P. 1:1001(1000) ack 1 win 257'), 40000, 8080);
      if (!r.ok) throw new Error(r.error);
      expect([r.tcp.seq, r.tcp.ack, r.tcp.window, r.tcp.payload.length]).to.deep.equal([1, (LIVE_ISN + 1) >>> 0, 257, 1000]);
      expect([r.tcp.srcPort, r.tcp.dstPort]).to.deep.equal([40000, 8080]);
    });

    it('keeps a SYN absolute and makes later peer numbers relative to it (tcpdump style)', () => {
      const m = new ConnMap();
      const syn = m.inboundToLive(spec('< S 1000:1000(0) win 100'), 1, 2);
      expect(syn.ok && syn.tcp.seq).to.equal(1000);
      m.learnRemoteIsn(1000);
      const ack = m.inboundToLive(spec('< . 1:1(0) ack 1 win 100'), 1, 2);
      expect(ack.ok && ack.tcp.seq).to.equal(1001);
      m.learnLocalIsn(0, LIVE_ISN);
      const out = m.outboundToScript(seg(TcpFlag.ACK, LIVE_ISN + 1, 1001), null);
      expect([out.seq, out.ack]).to.deep.equal([1, 1]);
    });

    it('maps SACK blocks both ways', () => {
      const m = passive();
      const r = m.inboundToLive(spec('< . 1:1(0) ack 1 win 257 <sack 1461:2921,nop,nop>'), 1, 2);
      if (!r.ok) throw new Error(r.error);
      expect(r.tcp.options[0]).to.deep.equal({ kind: 'sack', blocks: [{ left: (LIVE_ISN + 1461) >>> 0, right: (LIVE_ISN + 2921) >>> 0 }] });
      const m2 = new ConnMap();
      m2.learnRemoteIsn(5000);
      m2.learnLocalIsn(0, LIVE_ISN);
      const got = m2.outboundToScript(seg(TcpFlag.ACK, LIVE_ISN + 1, 5001, 0, [{ kind: 'sack', blocks: [{ left: seq(6001), right: seq(7001) }] }]), null);
      expect(got.options[0]).to.deep.equal({ kind: 'sack', blocks: [{ left: 1001, right: 2001 }] });
    });
  });

  describe('timestamp mapping', () => {
    it('shows the stack TS val relative to the first scripted one', () => {
      const m = passive();
      const want = spec('> S. 0:0(0) ack 1 <TS val 100 ecr 7>');
      const got = m.outboundToScript(seg(TcpFlag.SYN | TcpFlag.ACK, LIVE_ISN, 1, 0, [{ kind: 'ts', val: 555000, ecr: 7 }]), want);
      expect(got.options[0]).to.deep.equal({ kind: 'ts', val: 100, ecr: 7 });
      const later = m.outboundToScript(seg(TcpFlag.ACK, LIVE_ISN + 1, 1, 0, [{ kind: 'ts', val: 555250, ecr: 9 }]), null);
      expect(later.options[0]).to.deep.equal({ kind: 'ts', val: 350, ecr: 9 });
    });

    it('rewrites an inbound TS ecr to the live TS val the stack really sent', () => {
      const m = passive();
      m.outboundToScript(seg(TcpFlag.SYN | TcpFlag.ACK, LIVE_ISN, 1, 0, [{ kind: 'ts', val: 555000, ecr: 7 }]), spec('> S. 0:0(0) ack 1 <TS val 100 ecr 7>'));
      const r = m.inboundToLive(spec('< . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 100>'), 1, 2);
      if (!r.ok) throw new Error(r.error);
      expect(r.tcp.options[2]).to.deep.equal({ kind: 'ts', val: 200, ecr: 555000 });
    });

    it('leaves the ecr of a SYN alone and refuses an ecr that names no outbound TS val', () => {
      const m = passive();
      const syn = m.inboundToLive(spec('< S 0:0(0) win 100 <TS val 1 ecr 0>'), 1, 2);
      expect(syn.ok && syn.tcp.options[0]).to.deep.equal({ kind: 'ts', val: 1, ecr: 0 });
      const bad = m.inboundToLive(spec('< . 1:1(0) ack 1 win 100 <TS val 2 ecr 99>'), 1, 2);
      expect(bad.ok).to.equal(false);
      expect(!bad.ok && bad.error).to.match(/unable to infer live TS ecr for script TS ecr 99/);
    });

    it('interpolates an unknown ecr from the first TS val with --tcp_ts_ecr_scaled', () => {
      const m = new ConnMap({ tsEcrScaled: true });
      m.learnLocalIsn(0, LIVE_ISN);
      m.outboundToScript(seg(TcpFlag.SYN, LIVE_ISN, 0, 0, [{ kind: 'ts', val: 1000, ecr: 0 }]), spec('> S 0:0(0) <TS val 100 ecr 0>'));
      const r = m.inboundToLive(spec('< S. 0:0(0) ack 1 win 100 <TS val 5 ecr 150>'), 1, 2);
      expect(r.ok && r.tcp.options[0]).to.deep.equal({ kind: 'ts', val: 5, ecr: 1050 });
    });

    it('checks the outbound TS val only within the tolerance of a configured tick', () => {
      const want = spec('> . 1:1(0) ack 1 <nop,nop,TS val 1100 ecr 0>');
      const got = seg(TcpFlag.ACK, 1, 1, 0, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 1103, ecr: 0 }]);
      expect(matchOutbound(want, got, IP, { ...OPTS, tsTickUsecs: 0 })).to.equal(null);
      expect(matchOutbound(want, got, IP, { ...OPTS, tsTickUsecs: 1000, toleranceUsecs: 4000 })).to.equal(null);
      expect(matchOutbound(want, got, IP, { ...OPTS, tsTickUsecs: 1000, toleranceUsecs: 2000 })?.field).to.match(/TS val/);
    });

    it('compares the TS ecr only when asked to', () => {
      const want = spec('> . 1:1(0) ack 1 <nop,nop,TS val 1 ecr 5>');
      const got = seg(TcpFlag.ACK, 1, 1, 0, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 1, ecr: 6 }]);
      expect(matchOutbound(want, got, IP, OPTS)).to.equal(null);
      expect(matchOutbound(want, got, IP, { ...OPTS, checkTsEcr: true })).to.deep.include({ field: 'TS ecr' });
    });
  });

  describe('field comparison', () => {
    it('names the first differing field: flags, seq, length, ack, win', () => {
      const want = spec('> P. 1:11(10) ack 5 win 100');
      expect(matchOutbound(want, seg(TcpFlag.ACK, 1, 5, 10, [], 100), IP, OPTS)).to.deep.equal({ field: 'flags', expected: 'P.', actual: '.' });
      expect(matchOutbound(want, seg(TcpFlag.PSH | TcpFlag.ACK, 2, 5, 10, [], 100), IP, OPTS)).to.deep.equal({ field: 'seq', expected: '1', actual: '2' });
      expect(matchOutbound(want, seg(TcpFlag.PSH | TcpFlag.ACK, 1, 5, 9, [], 100), IP, OPTS)?.field).to.equal('payload length');
      expect(matchOutbound(want, seg(TcpFlag.PSH | TcpFlag.ACK, 1, 6, 10, [], 100), IP, OPTS)?.field).to.equal('ack');
      expect(matchOutbound(want, seg(TcpFlag.PSH | TcpFlag.ACK, 1, 5, 10, [], 101), IP, OPTS)?.field).to.equal('win');
      expect(matchOutbound(want, seg(TcpFlag.PSH | TcpFlag.ACK, 1, 5, 10, [], 100), IP, OPTS)).to.equal(null);
    });

    it('does not check a window the script leaves out, nor the ack of a bare RST', () => {
      expect(matchOutbound(spec('> . 1:1(0) ack 1'), seg(TcpFlag.ACK, 1, 1, 0, [], 1234), IP, OPTS)).to.equal(null);
      expect(matchOutbound(spec('> R 34:34(0) win 0'), seg(TcpFlag.RST, 34, 999, 0, [], 0), IP, OPTS)).to.equal(null);
    });

    it('treats a missing option list as "no options" and <...> as any options', () => {
      const withTs = seg(TcpFlag.ACK, 1, 1, 0, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 1, ecr: 1 }]);
      expect(matchOutbound(spec('> . 1:1(0) ack 1'), withTs, IP, OPTS)).to.deep.include({ field: 'TCP options', expected: '<>' });
      expect(matchOutbound(spec('> . 1:1(0) ack 1 <...>'), withTs, IP, OPTS)).to.equal(null);
    });

    it('requires the same option kinds in the same order and equal values', () => {
      const actual = seg(TcpFlag.SYN | TcpFlag.ACK, 0, 1, 0, [
        { kind: 'mss', mss: 1460 },
        { kind: 'nop' },
        { kind: 'wscale', shift: 6 },
        { kind: 'sackOK' },
      ]);
      expect(matchOutbound(spec('> S. 0:0(0) ack 1 <mss 1460,nop,wscale 6,sackOK>'), actual, IP, OPTS)).to.equal(null);
      expect(matchOutbound(spec('> S. 0:0(0) ack 1 <mss 1460,sackOK,nop,wscale 6>'), actual, IP, OPTS)?.field).to.equal('TCP options');
      expect(matchOutbound(spec('> S. 0:0(0) ack 1 <mss 1400,nop,wscale 6,sackOK>'), actual, IP, OPTS)).to.deep.equal({
        field: 'TCP option mss',
        expected: 'mss 1400',
        actual: 'mss 1460',
      });
      const sack = seg(TcpFlag.ACK, 1, 1, 0, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: seq(1001), right: seq(2001) }] }]);
      expect(matchOutbound(spec('> . 1:1(0) ack 1 <nop,nop,sack 1001:3001>'), sack, IP, OPTS)?.field).to.equal('TCP option sack');
    });

    it('checks IP ECN codepoints when the script names them', () => {
      const got = seg(TcpFlag.ACK, 1, 1, 1000);
      expect(matchOutbound(spec('>[ect0] . 1:1001(1000) ack 1'), got, { tos: 2, ttl: 64 }, OPTS)).to.equal(null);
      expect(matchOutbound(spec('>[ect0] . 1:1001(1000) ack 1'), got, { tos: 0, ttl: 64 }, OPTS)).to.deep.equal({
        field: 'IP ECN',
        expected: 'ect0',
        actual: 'noecn',
      });
      expect(matchOutbound(spec('>[ect01] . 1:1001(1000) ack 1'), got, { tos: 1, ttl: 64 }, OPTS)).to.equal(null);
      expect(matchOutbound(spec('> . 1:1001(1000) ack 1'), got, { tos: 3, ttl: 64 }, OPTS)).to.equal(null);
    });

    it('merges a burst of contiguous segments into one scripted super-segment', () => {
      const a = seg(TcpFlag.ACK, 1, 1, 1460);
      const b = seg(TcpFlag.PSH | TcpFlag.ACK, 1461, 1, 1460);
      expect(continuesBurst(a, b)).to.equal(true);
      expect(continuesBurst(a, seg(TcpFlag.ACK, 1462, 1, 10))).to.equal(false);
      expect(continuesBurst(seg(TcpFlag.FIN | TcpFlag.ACK, 1, 1, 10), seg(TcpFlag.ACK, 11, 1, 10))).to.equal(false);
      const merged = mergeBurst([a, b]);
      expect(matchOutbound(spec('> P. 1:2921(2920) ack 1'), merged, IP, OPTS)).to.equal(null);
    });
  });

  describe('timing', () => {
    it('resolves absolute, relative and range times to virtual nanoseconds', () => {
      expect(dueTime({ kind: 'absolute', usecs: 100000 }, 5 * MS, 50 * MS)).to.deep.equal({ start: 105 * MS, end: 105 * MS, any: false });
      expect(dueTime({ kind: 'relative', usecs: 100000 }, 5 * MS, 50 * MS)).to.deep.equal({ start: 150 * MS, end: 150 * MS, any: false });
      expect(dueTime({ kind: 'relative-range', usecs: 0, endUsecs: 200000 }, 0, 50 * MS)).to.deep.equal({ start: 50 * MS, end: 250 * MS, any: false });
    });

    it('accepts an event within the tolerance and reports one outside it like packetdrill', () => {
      const due = dueTime({ kind: 'absolute', usecs: 200000 }, 0, 0);
      expect(checkDue('outbound packet', due, 203 * MS, 0, 4 * MS)).to.equal(null);
      expect(checkDue('outbound packet', due, 205 * MS, 0, 4 * MS)).to.equal(
        'timing error: expected outbound packet at 0.2 sec but happened at 0.205 sec; tolerance 0.004 sec',
      );
      expect(checkDue('outbound packet', due, 195 * MS, 0, 4 * MS)).to.match(/happened at 0.195/);
      const range = dueTime({ kind: 'absolute-range', usecs: 100000, endUsecs: 300000 }, 0, 0);
      expect(checkDue('x', range, 250 * MS, 0, 0)).to.equal(null);
      expect(checkDue('x', range, 301 * MS, 0, 0)).to.match(/in time range 0.1~0.3 sec/);
      expect(checkDue('x', { start: 0, end: 0, any: true }, 99 * MS, 0, 0)).to.equal(null);
    });

    it('widens the tolerance by a share of the gap with --tolerance_percent', () => {
      expect(toleranceNs({ usecs: 4000, percent: 0 }, 1000 * MS)).to.equal(4000 * US);
      expect(toleranceNs({ usecs: 4000, percent: 12.5 }, 1000 * MS)).to.equal(125 * MS);
    });
  });
});
