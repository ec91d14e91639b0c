/** fast-check generators for wire specs: addresses, TCP options and segments, IPv4 headers. */
import fc from 'fast-check';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { Ipv4TcpHeader } from '../../lib/wire/ipv4-tcp.ts';
import { seq } from '../../lib/wire/seq.ts';
import { tcpOptionLen } from '../../lib/wire/tcp-options.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';

export const arbU32 = fc.integer({ min: 0, max: 0xffffffff });
export const arbU16 = fc.integer({ min: 0, max: 0xffff });
export const arbAddr = arbU32.map((n) => n as Ipv4Addr);
export const arbSeq = arbU32.map(seq);

/** Any option but EOL (stacks put EOL only last; emit pads with it). Unknown kinds avoid the known ones. */
export const arbOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  arbU16.map<TcpOption>((mss) => ({ kind: 'mss', mss })),
  fc.integer({ min: 0, max: 255 }).map<TcpOption>((shift) => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc
    .array(fc.record({ left: arbSeq, right: arbSeq }), { minLength: 1, maxLength: 4 })
    .map<TcpOption>((blocks) => ({ kind: 'sack', blocks })),
  fc.record({ val: arbU32, ecr: arbU32 }).map<TcpOption>(({ val, ecr }) => ({ kind: 'ts', val, ecr })),
  fc
    .record({
      code: fc.integer({ min: 6, max: 255 }).filter((c) => c !== 8),
      data: fc.uint8Array({ maxLength: 6 }),
    })
    .map<TcpOption>(({ code, data }) => ({ kind: 'unknown', code, data })),
);

/** An option list that fits in 40 bytes, optionally ended by EOL. */
export const arbOptions: fc.Arbitrary<TcpOption[]> = fc
  .tuple(fc.array(arbOption, { maxLength: 8 }), fc.boolean())
  .map(([opts, eol]) => {
    const out: TcpOption[] = [];
    let n = 0;
    for (const o of opts) {
      const l = tcpOptionLen(o);
      if (n + l > (eol ? 39 : 40)) break;
      out.push(o);
      n += l;
    }
    if (eol) out.push({ kind: 'eol' });
    return out;
  });

export const arbTcpRepr: fc.Arbitrary<TcpRepr> = fc.record({
  srcPort: arbU16,
  dstPort: arbU16,
  seq: arbSeq,
  ack: arbSeq,
  flags: fc.integer({ min: 0, max: 0x0fff }),
  window: arbU16,
  urgent: arbU16,
  options: arbOptions,
  payload: fc.uint8Array({ maxLength: 80 }),
});

export const arbIpHeader: fc.Arbitrary<Ipv4TcpHeader> = fc.record({
  src: arbAddr,
  dst: arbAddr,
  ttl: fc.integer({ min: 0, max: 255 }),
  id: arbU16,
  tos: fc.integer({ min: 0, max: 255 }),
  dontFrag: fc.boolean(),
  options: fc.integer({ min: 0, max: 10 }).chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
});

/** The option list parse returns for a list that emit padded: EOL zero bytes fill the last word. */
export function withPadding(options: TcpOption[]): TcpOption[] {
  let n = 0;
  for (const o of options) n += tcpOptionLen(o);
  const pad = ((n + 3) & ~3) - n;
  return [...options, ...Array.from({ length: pad }, (): TcpOption => ({ kind: 'eol' }))];
}
