import { expect } from 'chai';
import { MS } from '../../lib/sim/time.ts';
import { IpProto } from '../../lib/wire/ip-types.ts';
import { buildScenario, NO_APPS_NOTICE, NO_HANDOFF_NOTICE, NO_TCP_NOTICE, type BuiltScenario } from '../../harness/scenario/build.ts';
import { ScenarioRuntimeError } from '../../harness/scenario/schedule.ts';
import { tcpPlugin } from '../../harness/scenario/installers/tcp.ts';
import type { ScenarioDoc } from '../../harness/scenario/types.ts';
import type { RawIp } from '../../harness/world/raw.ts';
import { ipOnlyDoc, loaded, smallDoc } from './support.ts';

async function build(doc: ScenarioDoc): Promise<BuiltScenario> {
  return buildScenario(loaded(doc, 'spec/scenario/fixtures'), { plugins: {} });
}

function raw(b: BuiltScenario, host: string): RawIp {
  return b.world.getHost(host).stack.openRaw(IpProto.TEST);
}

/** Send a one-byte packet numbered i from `from` to dst at virtual time t. */
function sendAt(b: BuiltScenario, from: RawIp, dst: string, t: number, i: number): void {
  b.world.sched.scheduleAt(t, () => void from.send({ dst, payload: new Uint8Array([i]) }));
}

const got = (r: RawIp): number[] => r.received.map((p) => p.ip.payload[0]!);

describe('scenario builder: topology', () => {
  it('routes the client to the VIP through the router, and back ends answer the client without the front end', async () => {
    const b = await build(ipOnlyDoc());
    const [client, fe, be1] = [raw(b, 'client1'), raw(b, 'fe'), raw(b, 'be1')];
    client.send({ dst: '203.0.113.10', payload: new Uint8Array([1]) });
    be1.send({ dst: '198.51.100.10', src: '203.0.113.10', payload: new Uint8Array([2]) });
    b.world.runUntilIdle();
    expect(got(fe)).to.deep.equal([1]);
    expect(got(client)).to.deep.equal([2]);
    expect(b.world.iface('fe', 'eth0').counters.rxPackets).to.equal(1);
    expect(b.world.iface('router', 'eth1').counters.rxPackets).to.equal(1);
  });

  it("gives every cable its network's latency unless the host's link says otherwise", async () => {
    const d = ipOnlyDoc();
    d.hosts[3]!.links[0]!.latency = '1ms';
    const b = await build(d);
    const [fe, be1] = [raw(b, 'fe'), raw(b, 'be1')];
    fe.send({ dst: '192.0.2.11', payload: new Uint8Array([1]) });
    b.world.runUntilIdle();
    // fe -> switch 50 us, switch -> be1 1 ms.
    expect(be1.received[0]!.time).to.equal(1 * MS + 50_000);
  });

  it('applies out and in faults to the right direction of a cable', async () => {
    const d = ipOnlyDoc();
    d.hosts[3]!.links[0]!.faults = { in: { loss: 1 } };
    const b = await build(d);
    const [fe, be1] = [raw(b, 'fe'), raw(b, 'be1')];
    fe.send({ dst: '192.0.2.11', payload: new Uint8Array([1]) });
    be1.send({ dst: '192.0.2.10', payload: new Uint8Array([2]) });
    b.world.runUntilIdle();
    expect([got(be1), got(fe)]).to.deep.equal([[], [2]]);
    expect(b.world.link('be1', 'lan').to('be1').counters.lost).to.equal(1);
  });

  it("on a point-to-point network, sets each host's parameters on what it sends", async () => {
    const d = ipOnlyDoc();
    d.networks.push({ name: 'wan', kind: 'p2p', prefix: '10.1.0.0/30' });
    d.hosts[2]!.links.push({ network: 'wan', address: '10.1.0.1', latency: '3ms' });
    d.hosts[3]!.links.push({ network: 'wan', address: '10.1.0.2', latency: '7ms' });
    const b = await build(d);
    const [fe, be1] = [raw(b, 'fe'), raw(b, 'be1')];
    fe.send({ dst: '10.1.0.2', payload: new Uint8Array([1]) });
    be1.send({ dst: '10.1.0.1', payload: new Uint8Array([2]) });
    b.world.runUntilIdle();
    expect([be1.received[0]!.time, fe.received[0]!.time]).to.deep.equal([3 * MS, 7 * MS]);
  });

  it('cuts a cable during its down window and mends it after', async () => {
    const d = ipOnlyDoc();
    d.hosts[3]!.links[0]!.down = [{ from: '10ms', to: '20ms' }];
    const b = await build(d);
    const [fe, be1] = [raw(b, 'fe'), raw(b, 'be1')];
    [5, 15, 25].forEach((t, i) => sendAt(b, fe, '192.0.2.11', t * MS, i));
    b.world.runUntilIdle();
    expect(got(be1)).to.deep.equal([0, 2]);
  });

  it('partitions one direction during a window, and a switched network between host groups', async () => {
    const d = ipOnlyDoc();
    d.hosts[3]!.links[0]!.partitions = [{ from: '10ms', to: '20ms', direction: 'out' }];
    d.networks[1]!.partitions = [{ from: '30ms', to: '40ms', groups: [['fe'], ['be1']] }];
    const b = await build(d);
    const [fe, be1] = [raw(b, 'fe'), raw(b, 'be1')];
    [5, 15, 35, 45].forEach((t, i) => {
      sendAt(b, fe, '192.0.2.11', t * MS, i);
      sendAt(b, be1, '192.0.2.10', t * MS, i);
    });
    b.world.runUntilIdle();
    expect(got(be1)).to.deep.equal([0, 1, 3]);
    expect(got(fe)).to.deep.equal([0, 3]);
  });

  it('captures only the interfaces asked for', async () => {
    const d = ipOnlyDoc();
    d.capture = { pcap: ['fe', 'router.eth1'] };
    const b = await build(d);
    expect(b.world.captures().map((c) => c.name)).to.deep.equal(['router.eth1', 'fe.eth0']);
  });
});

describe('scenario builder: modules', () => {
  it('pushes modules at start-up by name and mid-run from a file, where the scenario says', async () => {
    const d = ipOnlyDoc();
    d.hosts[2]!.stack = {
      tcp: false,
      modules: [
        { module: 'counter', at: 'eth0' },
        { module: './probe.ts', at: 'lan', where: 'bottom', time: '5ms' },
      ],
    };
    const b = await build(d);
    const eth0 = b.place('fe', 'eth0');
    expect(eth0.stream!.list()).to.deep.equal(['counter', 'netdrv']);
    b.world.runUntil(6 * MS);
    expect(eth0.stream!.list()).to.deep.equal(['counter', 'probe', 'netdrv']);
    const [client, fe] = [raw(b, 'client1'), raw(b, 'fe')];
    client.send({ dst: '203.0.113.10', payload: new Uint8Array([1]) });
    b.world.runUntilIdle();
    expect(got(fe)).to.deep.equal([1]);
    expect(b.world.getHost('fe').stack.env.registry.get('probe')?.description).to.equal('passes everything on (spec fixture)');
  });

  it('stops the run with the JSON path when a timed action fails', async () => {
    const d = ipOnlyDoc();
    d.hosts[2]!.stack = { tcp: false, modules: [{ module: 'counter', at: 'eth0', action: 'pop', time: '1ms' }] };
    const b = await build(d);
    expect(() => b.world.runUntil(2 * MS))
      .to.throw(ScenarioRuntimeError)
      .with.property('ptr', '/hosts/2/stack/modules/0');
  });

  it("puts tcp-lower pushes on the stream between TCP and IP, and tcp-upper ones on TCP's autopush list", async () => {
    const d = ipOnlyDoc();
    d.hosts[2]!.stack = {
      tcp: 'linux',
      modules: [
        { module: 'counter', at: 'tcp-lower' },
        { module: 'passthru', at: 'tcp-upper' },
      ],
    };
    const b = await buildScenario(loaded(d), { plugins: { tcp: tcpPlugin } });
    expect(b.place('fe', 'tcp-lower').stream!.list()).to.deep.equal(['counter', 'ip']);
    expect(b.world.getHost('fe').stack.env.autopushFor('tcp')).to.deep.equal(['passthru']);
  });
});

describe('scenario builder: what a build lacks is said, not faked', () => {
  it('says there is no TCP when no TCP plug-in is installed', async () => {
    const b = await buildScenario(loaded(smallDoc()), { plugins: {} });
    expect(b.notices).to.deep.equal([NO_TCP_NOTICE]);
  });

  it('says there is no cluster and no applications when only TCP is installed', async () => {
    const b = await buildScenario(loaded(smallDoc()), { plugins: { tcp: tcpPlugin } });
    expect(b.notices).to.deep.equal([NO_HANDOFF_NOTICE, NO_APPS_NOTICE]);
  });
});
