/**
 * Handoff building-block benchmarks (issue 7): per-packet rewriting in forwarding mode (and
 * what incremental checksums save over recomputing them), the control-channel codec, the
 * HTTP request-head parser, and dispatch decisions per policy. Fixed seeds; rates are CPU time.
 */
import { registerBenchmarks, cpuSeconds } from './suite.ts';
import type { BenchResult } from './suite.ts';
import { SeededRng } from '../../lib/sim/index.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp, ipv4TcpViews } from '../../lib/wire/ipv4-tcp.ts';
import { seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { TcpOption } from '../../lib/wire/tcp-types.ts';
import { rewriteBeToClient, rewriteClientToBe } from '../../modules/btcp/rewrite.ts';
import { rewriteState } from '../../modules/btcp/rewrite-state.ts';
import type { RewriteState } from '../../modules/btcp/rewrite-state.ts';
import { encodeFrame } from '../../modules/control/encode.ts';
import { FrameDecoder } from '../../modules/control/decode.ts';
import type { HandoffReq } from '../../modules/control/frame.ts';
import { HeadParser } from '../../modules/btcp/http-head.ts';
import { createPolicy } from '../../modules/btcp/dispatch/registry.ts';
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import type { DispatchRequest, NodeView } from '../../modules/btcp/dispatch/policy.ts';

const PACKETS = 512;
const CLIENT = ipv4('203.0.113.5');
const VIP = { addr: ipv4('198.51.100.1'), port: 80 };
const BE = { addr: ipv4('10.0.0.11'), port: 8080 };

function rate(n: number, fn: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(n, 20_000); i++) sink ^= fn(i); // warm-up: let the JIT settle
  const secs = cpuSeconds(() => {
    for (let i = 0; i < n; i++) sink ^= fn(i);
  });
  return sink === Infinity ? 0 : n / secs;
}

function packets(rng: SeededRng, from: Ipv4Addr, to: Ipv4Addr, toPort: number, payload: number, sack: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const options: TcpOption[] = [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: rng.u32(), ecr: rng.u32() }];
    if (sack) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: seq(rng.u32()), right: seq(rng.u32()) }] });
    out.push(
      encodeIpv4Tcp(
        { src: from, dst: to, id: rng.int(65536) },
        {
          srcPort: 40000 + rng.int(20000), dstPort: toPort, seq: seq(rng.u32()), ack: seq(rng.u32()),
          flags: TcpFlag.ACK | TcpFlag.PSH, window: rng.int(65536), urgent: 0, options,
          payload: new Uint8Array(payload).map(() => rng.int(256)),
        },
      ),
    );
  }
  return out;
}

/** The state that undoes `st` for the same direction, so alternating rounds keep real work to do. */
function inverse(st: RewriteState, back: RewriteState['be']): RewriteState {
  return { ...st, be: back, vip: back, seqDelta: -st.seqDelta, tsDelta: st.tsDelta === null ? null : (2 ** 32 - st.tsDelta) % 2 ** 32 };
}

function rewriteFigures(rng: SeededRng): BenchResult[] {
  const st = rewriteState(
    {
      vip: VIP, target: BE, feIsn: seq(rng.u32()), feTsNow: rng.u32(),
      clientOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: 1 },
      feOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: 2 },
    },
    { beIsn: seq(rng.u32()), beOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: rng.u32() } },
  );
  const toBe = [st, inverse(st, VIP)];
  const toClient = [st, { ...inverse(st, BE), vip: BE }];
  const acks = packets(rng.fork('acks'), CLIENT, VIP.addr, VIP.port, 0, true);
  const small = packets(rng.fork('small'), BE.addr, CLIENT, 40000, 0, false);
  const full = packets(rng.fork('full'), BE.addr, CLIENT, 40000, 1448, false); // 1500-byte packets
  const rounds = 400 * PACKETS;
  const c2b = rate(rounds, (i) => (rewriteClientToBe(acks[i % PACKETS]!, toBe[(i / PACKETS) & 1]!).ok ? 1 : 0));
  const b2cSmall = rate(rounds, (i) => (rewriteBeToClient(small[i % PACKETS]!, toClient[(i / PACKETS) & 1]!).ok ? 1 : 0));
  const b2cFull = rate(rounds, (i) => (rewriteBeToClient(full[i % PACKETS]!, toClient[(i / PACKETS) & 1]!).ok ? 1 : 0));
  // The alternative: rewrite the fields, then recompute both checksums over the whole packet.
  const recompute = rate(rounds / 4, (i) => {
    const p = full[i % PACKETS]!;
    rewriteBeToClient(p, toClient[(i / PACKETS) & 1]!);
    const { ip, tcp } = ipv4TcpViews(p);
    ip.fillChecksum();
    tcp.fillChecksum(ip.src, ip.dst);
    return tcp.checksum;
  });
  return [
    { name: 'rewrite client->BE (dst, ack, SACK, TSecr), ACK', value: c2b, unit: 'packets/s' },
    { name: 'rewrite BE->client (src, seq, TSval), 52 bytes', value: b2cSmall, unit: 'packets/s' },
    { name: 'rewrite BE->client, 1500 bytes', value: b2cFull, unit: 'packets/s', note: `${(b2cFull / b2cSmall).toFixed(2)}x the 52-byte rate: flat in size` },
    { name: 'same + full checksum recomputation, 1500 bytes', value: recompute, unit: 'packets/s', note: `incremental is ${(b2cFull / recompute).toFixed(1)}x faster` },
  ];
}

function controlFigures(rng: SeededRng): BenchResult[] {
  const req: HandoffReq = {
    type: 'HANDOFF_REQ', connId: 1, client: { addr: CLIENT, port: 40000 }, vip: VIP, target: BE,
    clientIsn: seq(rng.u32()), clientOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: rng.u32() },
    feIsn: seq(rng.u32()), feOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: rng.u32() }, feTsNow: rng.u32(),
    syn: packets(rng, CLIENT, VIP.addr, 80, 0, false)[0]!.subarray(0, 60),
    ack: packets(rng, CLIENT, VIP.addr, 80, 0, false)[0]!,
    data: [packets(rng, CLIENT, VIP.addr, 80, 400, false)[0]!],
  };
  const enc = rate(20_000, (i) => {
    const r = encodeFrame({ ...req, connId: i }, { id: i });
    return r.ok ? r.bytes.length : 0;
  });
  const frame = encodeFrame(req, { id: 1 });
  if (!frame.ok) throw new Error(frame.error.detail);
  const decoder = new FrameDecoder();
  const dec = rate(20_000, () => decoder.push(frame.bytes).length);
  return [
    { name: 'control: encode HANDOFF_REQ (SYN, ACK, 400-byte request)', value: enc, unit: 'frames/s', note: `${frame.bytes.length} bytes` },
    { name: 'control: decode + validate HANDOFF_REQ', value: dec, unit: 'frames/s' },
  ];
}

function headFigures(): BenchResult[] {
  const text =
    'GET /images/catalog/item-12345.jpg?size=large HTTP/1.1\r\nHost: shop.example.com\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
    'Accept: image/avif,image/webp,*/*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n' +
    'Referer: https://shop.example.com/catalog\r\nConnection: keep-alive\r\nCookie: session=0123456789abcdef\r\n\r\n';
  const bytes = new TextEncoder().encode(text);
  const halves = [bytes.subarray(0, 200), bytes.subarray(200)];
  const parser = new HeadParser();
  const one = rate(100_000, () => {
    parser.reset();
    return parser.push(bytes).kind.length;
  });
  const two = rate(100_000, () => {
    parser.reset();
    parser.push(halves[0]!);
    return parser.push(halves[1]!).kind.length;
  });
  return [
    { name: `HTTP head parse, ${bytes.length}-byte browser request`, value: one, unit: 'heads/s' },
    { name: 'HTTP head parse, same head in two segments', value: two, unit: 'heads/s' },
  ];
}

function dispatchFigures(rng: SeededRng): BenchResult[] {
  const nodes: NodeView[] = Array.from({ length: 8 }, (_, i) => ({
    id: `be${i}`, weight: 1 + (i % 3), alive: true, draining: false, conns: rng.int(50), queueDepth: 0, cpuPermille: 0,
  }));
  const reqs: DispatchRequest[] = Array.from({ length: 4096 }, () => ({ method: 'GET', path: `/obj/${rng.int(20_000)}.html`, host: 'shop.example' }));
  const specs: PolicySpec[] = [
    { policy: 'url-partition', rules: Array.from({ length: 64 }, (_, i) => ({ prefix: `/obj/${i}`, nodes: [`be${i % 8}`, `be${(i + 3) % 8}`] })) },
    { policy: 'lard' },
    { policy: 'weighted-round-robin' },
    { policy: 'consistent-hash' },
    { policy: 'least-connections' },
  ];
  return specs.map((spec) => {
    const made = createPolicy(spec);
    if (!made.ok) throw new Error(made.error);
    const view = { selfId: 'fe', nodes };
    const perSec = rate(200_000, (i) => made.policy.pick(reqs[i & 4095]!, view).kind.length);
    return { name: `dispatch: ${spec.policy}, 8 nodes`, value: perSec, unit: 'picks/s' };
  });
}

registerBenchmarks({
  area: 'handoff',
  name: 'handoff building blocks',
  run(): BenchResult[] {
    const rng = new SeededRng('bench:handoff');
    return [
      ...rewriteFigures(rng.fork('rewrite')),
      ...controlFigures(rng.fork('control')),
      ...headFigures(),
      ...dispatchFigures(rng.fork('dispatch')),
    ];
  },
});
