import { expect } from 'chai';
import { MS, US } from '../../lib/sim/time.ts';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { encodeIpv4, Ipv4Packet } from '../../lib/wire/ipv4.ts';
import { defineDriver, freemsg, INFPSZ, M_DATA, M_IOCTL, miocack, msgbytes, putnext, Registry } from '../../lib/streams/index.ts';
import type { Mblk, Queue } from '../../lib/streams/index.ts';
import { registerWorldDrivers } from '../../harness/world/stack.ts';
import { World } from '../../harness/world/world.ts';
import type { RawIp } from '../../harness/world/raw.ts';

/** client — router — lan(fe, be1); client's default route via the router. */
function routed(): { w: World; client: RawIp; fe: RawIp; be1: RawIp } {
  const w = new World({ seed: 11 });
  w.network('wan', { kind: 'p2p', latency: 5 * MS, bandwidth: 100e6 });
  w.network('lan', { latency: 50 * US, bandwidth: 1e9 });
  w.host('client');
  w.router('router');
  w.host('fe');
  w.host('be1');
  w.attach('client', 'wan', '198.51.100.10/24');
  w.attach('router', 'wan', '198.51.100.1/24');
  w.attach('router', 'lan', '10.0.0.1/24');
  w.attach('fe', 'lan', '10.0.0.2/24');
  w.attach('be1', 'lan', '10.0.0.3/24');
  w.route('client', 'default', '198.51.100.1');
  w.route('fe', 'default', '10.0.0.1');
  w.route('be1', 'default', '10.0.0.1');
  const open = (h: string): RawIp => w.getHost(h).stack.openRaw(IpProto.TEST);
  return { w, client: open('client'), fe: open('fe'), be1: open('be1') };
}

describe('world: routing and forwarding', () => {
  it('forwards through a router both ways, decrementing TTL with a valid header checksum', () => {
    const { w, client, fe } = routed();
    client.send({ dst: '10.0.0.2', payload: new Uint8Array([1]), ttl: 64 });
    w.runUntilIdle();
    expect(fe.received).to.have.length(1);
    expect(fe.received[0]!.ip.ttl).to.equal(63);
    expect(Ipv4Packet.newUnchecked(fe.received[0]!.bytes).verifyChecksum()).to.equal(true);
    fe.send({ dst: '198.51.100.10', payload: new Uint8Array([2]) });
    w.runUntilIdle();
    expect(client.received.map((p) => p.ip.payload[0])).to.deep.equal([2]);
    expect(w.getHost('router').stack.ipStats().forwarded).to.equal(2);
  });

  it('lets hosts on one LAN talk directly through the switch, not the router', () => {
    const { w, fe, be1 } = routed();
    fe.send({ dst: '10.0.0.3', payload: new Uint8Array([3]) });
    w.runUntilIdle();
    expect(be1.received).to.have.length(1);
    expect(be1.received[0]!.ip.ttl).to.equal(64);
    expect(w.iface('router', 'lan').counters.rxPackets).to.equal(0);
  });

  it('drops a packet whose TTL would expire at the router and counts it', () => {
    const { w, client, fe } = routed();
    client.send({ dst: '10.0.0.2', payload: new Uint8Array([1]), ttl: 1 });
    w.runUntilIdle();
    expect(fe.received).to.have.length(0);
    expect(w.getHost('router').stack.ipStats().fwdTtlExpired).to.equal(1);
  });

  it('counts a forwarded packet with no route (router without a default route)', () => {
    const { w, client } = routed();
    client.send({ dst: '203.0.113.9', src: '198.51.100.10', payload: new Uint8Array(1) });
    w.runUntilIdle();
    expect(w.getHost('router').stack.ipStats().fwdNoRoute).to.equal(1);
  });

  it('counts a locally sent packet with no route', () => {
    const { w, fe } = routed();
    w.getHost('fe').stack.deleteRoute({ family: 'ipv4', addr: ipv4('0.0.0.0'), prefixLen: 0 });
    fe.send({ dst: '203.0.113.9', src: '10.0.0.2', payload: new Uint8Array(1) });
    expect(w.getHost('fe').stack.ipStats().outNoRoute).to.equal(1);
  });

  it('picks the longest matching prefix, then the default route', () => {
    const w = new World({ seed: 2 });
    w.router('r');
    for (const [h, n] of [['x', 1], ['y', 2], ['z', 3]] as const) {
      w.network(`n${n}`, { kind: 'p2p' });
      w.host(h);
      w.attach('r', `n${n}`, `192.168.${n}.1/24`);
      w.attach(h, `n${n}`, `192.168.${n}.2/24`);
    }
    w.network('in', { kind: 'p2p' });
    w.host('src');
    w.attach('r', 'in', '192.168.9.1/24');
    w.attach('src', 'in', '192.168.9.2/24');
    w.route('src', 'default', '192.168.9.1');
    w.route('r', '10.1.0.0/16', '192.168.1.2');
    w.route('r', '10.1.2.0/24', '192.168.2.2');
    w.route('r', 'default', '192.168.3.2');
    const s = w.getHost('src').stack.openRaw(IpProto.TEST);
    const to = (dst: string): string => {
      const before = Object.fromEntries(['x', 'y', 'z'].map((h) => [h, w.getHost(h).stack.ipStats().inNotForUs]));
      s.send({ dst, payload: new Uint8Array(1) });
      w.runUntilIdle();
      return ['x', 'y', 'z'].find((h) => w.getHost(h).stack.ipStats().inNotForUs > before[h]!) ?? 'none';
    };
    expect(to('10.1.2.5')).to.equal('y');
    expect(to('10.1.3.5')).to.equal('x');
    expect(to('10.2.0.1')).to.equal('z');
    expect(to('8.8.8.8')).to.equal('z');
    const routes = w.getHost('r').stack.routes();
    expect(routes.map((r) => r.prefixLen)).to.deep.equal([...routes.map((r) => r.prefixLen)].sort((a, b) => b - a));
  });

  it('does not forward on a host that is not a router', () => {
    const w = new World();
    w.network('n1', { kind: 'p2p' });
    w.network('n2', { kind: 'p2p' });
    w.host('a');
    w.host('mid');
    w.host('b');
    w.attach('a', 'n1', '10.1.0.1/24');
    w.attach('mid', 'n1', '10.1.0.2/24');
    w.attach('mid', 'n2', '10.2.0.1/24');
    w.attach('b', 'n2', '10.2.0.2/24');
    w.route('a', 'default', '10.1.0.2');
    const ra = w.getHost('a').stack.openRaw(IpProto.TEST);
    const rb = w.getHost('b').stack.openRaw(IpProto.TEST);
    ra.send({ dst: '10.2.0.2', payload: new Uint8Array(1) });
    w.runUntilIdle();
    expect(rb.received).to.have.length(0);
    expect(w.getHost('mid').stack.ipStats().inNotForUs).to.equal(1);
    w.getHost('mid').stack.setForwarding(true);
    w.route('b', 'default', '10.2.0.1');
    ra.send({ dst: '10.2.0.2', payload: new Uint8Array(1) });
    w.runUntilIdle();
    expect(rb.received).to.have.length(1);
  });

  it('enforces the interface MTU on send and on forward (no fragmentation)', () => {
    const w = new World();
    w.network('n1', { kind: 'p2p', mtu: 9000 });
    w.network('n2', { kind: 'p2p', mtu: 1500 });
    w.host('a');
    w.router('r');
    w.host('b');
    w.attach('a', 'n1', '10.1.0.1/24');
    w.attach('r', 'n1', '10.1.0.2/24');
    w.attach('r', 'n2', '10.2.0.1/24');
    w.attach('b', 'n2', '10.2.0.2/24');
    w.route('a', 'default', '10.1.0.2');
    w.route('b', 'default', '10.2.0.1');
    const ra = w.getHost('a').stack.openRaw(IpProto.TEST);
    const rb = w.getHost('b').stack.openRaw(IpProto.TEST);
    ra.send({ dst: '10.2.0.2', payload: new Uint8Array(3000) });
    rb.send({ dst: '10.1.0.1', payload: new Uint8Array(3000) });
    w.runUntilIdle();
    expect(w.getHost('r').stack.ipStats().fwdTooBig).to.equal(1);
    expect(w.getHost('b').stack.ipStats().outTooBig).to.equal(1);
    expect(ra.route(ipv4('10.2.0.2')).mtu).to.equal(9000);
  });

  it('answers IP_ROUTE_REQ at once: source and MTU, null source without a route, itself for a local address', () => {
    const { w, client, fe } = routed();
    expect(client.route(ipv4('10.0.0.2'))).to.include({ src: ipv4('198.51.100.10'), mtu: 1500 });
    w.getHost('fe').stack.deleteRoute({ family: 'ipv4', addr: 0 as never, prefixLen: 0 });
    expect(fe.route(ipv4('203.0.113.1')).src).to.equal(null);
    expect(fe.route(ipv4('10.0.0.2')).src).to.equal(ipv4('10.0.0.2'));
  });

  it('loops packets to its own address back to the input path, on a later turn', () => {
    const { w, fe } = routed();
    fe.send({ dst: '10.0.0.2', payload: new Uint8Array([9]) });
    expect(fe.received).to.have.length(0);
    w.runUntilIdle();
    expect(fe.received.map((p) => p.ip.payload[0])).to.deep.equal([9]);
    expect(w.getHost('fe').stack.ipStats().outLoopback).to.equal(1);
    expect(w.iface('fe', 'eth0').counters.txPackets).to.equal(0);
  });

  it('serves an extra address (a VIP) on an interface: the switch and IP both learn it', () => {
    const { w, client, fe } = routed();
    w.addAddress('fe', 'eth0', '10.0.0.100/32');
    client.send({ dst: '10.0.0.100', payload: new Uint8Array([7]) });
    w.runUntilIdle();
    expect(fe.received.map((p) => p.ip.dst)).to.deep.equal([ipv4('10.0.0.100')]);
  });
});

describe('world: host stack plumbing for transports', () => {
  it('binds an IP stream to a protocol and links it under a multiplexing driver', () => {
    const registry = new Registry();
    registerWorldDrivers(registry);
    // A tiny transport mux that keeps what arrives from below.
    const got: Uint8Array[] = [];
    const minfo = { id: 9999, name: 'tmux', minpsz: 0, maxpsz: INFPSZ, hiwat: 65536, lowat: 1024 };
    registry.register(
      defineDriver({
        rdinit: { put: (q: Queue, mp: Mblk) => putnext(q, mp), minfo },
        wrinit: { put: (q: Queue, mp: Mblk) => (mp.db.type === M_IOCTL ? miocack(q, mp) : freemsg(mp)), minfo },
        muxrinit: {
          put: (_q: Queue, mp: Mblk) => {
            if (mp.db.type === M_DATA) got.push(msgbytes(mp));
            freemsg(mp);
          },
          minfo,
        },
        muxwinit: { put: (q: Queue, mp: Mblk) => putnext(q, mp), minfo },
      }),
    );
    const w = new World({ registry });
    w.network('n', { kind: 'p2p' });
    w.host('a');
    w.host('b');
    w.attach('a', 'n', '10.0.0.1/24');
    w.attach('b', 'n', '10.0.0.2/24');
    const st = w.getHost('b').stack;
    const muxid = st.linkTransport(st.env.open('tmux'), 77);
    expect(muxid).to.be.greaterThan(0);
    expect(() => st.bindIp(77)).to.throw(/already bound/);
    const pkt = encodeIpv4({ src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2'), protocol: 77, ttl: 9, id: 1, tos: 0, dontFrag: true, options: new Uint8Array(0), payload: new Uint8Array([5]) });
    w.iface('a', 'eth0').transmit(pkt, null);
    w.runUntilIdle();
    expect(got).to.have.length(1);
    expect(got[0]![9]).to.equal(77);
  });
});
