import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  PcapWriter,
  encodePcap,
  parsePcap,
  pcapGlobalHeader,
  pcapRecord,
  type PcapFile,
} from '../../lib/wire/pcap.ts';
import { MS, SEC, US } from '../../lib/sim/time.ts';
import { requireTool } from '../support/tools.ts';
import { REAL_GET, REAL_SYN, REAL_SYNACK, hex } from './real-packets.ts';

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  return r.ok ? undefined : r.error;
}

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** The same file with every header field byte-swapped: what a big-endian machine writes. */
function toBigEndian(le: Uint8Array): Uint8Array {
  const out = le.slice();
  const dv = new DataView(out.buffer);
  const sw32 = (at: number) => dv.setUint32(at, dv.getUint32(at, true), false);
  const sw16 = (at: number) => dv.setUint16(at, dv.getUint16(at, true), false);
  sw32(0);
  sw16(4);
  sw16(6);
  for (const at of [8, 12, 16, 20]) sw32(at);
  let at = 24;
  while (at < out.length) {
    const incl = dv.getUint32(at + 8, true);
    for (const f of [0, 4, 8, 12]) sw32(at + f);
    at += 16 + incl;
  }
  return out;
}

describe('wire/pcap', () => {
  describe('writer', () => {
    it('writes the nanosecond global header for raw IPv4 by default', () => {
      expect(pcapGlobalHeader()).to.deep.equal(hex('4d3cb2a1 0200 0400 00000000 00000000 ffff0000 65000000'.replace(/ /g, '')));
    });

    it('writes the microsecond magic and other link types on request', () => {
      expect(pcapGlobalHeader({ resolution: 'us', linktype: LINKTYPE_ETHERNET, snaplen: 1500 })).to.deep.equal(
        hex('d4c3b2a1 0200 0400 00000000 00000000 dc050000 01000000'.replace(/ /g, '')),
      );
    });

    it('splits virtual nanoseconds into seconds and nanoseconds', () => {
      const r = pcapRecord(12 * SEC + 345_678_901, hex('45'));
      expect(r).to.deep.equal(hex('0c000000 35a49a14 01000000 01000000 45'.replace(/ /g, '')));
    });

    it('truncates to microseconds in a microsecond file', () => {
      const r = pcapRecord(2 * SEC + 1 * MS + 999, hex('45'), { resolution: 'us' });
      expect(new DataView(r.buffer).getUint32(4, true)).to.equal(1000);
    });

    it('cuts packets at the snap length and records the original length', () => {
      const r = must(parsePcap(encodePcap([{ time: 0, data: REAL_GET }], { snaplen: 54 })));
      expect(r.records[0]!.data).to.deep.equal(REAL_GET.subarray(0, 54));
      expect(r.records[0]!.origLen).to.equal(REAL_GET.length);
    });

    it('streams the header then one chunk per packet to its sink', () => {
      const chunks: Uint8Array[] = [];
      const w = new PcapWriter((c) => chunks.push(c));
      expect(chunks.length).to.equal(1);
      w.write(5 * US, REAL_SYN);
      w.write(6 * US, REAL_SYNACK);
      expect(chunks.length).to.equal(3);
      expect(w.packets).to.equal(2);
      expect(chunks[2]!.length).to.equal(16 + REAL_SYNACK.length);
    });

    it('refuses a negative timestamp', () => {
      expect(() => pcapRecord(-1, REAL_SYN)).to.throw(RangeError);
    });
  });

  describe('reader', () => {
    it('reads back what the writer wrote, in both resolutions', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ time: fc.integer({ min: 0, max: 2 ** 52 }), data: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 10 }),
          fc.constantFrom<'ns' | 'us'>('ns', 'us'),
          (recs, resolution) => {
            const f = must(parsePcap(encodePcap(recs, { resolution })));
            expect(f.header).to.deep.equal({ linktype: LINKTYPE_RAW, snaplen: 65535, resolution, littleEndian: true, versionMajor: 2, versionMinor: 4 });
            expect(f.records.map((r) => ({ time: r.time, data: Array.from(r.data), origLen: r.origLen }))).to.deep.equal(
              recs.map((r) => ({ time: resolution === 'ns' ? r.time : Math.floor(r.time / 1000) * 1000, data: Array.from(r.data), origLen: r.data.length })),
            );
          },
        ),
        { numRuns: 100 },
      );
    });

    function checkRealCapture(f: PcapFile, firstTime: number): void {
      expect(f.header.linktype).to.equal(LINKTYPE_ETHERNET);
      expect(f.records.length).to.equal(10);
      expect(f.records[0]!.time).to.equal(firstTime);
      // The SYN behind the 14-byte loopback link header, apart from its offloaded TCP checksum.
      const syn = f.records[0]!.data.subarray(14).slice();
      syn.set(REAL_SYN.subarray(36, 38), 36);
      expect(syn).to.deep.equal(REAL_SYN);
    }

    it('reads a microsecond capture that tshark wrote', () => {
      checkRealCapture(must(parsePcap(fixture('real-us.pcap'))), 1795298103 * SEC + 290557 * US);
    });

    it('reads a nanosecond capture that tshark wrote', () => {
      checkRealCapture(must(parsePcap(fixture('real-ns.pcap'))), 1795298103 * SEC + 290557257);
    });

    it('reads big-endian files', () => {
      const le = fixture('real-ns.pcap');
      const be = must(parsePcap(toBigEndian(le)));
      expect(be.header.littleEndian).to.equal(false);
      expect(be.header.resolution).to.equal('ns');
      expect(be.records).to.deep.equal(must(parsePcap(le)).records);
    });

    it("says 'truncated' for a short global header, record header or record", () => {
      const f = encodePcap([{ time: 1, data: REAL_SYN }]);
      expect(errorOf(parsePcap(f.subarray(0, 23)))).to.equal('truncated');
      expect(errorOf(parsePcap(f.subarray(0, 30)))).to.equal('truncated');
      const r = parsePcap(f.subarray(0, f.length - 1));
      expect(errorOf(r)).to.equal('truncated');
      expect(r.ok ? -1 : r.offset).to.equal(24);
    });

    it("says 'bad-magic' for a file that is not pcap (pcapng included)", () => {
      expect(errorOf(parsePcap(new Uint8Array(24)))).to.equal('bad-magic');
      const ng = new Uint8Array(24);
      ng.set(hex('0a0d0d0a'));
      expect(errorOf(parsePcap(ng))).to.equal('bad-magic');
    });

    it("says 'bad-record-length' for a record larger than libpcap allows", () => {
      const f = encodePcap([{ time: 1, data: REAL_SYN }]);
      new DataView(f.buffer).setUint32(24 + 8, 262145, true);
      expect(errorOf(parsePcap(f))).to.equal('bad-record-length');
    });
  });

  describe('tshark', function () {
    let dir = '';
    before(function () {
      requireTool(this, 'tshark', 'run .ci/install-tools');
      dir = mkdtempSync(join(tmpdir(), 'wire-pcap-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const resolution of ['ns', 'us'] as const) {
      it(`reads a ${resolution} capture we wrote with good checksums and exact times`, () => {
        const file = join(dir, `w-${resolution}.pcap`);
        const times = [1 * SEC + 1, 1 * SEC + 20 * US + 7, 2 * SEC + 999_999_999];
        writeFileSync(file, encodePcap([REAL_SYN, REAL_SYNACK, REAL_GET].map((data, i) => ({ time: times[i]!, data })), { resolution }));
        const out = execFileSync(
          'tshark',
          ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', '_ws.malformed'],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        );
        const rows = out.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
        expect(rows.map((r) => r[0])).to.deep.equal(
          resolution === 'ns' ? ['1.000000001', '1.000020007', '2.999999999'] : ['1.000000000', '1.000020000', '2.999999000'],
        );
        // Checksum status 1 is "Good" in tshark's fields (0 bad, 2 unverified); an empty last column: not malformed.
        expect(rows.map((r) => r.slice(1))).to.deep.equal([
          ['1', '1', ''],
          ['1', '1', ''],
          ['1', '1', ''],
        ]);
      });
    }
  });
});
