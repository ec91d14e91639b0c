import { expect } from 'chai';
import fc from 'fast-check';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { encodeIpv4 } from '../../lib/wire/ipv4.ts';
import { Errno, mkctl } from '../../lib/streams/index.ts';
import type { IpStats } from '../../modules/ip/stats.ts';
import { pair } from './helpers.ts';

/** A well-formed TEST packet from a to b. */
function good(payload = new Uint8Array([1, 2, 3, 4]), over: Partial<Parameters<typeof encodeIpv4>[0]> = {}): Uint8Array {
  return encodeIpv4({
    src: ipv4('10.0.0.1'),
    dst: ipv4('10.0.0.2'),
    protocol: IpProto.TEST,
    ttl: 64,
    id: 1,
    tos: 0,
    dontFrag: true,
    options: new Uint8Array(0),
    payload,
    ...over,
  });
}

/** Put bytes on a's wire directly (no stack on the way), run, return b's IP counters. */
function inject(...packets: Uint8Array[]): { stats: IpStats; delivered: number } {
  const { w, rb } = pair();
  const dev = w.iface('a', 'eth0');
  for (const p of packets) dev.transmit(p, null);
  w.runUntilIdle();
  return { stats: w.getHost('b').stack.ipStats(), delivered: rb.received.length };
}

function withChecksum(b: Uint8Array): Uint8Array {
  b[10] = 0;
  b[11] = 0;
  let s = 0;
  const hl = (b[0]! & 15) * 4;
  for (let i = 0; i < hl; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  b[10] = c >> 8;
  b[11] = c & 255;
  return b;
}

describe('ip: bad packets are counted and dropped, never thrown', () => {
  it('delivers a good packet (the baseline for the cases below)', () => {
    const r = inject(good());
    expect(r.delivered).to.equal(1);
    expect(r.stats.inDelivers).to.equal(1);
  });

  it('counts a packet shorter than an IPv4 header as truncated', () => {
    expect(inject(good().subarray(0, 12)).stats.inTruncated).to.equal(1);
  });

  it('counts a packet shorter than its total length as truncated', () => {
    expect(inject(good(new Uint8Array(40)).subarray(0, 50)).stats.inTruncated).to.equal(1);
  });

  it('counts a version other than 4', () => {
    const p = good();
    p[0] = 0x65;
    expect(inject(withChecksum(p)).stats.inBadVersion).to.equal(1);
  });

  it('counts a header length below 20 bytes', () => {
    const p = good();
    p[0] = 0x44;
    expect(inject(p).stats.inBadHeaderLen).to.equal(1);
  });

  it('counts a total length smaller than the header', () => {
    const p = good();
    p[2] = 0;
    p[3] = 10;
    expect(inject(withChecksum(p)).stats.inBadTotalLength).to.equal(1);
  });

  it('counts a bad header checksum', () => {
    const p = good();
    p[11] ^= 1;
    const r = inject(p);
    expect(r.stats.inBadChecksum).to.equal(1);
    expect(r.delivered).to.equal(0);
  });

  it('counts fragments (no reassembly)', () => {
    expect(inject(good(new Uint8Array(8), { moreFrags: true, dontFrag: false })).stats.inFragments).to.equal(1);
  });

  it('counts a packet for a protocol nobody bound', () => {
    expect(inject(good(undefined, { protocol: 99 })).stats.inNoProto).to.equal(1);
  });

  it('counts a packet for another host when not forwarding', () => {
    expect(inject(good(undefined, { dst: ipv4('10.0.0.77') })).stats.inNotForUs).to.equal(1);
  });

  it('ignores link padding after the total length', () => {
    const p = good();
    const padded = new Uint8Array(p.length + 6);
    padded.set(p);
    const { w, rb } = pair();
    w.iface('a', 'eth0').transmit(padded, null);
    w.runUntilIdle();
    expect(rb.received.map((x) => x.bytes.length)).to.deep.equal([p.length]);
  });

  it('accounts for every one of many random byte strings, without throwing (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 80 }), { minLength: 1, maxLength: 30 }), (junk) => {
        const r = inject(...junk.filter((j) => j.length > 0));
        const s = r.stats;
        const drops = s.inTruncated + s.inBadVersion + s.inBadHeaderLen + s.inBadTotalLength + s.inBadChecksum + s.inFragments + s.inNoProto + s.inNotForUs + s.inUpperFull;
        expect(s.inReceives).to.equal(junk.filter((j) => j.length > 0).length);
        expect(drops + s.inDelivers).to.equal(s.inReceives);
      }),
      { numRuns: 60 },
    );
  });

  it('accounts for every mutation of a good packet, without throwing (fuzz)', () => {
    const base = good(new Uint8Array(16));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(base.length), (edits, cut) => {
        const p = base.slice(0, Math.max(1, base.length - cut));
        for (const [at, x] of edits) if (at < p.length) p[at] ^= x;
        const s = inject(p).stats;
        const drops = s.inTruncated + s.inBadVersion + s.inBadHeaderLen + s.inBadTotalLength + s.inBadChecksum + s.inFragments + s.inNoProto + s.inNotForUs + s.inUpperFull;
        expect(drops + s.inDelivers).to.equal(1);
      }),
      { numRuns: 150 },
    );
  });

  it('counts a malformed packet sent down by a transport', () => {
    const { w, ra } = pair();
    ra.sendBytes(new Uint8Array([0x45, 0, 0]));
    ra.sendBytes(good(new Uint8Array(40)).subarray(0, 30));
    expect(w.getHost('a').stack.ipStats().outMalformed).to.equal(2);
  });

  it('refuses a second stream binding a protocol already bound', () => {
    const { w } = pair();
    expect(() => w.getHost('a').stack.openRaw(IpProto.TEST)).to.throw(/already bound/);
  });

  it('NAKs an ioctl it does not know', () => {
    const { w } = pair();
    const r = w.getHost('a').stack.ip.ioctlSync(0x7777, null);
    expect(r).to.deep.equal({ ok: false, error: Errno.EINVAL });
  });

  it('passes M_CTL from a transport down to the interface drivers, which free and count it', () => {
    const { w, ra } = pair();
    expect(ra.stream.write(mkctl({ note: 'for whoever is below' }))).to.equal(0);
    const st = w.getHost('a').stack;
    expect(st.ipStats().ctlPassed).to.equal(1);
    expect(st.netdrvStats('eth0').txBadMsg).to.equal(1);
  });
});
