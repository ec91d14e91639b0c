/**
 * Real packets (Linux 6.18 curl <-> python http.server over 127.0.0.1, captured by tshark;
 * see fixtures/README.md). The loopback leaves TCP checksums to "offload", so each TCP
 * checksum below is the value tshark calculated (`tcp.check_checksum:TRUE`), written in by
 * hand; IP header checksums are as captured (tshark: "Good").
 */

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Client SYN: mss 65495, sackOK, TS val 742395447 ecr 0, nop, wscale 10. IP csum 0x26ba, TCP 0x21bc. */
export const REAL_SYN = hex(
  '4500003c16004000400626ba7f0000017f000001' +
    '95b2223d35f905e300000000a002ffd721bc0000' +
    '0204ffd70402080a2c400e37000000000103030a',
);

/** Server SYN/ACK: mss 65495, sackOK, TS val 1532447617 ecr 742395447, nop, wscale 10. IP 0x3cba, TCP 0x265e. */
export const REAL_SYNACK = hex(
  '4500003c0000400040063cba7f0000017f000001' +
    '223d95b22076340a35f905e4a012ffcb265e0000' +
    '0204ffd70402080a5b574b812c400e370103030a',
);

/** Client request (PSH/ACK, nop nop TS, 78 bytes "GET / HTTP/1.1..."). IP 0x2672, TCP 0xcc19. */
export const REAL_GET = hex(
  '4500008216024000400626727f0000017f000001' +
    '95b2223d35f905e42076340b80180040cc190000' +
    '0101080a2c400e375b574b81' +
    '474554202f20485454502f312e310d0a486f73743a203132372e302e302e313a383736350d0a' +
    '557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a202a2f2a0d0a0d0a',
);

/** The IPv4 header example from Wikipedia's "IPv4 header checksum" (UDP, 192.168.0.1 -> .199), checksum 0xb861. */
export const WIKI_IPV4_HEADER = hex('450000730000400040 11b861c0a80001c0a800c7'.replace(/ /g, ''));
