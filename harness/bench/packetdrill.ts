/**
 * packetdrill runner costs that do not depend on the host: parsing scripts, and mapping and
 * matching an outbound segment against its script line (the per-packet work of a run).
 */
import { registerBenchmarks, cpuSeconds } from './suite.ts';
import { parseScript } from '../packetdrill/parser.ts';
import { ConnMap } from '../packetdrill/conn-map.ts';
import { matchOutbound } from '../packetdrill/match.ts';
import type { TcpPacketSpec } from '../packetdrill/ast.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { TcpRepr } from '../../lib/wire/tcp-types.ts';
import { seq } from '../../lib/wire/seq.ts';

const SCRIPT = `--tolerance_usecs=10000
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+.1 < S 0:0(0) win 32792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 100,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 100>
+0  accept(3, ..., ...) = 4
+0  write(4, ..., 5000) = 5000
+0  > P. 1:5001(5000) ack 1 <nop,nop,TS val 200 ecr 200>
+.1 < . 1:1(0) ack 5001 win 257 <nop,nop,sack 1:2 3:4,TS val 300 ecr 200>
+0  setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
+0  \`sysctl -q net.ipv4.tcp_sack=0\`
+0  close(4) = 0
`;

registerBenchmarks(
  {
    area: 'packetdrill',
    name: 'parse',
    run() {
      const n = 20_000;
      const lines = SCRIPT.split('\n').length * n;
      const secs = cpuSeconds(() => {
        for (let i = 0; i < n; i++) if (!parseScript(SCRIPT).ok) throw new Error('bench script does not parse');
      });
      return [{ name: 'parse script lines', value: lines / secs, unit: 'lines/s', note: `${n} parses of a ${SCRIPT.split('\n').length}-line script` }];
    },
  },
  {
    area: 'packetdrill',
    name: 'match',
    run() {
      const r = parseScript('0 > P. 1:1461(1460) ack 1 <nop,nop,TS val 200 ecr 200>\n');
      if (!r.ok || r.script.events[0]!.kind !== 'packet') throw new Error('bench packet does not parse');
      const expected: TcpPacketSpec = r.script.events[0]!.packet;
      const map = new ConnMap();
      map.learnRemoteIsn(0);
      map.learnLocalIsn(0, 0x10000);
      const live: TcpRepr = {
        srcPort: 8080,
        dstPort: 40000,
        seq: seq(0x10001),
        ack: seq(1),
        flags: TcpFlag.PSH | TcpFlag.ACK,
        window: 502,
        urgent: 0,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 5000, ecr: 200 }],
        payload: new Uint8Array(1460),
      };
      const n = 200_000;
      const opts = { tsTickUsecs: 0, toleranceUsecs: 4000, checkTsEcr: true };
      const secs = cpuSeconds(() => {
        for (let i = 0; i < n; i++) {
          if (matchOutbound(expected, map.outboundToScript(live, expected), { tos: 0, ttl: 64 }, opts)) throw new Error('bench packet mismatches');
        }
      });
      return [{ name: 'map + match outbound segments', value: n / secs, unit: 'segments/s' }];
    },
  },
);
