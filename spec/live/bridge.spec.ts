import { expect } from 'chai';
import { World } from '../../harness/world/world.ts';
import { Capture } from '../../harness/world/capture.ts';
import { RawIp } from '../../harness/world/raw.ts';
import { TunBridge } from '../../harness/live/bridge.ts';
import { encodeIpv4, parseIpv4 } from '../../lib/wire/ipv4.ts';
import { parsePcap } from '../../lib/wire/pcap.ts';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { MS } from '../../lib/sim/time.ts';

/** The default live topology on the virtual clock, with a raw TEST endpoint on the server. */
function liveTopology(opts: { maxInFlight?: number; capture?: boolean } = {}) {
  const w = new World({ seed: 5 });
  w.network('edge', { kind: 'p2p', latency: 1 * MS });
  w.network('dmz', {});
  w.router('gw');
  w.host('web');
  w.attach('gw', 'edge', '192.0.2.1/24');
  w.attach('gw', 'dmz', '203.0.113.1/24');
  w.attach('web', 'dmz', '203.0.113.10/24');
  w.route('web', 'default', '203.0.113.1');
  const capture = opts.capture ? new Capture() : null;
  // A spec enters the simulation directly; the run below moves the clock.
  const bridge = new TunBridge({ world: w, network: 'edge', addr: '192.0.2.2/24', gateway: '192.0.2.1', enter: (fn) => fn(), maxInFlight: opts.maxInFlight, capture });
  const toClient: Uint8Array[] = [];
  const pending: ((err: Error | null) => void)[] = [];
  const raw = new RawIp(w.getHost('web').stack.openIp('raw'), IpProto.TEST, w.sched);
  return { w, bridge, raw, toClient, pending, capture };
}

function clientPacket(payload: Uint8Array, dst = '203.0.113.10'): Uint8Array {
  return encodeIpv4({ src: ipv4('192.0.2.2'), dst: ipv4(dst), protocol: IpProto.TEST, ttl: 64, id: 7, tos: 0, dontFrag: true, options: new Uint8Array(0), payload });
}

describe('live: the TUN bridge inside the world', () => {
  it('puts a packet from the real client on the emulated link, through the gateway, to the server', () => {
    const t = liveTopology();
    t.bridge.connect((p, done) => (t.toClient.push(p), done(null)));
    t.bridge.fromTun(clientPacket(new Uint8Array([1, 2, 3, 4])));
    t.w.runUntilIdle();
    expect(t.raw.received).to.have.length(1);
    const got = t.raw.received[0]!;
    expect([...got.ip.payload]).to.deep.equal([1, 2, 3, 4]);
    expect(got.ip.ttl).to.equal(63); // forwarded once, by gw
    expect(t.w.getHost('gw').stack.ipStats().forwarded).to.be.greaterThan(0);
  });

  it('sends what the world routes to the client address out through the wire, intact', () => {
    const t = liveTopology();
    t.bridge.connect((p, done) => (t.toClient.push(p), done(null)));
    t.raw.send({ dst: '192.0.2.2', payload: new Uint8Array([9, 8, 7]) });
    t.w.runUntilIdle();
    expect(t.toClient).to.have.length(1);
    const r = parseIpv4(t.toClient[0]!);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.value.src).to.equal(ipv4('203.0.113.10'));
    expect(r.value.dst).to.equal(ipv4('192.0.2.2'));
    expect([...r.value.payload]).to.deep.equal([9, 8, 7]);
    expect(t.bridge.stats.toTun).to.equal(1);
  });

  it('drops datagrams that are not IPv4 (IPv6 router solicitations) and counts them', () => {
    const t = liveTopology();
    const v6 = new Uint8Array(48);
    v6[0] = 0x60;
    t.bridge.fromTun(v6);
    t.bridge.fromTun(new Uint8Array(10));
    t.w.runUntilIdle();
    expect(t.bridge.stats.dropNotIpv4).to.equal(2);
    expect(t.bridge.iface.counters.txPackets).to.equal(0);
  });

  it('drops packets larger than the MTU instead of sending them on', () => {
    const t = liveTopology();
    t.bridge.fromTun(clientPacket(new Uint8Array(1600)));
    t.w.runUntilIdle();
    expect(t.bridge.stats.dropTooBig).to.equal(1);
    expect(t.raw.received).to.have.length(0);
  });

  it('bounds unconfirmed sends to the real side like a transmit ring, and frees a place per confirmation', () => {
    const t = liveTopology({ maxInFlight: 4 });
    t.bridge.connect((p, done) => (t.toClient.push(p), t.pending.push(done)));
    for (let i = 0; i < 6; i++) t.raw.send({ dst: '192.0.2.2', payload: new Uint8Array([i]) });
    t.w.runUntilIdle();
    expect(t.toClient).to.have.length(4);
    expect(t.bridge.stats.dropTxBusy).to.equal(2);
    t.pending.shift()!(null);
    t.raw.send({ dst: '192.0.2.2', payload: new Uint8Array([6]) });
    t.w.runUntilIdle();
    expect(t.toClient).to.have.length(5);
  });

  it('drops what the world sends while no wire is connected', () => {
    const t = liveTopology();
    t.raw.send({ dst: '192.0.2.2', payload: new Uint8Array([1]) });
    t.w.runUntilIdle();
    expect(t.bridge.stats.dropTxBusy).to.equal(1);
  });

  it('captures both directions on the TUN side, in order, with the virtual time', () => {
    const t = liveTopology({ capture: true });
    t.bridge.connect((p, done) => (t.toClient.push(p), done(null)));
    t.raw.onPacket = (p) => t.raw.send({ dst: p.ip.src, payload: p.ip.payload });
    t.bridge.fromTun(clientPacket(new Uint8Array([5])));
    t.w.runUntilIdle();
    const f = parsePcap(t.capture!.bytes());
    expect(f.ok).to.equal(true);
    if (!f.ok) return;
    const dirs = f.value.records.map((r) => {
      const p = parseIpv4(r.data);
      return p.ok ? `${p.value.src === ipv4('192.0.2.2') ? 'out' : 'in'}@${r.time}` : 'bad';
    });
    // Out at 0; the echo comes back after the edge latency both ways.
    expect(dirs).to.deep.equal(['out@0', `in@${2 * MS}`]);
  });
});
