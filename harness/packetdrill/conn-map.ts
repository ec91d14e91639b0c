/**
 * Translation between script space and live space for one connection, as packetdrill does it
 * (tcpdump style): sequence and ack numbers of segments with SYN set are absolute, the others are
 * relative to the SYN of their sender. The peer is the script, so its numbers go out as written
 * when its ISN is 0, as in nearly every script; the stack picks its own ISN, so its numbers are
 * shown relative to that ISN (an outbound `S. 0:0(0)` matches whatever ISN it chose).
 *
 * Timestamps: the stack's TS val is shown relative to its first TS val (mapped onto the first
 * scripted one), and every scripted outbound TS val remembers the live value it matched, so an
 * inbound TS ecr naming a scripted value is rewritten to the live value the stack really sent.
 */
import type { TcpPacketSpec } from './ast.ts';
import type { TcpOption, TcpRepr } from '../../lib/wire/tcp-types.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { seq, seqAdd } from '../../lib/wire/seq.ts';

export interface ConnMapOptions {
  /** packetdrill --tcp_ts_ecr_scaled: interpolate an inbound ecr that matches no scripted val. */
  tsEcrScaled: boolean;
}

export type InboundResult = { ok: true; tcp: TcpRepr } | { ok: false; error: string };

const u32 = (n: number): number => n >>> 0;

function findTs(opts: TcpOption[] | 'any'): { val: number; ecr: number } | undefined {
  if (opts === 'any') return undefined;
  for (const o of opts) if (o.kind === 'ts') return o;
  return undefined;
}

export class ConnMap {
  /** The stack's ISN as the script writes it, and as the stack chose it. */
  scriptLocalIsn: number | undefined;
  liveLocalIsn: number | undefined;
  /** The peer's (script's) ISN, from the SYN or SYN/ACK it sent. */
  remoteIsn: number | undefined;

  private readonly tsVals = new Map<number, number>();
  private firstTs: { script: number; live: number } | undefined;

  constructor(private readonly opts: ConnMapOptions = { tsEcrScaled: false }) {}

  learnLocalIsn(scriptIsn: number, liveIsn: number): void {
    this.scriptLocalIsn = u32(scriptIsn);
    this.liveLocalIsn = u32(liveIsn);
  }

  learnRemoteIsn(isn: number): void {
    this.remoteIsn = u32(isn);
  }

  /** script -> live offset for the stack's numbers. */
  private localOffset(isSyn: boolean): number {
    const live = this.liveLocalIsn ?? 0;
    return isSyn ? u32(live - (this.scriptLocalIsn ?? 0)) : live;
  }

  /** script -> live offset for the peer's numbers. */
  private remoteOffset(isSyn: boolean): number {
    return isSyn ? 0 : (this.remoteIsn ?? 0);
  }

  /**
   * A segment the stack sent, in script space. `expected` is the script packet it is compared
   * with (its TS val becomes the script name of the live TS val), or null for reports.
   */
  outboundToScript(live: TcpRepr, expected: TcpPacketSpec | null): TcpRepr {
    const isSyn = (live.flags & TcpFlag.SYN) !== 0;
    const local = this.localOffset(isSyn);
    const remote = this.remoteOffset(isSyn);
    const out: TcpRepr = {
      ...live,
      seq: seqAdd(live.seq, -local),
      ack: live.flags & TcpFlag.ACK ? seqAdd(live.ack, -remote) : live.ack,
      options: live.options.map((o): TcpOption => {
        if (o.kind === 'sack') {
          return { kind: 'sack', blocks: o.blocks.map((b) => ({ left: seqAdd(b.left, -remote), right: seqAdd(b.right, -remote) })) };
        }
        return o;
      }),
    };
    const liveTs = findTs(live.options);
    const scriptTs = expected ? findTs(expected.options) : undefined;
    if (liveTs && scriptTs) {
      this.tsVals.set(u32(scriptTs.val), u32(liveTs.val));
      if (!this.firstTs) this.firstTs = { script: u32(scriptTs.val), live: u32(liveTs.val) };
    }
    if (liveTs && this.firstTs) {
      const first = this.firstTs;
      out.options = out.options.map((o) =>
        o.kind === 'ts' ? { kind: 'ts', val: u32(first.script + (o.val - first.live)), ecr: o.ecr } : o,
      );
    }
    return out;
  }

  /** A script packet from the peer, as the segment to inject. */
  inboundToLive(spec: TcpPacketSpec, srcPort: number, dstPort: number): InboundResult {
    const isSyn = (spec.flagBits & TcpFlag.SYN) !== 0;
    const hasAck = (spec.flagBits & TcpFlag.ACK) !== 0;
    const local = this.localOffset(isSyn);
    const remote = this.remoteOffset(isSyn);
    const options: TcpOption[] = [];
    for (const o of spec.options === 'any' ? [] : spec.options) {
      if (o.kind === 'sack') {
        options.push({ kind: 'sack', blocks: o.blocks.map((b) => ({ left: seqAdd(b.left, local), right: seqAdd(b.right, local) })) });
      } else if (o.kind === 'ts' && hasAck) {
        const ecr = this.liveEcr(o.ecr);
        if (ecr === undefined) {
          return {
            ok: false,
            error: `unable to infer live TS ecr for script TS ecr ${o.ecr}: no matching or preceding outbound TS val`,
          };
        }
        options.push({ kind: 'ts', val: o.val, ecr });
      } else {
        options.push(o);
      }
    }
    return {
      ok: true,
      tcp: {
        srcPort,
        dstPort,
        seq: seqAdd(seq(spec.seq), remote),
        ack: hasAck ? seqAdd(seq(spec.ack ?? 0), local) : seq(spec.ack ?? 0),
        flags: spec.flagBits,
        window: spec.win ?? 0,
        urgent: spec.urg ?? 0,
        options,
        payload: new Uint8Array(spec.len),
      },
    };
  }

  private liveEcr(scriptEcr: number): number | undefined {
    const exact = this.tsVals.get(u32(scriptEcr));
    if (exact !== undefined) return exact;
    if (this.opts.tsEcrScaled && this.firstTs) return u32(scriptEcr - this.firstTs.script + this.firstTs.live);
    return undefined;
  }
}
