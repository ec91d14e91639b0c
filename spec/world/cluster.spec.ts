import { expect } from 'chai';
import { MS, US } from '../../lib/sim/time.ts';
import { ipv4, IpProto } from '../../lib/wire/ip-types.ts';
import { World } from '../../harness/world/world.ts';

/** The topology docs/harness.md builds: client — router — FE + 3 BEs on a LAN, a sync network. */
function cluster(): World {
  const w = new World({ seed: 42, capture: true, trace: true });
  w.network('public', { kind: 'p2p', latency: 10 * MS, bandwidth: 100e6 });
  w.network('lan', { latency: 50 * US, bandwidth: 1e9, queuePackets: 256 });
  w.network('sync', { latency: 20 * US, bandwidth: 1e9 });

  w.host('client');
  w.router('router');
  w.attach('client', 'public', '198.51.100.10/24');
  w.attach('router', 'public', '198.51.100.1/24');
  w.attach('router', 'lan', '192.0.2.1/25');
  w.route('client', 'default', '198.51.100.1');

  const nodes = ['fe', 'be1', 'be2', 'be3'];
  nodes.forEach((h, i) => {
    w.host(h);
    w.attach(h, 'lan', `192.0.2.${10 + i}/25`);
    w.attach(h, 'sync', `192.0.2.${138 + i}/25`);
    w.route(h, 'default', '192.0.2.1');
  });
  // The front end owns the virtual IP; the router sends VIP traffic to it.
  w.addAddress('fe', 'eth0', '203.0.113.10/32');
  w.route('router', '203.0.113.10/32', '192.0.2.10');
  return w;
}

describe('world: the documented cluster topology', () => {
  it('carries client traffic to the VIP on the front end, and a back end answers the client directly', () => {
    const w = cluster();
    const client = w.getHost('client').stack.openRaw(IpProto.TEST);
    const fe = w.getHost('fe').stack.openRaw(IpProto.TEST);
    const be2 = w.getHost('be2').stack.openRaw(IpProto.TEST);
    client.send({ dst: '203.0.113.10', payload: new Uint8Array([1]) });
    w.runUntilIdle();
    expect(fe.received.map((p) => p.ip.dst)).to.deep.equal([ipv4('203.0.113.10')]);
    // A back end answers with the VIP as source (what BTCP's rewrite produces) on its own path.
    be2.send({ dst: '198.51.100.10', src: '203.0.113.10', payload: new Uint8Array([2]) });
    w.runUntilIdle();
    expect(client.received.map((p) => [p.ip.src, p.ip.payload[0]])).to.deep.equal([[ipv4('203.0.113.10'), 2]]);
    expect(w.iface('fe', 'lan').counters.txPackets).to.equal(0);
  });

  it('keeps the sync network separate from the LAN', () => {
    const w = cluster();
    const be1 = w.getHost('be1').stack.openRaw(IpProto.TEST);
    const be3 = w.getHost('be3').stack.openRaw(IpProto.TEST);
    be1.send({ dst: '192.0.2.141', payload: new Uint8Array([3]) });
    w.runUntilIdle();
    expect(be3.received).to.have.length(1);
    expect(w.iface('be3', 'sync').counters.rxPackets).to.equal(1);
    expect(w.iface('be3', 'lan').counters.rxPackets).to.equal(0);
  });

  it('captures every interface', () => {
    const w = cluster();
    expect(w.captures().map((c) => c.name)).to.deep.equal([
      'client.eth0',
      'router.eth0',
      'router.eth1',
      'fe.eth0',
      'fe.eth1',
      'be1.eth0',
      'be1.eth1',
      'be2.eth0',
      'be2.eth1',
      'be3.eth0',
      'be3.eth1',
    ]);
  });
});
