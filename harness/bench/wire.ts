/**
 * Wire-format benchmarks (issue 3: IPv4+TCP header parse+emit per second; checksum at least
 * 1 GB/s over 1500-byte packets), plus the two comparisons behind design choices in lib/wire:
 * buffer-layout decoding vs direct byte accessors, and the WebAssembly SIMD checksum vs a plain
 * 16-bit byte loop. Packet contents come from a fixed seed; rates are CPU time.
 */
import { registerBenchmarks, cpuSeconds } from './suite.ts';
import type { BenchResult } from './suite.ts';
import { SeededRng } from '../../lib/sim/index.ts';
import { internetChecksum } from '../../lib/wire/checksum.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp, ipv4TcpViews, parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { IPV4_HEADER_LAYOUT, Ipv4Packet } from '../../lib/wire/ipv4.ts';
import { seq, seqAdd } from '../../lib/wire/seq.ts';
import { TCP_HEADER_LAYOUT, TcpPacket } from '../../lib/wire/tcp.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';

const PACKETS = 1024;

/** Data segments as a Linux client sends them: nop,nop,TS; payload of the given size. */
function makePackets(rng: SeededRng, payload: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const data = new Uint8Array(payload);
    for (let j = 0; j < payload; j++) data[j] = rng.int(256);
    const tcp: TcpRepr = {
      srcPort: 1024 + rng.int(60000),
      dstPort: 80,
      seq: seq(rng.int(2 ** 32)),
      ack: seq(rng.int(2 ** 32)),
      flags: TcpFlag.ACK | TcpFlag.PSH,
      window: rng.int(65536),
      urgent: 0,
      options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: rng.int(2 ** 32), ecr: rng.int(2 ** 32) }],
      payload: data,
    };
    out.push(encodeIpv4Tcp({ src: rng.int(2 ** 32) as Ipv4Addr, dst: ipv4('192.0.2.80'), id: rng.int(65536) }, tcp));
  }
  return out;
}

/** Runs fn over the packets `rounds` times after one warm-up round; returns operations per CPU second. */
function rate(packets: Uint8Array[], rounds: number, fn: (p: Uint8Array) => number): { perSec: number; sink: number } {
  let sink = 0;
  for (const p of packets) sink ^= fn(p);
  const secs = cpuSeconds(() => {
    for (let r = 0; r < rounds; r++) for (const p of packets) sink ^= fn(p);
  });
  return { perSec: (rounds * packets.length) / secs, sink };
}

function byteLoopChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The header fields a forwarder reads, the direct way (the lib/wire views). */
function directFields(p: Uint8Array): number {
  const ip = Ipv4Packet.newUnchecked(p);
  const tcp = TcpPacket.newUnchecked(p.subarray(ip.headerLen));
  const h = {
    verIhl: ip.headerLen,
    totalLen: ip.totalLen,
    ttl: ip.ttl,
    protocol: ip.protocol,
    src: ip.src,
    dst: ip.dst,
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seqNumber,
    ack: tcp.ackNumber,
    flags: tcp.flags,
    window: tcp.window,
  };
  return h.src ^ h.seq ^ h.window;
}

/** The same fields decoded through the buffer-layout declarations. */
function layoutFields(p: Uint8Array): number {
  const ip = IPV4_HEADER_LAYOUT.decode(p, 0);
  const tcp = TCP_HEADER_LAYOUT.decode(p, (ip.verIhl & 0x0f) * 4);
  return ip.src ^ tcp.seq ^ tcp.window;
}

registerBenchmarks({
  area: 'wire',
  name: 'formats and checksums',
  run(): BenchResult[] {
    const rng = new SeededRng('bench:wire');
    const small = makePackets(rng.fork('small'), 0);
    const full = makePackets(rng.fork('full'), 1448); // 1500-byte IPv4 packets
    const parsed = small.map((p) => {
      const r = parseIpv4Tcp(p);
      if (!r.ok) throw new Error(`bench packet does not parse: ${r.error}`);
      return r.value;
    });

    const parse = rate(small, 300, (p) => (parseIpv4Tcp(p).ok ? 1 : 0));
    let k = 0;
    const emit = rate(small, 300, () => {
      const { ip, tcp } = parsed[k++ & (PACKETS - 1)]!;
      return encodeIpv4Tcp(ip, tcp).length;
    });
    const both = rate(small, 300, (p) => {
      const r = parseIpv4Tcp(p);
      return r.ok ? encodeIpv4Tcp(r.value.ip, r.value.tcp).length : 0;
    });
    const csum = rate(full, 200, (p) => internetChecksum(p));
    const csumLoop = rate(full, 40, byteLoopChecksum);
    const direct = rate(small, 1000, directFields);
    const layout = rate(small, 100, layoutFields);
    // What BTCP does per forwarded packet: new destination and ack, both checksums kept right.
    const work = small.map((p) => p.slice());
    const rewrite = rate(work, 1000, (p) => {
      const { ip, tcp } = ipv4TcpViews(p);
      const dst = (ip.dst ^ 1) as Ipv4Addr;
      tcp.adjustForAddress(ip.dst, dst);
      ip.rewriteDst(dst);
      tcp.rewriteAck(seqAdd(tcp.ackNumber, 12345));
      return tcp.checksum;
    });

    const gbps = (r: { perSec: number }) => (r.perSec * 1500) / 1e9;
    return [
      { name: 'IPv4+TCP parse (checksums verified), 52-byte packets', value: parse.perSec, unit: 'packets/s' },
      { name: 'IPv4+TCP emit (checksums filled), 52-byte packets', value: emit.perSec, unit: 'packets/s' },
      { name: 'IPv4+TCP header parse+emit', value: both.perSec, unit: 'packets/s' },
      { name: 'Internet checksum, 1500-byte packets', value: gbps(csum), unit: 'GB/s', note: `goal >= 1; ${(csum.perSec / 1e6).toFixed(2)} M packets/s` },
      { name: 'checksum, 16-bit byte loop (reference)', value: gbps(csumLoop), unit: 'GB/s', note: `WebAssembly SIMD is ${(csum.perSec / csumLoop.perSec).toFixed(1)}x` },
      { name: 'header fields, direct accessors', value: direct.perSec, unit: 'packets/s' },
      { name: 'header fields, buffer-layout decode', value: layout.perSec, unit: 'packets/s', note: `direct is ${(direct.perSec / layout.perSec).toFixed(1)}x faster` },
      { name: 'in-place rewrite dst+ack, RFC 1624 updates', value: rewrite.perSec, unit: 'packets/s' },
    ];
  },
});
