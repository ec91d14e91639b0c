import { expect } from 'chai';
import fc from 'fast-check';
import { seq } from '../../lib/wire/seq.ts';
import {
  TcpOptionKind,
  emitTcpOptions,
  findMss,
  findSackBlocks,
  findTimestamps,
  findWscale,
  hasSackPermitted,
  negotiatedOptions,
  parseTcpOptions,
  tcpOptionSpans,
  tcpOptionsLen,
} from '../../lib/wire/tcp-options.ts';
import type { TcpOption } from '../../lib/wire/tcp-types.ts';
import { arbOptions } from './arbitraries.ts';
import { hex } from './real-packets.ts';

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
}

function emit(options: TcpOption[]): Uint8Array {
  const b = new Uint8Array(tcpOptionsLen(options));
  emitTcpOptions(options, b, 0);
  return b;
}

/** Linux's SYN options: mss 65495, sackOK, TS val 742395447 ecr 0, nop, wscale 10 (captured). */
const LINUX_SYN_OPTIONS = hex('0204ffd70402080a2c400e37000000000103030a');

describe('wire/tcp-options', () => {
  it('parses the options of a real Linux SYN in wire order', () => {
    expect(must(parseTcpOptions(LINUX_SYN_OPTIONS))).to.deep.equal([
      { kind: 'mss', mss: 65495 },
      { kind: 'sackOK' },
      { kind: 'ts', val: 742395447, ecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 10 },
    ]);
  });

  it('emits them back byte for byte', () => {
    expect(emit(must(parseTcpOptions(LINUX_SYN_OPTIONS)))).to.deep.equal(LINUX_SYN_OPTIONS);
  });

  it('parses SACK blocks (RFC 2018) as sequence numbers', () => {
    const b = hex('0101050a0000100000002000');
    expect(must(parseTcpOptions(b))).to.deep.equal([
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'sack', blocks: [{ left: seq(0x1000), right: seq(0x2000) }] },
    ]);
  });

  it('keeps unknown options as bytes and emits them unchanged', () => {
    const b = hex('1e0601020304' + '01' + '00');
    const opts = must(parseTcpOptions(b));
    expect(opts[0]).to.deep.include({ kind: 'unknown', code: 30 });
    expect(Array.from((opts[0] as { data: Uint8Array }).data)).to.deep.equal([1, 2, 3, 4]);
    expect(emit(opts)).to.deep.equal(b);
  });

  it('keeps the zero padding after EOL as EOLs so the length survives', () => {
    expect(must(parseTcpOptions(hex('02040218000000')))).to.deep.equal([
      { kind: 'mss', mss: 0x218 },
      { kind: 'eol' },
      { kind: 'eol' },
      { kind: 'eol' },
    ]);
  });

  it('stops reading options at EOL (what follows is padding, even if not zero)', () => {
    expect(must(parseTcpOptions(hex('000204ffff')))).to.deep.equal(Array.from({ length: 5 }, () => ({ kind: 'eol' })));
  });

  describe("says 'bad-option-length'", () => {
    const cases: Array<[string, string]> = [
      ['when the length byte is missing', '0101 0102'],
      ['when an option length is below 2', '0201'],
      ['when an option runs past the option area', '08 0a 0000'],
      ['for an MSS option that is not 4 bytes', '020500000001'],
      ['for a window-scale option that is not 3 bytes', '03020101'],
      ['for a SACK-permitted option that is not 2 bytes', '04030001'],
      ['for a timestamps option that is not 10 bytes', '08080000000000000101'],
      ['for a SACK option without a whole number of blocks', '05060000000001'],
      ['for a SACK option with no block', '05020101'],
    ];
    for (const [what, h] of cases) {
      it(what, () => {
        const r = parseTcpOptions(hex(h.replace(/ /g, '')));
        expect(r.ok ? 'ok' : r.error).to.equal('bad-option-length');
      });
    }
  });

  it('round-trips any option list: emit(parse(emit(l))) == emit(l)', () => {
    fc.assert(
      fc.property(arbOptions, (opts) => {
        const bytes = emit(opts);
        const back = must(parseTcpOptions(bytes));
        expect(back).to.deep.equal(opts);
        expect(emit(back)).to.deep.equal(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the negotiated values', () => {
    const opts = must(parseTcpOptions(LINUX_SYN_OPTIONS));
    expect(findMss(opts)).to.equal(65495);
    expect(findWscale(opts)).to.equal(10);
    expect(hasSackPermitted(opts)).to.equal(true);
    expect(findTimestamps(opts)).to.deep.equal({ val: 742395447, ecr: 0 });
    expect(findSackBlocks(opts)).to.deep.equal([]);
    expect(negotiatedOptions(opts)).to.deep.equal({ mss: 65495, wscale: 10, sackOK: true, ts: { val: 742395447, ecr: 0 } });
    expect(negotiatedOptions([])).to.deep.equal({ sackOK: false });
  });

  it('clamps a window-scale shift above 14 to 14 (RFC 7323 §2.3)', () => {
    expect(findWscale([{ kind: 'wscale', shift: 15 }])).to.equal(14);
  });

  it('locates options for in-place rewriting, offsets from the header start', () => {
    const b = hex('0101080a000000010000000201010512000000100000002000000030000000400000');
    const spans = must(tcpOptionSpans(b, 20));
    expect(spans).to.deep.equal([
      { kind: TcpOptionKind.TIMESTAMPS, offset: 22, length: 10 },
      { kind: TcpOptionKind.SACK, offset: 34, length: 18 },
    ]);
  });

  it('refuses to emit a SACK option with no block', () => {
    expect(() => emit([{ kind: 'sack', blocks: [] }])).to.throw(RangeError);
  });
});
