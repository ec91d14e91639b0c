import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  csumUpdate16,
  csumUpdate32,
  csumUpdateBytes,
  internetChecksum,
  onesSum,
  pseudoHeaderSum,
} from '../../lib/wire/checksum.ts';
import { CHECKSUM_WASM_BASE64 } from '../../lib/wire/checksum-wasm.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { Ipv4Packet } from '../../lib/wire/ipv4.ts';
import { REAL_GET, REAL_SYN, REAL_SYNACK, WIKI_IPV4_HEADER, hex } from './real-packets.ts';

/** RFC 1071 done the slow, obvious way: 16-bit big-endian words, odd byte padded, end-around carry. */
function reference(b: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

function tcpChecksumOf(packet: Uint8Array): number {
  const ip = Ipv4Packet.newUnchecked(packet);
  const seg = ip.payload.slice();
  seg[16] = 0;
  seg[17] = 0;
  return internetChecksum(seg, 0, seg.length, pseudoHeaderSum(ip.src, ip.dst, IpProto.TCP, seg.length));
}

/** Arbitrary non-zero data (all-zero data is the one case where +0/-0 differ; see checksum.ts). */
const arbData = fc.uint8Array({ minLength: 2, maxLength: 600 }).filter((b) => b.some((x) => x !== 0));

describe('wire/checksum', () => {
  describe('full Internet checksum (RFC 1071)', () => {
    it('sums the RFC 1071 §3 example bytes to 0xddf2', () => {
      const b = hex('0001f203f4f5f6f7');
      expect(onesSum(b)).to.equal(0xddf2);
      expect(internetChecksum(b)).to.equal(0x220d);
    });

    it('reproduces the IPv4 header checksums of known headers', () => {
      for (const [bytes, expected] of [
        [WIKI_IPV4_HEADER, 0xb861],
        [REAL_SYN, 0x26ba],
        [REAL_SYNACK, 0x3cba],
        [REAL_GET, 0x2672],
      ] as const) {
        const h = bytes.slice(0, 20);
        h[10] = 0;
        h[11] = 0;
        expect(internetChecksum(h)).to.equal(expected);
      }
    });

    it('reproduces the TCP checksums tshark computed for real segments (pseudo-header included)', () => {
      expect(tcpChecksumOf(REAL_SYN)).to.equal(0x21bc);
      expect(tcpChecksumOf(REAL_SYNACK)).to.equal(0x265e);
      expect(tcpChecksumOf(REAL_GET)).to.equal(0xcc19);
    });

    it('matches the byte-by-byte reference for every length, offset and buffer alignment', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), fc.nat(7), (data, pad, off) => {
          // Place the data at a chosen alignment inside a larger ArrayBuffer.
          const backing = new Uint8Array(pad + off + data.length + 8);
          const view = backing.subarray(pad);
          view.set(data, off);
          expect(internetChecksum(view, off, data.length)).to.equal(reference(data));
        }),
        { numRuns: 400 },
      );
    });

    it('adds an initial sum as if its bytes came first', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 2, maxLength: 2 }), (data, pre) => {
          const joined = new Uint8Array(2 + data.length);
          joined.set(pre);
          joined.set(data, 2);
          expect(internetChecksum(data, 0, data.length, (pre[0]! << 8) | pre[1]!)).to.equal(reference(joined));
        }),
      );
    });

    it('handles buffers longer than one accumulator chunk', () => {
      const big = new Uint8Array((1 << 22) + 6).map((_, i) => (i * 131 + 7) & 0xff);
      expect(internetChecksum(big)).to.equal(reference(big));
    });

    it('sums a run spanning several WebAssembly chunks from an odd offset with an odd length', () => {
      const big = new Uint8Array(200_003).map((_, i) => (i * 37 + 11) & 0xff);
      for (const [off, len] of [
        [1, 200_001],
        [3, 65_537],
        [65_535, 100_001],
      ] as const) {
        expect(internetChecksum(big, off, len)).to.equal(reference(big.subarray(off, off + len)), `off ${off} len ${len}`);
      }
    });

    it('runs the WebAssembly that checksum.wat compiles to', async () => {
      const wabt = await (await import('wabt')).default();
      const wat = readFileSync(new URL('../../lib/wire/checksum.wat', import.meta.url), 'utf8');
      const mod = wabt.parseWat('checksum.wat', wat);
      mod.validate();
      const compiled = Buffer.from(mod.toBinary({}).buffer).toString('base64');
      mod.destroy();
      expect(compiled).to.equal(CHECKSUM_WASM_BASE64);
    });
  });

  describe('incremental update (RFC 1624)', () => {
    it('gives 0x0000 where eqn. 2 would give 0xFFFF (the RFC 1624 §4 example)', () => {
      // Other header words sum to 0xCD7A; field m goes 0x5555 -> 0x3285.
      const before = hex('cd7a5555');
      const after = hex('cd7a3285');
      const hc = internetChecksum(before);
      expect(hc).to.equal(0xdd2f);
      expect(internetChecksum(after)).to.equal(0x0000);
      expect(csumUpdate16(hc, 0x5555, 0x3285)).to.equal(0x0000);
    });

    it('leaves the checksum as it was when the value does not change (RFC 1624 erratum 4782)', () => {
      expect(csumUpdate16(0xffff, 0x5555, 0x5555)).to.equal(0xffff);
      expect(csumUpdate32(0xffff, 0x12345678, 0x12345678)).to.equal(0xffff);
      expect(csumUpdateBytes(0xffff, hex('0102'), hex('0102'))).to.equal(0xffff);
    });

    it('equals a full recomputation after a 16-bit word changes', () => {
      fc.assert(
        fc.property(arbData, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (data, pick, word) => {
          const at = (pick % (data.length >>> 1)) * 2;
          const hc = internetChecksum(data);
          const old = (data[at]! << 8) | data[at + 1]!;
          const after = data.slice();
          after[at] = word >>> 8;
          after[at + 1] = word & 0xff;
          fc.pre(after.some((x) => x !== 0));
          expect(csumUpdate16(hc, old, word)).to.equal(internetChecksum(after));
        }),
        { numRuns: 500 },
      );
    });

    it('equals a full recomputation after a 32-bit field changes', () => {
      fc.assert(
        fc.property(arbData.filter((d) => d.length >= 4), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (data, pick, v) => {
          const at = (pick % ((data.length - 2) >>> 1)) * 2;
          const hc = internetChecksum(data);
          const old = ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
          const after = data.slice();
          new DataView(after.buffer).setUint32(at, v);
          fc.pre(after.some((x) => x !== 0));
          expect(csumUpdate32(hc, old, v)).to.equal(internetChecksum(after));
        }),
        { numRuns: 500 },
      );
    });

    it('equals a full recomputation after a run of bytes changes at an odd or even offset', () => {
      fc.assert(
        fc.property(arbData, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }), (data, pick, run) => {
          const len = Math.min(run.length, data.length);
          const at = pick % (data.length - len + 1);
          const hc = internetChecksum(data);
          const before = data.slice(at, at + len);
          const after = data.slice();
          after.set(run.subarray(0, len), at);
          fc.pre(after.some((x) => x !== 0));
          expect(csumUpdateBytes(hc, before, run.subarray(0, len), (at & 1) === 1)).to.equal(internetChecksum(after));
        }),
        { numRuns: 500 },
      );
    });

    it('refuses runs of different lengths', () => {
      expect(() => csumUpdateBytes(0, hex('01'), hex('0102'))).to.throw(RangeError);
    });
  });
});
