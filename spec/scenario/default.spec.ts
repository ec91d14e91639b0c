import { expect } from 'chai';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { buildScenario } from '../../harness/scenario/build.ts';
import { DEFAULT_VIP, defaultScenarioDoc } from '../../harness/scenario/default.ts';
import { load, loaded } from './support.ts';

describe('the embedded default scenario', () => {
  it('is valid, with or without the sync network and with several client hosts', () => {
    for (const opts of [{}, { sync: false }, { clientHosts: 3 }]) {
      const r = load(defaultScenarioDoc(opts));
      expect(r.ok && r.warnings, JSON.stringify(r)).to.deep.equal([]);
    }
  });

  it("sends back ends' answers to the router, not through the front end", async () => {
    const b = await buildScenario(loaded(defaultScenarioDoc()), { plugins: {} });
    const open = (h: string) => b.world.getHost(h).stack.openRaw(IpProto.TEST);
    const [client, fe, be2] = [open('client1'), open('fe'), open('be2')];
    client.send({ dst: DEFAULT_VIP, payload: new Uint8Array([1]) });
    be2.send({ dst: '198.51.100.10', src: DEFAULT_VIP, payload: new Uint8Array([2]) });
    b.world.runUntilIdle();
    expect([fe.received.length, client.received.length]).to.deep.equal([1, 1]);
    expect(b.world.iface('fe', 'eth0').counters.rxPackets).to.equal(1);
    expect(b.world.iface('router', 'eth1').counters.rxPackets).to.equal(1);
  });

  it('puts the front end and the back ends on the sync network for the control channels', () => {
    const s = loaded(defaultScenarioDoc());
    expect(s.cluster?.controlNetwork).to.equal('sync');
    for (const h of ['fe', 'be1', 'be2', 'be3']) expect(s.hosts.find((x) => x.name === h)!.links.map((l) => l.network)).to.deep.equal(['lan', 'sync']);
  });
});
