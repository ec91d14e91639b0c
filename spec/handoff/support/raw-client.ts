/**
 * A scripted client for the cluster specs, in the spirit of packetdrill: the client host has
 * no TCP, only a raw IP endpoint bound to protocol 6, so a spec sends exactly the segments it
 * wants (out of order, twice, half a request head) and sees every segment the cluster sends
 * back to it, with arrival times.
 */
import type { World } from '../../../harness/world/world.ts';
import type { RawIp, RawPacket } from '../../../harness/world/raw.ts';
import { ipv4, IpProto, type Ipv4Addr } from '../../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp, parseIpv4Tcp } from '../../../lib/wire/ipv4-tcp.ts';
import { seq, seqAdd, type Seq } from '../../../lib/wire/seq.ts';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../../lib/wire/tcp-types.ts';
import type { Time } from '../../../lib/sim/time.ts';
import { CLIENT, VIP } from './cluster.ts';

export interface Got {
  time: Time;
  src: Ipv4Addr;
  tcp: TcpRepr;
  bytes: Uint8Array;
}

export const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

/** One raw TCP endpoint per client host, shared by the RawClients there (by port). */
const raws = new WeakMap<World, RawIp>();
const demux = new WeakMap<RawIp, Map<number, (p: RawPacket) => void>>();

function rawOf(w: World): RawIp {
  let raw = raws.get(w);
  if (raw === undefined) {
    raw = w.getHost('client').stack.openRaw(IpProto.TCP);
    const m = new Map<number, (p: RawPacket) => void>();
    demux.set(raw, m);
    raw.onPacket = (p) => {
      const r = parseIpv4Tcp(p.bytes);
      if (r.ok) m.get(r.value.tcp.dstPort)?.(p);
    };
    raws.set(w, raw);
  }
  return raw;
}

function clientsOf(raw: RawIp): Map<number, (p: RawPacket) => void> {
  return demux.get(raw)!;
}

export class RawClient {
  readonly raw: RawIp;
  readonly got: Got[] = [];
  readonly addr = ipv4(CLIENT);
  readonly vip = ipv4(VIP);
  /** The client's ISN and next sequence number, the server's ISN as it saw it. */
  isn: Seq;
  snd: Seq;
  serverIsn: Seq = seq(0);
  /** The server's byte stream as received in order (payload only). */
  stream: number[] = [];
  rcvNxt: Seq = seq(0);
  tsVal = 1000;

  constructor(
    readonly w: World,
    readonly port = 40000,
    isn = 1_000_000,
    readonly options: { ts?: boolean; wscale?: number; sack?: boolean; mss?: number } = { ts: true, wscale: 7, sack: true, mss: 1460 },
  ) {
    this.raw = rawOf(w);
    clientsOf(this.raw).set(port, (p) => {
      const r = parseIpv4Tcp(p.bytes);
      if (!r.ok || r.value.tcp.dstPort !== this.port) return;
      const tcp = r.value.tcp;
      this.got.push({ time: p.time, src: r.value.ip.src, tcp, bytes: p.bytes });
      this.absorb(tcp);
    });
    this.isn = seq(isn);
    this.snd = seq(isn);
  }

  private absorb(tcp: TcpRepr): void {
    if (tcp.flags & TcpFlag.SYN) {
      this.serverIsn = tcp.seq;
      this.rcvNxt = seqAdd(tcp.seq, 1);
      return;
    }
    if (tcp.seq === this.rcvNxt && tcp.payload.length > 0) {
      for (const b of tcp.payload) this.stream.push(b);
      this.rcvNxt = seqAdd(this.rcvNxt, tcp.payload.length);
    }
    if (tcp.flags & TcpFlag.FIN && seqAdd(tcp.seq, tcp.payload.length) === this.rcvNxt) this.rcvNxt = seqAdd(this.rcvNxt, 1);
  }

  synOptions(): TcpOption[] {
    const o: TcpOption[] = [];
    if (this.options.mss) o.push({ kind: 'mss', mss: this.options.mss });
    if (this.options.sack) o.push({ kind: 'sackOK' });
    if (this.options.ts) o.push({ kind: 'ts', val: this.tsVal, ecr: 0 });
    if (this.options.wscale !== undefined) o.push({ kind: 'nop' }, { kind: 'wscale', shift: this.options.wscale });
    return o;
  }

  /** The server's latest TSval, to echo. */
  get tsEcr(): number {
    for (let i = this.got.length - 1; i >= 0; i--) for (const o of this.got[i]!.tcp.options) if (o.kind === 'ts') return o.val;
    return 0;
  }

  /** Send one segment (defaults: ACK of what arrived, timestamps if on). */
  send(s: { flags: number; seq?: Seq; ack?: Seq; payload?: string | Uint8Array; window?: number; options?: TcpOption[] }): void {
    const payload = typeof s.payload === 'string' ? new TextEncoder().encode(s.payload) : (s.payload ?? new Uint8Array(0));
    this.tsVal += 10;
    const options = s.options ?? (this.options.ts ? [{ kind: 'nop' } as TcpOption, { kind: 'nop' } as TcpOption, { kind: 'ts', val: this.tsVal, ecr: this.tsEcr } as TcpOption] : []);
    const tcp: TcpRepr = {
      srcPort: this.port,
      dstPort: 80,
      seq: s.seq ?? this.snd,
      ack: s.ack ?? (s.flags & TcpFlag.ACK ? this.rcvNxt : seq(0)),
      flags: s.flags,
      window: s.window ?? 4096,
      urgent: 0,
      options,
      payload,
    };
    this.raw.sendBytes(encodeIpv4Tcp({ src: this.addr, dst: this.vip }, tcp));
  }

  syn(): void {
    this.send({ flags: SYN, seq: this.isn, options: this.synOptions(), window: 65535 });
    this.snd = seqAdd(this.isn, 1);
  }

  ack(): void {
    this.send({ flags: ACK });
  }

  /** Send request bytes from the current position (or `at`, an offset from the first byte). */
  data(text: string | Uint8Array, opts: { at?: number; fin?: boolean; advance?: boolean } = {}): void {
    const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    const at = opts.at === undefined ? this.snd : seqAdd(this.isn, 1 + opts.at);
    this.send({ flags: ACK | PSH | (opts.fin ? FIN : 0), seq: at, payload: bytes });
    if (opts.advance !== false && opts.at === undefined) this.snd = seqAdd(this.snd, bytes.length + (opts.fin ? 1 : 0));
  }

  fin(): void {
    this.send({ flags: ACK | FIN });
    this.snd = seqAdd(this.snd, 1);
  }

  rst(): void {
    this.send({ flags: RST, ack: seq(0) });
  }

  /** Handshake: SYN, wait for the SYN/ACK, ACK. */
  connect(step: (d: Time) => void, rtt: Time): void {
    this.syn();
    step(rtt * 2);
    this.ack();
  }

  text(): string {
    return new TextDecoder('latin1').decode(new Uint8Array(this.stream));
  }

  resets(): Got[] {
    return this.got.filter((g) => g.tcp.flags & TcpFlag.RST);
  }
}
