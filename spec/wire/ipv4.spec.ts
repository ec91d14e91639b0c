import { expect } from 'chai';
import fc from 'fast-check';
import { ipv4, IpProto, type Ipv4Repr } from '../../lib/wire/ip-types.ts';
import { Ipv4Packet, emitIpv4, emitIpv4Header, encodeIpv4, ipv4BufferLen, ipv4HeaderLen, parseIpv4 } from '../../lib/wire/ipv4.ts';
import { arbAddr, arbU16 } from './arbitraries.ts';
import { REAL_GET, REAL_SYN, hex } from './real-packets.ts';

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  return r.ok ? undefined : r.error;
}

const arbIpv4Repr: fc.Arbitrary<Ipv4Repr> = fc
  .record({
    src: arbAddr,
    dst: arbAddr,
    protocol: fc.integer({ min: 0, max: 255 }),
    ttl: fc.integer({ min: 0, max: 255 }),
    id: arbU16,
    tos: fc.integer({ min: 0, max: 255 }),
    dontFrag: fc.boolean(),
    optionWords: fc.integer({ min: 0, max: 10 }),
    payload: fc.uint8Array({ maxLength: 100 }),
    frag: fc.option(fc.record({ moreFrags: fc.boolean(), fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((n) => n * 8) }), { nil: undefined }),
  })
  .chain((r) =>
    fc.uint8Array({ minLength: r.optionWords * 4, maxLength: r.optionWords * 4 }).map((options) => {
      const repr: Ipv4Repr = { src: r.src, dst: r.dst, protocol: r.protocol, ttl: r.ttl, id: r.id, tos: r.tos, dontFrag: r.dontFrag, options, payload: r.payload };
      if (r.frag?.moreFrags) repr.moreFrags = true;
      if (r.frag?.fragOffset) repr.fragOffset = r.frag.fragOffset;
      return repr;
    }),
  );

describe('wire/ipv4', () => {
  describe('parse', () => {
    it('reads every field of a real captured packet', () => {
      const ip = must(parseIpv4(REAL_SYN));
      expect(ip.src).to.equal(ipv4('127.0.0.1'));
      expect(ip.dst).to.equal(ipv4('127.0.0.1'));
      expect(ip.protocol).to.equal(IpProto.TCP);
      expect(ip.ttl).to.equal(64);
      expect(ip.id).to.equal(0x1600);
      expect(ip.tos).to.equal(0);
      expect(ip.dontFrag).to.equal(true);
      expect(ip.moreFrags).to.equal(undefined);
      expect(ip.fragOffset).to.equal(undefined);
      expect(ip.options.length).to.equal(0);
      expect(ip.payload.length).to.equal(40);
    });

    it('returns views into the input rather than copies', () => {
      const ip = must(parseIpv4(REAL_GET));
      expect(ip.payload.buffer).to.equal(REAL_GET.buffer);
      expect(ip.payload.byteOffset).to.equal(REAL_GET.byteOffset + 20);
    });

    it('ignores link padding after the total length', () => {
      const padded = new Uint8Array(REAL_SYN.length + 6);
      padded.set(REAL_SYN);
      expect(must(parseIpv4(padded)).payload.length).to.equal(40);
    });

    it("says 'truncated' when the buffer is shorter than 20 bytes, the IHL or the total length", () => {
      expect(errorOf(parseIpv4(REAL_SYN.subarray(0, 19)))).to.equal('truncated');
      const withOpts = encodeIpv4({ ...must(parseIpv4(REAL_SYN)), options: new Uint8Array(8) });
      expect(errorOf(parseIpv4(withOpts.subarray(0, 24)))).to.equal('truncated');
      expect(errorOf(parseIpv4(REAL_SYN.subarray(0, REAL_SYN.length - 1)))).to.equal('truncated');
    });

    it("says 'bad-version' for a version nibble other than 4", () => {
      const b = REAL_SYN.slice();
      b[0] = 0x65;
      expect(errorOf(parseIpv4(b))).to.equal('bad-version');
    });

    it("says 'bad-header-length' for an IHL below 5", () => {
      const b = REAL_SYN.slice();
      b[0] = 0x44;
      expect(errorOf(parseIpv4(b))).to.equal('bad-header-length');
    });

    it("says 'bad-total-length' when the total length is shorter than the header", () => {
      const b = REAL_SYN.slice();
      b[2] = 0;
      b[3] = 19;
      expect(errorOf(parseIpv4(b))).to.equal('bad-total-length');
    });

    it("says 'bad-checksum' when the header checksum is wrong, unless asked not to verify", () => {
      const b = REAL_SYN.slice();
      b[8] = 63; // TTL changed, checksum not updated
      const r = parseIpv4(b);
      expect(errorOf(r)).to.equal('bad-checksum');
      expect(r.ok ? -1 : r.offset).to.equal(10);
      expect(parseIpv4(b, { verifyChecksum: false }).ok).to.equal(true);
    });

    it('keeps fragment fields of a fragment', () => {
      const b = encodeIpv4({ ...must(parseIpv4(REAL_SYN)), dontFrag: false, moreFrags: true, fragOffset: 1480 });
      const ip = must(parseIpv4(b));
      expect(ip.moreFrags).to.equal(true);
      expect(ip.fragOffset).to.equal(1480);
    });
  });

  describe('emit', () => {
    it('reproduces a real packet byte for byte', () => {
      for (const p of [REAL_SYN, REAL_GET]) expect(encodeIpv4(must(parseIpv4(p)))).to.deep.equal(p);
    });

    it('round-trips every repr: parse(emit(r)) == r and emit is byte-stable', () => {
      fc.assert(
        fc.property(arbIpv4Repr, (r) => {
          const bytes = encodeIpv4(r);
          expect(bytes.length).to.equal(ipv4BufferLen(r));
          const back = must(parseIpv4(bytes));
          expect({ ...back, options: Array.from(back.options), payload: Array.from(back.payload) }).to.deep.equal({
            ...r,
            options: Array.from(r.options),
            payload: Array.from(r.payload),
          });
          expect(encodeIpv4(back)).to.deep.equal(bytes);
        }),
        { numRuns: 300 },
      );
    });

    it('pads options to a multiple of 4 with zeros', () => {
      const r = { ...must(parseIpv4(REAL_SYN)), options: hex('0102') };
      expect(ipv4HeaderLen(r)).to.equal(24);
      const b = encodeIpv4(r);
      expect(Array.from(b.subarray(20, 24))).to.deep.equal([1, 2, 0, 0]);
      expect(b[0]).to.equal(0x46);
    });

    it('writes at an offset and leaves the rest of the buffer alone', () => {
      const r = must(parseIpv4(REAL_SYN));
      const buf = new Uint8Array(REAL_SYN.length + 10).fill(0xee);
      expect(emitIpv4(r, buf, 5)).to.equal(REAL_SYN.length);
      expect(buf.subarray(5, 5 + REAL_SYN.length)).to.deep.equal(REAL_SYN);
      expect(buf[4]).to.equal(0xee);
      expect(buf[5 + REAL_SYN.length]).to.equal(0xee);
    });

    it('writes just the header in front of a payload already in place', () => {
      const r = must(parseIpv4(REAL_GET));
      const buf = new Uint8Array(REAL_GET.length);
      buf.set(r.payload, 20);
      expect(emitIpv4Header(r, r.payload.length, buf)).to.equal(20);
      expect(buf).to.deep.equal(REAL_GET);
    });

    it('refuses options over 40 bytes, packets over 65535 bytes and short buffers', () => {
      const r = must(parseIpv4(REAL_SYN));
      expect(() => encodeIpv4({ ...r, options: new Uint8Array(44) })).to.throw(RangeError);
      expect(() => encodeIpv4({ ...r, payload: new Uint8Array(65516) })).to.throw(RangeError);
      expect(() => emitIpv4(r, new Uint8Array(10))).to.throw(RangeError);
    });
  });

  describe('Ipv4Packet view', () => {
    it('newChecked accepts a good packet and reports the same errors as parse', () => {
      expect(Ipv4Packet.newChecked(REAL_SYN).ok).to.equal(true);
      const b = REAL_SYN.slice();
      b[0] = 0x45;
      b[2] = 0;
      b[3] = 10;
      expect(errorOf(Ipv4Packet.newChecked(b))).to.equal('bad-total-length');
      expect(errorOf(Ipv4Packet.newChecked(new Uint8Array(3)))).to.equal('truncated');
    });

    it('reads and writes every field in place', () => {
      const b = REAL_SYN.slice();
      const p = Ipv4Packet.newUnchecked(b);
      expect(p.version).to.equal(4);
      expect(p.headerLen).to.equal(20);
      expect(p.totalLen).to.equal(60);
      expect(p.checksum).to.equal(0x26ba);
      p.tos = 0x10;
      p.ident = 0xbeef;
      p.dontFrag = false;
      p.moreFrags = true;
      p.fragOffset = 64;
      p.ttl = 3;
      p.protocol = IpProto.UDP;
      p.src = ipv4('192.0.2.1');
      p.dst = ipv4('198.51.100.7');
      p.fillChecksum();
      expect(p.verifyChecksum()).to.equal(true);
      const r = must(parseIpv4(b));
      expect(r).to.include({ tos: 0x10, id: 0xbeef, dontFrag: false, moreFrags: true, fragOffset: 64, ttl: 3, protocol: IpProto.UDP });
      expect(r.src).to.equal(ipv4('192.0.2.1'));
      expect(r.dst).to.equal(ipv4('198.51.100.7'));
      expect(p.reservedFlag).to.equal(false);
    });

    it('rewrites addresses and TTL keeping the header checksum equal to a recomputation', () => {
      fc.assert(
        fc.property(arbAddr, arbAddr, fc.integer({ min: 0, max: 255 }), (src, dst, ttl) => {
          const b = REAL_GET.slice();
          const p = Ipv4Packet.newUnchecked(b);
          p.rewriteSrc(src);
          p.rewriteDst(dst);
          p.rewriteTtl(ttl);
          const incremental = p.checksum;
          p.fillChecksum();
          expect(incremental).to.equal(p.checksum);
        }),
      );
    });
  });
});
