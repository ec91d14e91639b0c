import { expect } from 'chai';
import { echoOf } from '../../harness/live/udp-echo.ts';
import { internetChecksum, pseudoHeaderSum } from '../../lib/wire/checksum.ts';
import { ipv4, IpProto, type Ipv4Repr } from '../../lib/wire/ip-types.ts';
import type { RawPacket } from '../../harness/world/raw.ts';

function udp(sport: number, dport: number, data: number[]): RawPacket {
  const u = new Uint8Array(8 + data.length);
  const v = new DataView(u.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, u.length);
  u.set(data, 8);
  const ip: Ipv4Repr = { src: ipv4('192.0.2.2'), dst: ipv4('203.0.113.10'), protocol: IpProto.UDP, ttl: 63, id: 1, tos: 0, dontFrag: true, options: new Uint8Array(0), payload: u };
  return { time: 0, bytes: new Uint8Array(0), ip };
}

describe('live: the UDP echo used to check the bridge', () => {
  it('answers port 7 with the same data to the sender port and a checksum that verifies', () => {
    const reply = echoOf(udp(40000, 7, [104, 105, 10]))!;
    const v = new DataView(reply.buffer);
    expect([v.getUint16(0), v.getUint16(2), v.getUint16(4)]).to.deep.equal([7, 40000, 11]);
    expect([...reply.subarray(8)]).to.deep.equal([104, 105, 10]);
    // Summed with its pseudo-header (server to client), a correct datagram checks to 0.
    expect(internetChecksum(reply, 0, reply.length, pseudoHeaderSum(ipv4('203.0.113.10'), ipv4('192.0.2.2'), IpProto.UDP, reply.length))).to.equal(0);
  });

  it('ignores other ports, datagrams from port 7 (no echo loops) and short or lying lengths', () => {
    expect(echoOf(udp(40000, 9, [1]))).to.equal(null);
    expect(echoOf(udp(7, 7, [1]))).to.equal(null);
    const lying = udp(40000, 7, [1]);
    new DataView(lying.ip.payload.buffer).setUint16(4, 200);
    expect(echoOf(lying)).to.equal(null);
  });
});
