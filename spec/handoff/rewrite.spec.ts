import { expect } from 'chai';
import fc from 'fast-check';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { seq } from '../../lib/wire/seq.ts';
import type { Seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { TcpOption } from '../../lib/wire/tcp-types.ts';
import { rescaleWindow, rewriteBeToClient, rewriteClientToBe, rewriteSynForBe } from '../../modules/btcp/rewrite.ts';
import { initialState, optionMismatch, rewriteState } from '../../modules/btcp/rewrite-state.ts';
import type { BeInitialState, FeInitialState, RewriteState } from '../../modules/btcp/rewrite-state.ts';
import { BE, CLIENT, VIP, hex, packet } from './packets.ts';
import type { Seg } from './packets.ts';

const { ACK, PSH, SYN, FIN, RST } = TcpFlag;

/** FE ISN 1000, BE ISN 0xfffffc00: the BE's space wraps past 2^32 right after the handshake. */
const fe: FeInitialState = {
  vip: VIP,
  target: BE,
  clientOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: 4000 },
  feIsn: seq(1000),
  feOpts: { mss: 1460, wscale: 6, sackOk: true, tsVal: 4990 },
  feTsNow: 5000,
};
const be: BeInitialState = {
  beIsn: seq(0xfffffc00),
  beOpts: { mss: 1460, wscale: 9, sackOk: true, tsVal: 0xffffff00 },
};
const st = rewriteState(fe, be);

function expectValid(bytes: Uint8Array): void {
  const r = parseIpv4Tcp(bytes);
  expect(r.ok, r.ok ? '' : r.error).to.equal(true);
}

describe('handoff: connection rewriting', () => {
  describe('rewrite state from the two initial states', () => {
    it('maps server sequence numbers by ISN_be - ISN_fe, modulo 2^32', () => {
      expect(st.seqDelta).to.equal(-2024);
    });

    it('maps the BE timestamp clock so its SYN/ACK TSval lands on the FE clock now', () => {
      expect(st.tsDelta).to.equal(5256);
      expect((0xffffff00 + st.tsDelta!) >>> 0).to.equal(fe.feTsNow);
    });

    it('takes window shifts from what both SYNs carried (RFC 7323)', () => {
      expect([st.clientWsFe, st.clientWsBe, st.serverWsFe, st.serverWsBe]).to.deep.equal([7, 7, 6, 9]);
      const noWs = rewriteState(fe, { ...be, beOpts: { ...be.beOpts, wscale: null } });
      expect([noWs.clientWsFe, noWs.clientWsBe, noWs.serverWsFe, noWs.serverWsBe]).to.deep.equal([7, 0, 6, 0]);
    });

    it('turns timestamp mapping off when the client and the FE did not agree to timestamps', () => {
      const s = rewriteState({ ...fe, feOpts: { ...fe.feOpts, tsVal: null } }, be);
      expect(s.tsDelta).to.equal(null);
    });

    it('reports an option mismatch when the BE declines timestamps the FE agreed to', () => {
      expect(optionMismatch(fe, be)).to.equal(null);
      expect(optionMismatch(fe, { ...be, beOpts: { ...be.beOpts, tsVal: null } })).to.match(/timestamps/);
      expect(optionMismatch(fe, { ...be, beOpts: { ...be.beOpts, wscale: null, sackOk: false } })).to.equal(null);
    });

    it('parses the initial state out of a SYN/ACK (claim 2)', () => {
      const synAck = packet({
        src: VIP, dst: CLIENT, seq: 1000, ack: 0x10, flags: SYN | ACK,
        options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 4990, ecr: 4000 }, { kind: 'nop' }, { kind: 'wscale', shift: 15 }],
      });
      const r = initialState(synAck);
      expect(r).to.deep.equal({
        ok: true,
        value: { src: VIP, dst: CLIENT, isn: 1000, opts: { mss: 1460, wscale: 14, sackOk: true, tsVal: 4990 } },
      });
      expect(initialState(packet({ src: VIP, dst: CLIENT, seq: 1, ack: 1, flags: ACK }))).to.deep.equal({ ok: false, error: 'not-syn' });
    });
  });

  describe('golden packets', () => {
    it('rewrites a client data segment for the BE: address, port, ack, SACK, TSecr, checksums (claims 7, 17)', () => {
      // SACK and timestamps sit at odd offsets (one NOP in front): the checksum must still be exact.
      const input = packet({
        src: CLIENT, dst: VIP, seq: 0x10 + 1, ack: 1001 + 500, flags: ACK | PSH, window: 500,
        options: [{ kind: 'nop' }, { kind: 'sack', blocks: [{ left: seq(1001 + 1000), right: seq(1001 + 2460) }] }, { kind: 'nop' }, { kind: 'ts', val: 4100, ecr: 4990 }],
        payload: 'GET /b HTTP/1.1\r\n\r\n',
      });
      const expected = packet({
        src: CLIENT, dst: BE, seq: 0x10 + 1, ack: 0xfffffdf5, flags: ACK | PSH, window: 500,
        options: [{ kind: 'nop' }, { kind: 'sack', blocks: [{ left: seq(0xfffffc00 + 1 + 1000), right: seq(0xfffffc00 + 1 + 2460 - 2 ** 32) }] }, { kind: 'nop' }, { kind: 'ts', val: 4100, ecr: 0xfffffef6 }],
        payload: 'GET /b HTTP/1.1\r\n\r\n',
      });
      const out = input.slice();
      expect(rewriteClientToBe(out, st)).to.deep.equal({ ok: true });
      expect(hex(out)).to.equal(hex(expected));
      // The same bytes, spelled out: IP header (new dst 10.0.0.11, checksum e260), TCP header
      // (dport 8080, ack fffffdf5, checksum 9ed8), NOP, SACK ffffffe9-0000059d, NOP, TS 4100/fffffef6.
      expect(hex(out)).to.equal(
        '45000053123440004006e260cb0071050a00000b' +
          '9c401f9000000011fffffdf5b01801f49ed80000' +
          '01050affffffe90000059d' + '01080a00001004fffffef6' + '0000' +
          '474554202f6220485454502f312e310d0a0d0a',
      );
      expectValid(out);
    });

    it('rewrites a BE response segment for the client: source, port, seq, TSval, window (claims 9, 18, 36)', () => {
      const input = packet({
        src: BE, dst: CLIENT, seq: 0xfffffc00 + 1 + 1000, ack: 0x10 + 20, flags: ACK, window: 100,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 0xffffff10, ecr: 4100 }],
        payload: 'HTTP/1.1 200 OK\r\n',
      });
      const expected = packet({
        src: VIP, dst: CLIENT, seq: 1001 + 1000, ack: 0x10 + 20, flags: ACK, window: 800,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 5016, ecr: 4100 }],
        payload: 'HTTP/1.1 200 OK\r\n',
      });
      const out = input.slice();
      expect(rewriteBeToClient(out, st)).to.deep.equal({ ok: true });
      expect(hex(out)).to.equal(hex(expected));
      expectValid(out);
    });

    it('clamps a rescaled window at 65535 and rounds down, never offering more than the sender did', () => {
      expect(rescaleWindow(100, 9, 6)).to.equal(800);
      expect(rescaleWindow(0xffff, 9, 6)).to.equal(0xffff);
      expect(rescaleWindow(1000, 0, 7)).to.equal(7);
      expect(rescaleWindow(127, 0, 7)).to.equal(0);
    });

    it('replays the recorded SYN at the BE: destination rewritten, options the FE declined NOPed (claims 3, 13, 34)', () => {
      const syn = packet({
        src: CLIENT, dst: VIP, seq: 0x10, flags: SYN,
        options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 4000, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
      });
      const out = syn.slice();
      const declined = { target: BE, feOpts: { mss: 1460, wscale: null, sackOk: true, tsVal: null } };
      expect(rewriteSynForBe(out, declined)).to.deep.equal({ ok: true });
      const expected = packet({
        src: CLIENT, dst: BE, seq: 0x10, flags: SYN,
        options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, ...Array<TcpOption>(11).fill({ kind: 'nop' }), { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }],
      });
      expect(hex(out)).to.equal(hex(expected));
      expectValid(out);
    });

    it('replays the recorded ACK at the BE with its ack number in the BE space (claims 3, 13, 34)', () => {
      const ack = packet({ src: CLIENT, dst: VIP, seq: 0x11, ack: 1001, flags: ACK, window: 229, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 4001, ecr: 4990 }] });
      const out = ack.slice();
      expect(rewriteClientToBe(out, st)).to.deep.equal({ ok: true });
      const expected = packet({ src: CLIENT, dst: BE, seq: 0x11, ack: 0xfffffc01, flags: ACK, window: 229, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 4001, ecr: 4990 - 5256 + 2 ** 32 }] });
      expect(hex(out)).to.equal(hex(expected));
    });

    it('leaves ack and TSecr of a segment without ACK alone (a retransmitted SYN)', () => {
      const syn = packet({ src: CLIENT, dst: VIP, seq: 0x10, ack: 77, flags: SYN, options: [{ kind: 'ts', val: 4000, ecr: 9 }] });
      const out = syn.slice();
      rewriteClientToBe(out, st);
      expect(hex(out)).to.equal(hex(packet({ src: CLIENT, dst: BE, seq: 0x10, ack: 77, flags: SYN, options: [{ kind: 'ts', val: 4000, ecr: 9 }] })));
    });

    it('keeps a corrupted packet detectably corrupted: incremental update carries the error along', () => {
      const input = packet({ src: CLIENT, dst: VIP, seq: 1, ack: 1501, flags: ACK, payload: 'hello' });
      input[input.length - 1] ^= 0x20;
      const out = input.slice();
      rewriteClientToBe(out, st);
      const r = parseIpv4Tcp(out);
      expect(r.ok ? 'ok' : r.error).to.equal('bad-checksum');
      out[out.length - 1] ^= 0x20;
      expectValid(out);
    });
  });

  describe('bad packets are refused and left untouched', () => {
    const good = packet({ src: CLIENT, dst: VIP, seq: 1, ack: 1501, flags: ACK, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 1, ecr: 2 }] });
    const cases: Array<[string, () => Uint8Array, string]> = [
      ['a truncated packet', () => good.slice(0, 30), 'truncated'],
      ['a packet that is not IPv4', () => { const b = good.slice(); b[0] = 0x65; return b; }, 'bad-version'],
      ['a packet that is not TCP', () => { const b = good.slice(); b[9] = 17; return b; }, 'not-tcp'],
      ['a fragment', () => { const b = good.slice(); b[6] |= 0x20; return b; }, 'fragment'],
      ['a TCP header longer than the packet', () => { const b = good.slice(); b[32] = 0xf0; return b; }, 'truncated'],
      ['an option whose length runs past the header', () => { const b = good.slice(); b[43] = 30; return b; }, 'bad-option-length'],
    ];
    for (const [what, make, error] of cases) {
      it(`refuses ${what} ('${error}') in both directions`, () => {
        for (const f of [rewriteClientToBe, rewriteBeToClient]) {
          const b = make();
          const before = hex(b);
          const r = f(b, st);
          expect(r.ok ? 'ok' : r.error).to.equal(error);
          expect(hex(b)).to.equal(before);
        }
      });
    }
  });

  describe('properties: rewriting equals rebuilding the packet from mapped fields', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    /** Mostly near the wrap: a third of the values in the last 64 KiB below 2^32. */
    const seqish = fc.oneof(u32, fc.integer({ min: 0xffff0000, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }));
    const ws = fc.option(fc.integer({ min: 0, max: 14 }));
    const state: fc.Arbitrary<{ fe: FeInitialState; be: BeInitialState; st: RewriteState }> = fc
      .record({
        clientWs: ws, feWs: ws, beWs: ws, ts: fc.boolean(),
        feIsn: seqish, beIsn: seqish, feTsNow: seqish, beTs: seqish, bePort: fc.constantFrom(80, 8080),
      })
      .map((r) => {
        const f: FeInitialState = {
          vip: VIP,
          target: { addr: BE.addr, port: r.bePort },
          clientOpts: { mss: 1460, wscale: r.clientWs, sackOk: true, tsVal: r.ts ? 1 : null },
          feIsn: seq(r.feIsn),
          feOpts: { mss: 1460, wscale: r.feWs, sackOk: true, tsVal: r.ts ? 2 : null },
          feTsNow: r.feTsNow,
        };
        const b: BeInitialState = { beIsn: seq(r.beIsn), beOpts: { mss: 1460, wscale: r.beWs, sackOk: true, tsVal: r.ts ? r.beTs : null } };
        return { fe: f, be: b, st: rewriteState(f, b) };
      });
    const block = fc.record({ left: seqish.map((n) => seq(n) as Seq), right: seqish.map((n) => seq(n) as Seq) });
    const option: fc.Arbitrary<TcpOption> = fc.oneof(
      fc.constant({ kind: 'nop' } as const),
      fc.record({ kind: fc.constant('ts' as const), val: u32, ecr: u32 }),
      fc.record({ kind: fc.constant('sack' as const), blocks: fc.array(block, { minLength: 1, maxLength: 3 }) }),
    );
    const optLen = (o: TcpOption) => (o.kind === 'nop' ? 1 : o.kind === 'ts' ? 10 : o.kind === 'sack' ? 2 + 8 * o.blocks.length : 0);
    const options = fc.array(option, { maxLength: 5 }).map((os) => {
      const out: TcpOption[] = [];
      let n = 0;
      for (const o of os) if (n + optLen(o) <= 40) { out.push(o); n += optLen(o); }
      return out;
    });
    const seg = fc.record({
      seq: seqish, ack: seqish, window: fc.integer({ min: 0, max: 0xffff }), options,
      flags: fc.constantFrom(ACK, ACK | PSH, ACK | FIN, RST, RST | ACK, SYN),
      payload: fc.uint8Array({ maxLength: 64 }),
    });

    const mapOpts = (os: TcpOption[], sack: (s: Seq) => Seq, ts: (o: { val: number; ecr: number }) => { val: number; ecr: number }) =>
      os.map((o): TcpOption => o.kind === 'sack' ? { kind: 'sack', blocks: o.blocks.map((b) => ({ left: sack(b.left), right: sack(b.right) })) } : o.kind === 'ts' ? { kind: 'ts', ...ts(o) } : o);

    it('client -> BE: every mapped field, and checksums equal to a full recomputation', () => {
      fc.assert(
        fc.property(state, seg, ({ st: s }, g) => {
          const acks = (g.flags & ACK) !== 0;
          const input: Seg = { src: CLIENT, dst: VIP, ...g };
          const want: Seg = {
            src: CLIENT,
            dst: s.be,
            seq: g.seq,
            ack: acks ? (g.ack + s.seqDelta) >>> 0 : g.ack,
            flags: g.flags,
            window: g.flags & SYN ? g.window : rescaleWindow(g.window, s.clientWsFe, s.clientWsBe),
            options: mapOpts(g.options, (x) => seq(x + s.seqDelta), (t) => ({ val: t.val, ecr: acks && s.tsDelta !== null ? (t.ecr - s.tsDelta) >>> 0 : t.ecr })),
            payload: g.payload,
          };
          const out = packet(input);
          expect(rewriteClientToBe(out, s)).to.deep.equal({ ok: true });
          expect(hex(out)).to.equal(hex(packet(want)));
        }),
        { numRuns: 500 },
      );
    });

    it('BE -> client: every mapped field, and checksums equal to a full recomputation', () => {
      fc.assert(
        fc.property(state, seg, ({ st: s }, g) => {
          const input: Seg = { src: s.be, dst: CLIENT, ...g };
          const want: Seg = {
            src: VIP,
            dst: CLIENT,
            seq: (g.seq - s.seqDelta) >>> 0,
            ack: g.ack,
            flags: g.flags,
            window: g.flags & SYN ? g.window : rescaleWindow(g.window, s.serverWsBe, s.serverWsFe),
            options: mapOpts(g.options, (x) => x, (t) => ({ val: s.tsDelta !== null ? (t.val + s.tsDelta) >>> 0 : t.val, ecr: t.ecr })),
            payload: g.payload,
          };
          const out = packet(input);
          expect(rewriteBeToClient(out, s)).to.deep.equal({ ok: true });
          expect(hex(out)).to.equal(hex(packet(want)));
        }),
        { numRuns: 500 },
      );
    });

    it('a BE sequence number mapped to the FE and its ack mapped back meet again, across the wrap', () => {
      fc.assert(
        fc.property(state, seqish, ({ st: s }, n) => {
          const resp = packet({ src: s.be, dst: CLIENT, seq: n, ack: 1, flags: ACK });
          rewriteBeToClient(resp, s);
          const feSeq = parseIpv4Tcp(resp);
          if (!feSeq.ok) throw new Error(feSeq.error);
          const ack = packet({ src: CLIENT, dst: VIP, seq: 1, ack: feSeq.value.tcp.seq, flags: ACK });
          rewriteClientToBe(ack, s);
          const back = parseIpv4Tcp(ack);
          if (!back.ok) throw new Error(back.error);
          expect(back.value.tcp.ack).to.equal(n);
        }),
        { numRuns: 300 },
      );
    });

    it('the replayed SYN keeps exactly the options the FE agreed to, as NOPs elsewhere, with a valid checksum', () => {
      fc.assert(
        fc.property(ws, fc.boolean(), fc.boolean(), (feWs, feSack, feTs) => {
          const syn = packet({
            src: CLIENT, dst: VIP, seq: 5, flags: SYN,
            options: [{ kind: 'mss', mss: 1400 }, { kind: 'wscale', shift: 3 }, { kind: 'sackOK' }, { kind: 'ts', val: 7, ecr: 0 }],
          });
          rewriteSynForBe(syn, { target: BE, feOpts: { mss: 1460, wscale: feWs, sackOk: feSack, tsVal: feTs ? 9 : null } });
          const r = initialState(syn);
          if (!r.ok) throw new Error(r.error);
          expect(r.value.dst).to.deep.equal(BE);
          expect(r.value.opts).to.deep.equal({ mss: 1400, wscale: feWs === null ? null : 3, sackOk: feSack, tsVal: feTs ? 7 : null });
        }),
      );
    });
  });
});
