/** Small topologies and packet helpers shared by the world specs. */
import { World, type WorldOptions } from '../../harness/world/world.ts';
import type { LinkParams } from '../../harness/world/direction.ts';
import type { NetworkKind } from '../../harness/world/network.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import type { RawIp } from '../../harness/world/raw.ts';

export interface Pair {
  w: World;
  /** Raw TEST-protocol endpoints on hosts a (10.0.0.1) and b (10.0.0.2). */
  ra: RawIp;
  rb: RawIp;
}

/** Hosts a and b on one network called 'net'. */
export function pair(params: Partial<LinkParams> = {}, kind: NetworkKind = 'p2p', opts: WorldOptions = {}): Pair {
  const w = new World({ seed: 7, ...opts });
  w.network('net', { kind, ...params });
  w.host('a');
  w.host('b');
  w.attach('a', 'net', '10.0.0.1/24');
  w.attach('b', 'net', '10.0.0.2/24');
  return { w, ra: w.getHost('a').stack.openRaw(IpProto.TEST), rb: w.getHost('b').stack.openRaw(IpProto.TEST) };
}

/** A payload that carries its sequence number in its first four bytes. */
export function numbered(i: number, size = 32): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, i);
  // The filler depends on every bit of i, so a flipped bit in the number is noticed too.
  const fold = (i ^ (i >>> 8) ^ (i >>> 16) ^ (i >>> 24)) & 0xff;
  for (let k = 4; k < size; k++) p[k] = (fold + k) & 0xff;
  return p;
}

export function numberOf(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
}

/** Is this payload exactly what numbered() made for its number? */
export function intact(payload: Uint8Array, size = 32): boolean {
  if (payload.length !== size) return false;
  const ref = numbered(numberOf(payload), size);
  return ref.every((b, k) => b === payload[k]);
}

/** Send n numbered packets from `from` to dst, one every `gap` ns. */
export function sendStream(w: World, from: RawIp, dst: string, n: number, gap: number, size = 32): void {
  for (let i = 0; i < n; i++) w.sched.schedule(i * gap, () => void from.send({ dst, payload: numbered(i, size) }));
}
