import { expect } from 'chai';
import { formatPacket, formatTcp, formatTcpFlags } from '../../lib/wire/format.ts';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { encodeIpv4, parseIpv4 } from '../../lib/wire/ipv4.ts';
import { seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { REAL_GET, REAL_SYN, REAL_SYNACK } from './real-packets.ts';

describe('wire/format', () => {
  it('prints a real SYN like tcpdump, with addr:port and its options', () => {
    expect(formatPacket(REAL_SYN)).to.equal(
      '127.0.0.1:38322 > 127.0.0.1:8765 Flags [S], seq 905512419, win 65495, options [mss 65495,sackOK,TS val 742395447 ecr 0,nop,wscale 10], length 0',
    );
  });

  it('prints the ack of a SYN/ACK and the seq range of data', () => {
    expect(formatPacket(REAL_SYNACK)).to.match(/^127\.0\.0\.1:8765 > 127\.0\.0\.1:38322 Flags \[S\.\], seq 544617482, ack 905512420, win 65483, /);
    expect(formatPacket(REAL_GET)).to.equal(
      '127.0.0.1:38322 > 127.0.0.1:8765 Flags [P.], seq 905512420:905512498, ack 544617483, win 64, options [nop,nop,TS val 742395447 ecr 1532447617], length 78',
    );
  });

  it('omits seq for a pure ACK and prints urgent, SACK and unknown options', () => {
    const line = formatTcp(ipv4('10.0.0.1'), ipv4('10.0.0.2'), {
      srcPort: 1234,
      dstPort: 80,
      seq: seq(1),
      ack: seq(2),
      flags: TcpFlag.ACK | TcpFlag.URG,
      window: 10,
      urgent: 3,
      options: [{ kind: 'sack', blocks: [{ left: seq(5), right: seq(9) }] }, { kind: 'unknown', code: 30, data: new Uint8Array([0xab, 1]) }],
      payload: new Uint8Array(0),
    });
    expect(line).to.equal('10.0.0.1:1234 > 10.0.0.2:80 Flags [.U], ack 2, win 10, urg 3, options [sack 1 {5:9},opt-30:ab01], length 0');
  });

  it('names every flag in tcpdump order, and none', () => {
    expect(formatTcpFlags(0x1ff)).to.equal('FSRP.UEWe');
    expect(formatTcpFlags(0)).to.equal('none');
  });

  it('marks a bad checksum instead of failing', () => {
    const b = REAL_GET.slice();
    b[b.length - 1] ^= 1;
    expect(formatPacket(b)).to.match(/length 78 \[bad checksum\]$/);
  });

  it('says what is wrong with bytes that do not parse', () => {
    expect(formatPacket(REAL_SYN.subarray(0, 12))).to.equal('[bad IPv4: truncated] 12 bytes');
    const b = REAL_SYN.slice();
    b[32] = 0x20; // TCP data offset 2
    expect(formatPacket(b)).to.equal('127.0.0.1 > 127.0.0.1: [bad TCP: bad-header-length] length 40');
  });

  it('prints other protocols and fragments by number', () => {
    const ip = parseIpv4(REAL_SYN);
    if (!ip.ok) throw new Error(ip.error);
    expect(formatPacket(encodeIpv4({ ...ip.value, protocol: IpProto.TEST }))).to.equal('127.0.0.1 > 127.0.0.1: proto 253, length 40');
    expect(formatPacket(encodeIpv4({ ...ip.value, moreFrags: true, fragOffset: 16 }))).to.equal('127.0.0.1 > 127.0.0.1: frag id 5632 proto 6 off 16+, length 40');
  });
});
