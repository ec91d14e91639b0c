import { expect } from 'chai';
import fc from 'fast-check';
import { parseScript } from '../../harness/packetdrill/parser.ts';
import { formatEvent, formatPacketSpec, formatTcpRepr, tcpReprToSpec } from '../../harness/packetdrill/format.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { seq } from '../../lib/wire/seq.ts';

function reformat(line: string): string {
  const r = parseScript(`0 ${line}\n`);
  if (!r.ok) throw new Error(`${r.error.message} in: ${line}`);
  const ev = r.script.events[0]!;
  if (ev.kind !== 'packet') throw new Error('not a packet');
  return formatPacketSpec(ev.packet);
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.constant<TcpOption>({ kind: 'eol' }),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc.integer({ min: 0, max: 0xffff }).map((mss): TcpOption => ({ kind: 'mss', mss })),
  fc.integer({ min: 0, max: 14 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.tuple(u32, u32).map(([val, ecr]): TcpOption => ({ kind: 'ts', val, ecr })),
  fc
    .array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 })
    .map((bs): TcpOption => ({ kind: 'sack', blocks: bs.map(([l, r]) => ({ left: seq(l), right: seq(r) })) })),
);
const flagsArb = fc
  .subarray([TcpFlag.FIN, TcpFlag.SYN, TcpFlag.RST, TcpFlag.PSH, TcpFlag.ACK, TcpFlag.URG, TcpFlag.ECE, TcpFlag.CWR])
  .map((bits) => bits.reduce((a, b) => a | b, 0));
const reprArb: fc.Arbitrary<TcpRepr> = fc.record({
  srcPort: fc.constant(8080),
  dstPort: fc.constant(40000),
  seq: u32.map(seq),
  ack: u32.map(seq),
  flags: flagsArb,
  window: fc.integer({ min: 0, max: 0xffff }),
  urgent: fc.integer({ min: 0, max: 0xffff }),
  options: fc.array(optionArb, { maxLength: 5 }),
  payload: fc.integer({ min: 0, max: 3000 }).map((n) => new Uint8Array(n)),
});

describe('packetdrill formatter', () => {
  const canonical = [
    '> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 7,nop,wscale 7>',
    '< S 0:0(0) win 32792 <mss 1000,nop,wscale 7>',
    '> P. 1:5841(5840) ack 1',
    '< . 1:1(0) ack 1 win 257 <sack 1461:2921,nop,nop>',
    '> R 34:34(0) win 0',
    '< - 1:1(0) win 5',
    '>[ect0] . 1:1001(1000) ack 1',
    '<[noecn] SEW 0:0(0) win 65535 <mss 1000,sackOK,eol,eol>',
    '> . 1:1(0) ack 1 <...>',
    '< FPU. 10:20(10) ack 3 win 100 urg 5',
    '< . 1:1(0) ack 1 win 100 <sack 1:2 3:4 5:6>',
    '< S 0:0(0) win 100 <FO 0011aabb,md5 00112233445566778899aabbccddeeff>',
  ];
  for (const line of canonical) {
    it(`round-trips ${line}`, () => {
      expect(reformat(line)).to.equal(line);
    });
  }

  it('normalises spacing to the canonical form', () => {
    expect(reformat('>  S.  0:0(0)   ack 1   <mss 1460, nop ,wscale 6>')).to.equal('> S. 0:0(0) ack 1 <mss 1460,nop,wscale 6>');
  });

  it('prints a real segment so that parsing it gives the same segment back (property)', () => {
    fc.assert(
      fc.property(reprArb, (r) => {
        const text = formatTcpRepr('outbound', r);
        const parsed = parseScript(`0 ${text}\n`);
        if (!parsed.ok) throw new Error(`${parsed.error.message}: ${text}`);
        const ev = parsed.script.events[0]!;
        if (ev.kind !== 'packet') return false;
        expect(ev.packet).to.deep.equal(tcpReprToSpec('outbound', r));
        return true;
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('prints ack only with the ACK flag and urg only when used', () => {
    const r: TcpRepr = { srcPort: 1, dstPort: 2, seq: seq(5), ack: seq(77), flags: TcpFlag.RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
    expect(formatTcpRepr('outbound', r)).to.equal('> R 5:5(0) win 0');
    expect(formatTcpRepr('outbound', { ...r, flags: TcpFlag.RST | TcpFlag.ACK })).to.equal('> R. 5:5(0) ack 77 win 0');
    expect(formatTcpRepr('inbound', r, 2)).to.equal('<[ect0] R 5:5(0) win 0');
  });

  it('formats whole events: syscalls with errno, blocking ranges, commands', () => {
    const src = [
      '0.1 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
      '+0...0.2 read(4, ..., 2000) = 2000',
      '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0',
      '+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0',
      '*  > F. 1:1(0) ack 1',
      '0.1~0.2 > . 1:1(0) ack 1',
      '+0 `sysctl -q net.ipv4.tcp_sack=0`',
    ].join('\n');
    const r = parseScript(src);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.script.events.map(formatEvent)).to.deep.equal([
      '0.1 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
      '+0 ...0.2 read(4, ..., 2000) = 2000',
      '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0',
      '+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0',
      '* > F. 1:1(0) ack 1',
      '0.1~0.2 > . 1:1(0) ack 1',
      '+0 `sysctl -q net.ipv4.tcp_sack=0`',
    ]);
  });
});
