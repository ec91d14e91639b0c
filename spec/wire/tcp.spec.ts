import { expect } from 'chai';
import fc from 'fast-check';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { Ipv4Packet, emitIpv4Header } from '../../lib/wire/ipv4.ts';
import { seq } from '../../lib/wire/seq.ts';
import { TcpPacket, emitTcp, emptyTcpRepr, encodeTcp, parseTcp, parseTcpInto, tcpBufferLen, tcpHeaderLen } from '../../lib/wire/tcp.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { arbAddr, arbTcpRepr, withPadding } from './arbitraries.ts';
import { REAL_GET, REAL_SYN, REAL_SYNACK } from './real-packets.ts';

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  return r.ok ? undefined : r.error;
}

/** The TCP segment of a captured packet and its addresses. */
function segmentOf(packet: Uint8Array): { seg: Uint8Array; src: Ipv4Addr; dst: Ipv4Addr } {
  const ip = Ipv4Packet.newUnchecked(packet);
  return { seg: ip.payload.slice(), src: ip.src, dst: ip.dst };
}

const LO = ipv4('127.0.0.1');

describe('wire/tcp', () => {
  describe('parse', () => {
    it('reads a real SYN with its options', () => {
      const { seg, src, dst } = segmentOf(REAL_SYN);
      const t = must(parseTcp(seg, src, dst));
      expect(t).to.deep.include({ srcPort: 38322, dstPort: 8765, seq: seq(0x35f905e3), ack: seq(0), flags: TcpFlag.SYN, window: 65495, urgent: 0 });
      expect(t.options.map((o) => o.kind)).to.deep.equal(['mss', 'sackOK', 'ts', 'nop', 'wscale']);
      expect(t.payload.length).to.equal(0);
    });

    it('reads a real SYN/ACK and a real request with data', () => {
      const sa = segmentOf(REAL_SYNACK);
      const t1 = must(parseTcp(sa.seg, sa.src, sa.dst));
      expect(t1.flags).to.equal(TcpFlag.SYN | TcpFlag.ACK);
      expect(t1.ack).to.equal(seq(0x35f905e4));
      const get = segmentOf(REAL_GET);
      const t2 = must(parseTcp(get.seg, get.src, get.dst));
      expect(t2.flags).to.equal(TcpFlag.PSH | TcpFlag.ACK);
      expect(t2.options).to.deep.equal([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 742395447, ecr: 1532447617 }]);
      expect(new TextDecoder().decode(t2.payload)).to.match(/^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8765\r\n/);
    });

    it("says 'truncated' below 20 bytes or below the data offset", () => {
      const { seg } = segmentOf(REAL_SYN);
      expect(errorOf(parseTcp(seg.subarray(0, 19), LO, LO))).to.equal('truncated');
      expect(errorOf(parseTcp(seg.subarray(0, 39), LO, LO))).to.equal('truncated');
    });

    it("says 'bad-header-length' for a data offset below 5", () => {
      const { seg } = segmentOf(REAL_SYN);
      seg[12] = 0x40;
      expect(errorOf(parseTcp(seg, LO, LO, { verifyChecksum: false }))).to.equal('bad-header-length');
    });

    it("says 'bad-checksum' for a changed byte or the wrong pseudo-header address", () => {
      const { seg, src, dst } = segmentOf(REAL_GET);
      expect(errorOf(parseTcp(seg, ipv4('127.0.0.2'), dst))).to.equal('bad-checksum');
      seg[seg.length - 1] ^= 1;
      const r = parseTcp(seg, src, dst);
      expect(errorOf(r)).to.equal('bad-checksum');
      expect(r.ok ? -1 : r.offset).to.equal(16);
      expect(parseTcp(seg, src, dst, { verifyChecksum: false }).ok).to.equal(true);
    });

    it("says 'bad-option-length' for a malformed option, with its offset in the header", () => {
      const { seg, src, dst } = segmentOf(REAL_SYN);
      seg[21] = 5; // MSS option claims 5 bytes
      const r = parseTcp(seg, src, dst, { verifyChecksum: false });
      expect(errorOf(r)).to.equal('bad-option-length');
      expect(r.ok ? -1 : r.offset).to.equal(20);
    });

    it('parses into a reused repr at an offset in a larger buffer exactly as parseTcp parses the segment alone', () => {
      fc.assert(
        fc.property(arbTcpRepr, arbTcpRepr, arbAddr, arbAddr, fc.nat(40), fc.nat(40), fc.nat(3), (earlier, repr, src, dst, before, after, damage) => {
          const seg = encodeTcp(repr, src, dst);
          // Damage: none, a flipped payload bit, a bad data offset, a bad option length.
          if (damage === 1 && seg.length > tcpHeaderLen(repr)) seg[seg.length - 1] ^= 1;
          if (damage === 2) seg[12] = (seg[12]! & 0x0f) | 0x30;
          if (damage === 3 && seg.length > 21 && seg[20]! > 1) seg[21] = 1;
          const big = new Uint8Array(before + seg.length + after).fill(0xa5);
          big.set(seg, before);
          const alone = parseTcp(seg, src, dst);
          // The repr still holds an earlier segment (its option objects are refilled in place).
          const into = emptyTcpRepr();
          expect(parseTcpInto(encodeTcp(earlier, src, dst), src, dst, into)).to.equal(null);
          const bad = parseTcpInto(big, src, dst, into, undefined, before, seg.length);
          if (alone.ok) {
            expect(bad).to.equal(null);
            expect({ ...into, payload: [...into.payload] }).to.deep.equal({ ...alone.value, payload: [...alone.value.payload] });
          } else {
            expect(bad).to.deep.equal(alone);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('keeps reserved and AE flag bits', () => {
      const t: TcpRepr = { ...must(parseTcp(segmentOf(REAL_SYN).seg, LO, LO)), flags: 0x0e00 | TcpFlag.AE | TcpFlag.SYN };
      const back = must(parseTcp(encodeTcp(t, LO, LO), LO, LO));
      expect(back.flags).to.equal(0x0e00 | TcpFlag.AE | TcpFlag.SYN);
    });
  });

  describe('emit', () => {
    it('writes every byte of a packet, IPv4 header included (a buffer full of garbage gives the same bytes: allocbUninit relies on it)', () => {
      fc.assert(
        fc.property(arbTcpRepr, arbAddr, arbAddr, fc.integer({ min: 1, max: 255 }), (repr, src, dst, junk) => {
          const len = 20 + tcpBufferLen(repr);
          const build = (buf: Uint8Array): Uint8Array => {
            const segLen = emitTcp(repr, src, dst, buf, 20);
            emitIpv4Header({ src, dst, protocol: 6, ttl: 64, id: 0, tos: 0, dontFrag: true, options: new Uint8Array(0) }, segLen, buf, 0);
            return buf;
          };
          expect(build(new Uint8Array(len).fill(junk))).to.deep.equal(build(new Uint8Array(len)));
        }),
        { numRuns: 200 },
      );
    });

    it('reproduces real segments byte for byte, checksum included', () => {
      for (const p of [REAL_SYN, REAL_SYNACK, REAL_GET]) {
        const { seg, src, dst } = segmentOf(p);
        expect(encodeTcp(must(parseTcp(seg, src, dst)), src, dst)).to.deep.equal(seg);
      }
    });

    it('round-trips every repr: parse(emit(r)) == r (options padded with EOL) and emit is byte-stable', () => {
      fc.assert(
        fc.property(arbTcpRepr, arbAddr, arbAddr, (r, src, dst) => {
          const bytes = encodeTcp(r, src, dst);
          expect(bytes.length).to.equal(tcpBufferLen(r));
          const back = must(parseTcp(bytes, src, dst));
          expect({ ...back, payload: Array.from(back.payload) }).to.deep.equal({ ...r, options: withPadding(r.options), payload: Array.from(r.payload) });
          expect(encodeTcp(back, src, dst)).to.deep.equal(bytes);
        }),
        { numRuns: 300 },
      );
    });

    it('sets the data offset from the padded option length', () => {
      const r: TcpRepr = { srcPort: 1, dstPort: 2, seq: seq(1), ack: seq(0), flags: TcpFlag.SYN, window: 100, urgent: 0, options: [{ kind: 'mss', mss: 1460 }, { kind: 'wscale', shift: 7 }], payload: new Uint8Array(0) };
      expect(tcpHeaderLen(r)).to.equal(28);
      const b = encodeTcp(r, LO, LO);
      expect(b[12]! >>> 4).to.equal(7);
      expect(Array.from(b.subarray(20, 28))).to.deep.equal([2, 4, 0x05, 0xb4, 3, 3, 7, 0]);
    });

    it('refuses more than 40 bytes of options and short buffers', () => {
      const r = must(parseTcp(segmentOf(REAL_SYN).seg, LO, LO));
      const tooMany: TcpRepr = { ...r, options: [...r.options, { kind: 'sack', blocks: [{ left: seq(1), right: seq(2) }, { left: seq(3), right: seq(4) }, { left: seq(5), right: seq(6) }] }] };
      expect(() => encodeTcp(tooMany, LO, LO)).to.throw(RangeError);
      expect(() => emitTcp(r, LO, LO, new Uint8Array(20))).to.throw(RangeError);
    });
  });

  describe('TcpPacket view', () => {
    it('reads every field of a real segment', () => {
      const { seg, src, dst } = segmentOf(REAL_SYNACK);
      const p = must(TcpPacket.newChecked(seg));
      expect([p.srcPort, p.dstPort, p.seqNumber, p.ackNumber, p.headerLen, p.window, p.checksum, p.urgent]).to.deep.equal([8765, 38322, 0x2076340a, 0x35f905e4, 40, 65483, 0x265e, 0]);
      expect(p.hasFlag(TcpFlag.SYN) && p.hasFlag(TcpFlag.ACK)).to.equal(true);
      expect(p.segmentLen).to.equal(1);
      expect(p.optionBytes.length).to.equal(20);
      expect(p.verifyChecksum(src, dst)).to.equal(true);
    });

    it('newChecked reports truncated and bad header length', () => {
      expect(errorOf(TcpPacket.newChecked(new Uint8Array(10)))).to.equal('truncated');
      const seg = segmentOf(REAL_SYN).seg;
      seg[12] = 0x30;
      expect(errorOf(TcpPacket.newChecked(seg))).to.equal('bad-header-length');
    });

    it('writes fields in place and fills the checksum', () => {
      const { seg } = segmentOf(REAL_GET);
      const p = TcpPacket.newUnchecked(seg);
      p.srcPort = 80;
      p.dstPort = 4242;
      p.seqNumber = seq(7);
      p.ackNumber = seq(9);
      p.flags = TcpFlag.FIN | TcpFlag.ACK;
      p.window = 1000;
      p.urgent = 5;
      const src = ipv4('192.0.2.1');
      const dst = ipv4('203.0.113.9');
      p.fillChecksum(src, dst);
      const t = must(parseTcp(seg, src, dst));
      expect(t).to.deep.include({ srcPort: 80, dstPort: 4242, seq: seq(7), ack: seq(9), flags: TcpFlag.FIN | TcpFlag.ACK, window: 1000, urgent: 5 });
      expect(p.segmentLen).to.equal(78 + 1);
    });
  });
});
