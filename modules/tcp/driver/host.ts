/**
 * The tcp driver's per-host state (one per StreamsEnv): the pure TcpStack, the upper streams
 * (one per TPI endpoint), the IP stream linked below, and the single framework timer that
 * wakes the stack's timer heap. The stack's output goes down as whole IPv4 packets
 * (modules/ip/proto.ts); its events come back here and are turned into TPI by upper.ts.
 */
import { allocbUninit, putnext, qtimeout, quntimeout, type Queue, type StreamsEnv } from '../../../lib/streams/index.ts';
import type { TimerId } from '../../../lib/sim/types.ts';
import { SeededRng } from '../../../lib/sim/rng.ts';
import type { Rng } from '../../../lib/sim/types.ts';
import type { Time } from '../../../lib/sim/time.ts';
import { IpProto, type Ipv4Addr, type Ipv4Repr } from '../../../lib/wire/ip-types.ts';
import { emitIpv4Header, IPV4_MIN_HEADER_LEN } from '../../../lib/wire/ipv4.ts';
import { emitTcp, emptyTcpRepr, tcpBufferLen } from '../../../lib/wire/tcp.ts';
import type { TcpRepr } from '../../../lib/wire/tcp-types.ts';
import type { IpAddrInfo } from '../../ip/proto.ts';
import type { TcpEndpoint } from '../endpoint.ts';
import type { SysctlMap, TcpProfile } from '../profile.ts';
import { freebsdProfile, freebsdSysctlMap } from '../profiles/freebsd.ts';
import { linuxProfile, linuxSysctlMap } from '../profiles/linux.ts';
import { TcpStack } from '../stack.ts';
import type { TcpState } from '../state.ts';
import type { TcpDriverCounters } from './ioctl.ts';
import type { TcpUpper } from './upper.ts';

const NEVER = Number.POSITIVE_INFINITY;
const NO_IP_OPTIONS = new Uint8Array(0);

/** What the harness may hand to the first open of the driver on a host. */
export interface TcpDriverArgs {
  profile?: 'linux' | 'freebsd' | TcpProfile;
  /** Seed for the ISN / timestamp / port secrets (default: the env name). */
  rng?: Rng;
  /** Called on every state change (traces). */
  stateChanged?: (ep: TcpEndpoint, from: TcpState, to: TcpState) => void;
}

export interface TcpLower {
  rq: Queue;
  wq: Queue;
  muxid: number;
}

export function profileByName(name: string): { profile: TcpProfile; map: SysctlMap } | null {
  if (name === 'linux') return { profile: linuxProfile, map: linuxSysctlMap };
  if (name === 'freebsd') return { profile: freebsdProfile, map: freebsdSysctlMap };
  return null;
}

export class TcpHost {
  readonly env: StreamsEnv;
  readonly stack: TcpStack;
  readonly uppers = new Map<number, TcpUpper>();
  lower: TcpLower | null = null;
  /** Local addresses IP reported in IP_BIND_ACK. */
  addrs: IpAddrInfo[] = [];
  /** IP_ROUTE_REQ tokens waiting for their answer. */
  readonly routeWaits = new Map<number, (src: Ipv4Addr | null, mtu: number) => void>();
  nextToken = 1;
  readonly counters: TcpDriverCounters = { badPackets: 0, ctlPassedUp: 0, ctlPassedDown: 0, ctlDropped: 0, noLowerDrops: 0 };
  /** The segment repr lower.ts parses each packet into, and whether one is being processed. */
  readonly segScratch: TcpRepr = emptyTcpRepr();
  parsing = false;
  /** The IP header of the packet being built (emitIpv4Header only reads it). */
  private readonly ipHeader: Omit<Ipv4Repr, 'payload'> = {
    src: 0 as Ipv4Addr,
    dst: 0 as Ipv4Addr,
    protocol: IpProto.TCP,
    ttl: 64,
    id: 0,
    tos: 0,
    dontFrag: true,
    options: NO_IP_OPTIONS,
  };
  private timerQ: Queue | null = null;
  private timerId: TimerId | null = null;
  private timerAt: Time = NEVER;
  private readonly fire = (): void => {
    this.timerId = null;
    this.timerAt = NEVER;
    this.stack.onTimer(this.env.now());
  };

  constructor(env: StreamsEnv, args: TcpDriverArgs = {}) {
    this.env = env;
    const chosen = typeof args.profile === 'object' ? { profile: args.profile, map: profileByName(args.profile.name)?.map ?? {} } : profileByName(args.profile ?? 'linux')!;
    this.stack = new TcpStack({
      profile: chosen.profile,
      sysctlMap: chosen.map,
      rng: args.rng ?? new SeededRng(`tcp/${env.name}`),
      // Sockets drop their endpoint on close, so an orphan's TCB may shrink in TIME-WAIT.
      compactTimeWait: true,
      env: {
        output: (src, dst, seg, ttl) => this.output(src, dst, seg, ttl),
        mtu: (local) => this.mtuOf(local),
        wakeAt: (at) => this.arm(at),
        // output() emits the segment into a message buffer at once and keeps nothing of it.
        reuseSegments: true,
        stateChanged: args.stateChanged,
      },
    });
  }

  /**
   * A segment leaves: one IPv4 packet down the linked IP stream (DF set, identification left
   * to IP). Built straight into a message buffer, which comes from the STREAMS slab
   * (encodeIpv4Tcp would allocate an array of its own per packet).
   */
  private output(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, ttl: number): void {
    const lower = this.lower;
    if (lower === null) {
      this.counters.noLowerDrops++;
      return;
    }
    const len = IPV4_MIN_HEADER_LEN + tcpBufferLen(seg);
    // emitIpv4Header and emitTcp write every byte of it (padding included).
    const mp = allocbUninit(len);
    const buf = mp.db.buf;
    const segLen = emitTcp(seg, src, dst, buf, IPV4_MIN_HEADER_LEN);
    const h = this.ipHeader;
    h.src = src;
    h.dst = dst;
    h.ttl = ttl;
    emitIpv4Header(h, segLen, buf, 0);
    mp.wptr = len;
    putnext(lower.wq, mp);
  }

  private mtuOf(local: Ipv4Addr): number {
    for (const a of this.addrs) if (a.addr === local) return a.mtu;
    return this.addrs[0]?.mtu ?? 1500;
  }

  isLocal(addr: Ipv4Addr): boolean {
    return this.addrs.some((a) => a.addr === addr);
  }

  // ---- the one framework timer ----------------------------------------------------------

  /** A queue that lives as long as possible, to hang the timer on. */
  private pickTimerQueue(): Queue | null {
    if (this.lower !== null) return this.lower.rq;
    for (const u of this.uppers.values()) return u.rq;
    return null;
  }

  arm(at: Time): void {
    if (at >= this.timerAt && this.timerId !== null) return;
    const q = this.pickTimerQueue();
    if (q === null) return;
    if (this.timerId !== null && this.timerQ !== null) quntimeout(this.timerQ, this.timerId);
    this.timerQ = q;
    this.timerAt = at;
    this.timerId = qtimeout(q, this.fire, Math.max(0, at - this.env.now()));
  }

  /** The queue holding the timer is going away (stream closed or unlinked): move the timer. */
  queueGone(q: Queue): void {
    if (q !== this.timerQ) return;
    if (this.timerId !== null) quntimeout(q, this.timerId);
    this.timerQ = null;
    this.timerId = null;
    this.timerAt = NEVER;
    // Callers have already removed the queue's owner, so another queue is picked.
    const next = this.stack.nextDeadline();
    if (next !== NEVER) this.arm(next);
  }
}

/** The tcp driver state of a host. */
export function tcpHostOf(env: StreamsEnv, args?: TcpDriverArgs): TcpHost {
  // Every open asks: no init closure once the host exists.
  return env.sharedIfMade<TcpHost>('tcp') ?? env.shared('tcp', () => new TcpHost(env, args));
}
