/**
 * Fuzzing the parsers: random bytes and random damage to valid packets never throw, always
 * give a known error or a value, and whatever parses re-emits to a fixed point.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { formatPacket } from '../../lib/wire/format.ts';
import { encodeIpv4Tcp, parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { Ipv4Packet, encodeIpv4, parseIpv4 } from '../../lib/wire/ipv4.ts';
import { encodePcap, parsePcap } from '../../lib/wire/pcap.ts';
import type { WireError, WireResult } from '../../lib/wire/result.ts';
import { TcpPacket, parseTcp } from '../../lib/wire/tcp.ts';
import { parseTcpOptions, tcpOptionSpans } from '../../lib/wire/tcp-options.ts';
import { arbAddr, arbIpHeader, arbTcpRepr } from './arbitraries.ts';

const KNOWN_ERRORS: readonly WireError[] = [
  'truncated',
  'bad-version',
  'bad-header-length',
  'bad-total-length',
  'bad-checksum',
  'bad-option-length',
  'not-tcp',
  'fragment',
  'bad-magic',
  'bad-record-length',
];

function wellFormed(r: WireResult<unknown>): void {
  if (!r.ok) expect(KNOWN_ERRORS).to.include(r.error);
}

/** A mutation: set a byte, cut the tail, or append bytes. */
type Mutation = { op: 'set'; at: number; value: number } | { op: 'cut'; keep: number } | { op: 'grow'; extra: Uint8Array };
const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), keep: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('grow' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);

function mutate(b: Uint8Array, muts: Mutation[]): Uint8Array {
  let out = b.slice();
  for (const m of muts) {
    if (m.op === 'set' && out.length > 0) out[m.at % out.length] = m.value;
    else if (m.op === 'cut') out = out.slice(0, m.keep % (out.length + 1));
    else if (m.op === 'grow') {
      const g = new Uint8Array(out.length + m.extra.length);
      g.set(out);
      g.set(m.extra, out.length);
      out = g;
    }
  }
  return out;
}

const arbPacket = fc.tuple(arbIpHeader, arbTcpRepr).map(([h, t]) => encodeIpv4Tcp(h, t));

/** Every parser and view over one buffer; none may throw. */
function exerciseAll(b: Uint8Array): void {
  wellFormed(parseIpv4(b));
  wellFormed(parseIpv4(b, { verifyChecksum: false }));
  wellFormed(parseIpv4Tcp(b));
  wellFormed(parseIpv4Tcp(b, { verifyChecksum: false }));
  wellFormed(parseTcp(b, 0 as never, 0 as never));
  wellFormed(parseTcpOptions(b));
  wellFormed(tcpOptionSpans(b));
  wellFormed(parsePcap(b));
  expect(formatPacket(b)).to.be.a('string');
  const ip = Ipv4Packet.newChecked(b);
  wellFormed(ip);
  if (ip.ok) {
    const p = ip.value;
    for (const v of [p.version, p.headerLen, p.totalLen, p.ident, p.fragOffset, p.ttl, p.protocol, p.checksum, p.src, p.dst]) expect(v).to.be.a('number').and.not.NaN;
    expect(p.payload.length).to.equal(p.totalLen - p.headerLen);
  }
  const tcp = TcpPacket.newChecked(b);
  wellFormed(tcp);
  if (tcp.ok) {
    const t = tcp.value;
    for (const v of [t.srcPort, t.dstPort, t.seqNumber, t.ackNumber, t.headerLen, t.flags, t.window, t.checksum, t.urgent, t.segmentLen]) expect(v).to.be.a('number').and.not.NaN;
    wellFormed(t.optionSpans());
  }
}

describe('wire/fuzz', () => {
  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), exerciseAll), { numRuns: 2000 });
  });

  it('never throws on random bytes that start like an IPv4 header', () => {
    const arb = fc.uint8Array({ minLength: 20, maxLength: 120 }).map((b) => {
      b[0] = 0x45 + (b[0]! % 11);
      return b;
    });
    fc.assert(fc.property(arb, exerciseAll), { numRuns: 2000 });
  });

  it('never throws on damaged valid packets, and what still parses re-emits to a fixed point', () => {
    fc.assert(
      fc.property(arbPacket, fc.array(arbMutation, { minLength: 1, maxLength: 4 }), (good, muts) => {
        const bad = mutate(good, muts);
        exerciseAll(bad);
        const r = parseIpv4Tcp(bad, { verifyChecksum: false });
        if (!r.ok) return;
        const once = encodeIpv4Tcp(r.value.ip, r.value.tcp);
        const again = parseIpv4Tcp(once);
        expect(again.ok, 're-emitted packet parses with good checksums').to.equal(true);
        if (again.ok) expect(encodeIpv4Tcp(again.value.ip, again.value.tcp)).to.deep.equal(once);
      }),
      { numRuns: 1500 },
    );
  });

  it('detects any single changed byte of a valid packet (checksums on)', () => {
    fc.assert(
      fc.property(arbPacket, fc.nat(), fc.integer({ min: 1, max: 255 }), (good, pick, x) => {
        const bad = good.slice();
        bad[pick % bad.length] ^= x;
        expect(parseIpv4Tcp(bad).ok).to.equal(false);
      }),
      { numRuns: 1500 },
    );
  });

  it('round-trips valid packets byte for byte', () => {
    fc.assert(
      fc.property(arbPacket, (good) => {
        const r = parseIpv4Tcp(good);
        if (!r.ok) throw new Error(r.error);
        expect(encodeIpv4Tcp(r.value.ip, r.value.tcp)).to.deep.equal(good);
        expect(encodeIpv4(r.value.ip)).to.deep.equal(good);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on damaged pcap files', () => {
    const arbFile = fc
      .array(fc.record({ time: fc.nat(), data: fc.uint8Array({ maxLength: 60 }) }), { maxLength: 4 })
      .chain((recs) => fc.tuple(fc.constant(encodePcap(recs)), fc.array(arbMutation, { minLength: 1, maxLength: 4 })));
    fc.assert(
      fc.property(arbFile, ([file, muts]) => {
        const r = parsePcap(mutate(file, muts));
        wellFormed(r);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on TCP segments with random option areas', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), arbAddr, arbAddr, (opts, src, dst) => {
        const words = Math.ceil(opts.length / 4);
        const seg = new Uint8Array(20 + words * 4);
        seg.set(opts, 20);
        seg[12] = (5 + words) << 4;
        wellFormed(parseTcp(seg, src, dst, { verifyChecksum: false }));
      }),
      { numRuns: 1000 },
    );
  });
});
