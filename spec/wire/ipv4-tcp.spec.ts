import { expect } from 'chai';
import fc from 'fast-check';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { encodeIpv4, parseIpv4 } from '../../lib/wire/ipv4.ts';
import { encodeIpv4Tcp, ipv4TcpViews, parseIpv4Tcp, rewriteIpv4TcpDst, rewriteIpv4TcpSrc } from '../../lib/wire/ipv4-tcp.ts';
import { seq, seqAdd } from '../../lib/wire/seq.ts';
import { TcpOptionKind } from '../../lib/wire/tcp-options.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { arbAddr, arbIpHeader, arbSeq, arbTcpRepr, arbU16, arbU32 } from './arbitraries.ts';
import { REAL_GET, REAL_SYN } from './real-packets.ts';

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  return r.ok ? undefined : r.error;
}

/** Both checksums as stored, then as a full recomputation gives them. */
function storedAndRecomputed(bytes: Uint8Array): { stored: [number, number]; full: [number, number] } {
  const copy = bytes.slice();
  const { ip, tcp } = ipv4TcpViews(copy);
  const stored: [number, number] = [ip.checksum, tcp.checksum];
  ip.fillChecksum();
  tcp.fillChecksum(ip.src, ip.dst);
  return { stored, full: [ip.checksum, tcp.checksum] };
}

describe('wire/ipv4-tcp', () => {
  it('builds a real packet from its reprs byte for byte', () => {
    for (const p of [REAL_SYN, REAL_GET]) {
      const { ip, tcp } = must(parseIpv4Tcp(p));
      expect(encodeIpv4Tcp({ src: ip.src, dst: ip.dst, id: ip.id, ttl: ip.ttl }, tcp)).to.deep.equal(p);
    }
  });

  it('uses TTL 64, DF and no options unless told otherwise', () => {
    const { tcp } = must(parseIpv4Tcp(REAL_SYN));
    const ip = must(parseIpv4(encodeIpv4Tcp({ src: ipv4('192.0.2.1'), dst: ipv4('192.0.2.2') }, tcp)));
    expect(ip).to.deep.include({ ttl: 64, dontFrag: true, id: 0, tos: 0, protocol: IpProto.TCP });
    expect(ip.options.length).to.equal(0);
  });

  it('round-trips random packets, IP options included', () => {
    fc.assert(
      fc.property(arbIpHeader, arbTcpRepr, (h, t) => {
        const bytes = encodeIpv4Tcp(h, t);
        const { ip, tcp } = must(parseIpv4Tcp(bytes));
        expect(encodeIpv4Tcp({ ...ip }, tcp)).to.deep.equal(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("says 'not-tcp' for another protocol and 'fragment' for a fragment", () => {
    const ip = must(parseIpv4(REAL_SYN));
    expect(errorOf(parseIpv4Tcp(encodeIpv4({ ...ip, protocol: IpProto.UDP })))).to.equal('not-tcp');
    expect(errorOf(parseIpv4Tcp(encodeIpv4({ ...ip, moreFrags: true })))).to.equal('fragment');
    expect(errorOf(parseIpv4Tcp(encodeIpv4({ ...ip, fragOffset: 8 })))).to.equal('fragment');
  });

  it('passes IP errors through and gives TCP error offsets from the packet start', () => {
    expect(errorOf(parseIpv4Tcp(REAL_SYN.subarray(0, 10)))).to.equal('truncated');
    const b = REAL_GET.slice();
    b[b.length - 1] ^= 0xff;
    const r = parseIpv4Tcp(b);
    expect(errorOf(r)).to.equal('bad-checksum');
    expect(r.ok ? -1 : r.offset).to.equal(20 + 16);
  });

  describe('in-place rewriting (what BTCP does) keeps both checksums equal to a recomputation', () => {
    it('for addresses (IP header and TCP pseudo-header)', () => {
      fc.assert(
        fc.property(arbIpHeader, arbTcpRepr, arbAddr, arbAddr, (h, t, src, dst) => {
          const b = encodeIpv4Tcp(h, t);
          rewriteIpv4TcpSrc(b, src);
          rewriteIpv4TcpDst(b, dst);
          const { stored, full } = storedAndRecomputed(b);
          expect(stored).to.deep.equal(full);
          const { ip } = must(parseIpv4Tcp(b));
          expect([ip.src, ip.dst]).to.deep.equal([src, dst]);
        }),
        { numRuns: 300 },
      );
    });

    it('for ports, sequence and acknowledgment numbers and the window', () => {
      fc.assert(
        fc.property(arbIpHeader, arbTcpRepr, arbU16, arbU16, arbSeq, arbSeq, arbU16, (h, t, sp, dp, s, a, w) => {
          const b = encodeIpv4Tcp(h, t);
          const { tcp } = ipv4TcpViews(b);
          tcp.rewriteSrcPort(sp);
          tcp.rewriteDstPort(dp);
          tcp.rewriteSeq(s);
          tcp.rewriteAck(a);
          tcp.rewriteWindow(w);
          const { stored, full } = storedAndRecomputed(b);
          expect(stored).to.deep.equal(full);
          expect(must(parseIpv4Tcp(b)).tcp).to.deep.include({ srcPort: sp, dstPort: dp, seq: s, ack: a, window: w });
        }),
        { numRuns: 300 },
      );
    });

    it('for timestamps and SACK edges wherever the options sit, odd offsets included', () => {
      // Prefix options of 0..3 bytes shift TS and SACK to every alignment.
      const arbShifted = fc.record({
        shift: fc.integer({ min: 0, max: 3 }),
        ts: fc.record({ val: arbU32, ecr: arbU32 }),
        blocks: fc.array(fc.record({ left: arbSeq, right: arbSeq }), { minLength: 1, maxLength: 2 }),
        delta: arbU32,
      });
      fc.assert(
        fc.property(arbIpHeader, arbShifted, arbU32, (h, { shift, ts, blocks, delta }, newVal) => {
          const pre = shift === 3 ? [{ kind: 'wscale' as const, shift: 7 }] : Array.from({ length: shift }, () => ({ kind: 'nop' as const }));
          const b = encodeIpv4Tcp(h, {
            srcPort: 1,
            dstPort: 2,
            seq: seq(1),
            ack: seq(2),
            flags: TcpFlag.ACK,
            window: 3,
            urgent: 0,
            options: [...pre, { kind: 'ts', ...ts }, { kind: 'sack', blocks }],
            payload: new Uint8Array(5),
          });
          const { tcp } = ipv4TcpViews(b);
          for (const span of must(tcp.optionSpans())) {
            if (span.kind === TcpOptionKind.TIMESTAMPS) {
              tcp.rewriteU32(span.offset + 2, newVal);
              tcp.rewriteU32(span.offset + 6, ts.val);
            } else if (span.kind === TcpOptionKind.SACK) {
              for (let at = span.offset + 2; at < span.offset + span.length; at += 4) {
                const old = new DataView(tcp.bytes.buffer, tcp.bytes.byteOffset).getUint32(at);
                tcp.rewriteU32(at, seqAdd(seq(old), delta));
              }
            }
          }
          const { stored, full } = storedAndRecomputed(b);
          expect(stored).to.deep.equal(full);
          const opts = must(parseIpv4Tcp(b)).tcp.options;
          expect(opts.find((o) => o.kind === 'ts')).to.deep.equal({ kind: 'ts', val: newVal, ecr: ts.val });
          expect(opts.find((o) => o.kind === 'sack')).to.deep.equal({
            kind: 'sack',
            blocks: blocks.map((k) => ({ left: seqAdd(k.left, delta), right: seqAdd(k.right, delta) })),
          });
        }),
        { numRuns: 300 },
      );
    });

    it('for a run of option bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.nat(), (data, pick) => {
          const b = REAL_SYN.slice();
          const { tcp } = ipv4TcpViews(b);
          const at = 20 + (pick % (20 - data.length + 1));
          tcp.rewriteBytes(at, data);
          const { stored, full } = storedAndRecomputed(b);
          expect(stored).to.deep.equal(full);
        }),
      );
    });
  });
});
