/**
 * A handoff played by hand on the default topology, for the report specs, while the real TCP
 * and handoff modules are not there: raw TCP-protocol endpoints on client1, fe and be1 send
 * the packets a handoff produces (handshake with the FE, request, control messages in the
 * trace, the response from be1 with the VIP as source, client packets the FE rewrites and
 * forwards to be1, the close), plus one client packet lost to a partition.
 *
 * Numbers: client ISN 1000, FE ISN 5000, BE ISN 90000 (so the FE adds 85000 to acks).
 */
import { IpProto, ipv4 } from '../../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp, parseIpv4Tcp } from '../../../lib/wire/ipv4-tcp.ts';
import { seq, seqAdd, type Seq } from '../../../lib/wire/seq.ts';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../../lib/wire/tcp-types.ts';
import { MS, US } from '../../../lib/sim/time.ts';
import type { RawIp, RawPacket } from '../../../harness/world/raw.ts';
import { defaultScenarioDoc } from '../../../harness/scenario/default.ts';
import { loadScenarioDoc } from '../../../harness/scenario/load.ts';
import { builtinRegistry } from '../../../harness/scenario/builtins.ts';
import type { Scenario } from '../../../harness/scenario/model.ts';
import type { AppsAttachment, ScenarioPlugins } from '../../../harness/scenario/plugins.ts';
import type { ScenarioDoc } from '../../../harness/scenario/types.ts';
import type { World } from '../../../harness/world/world.ts';

export const CLIENT = '198.51.100.10';
export const CLIENT_PORT = 40001;
export const VIP = '203.0.113.10';
export const BE1 = '192.0.2.11';
export const REQUEST = 'GET /img/photo-1.jpg HTTP/1.1\r\nHost: www.example\r\n\r\n';
export const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
const ISN_C = 1000;
const ISN_FE = 5000;
const ISN_BE = 90000;
const enc = new TextEncoder();

/** The default scenario, small. */
export function scriptedScenarioDoc(): ScenarioDoc {
  const doc = defaultScenarioDoc({ sync: false, clientsPerHost: 1, requests: 1 });
  doc.run = { until: '1s' };
  return doc;
}

export function scriptedScenario(): Scenario {
  const r = loadScenarioDoc(scriptedScenarioDoc(), 'scripted handoff', process.cwd(), { registry: builtinRegistry() });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'));
  return r.scenario;
}

/** IP ids the script's packets carry (reset per run, so runs repeat byte for byte). */
let ipId = 100;

function send(raw: RawIp, src: string, dst: string, sport: number, dport: number, f: { seq: number; ack?: number; flags: number; data?: string; options?: TcpOption[] }): void {
  const tcp: TcpRepr = {
    srcPort: sport,
    dstPort: dport,
    seq: seq(f.seq),
    ack: seq(f.ack ?? 0),
    flags: f.flags,
    window: 65535,
    urgent: 0,
    options: f.options ?? [],
    payload: enc.encode(f.data ?? ''),
  };
  raw.sendBytes(encodeIpv4Tcp({ src: ipv4(src), dst: ipv4(dst), id: ipId++ }, tcp));
}

function tcpOf(p: RawPacket): TcpRepr {
  const r = parseIpv4Tcp(p.bytes, { verifyChecksum: false });
  if (!r.ok) throw new Error('not TCP');
  return r.value.tcp;
}

/** The script, as an applications plug-in over raw endpoints (and a placeholder TCP). */
export function scriptedPlugins(): ScenarioPlugins {
  return {
    tcp: ({ host }) => ({ lower: host.stack.openIp('tcp-placeholder'), driver: 'tcp' }),
    apps: ({ world }) => script(world),
  };
}

function script(w: World): AppsAttachment {
  ipId = 100;
  const raw = (h: string): RawIp => w.getHost(h).stack.openRaw(IpProto.TCP);
  const client = raw('client1');
  const fe = raw('fe');
  const be = raw('be1');
  const ack = (flags: number) => flags | TcpFlag.ACK;
  const reqLen = REQUEST.length;
  const respLen = RESPONSE.length;
  let handedOff = false;
  let finished = false;
  const ctl = (t: number, ev: 'ctl.tx' | 'ctl.rx', host: string, peer: string, msg: Record<string, unknown>): void => {
    w.sched.scheduleAt(t, () => w.trace.emit({ ev, host, peer, msg }));
  };

  w.sched.scheduleAt(1 * MS, () => send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C, flags: TcpFlag.SYN, options: [{ kind: 'mss', mss: 1460 }] }));
  client.onPacket = (p) => {
    const t = tcpOf(p);
    if (t.flags & TcpFlag.SYN) {
      send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C + 1, ack: seqAdd(t.seq, 1), flags: TcpFlag.ACK });
      send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C + 1, ack: seqAdd(t.seq, 1), flags: ack(TcpFlag.PSH), data: REQUEST });
    } else if (t.payload.length > 0) {
      const at = seqAdd(t.seq, t.payload.length);
      send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C + 1 + reqLen, ack: at, flags: TcpFlag.ACK });
      w.sched.schedule(2 * MS, () => send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C + 1 + reqLen, ack: at, flags: ack(TcpFlag.FIN) }));
      // Lost: sent while client1's uplink is partitioned.
      w.sched.schedule(3 * MS, () => {
        const up = w.link('client1', 'public').from('client1');
        up.setFaults({ partitioned: true });
        send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C + 2 + reqLen, ack: at, flags: TcpFlag.ACK });
        up.setFaults({ partitioned: false });
      });
    } else if (t.flags & TcpFlag.FIN) {
      send(client, CLIENT, VIP, CLIENT_PORT, 80, { seq: ISN_C + 2 + reqLen, ack: seqAdd(t.seq, 1), flags: TcpFlag.ACK });
      finished = true;
    }
  };
  fe.onPacket = (p) => {
    const t = tcpOf(p);
    if (handedOff) return forward(p, t);
    if (t.flags & TcpFlag.SYN) {
      send(fe, VIP, CLIENT, 80, CLIENT_PORT, { seq: ISN_FE, ack: seqAdd(t.seq, 1), flags: TcpFlag.SYN | TcpFlag.ACK, options: [{ kind: 'mss', mss: 1460 }] });
    } else if (t.payload.length > 0) {
      const now = w.now();
      const client = { addr: ipv4(CLIENT), port: CLIENT_PORT };
      ctl(now, 'ctl.tx', 'fe', 'be1', { type: 'HANDOFF_REQ', connId: 1, client });
      ctl(now + 100 * US, 'ctl.rx', 'be1', 'fe', { type: 'HANDOFF_REQ', connId: 1, client });
      ctl(now + 150 * US, 'ctl.tx', 'be1', 'fe', { type: 'HANDOFF_ACK', connId: 1, beIsn: ISN_BE });
      ctl(now + 250 * US, 'ctl.rx', 'fe', 'be1', { type: 'HANDOFF_ACK', connId: 1, beIsn: ISN_BE });
      w.sched.scheduleAt(now + 250 * US, () => {
        handedOff = true;
        w.trace.emit({ ev: 'handoff.forwarding', host: 'fe', client: `${CLIENT}:${CLIENT_PORT}`, be: 'be1' });
      });
      w.sched.scheduleAt(now + 300 * US, () =>
        send(be, VIP, CLIENT, 80, CLIENT_PORT, { seq: ISN_FE + 1, ack: seqAdd(t.seq, reqLen), flags: ack(TcpFlag.PSH), data: RESPONSE }),
      );
    }
  };
  // FE forwarding mode: destination to be1, ack into be1's sequence space; IP id kept.
  const forward = (p: RawPacket, t: TcpRepr): void => {
    const a: Seq = t.flags & TcpFlag.ACK ? seqAdd(t.ack, ISN_BE - ISN_FE) : t.ack;
    fe.sendBytes(encodeIpv4Tcp({ src: p.ip.src, dst: ipv4(BE1), id: p.ip.id, ttl: p.ip.ttl }, { ...t, ack: a }));
  };
  be.onPacket = (p) => {
    const t = tcpOf(p);
    if (t.flags & TcpFlag.FIN) {
      send(be, VIP, CLIENT, 80, CLIENT_PORT, { seq: ISN_FE + 1 + respLen, ack: seqAdd(t.seq, 1), flags: ack(TcpFlag.FIN) });
    }
  };
  return {
    needsAsync: false,
    done: () => finished,
    stats: () => ({ requestsStarted: 1, requestsDone: finished ? 1 : 0, requestsFailed: 0, bytes: 5, served: { be1: 1 } }),
  };
}
