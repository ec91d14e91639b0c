import { expect } from 'chai';
import { MS, US } from '../../lib/sim/time.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { World } from '../../harness/world/world.ts';
import type { IpStats } from '../../modules/ip/stats.ts';
import type { RawIp } from '../../harness/world/raw.ts';
import { intact, numberOf, pair, sendStream } from './helpers.ts';

const N = 1000;

/** Every IP input drop, whatever the reason. */
function inDrops(s: IpStats): number {
  return s.inTruncated + s.inBadVersion + s.inBadHeaderLen + s.inBadTotalLength + s.inBadChecksum + s.inFragments + s.inNoProto + s.inNotForUs;
}

describe('world: link faults (per direction, counted)', () => {
  it('loss: lost + delivered = sent, and the receiver got exactly the delivered ones', () => {
    const { w, ra, rb } = pair({ latency: MS });
    const dir = w.link('a', 'net').from('a');
    dir.setFaults({ loss: 0.2 });
    sendStream(w, ra, '10.0.0.2', N, 10 * US);
    w.runUntilIdle();
    const c = dir.counters;
    expect(c.sent).to.equal(N);
    expect(c.lost + c.delivered).to.equal(N);
    expect(c.lost).to.be.within(140, 260); // binomial(1000, 0.2): mean 200, sd 12.6
    expect(rb.received).to.have.length(c.delivered);
    expect(w.iface('b', 'eth0').counters.rxPackets).to.equal(c.delivered);
  });

  it('loss applies to one direction only', () => {
    const { w, ra, rb } = pair({ latency: MS });
    w.link('a', 'net').from('a').setFaults({ loss: 1 });
    sendStream(w, ra, '10.0.0.2', 10, US);
    sendStream(w, rb, '10.0.0.1', 10, US);
    w.runUntilIdle();
    expect(rb.received).to.have.length(0);
    expect(ra.received).to.have.length(10);
    expect(w.link('a', 'net').to('a').counters.lost).to.equal(0);
  });

  it('duplication: the receiver gets sent + duplicated packets, each copy intact', () => {
    const { w, ra, rb } = pair({ latency: MS });
    const dir = w.link('a', 'net').from('a');
    dir.setFaults({ duplicate: 0.1 });
    sendStream(w, ra, '10.0.0.2', N, 10 * US);
    w.runUntilIdle();
    const c = dir.counters;
    expect(c.duplicated).to.be.within(60, 140);
    expect(c.delivered).to.equal(N + c.duplicated);
    expect(rb.received).to.have.length(N + c.duplicated);
    expect(rb.received.every((p) => intact(p.ip.payload))).to.equal(true);
    const seen = new Map<number, number>();
    for (const p of rb.received) seen.set(numberOf(p.ip.payload), (seen.get(numberOf(p.ip.payload)) ?? 0) + 1);
    expect([...seen.values()].filter((k) => k === 2)).to.have.length(c.duplicated);
  });

  it('reordering: every held-back packet is overtaken by a later one', () => {
    const { w, ra, rb } = pair({ latency: MS });
    const dir = w.link('a', 'net').from('a');
    dir.setFaults({ reorder: 0.1, reorderDelay: 100 * US });
    sendStream(w, ra, '10.0.0.2', N, 10 * US);
    w.runUntilIdle();
    const order = rb.received.map((p) => numberOf(p.ip.payload));
    expect(order).to.have.length(N);
    // A packet arrived late if some packet sent after it arrived before it.
    let late = 0;
    let maxBefore = -1;
    for (const k of order) {
      if (k < maxBefore) late++;
      maxBefore = Math.max(maxBefore, k);
    }
    expect(dir.counters.reordered).to.be.within(60, 140);
    expect(late).to.equal(dir.counters.reordered);
  });

  it('corruption: every corrupted packet is either dropped by IP and counted, or arrives with a changed payload', () => {
    const { w, ra, rb } = pair({ latency: MS });
    const dir = w.link('a', 'net').from('a');
    dir.setFaults({ corrupt: 0.1 });
    sendStream(w, ra, '10.0.0.2', N, 10 * US);
    w.runUntilIdle();
    const corrupted = dir.counters.corrupted;
    const s = w.getHost('b').stack.ipStats();
    const damaged = rb.received.filter((p) => !intact(p.ip.payload)).length;
    expect(corrupted).to.be.within(60, 140);
    expect(s.inBadChecksum).to.be.greaterThan(0);
    expect(inDrops(s) + damaged).to.equal(corrupted);
    expect(rb.received.length - damaged).to.equal(N - corrupted);
  });

  it('partition of one direction: everything that way is dropped and counted, the other way flows', () => {
    const { w, ra, rb } = pair({ latency: MS });
    const dir = w.link('a', 'net').from('a');
    dir.setFaults({ partitioned: true });
    sendStream(w, ra, '10.0.0.2', 20, US);
    sendStream(w, rb, '10.0.0.1', 20, US);
    w.runUntilIdle();
    expect(dir.counters.partitionDrops).to.equal(20);
    expect(rb.received).to.have.length(0);
    expect(ra.received).to.have.length(20);
    dir.setFaults({ partitioned: false });
    ra.send({ dst: '10.0.0.2', payload: new Uint8Array(4) });
    w.runUntilIdle();
    expect(rb.received).to.have.length(1);
  });

  it('partition of a switched network: groups stop reaching each other, the switch counts the drops', () => {
    const w = new World({ seed: 5 });
    const lan = w.network('lan', { latency: 10 * US });
    const names = ['fe', 'be1', 'be2'];
    names.forEach((h, i) => {
      w.host(h);
      w.attach(h, 'lan', `10.0.0.${i + 1}/24`);
    });
    const [fe, be1, be2] = names.map((h) => w.getHost(h).stack.openRaw(IpProto.TEST)) as [RawIp, RawIp, RawIp];
    lan.partition(['fe'], ['be1']);
    fe.send({ dst: '10.0.0.2', payload: new Uint8Array(4) });
    be1.send({ dst: '10.0.0.1', payload: new Uint8Array(4) });
    fe.send({ dst: '10.0.0.3', payload: new Uint8Array(4) });
    w.runUntilIdle();
    expect(lan.switch!.counters.partitionDrops).to.equal(2);
    expect(be1.received).to.have.length(0);
    expect(fe.received).to.have.length(0);
    expect(be2.received).to.have.length(1);
    lan.heal();
    fe.send({ dst: '10.0.0.2', payload: new Uint8Array(4) });
    w.runUntilIdle();
    expect(be1.received).to.have.length(1);
  });

  it('link down: queued and in-flight packets are lost and counted, sends are refused, up restores', () => {
    const { w, ra, rb } = pair({ latency: MS, bandwidth: 8e6 });
    const link = w.link('a', 'net');
    sendStream(w, ra, '10.0.0.2', 10, 100 * US); // sent 0..0.9 ms, each takes 1.05 ms to arrive
    w.runUntil(1.5 * MS);
    const arrived = rb.received.length;
    link.down();
    const ifa = w.iface('a', 'eth0');
    ra.send({ dst: '10.0.0.2', payload: new Uint8Array(32) });
    w.runUntilIdle();
    expect(arrived).to.equal(5);
    expect(rb.received).to.have.length(5);
    expect(link.from('a').counters.downDrops).to.equal(5);
    expect(ifa.counters.txNoCarrier).to.equal(1);
    link.up();
    ra.send({ dst: '10.0.0.2', payload: new Uint8Array(32) });
    w.runUntilIdle();
    expect(rb.received).to.have.length(6);
  });

  it('draws each link direction from its own random stream: adding a link changes no other link', () => {
    const lossPattern = (extra: boolean): number[] => {
      const w = new World({ seed: 99 });
      w.network('net', { kind: 'p2p', latency: MS });
      if (extra) w.network('other', { kind: 'p2p' });
      w.host('a');
      w.host('b');
      if (extra) {
        w.host('c');
        w.host('d');
        w.attach('c', 'other', '10.9.0.1/24');
        w.attach('d', 'other', '10.9.0.2/24');
        w.link('c', 'other').setFaults({ loss: 0.5, corrupt: 0.5 });
      }
      w.attach('a', 'net', '10.0.0.1/24');
      w.attach('b', 'net', '10.0.0.2/24');
      const ra = w.getHost('a').stack.openRaw(IpProto.TEST);
      const rb = w.getHost('b').stack.openRaw(IpProto.TEST);
      w.link('a', 'net').from('a').setFaults({ loss: 0.3 });
      sendStream(w, ra, '10.0.0.2', 200, US);
      w.runUntilIdle();
      return rb.received.map((p) => numberOf(p.ip.payload));
    };
    expect(lossPattern(true)).to.deep.equal(lossPattern(false));
  });

  it('keeps the loss pattern when another fault of the same direction changes', () => {
    const lost = (dup: number): number[] => {
      const { w, ra, rb } = pair({ latency: MS });
      w.link('a', 'net').from('a').setFaults({ loss: 0.3, duplicate: dup });
      sendStream(w, ra, '10.0.0.2', 200, US);
      w.runUntilIdle();
      const got = new Set(rb.received.map((p) => numberOf(p.ip.payload)));
      return Array.from({ length: 200 }, (_, i) => i).filter((i) => !got.has(i));
    };
    expect(lost(0.5)).to.deep.equal(lost(0));
  });

  it('refuses impossible fault settings', () => {
    const { w } = pair();
    const dir = w.link('a', 'net').from('a');
    expect(() => dir.setFaults({ loss: 1.5 })).to.throw(/loss/);
    expect(() => dir.setFaults({ reorderDelay: -1 })).to.throw(/reorderDelay/);
    expect(() => dir.setFaults({ corruptBits: 0 })).to.throw(/corruptBits/);
  });
});
