import { expect } from 'chai';
import { MS, US } from '../../lib/sim/time.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { World } from '../../harness/world/world.ts';
import { numbered, numberOf, pair, sendStream } from './helpers.ts';

// Packets of the TEST protocol with a 32-byte payload are 52 bytes on the wire.
const PKT = 52;

describe('world: links', () => {
  it('delivers after serialisation time plus latency', () => {
    const { w, ra, rb } = pair({ latency: 3 * MS, bandwidth: 8e6 }); // 1 byte per microsecond
    ra.send({ dst: '10.0.0.2', payload: numbered(0) });
    w.runUntilIdle();
    expect(rb.received.map((p) => p.time)).to.deep.equal([3 * MS + PKT * US]);
  });

  it('queues a burst behind the transmitter: arrivals one serialisation time apart, in order', () => {
    const { w, ra, rb } = pair({ latency: 1 * MS, bandwidth: 8e6 });
    for (let i = 0; i < 5; i++) ra.send({ dst: '10.0.0.2', payload: numbered(i) });
    w.runUntilIdle();
    expect(rb.received.map((p) => numberOf(p.ip.payload))).to.deep.equal([0, 1, 2, 3, 4]);
    expect(rb.received.map((p) => p.time)).to.deep.equal([1, 2, 3, 4, 5].map((k) => 1 * MS + k * PKT * US));
  });

  it('tail-drops what does not fit in the queue and counts it', () => {
    const { w, ra, rb } = pair({ latency: 1 * MS, bandwidth: 8e6, queuePackets: 5 });
    for (let i = 0; i < 20; i++) ra.send({ dst: '10.0.0.2', payload: numbered(i) });
    w.runUntilIdle();
    const c = w.link('a', 'net').from('a').counters;
    expect(c.sent).to.equal(20);
    expect(c.queueDrops).to.equal(15);
    expect(c.maxQueue).to.equal(5);
    expect(c.delivered).to.equal(5);
    expect(rb.received.map((p) => numberOf(p.ip.payload))).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('bounds the queue in bytes too', () => {
    const { w, ra } = pair({ bandwidth: 8e6, queueBytes: 3 * PKT });
    for (let i = 0; i < 10; i++) ra.send({ dst: '10.0.0.2', payload: numbered(i) });
    w.runUntilIdle();
    expect(w.link('a', 'net').from('a').counters.queueDrops).to.equal(7);
  });

  it('drains the queue with time: a later packet finds room again', () => {
    const { w, ra, rb } = pair({ bandwidth: 8e6, queuePackets: 2 });
    ra.send({ dst: '10.0.0.2', payload: numbered(0) });
    ra.send({ dst: '10.0.0.2', payload: numbered(1) });
    ra.send({ dst: '10.0.0.2', payload: numbered(2) }); // dropped
    w.runFor(PKT * US); // the first one has left
    ra.send({ dst: '10.0.0.2', payload: numbered(3) });
    w.runUntilIdle();
    expect(rb.received.map((p) => numberOf(p.ip.payload))).to.deep.equal([0, 1, 3]);
  });

  it('drops packets larger than the link MTU and counts them on the link', () => {
    const w = new World({ seed: 1 });
    w.network('net', { kind: 'p2p', mtu: 1500 });
    w.host('a');
    w.host('b');
    w.attach('a', 'net', '10.0.0.1/24', { mtu: 9000 });
    w.attach('b', 'net', '10.0.0.2/24');
    const ra = w.getHost('a').stack.openRaw(IpProto.TEST);
    const rb = w.getHost('b').stack.openRaw(IpProto.TEST);
    ra.send({ dst: '10.0.0.2', payload: new Uint8Array(2000) });
    ra.send({ dst: '10.0.0.2', payload: new Uint8Array(1000) });
    w.runUntilIdle();
    expect(w.link('a', 'net').from('a').counters.mtuDrops).to.equal(1);
    expect(rb.received).to.have.length(1);
  });

  it('crosses a switch over two cables and queues at the egress port when senders converge', () => {
    const w = new World({ seed: 3 });
    w.network('lan', { latency: 10 * US, bandwidth: 8e6, queuePackets: 4 });
    for (const [h, a] of [['s1', '10.0.0.11'], ['s2', '10.0.0.12'], ['s3', '10.0.0.13'], ['d', '10.0.0.1']] as const) {
      w.host(h);
      w.attach(h, 'lan', `${a}/24`);
    }
    const rd = w.getHost('d').stack.openRaw(IpProto.TEST);
    for (const s of ['s1', 's2', 's3']) {
      const r = w.getHost(s).stack.openRaw(IpProto.TEST);
      for (let i = 0; i < 3; i++) r.send({ dst: '10.0.0.1', payload: numbered(i) });
    }
    w.runUntilIdle();
    // 9 packets reach the switch at the same moments; the port to d holds 4 at a time.
    const egress = w.link('d', 'lan').to('d').counters;
    expect(egress.sent).to.equal(9);
    expect(egress.queueDrops + egress.delivered).to.equal(9);
    expect(egress.queueDrops).to.be.greaterThan(0);
    expect(rd.received).to.have.length(egress.delivered);
    expect(w.getNetwork('lan').switch!.counters.forwarded).to.equal(9);
    // First arrival: one serialisation and one latency per cable.
    expect(rd.received[0]!.time).to.equal(2 * (PKT * US + 10 * US));
  });

  it('sends every packet of a stream in order on a clean link', () => {
    const { w, ra, rb } = pair({ latency: 2 * MS, bandwidth: 100e6 });
    sendStream(w, ra, '10.0.0.2', 200, 10 * US);
    w.runUntilIdle();
    expect(rb.received.map((p) => numberOf(p.ip.payload))).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
  });

  it('refuses a second interface with an address already used on the same switch', () => {
    const w = new World();
    w.network('lan');
    w.host('a');
    w.host('b');
    w.attach('a', 'lan', '10.0.0.1/24');
    expect(() => w.attach('b', 'lan', '10.0.0.1/24')).to.throw(/already used by a/);
  });

  it('refuses bad link parameters with a message naming the field', () => {
    const w = new World();
    expect(() => w.network('x', { latency: -1 })).to.throw(/latency/);
    expect(() => w.network('y', { mtu: 20 })).to.throw(/mtu/);
    expect(() => w.network('z', { queuePackets: 0 })).to.throw(/queuePackets/);
    expect(() => w.network('v', { bandwidth: 0 })).to.throw(/bandwidth/);
  });
});
