/**
 * A UDP echo (RFC 862, port 7) on an emulated host, on a raw IP endpoint: the check that the
 * bridge works end to end without TCP (`echo hi | socat - UDP:203.0.113.10:7` in the
 * namespace). It answers only datagrams to port 7 and never from port 7, so two echoes cannot
 * bounce a packet between them; it keeps nothing.
 */
import { RawIp, type RawPacket } from '../world/raw.ts';
import type { Host } from '../world/host.ts';
import type { Scheduler } from '../../lib/sim/scheduler.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { internetChecksum, pseudoHeaderSum } from '../../lib/wire/checksum.ts';

export const ECHO_PORT = 7;

export interface UdpEcho {
  readonly counters: { echoed: number; ignored: number };
  close(): void;
}

export function startUdpEcho(host: Host, sched: Scheduler): UdpEcho {
  const raw = new RawIp(host.stack.openIp('udp-echo'), IpProto.UDP, sched, 0);
  const counters = { echoed: 0, ignored: 0 };
  raw.onPacket = (p: RawPacket) => {
    const reply = echoOf(p);
    if (reply === null) {
      counters.ignored++;
      return;
    }
    counters.echoed++;
    raw.send({ src: p.ip.dst, dst: p.ip.src, payload: reply });
  };
  return { counters, close: () => raw.close() };
}

/** The UDP datagram answering `p`, or null when it is not for the echo port. */
export function echoOf(p: RawPacket): Uint8Array | null {
  const u = p.ip.payload;
  if (u.length < 8) return null;
  const v = new DataView(u.buffer, u.byteOffset, u.byteLength);
  const sport = v.getUint16(0);
  const dport = v.getUint16(2);
  const len = v.getUint16(4);
  if (dport !== ECHO_PORT || sport === ECHO_PORT || len < 8 || len > u.length) return null;
  const out = new Uint8Array(len);
  out.set(u.subarray(8, len), 8);
  const w = new DataView(out.buffer);
  w.setUint16(0, ECHO_PORT);
  w.setUint16(2, sport);
  w.setUint16(4, len);
  const sum = internetChecksum(out, 0, len, pseudoHeaderSum(p.ip.dst, p.ip.src, IpProto.UDP, len));
  w.setUint16(6, sum === 0 ? 0xffff : sum);
  return out;
}
