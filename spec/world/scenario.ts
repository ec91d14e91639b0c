/**
 * A small but busy run for the determinism and tshark specs: client — router — LAN (fe, be1,
 * be2), TCP-shaped segments built with lib/wire (so tshark checks both checksums) and TEST
 * packets, with loss, duplication and reordering on the way (corruption only when asked).
 */
import { MS, US } from '../../lib/sim/time.ts';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import type { Seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { World } from '../../harness/world/world.ts';
import { numbered } from './helpers.ts';

export interface ScenarioOptions {
  seed: string | number;
  corrupt?: number;
}

export function runScenario(o: ScenarioOptions): World {
  const w = new World({ seed: o.seed, trace: true, capture: true });
  w.network('wan', { kind: 'p2p', latency: 5 * MS, bandwidth: 50e6, queuePackets: 64 });
  w.network('lan', { latency: 20 * US, bandwidth: 1e9 });
  w.host('client');
  w.router('router');
  w.attach('client', 'wan', '198.51.100.10/24');
  w.attach('router', 'wan', '198.51.100.1/24');
  w.attach('router', 'lan', '10.0.0.1/24');
  w.route('client', 'default', '198.51.100.1');
  const backs = ['fe', 'be1', 'be2'];
  backs.forEach((h, i) => {
    w.host(h);
    w.attach(h, 'lan', `10.0.0.${10 + i}/24`);
    w.route(h, 'default', '10.0.0.1');
  });
  const wan = w.link('client', 'wan');
  wan.from('client').setFaults({ loss: 0.05, duplicate: 0.05, reorder: 0.1, reorderDelay: 300 * US, corrupt: o.corrupt ?? 0 });
  wan.from('router').setFaults({ loss: 0.05, reorder: 0.05, reorderDelay: 200 * US });

  const tcpClient = w.getHost('client').stack.openRaw(IpProto.TCP);
  const testClient = w.getHost('client').stack.openRaw(IpProto.TEST);
  const servers = backs.map((h) => ({ h, tcp: w.getHost(h).stack.openRaw(IpProto.TCP), test: w.getHost(h).stack.openRaw(IpProto.TEST) }));
  const client = ipv4('198.51.100.10');

  // Each server answers a TCP segment with one of its own (a stand-in for a real TCP).
  for (const s of servers) {
    s.tcp.onPacket = (p) => {
      const seg = encodeIpv4Tcp(
        { src: p.ip.dst, dst: p.ip.src },
        { srcPort: 80, dstPort: 40000, seq: 1000 as Seq, ack: 1 as Seq, flags: TcpFlag.ACK, window: 65535, urgent: 0, options: [], payload: new Uint8Array(200).fill(0x41) },
      );
      s.tcp.sendBytes(seg);
    };
    s.test.onPacket = (p) => void s.test.send({ dst: client, payload: p.ip.payload });
  }
  for (let i = 0; i < 60; i++) {
    w.sched.schedule(i * 200 * US, () => {
      tcpClient.sendBytes(
        encodeIpv4Tcp(
          { src: client, dst: ipv4(`10.0.0.${10 + (i % servers.length)}`) },
          {
            srcPort: 40000,
            dstPort: 80,
            seq: (1 + i) as Seq,
            ack: 1000 as Seq,
            flags: TcpFlag.ACK | TcpFlag.PSH,
            window: 65535,
            urgent: 0,
            options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: i, ecr: 0 }],
            payload: new Uint8Array(100).fill(i),
          },
        ),
      );
      testClient.send({ dst: `10.0.0.${10 + (i % servers.length)}`, payload: numbered(i) });
    });
  }
  w.runUntilIdle({ maxTime: 10_000 * MS });
  return w;
}
