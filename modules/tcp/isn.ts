/**
 * Initial sequence numbers, RFC 6528 §3: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), where M is a clock ticking every `isnTick` and F a keyed hash.
 * The secret comes from the injected Rng, so a seeded run repeats its ISNs exactly while
 * an off-path attacker (who lacks the seed) cannot predict them. The same secret family
 * gives the per-connection timestamp offset (RFC 7323 §7.1) and the ephemeral-port
 * offset (RFC 6056 algorithm 3).
 */
import type { Rng } from '../../lib/sim/types.ts';
import type { Time } from '../../lib/sim/time.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { seq, type Seq } from '../../lib/wire/seq.ts';
import { halfSipHash, type HashKey } from './keyed-hash.ts';

export class IsnGenerator {
  private readonly isnKey: HashKey;
  private readonly tsKey: HashKey;
  private readonly portKey: HashKey;

  constructor(rng: Rng) {
    const r = rng.fork('tcp-isn');
    this.isnKey = [r.u32(), r.u32()];
    this.tsKey = [r.u32(), r.u32()];
    this.portKey = [r.u32(), r.u32()];
  }

  isn(local: Ipv4Addr, localPort: number, remote: Ipv4Addr, remotePort: number, now: Time, tick: Time): Seq {
    const f = halfSipHash(this.isnKey, [local, remote, (localPort << 16) | remotePort]);
    return seq(f + Math.floor(now / tick));
  }

  /** Offset added to TSval so that timestamps reveal nothing across connections. */
  tsOffset(local: Ipv4Addr, remote: Ipv4Addr): number {
    return halfSipHash(this.tsKey, [local, remote]);
  }

  /** Starting point of the ephemeral-port search toward one destination. */
  portOffset(local: Ipv4Addr, remote: Ipv4Addr, remotePort: number): number {
    return halfSipHash(this.portKey, [local, remote, remotePort]);
  }
}
