import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioDoc } from '../../harness/scenario/load.ts';
import { defaultScenarioDoc } from '../../harness/scenario/default.ts';
import type { Scenario } from '../../harness/scenario/model.ts';
import type { ScenarioDoc } from '../../harness/scenario/types.ts';
import { clientNetwork, freeAddress, gatewayOf, loadLiveScenario, routesFor } from '../../harness/live/scenario-world.ts';
import { LiveError } from '../../harness/live/sys.ts';
import { requireRoot, requireTool } from '../support/tools.ts';
import { BIN, gone, live, namespaces } from './helpers.ts';

function load(doc: ScenarioDoc): Scenario {
  const r = loadScenarioDoc(JSON.parse(JSON.stringify(doc)), '<spec>', '/');
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.scenario;
}

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(LiveError);
    return (err as Error).message;
  }
  return '';
}

describe('live: where the real client joins a scenario', () => {
  const cluster = load(defaultScenarioDoc());

  it("joins the network of the scenario's first client host, at the highest free address", () => {
    const net = clientNetwork(cluster, null);
    expect(net.name).to.equal('public');
    expect(freeAddress(cluster, net)).to.equal('198.51.100.254/24');
  });

  it('skips addresses that hosts or aliases already use', () => {
    const doc = defaultScenarioDoc();
    doc.hosts[0]!.links[0]!.aliases = ['198.51.100.254/32'];
    const s = load(doc);
    expect(freeAddress(s, clientNetwork(s, null))).to.equal('198.51.100.253/24');
  });

  it("takes the clients' default gateway as its next hop off the network", () => {
    expect(gatewayOf(cluster, clientNetwork(cluster, null))).to.equal('198.51.100.1');
  });

  it('routes the other networks and the VIP into the TUN, not the network it is on', () => {
    expect(routesFor(cluster, clientNetwork(cluster, null)).routes.sort()).to.deep.equal(['192.0.2.0/24', '203.0.113.10/32', '203.0.113.128/25']);
  });

  it('routes nothing outside the documentation ranges, and says what it left out', () => {
    const doc = defaultScenarioDoc({ sync: false });
    doc.networks.push({ name: 'private', prefix: '10.9.0.0/24' });
    doc.hosts.find((h) => h.name === 'be1')!.links.push({ network: 'private', address: '10.9.0.5/24' });
    const r = routesFor(load(doc), clientNetwork(load(doc), null));
    expect(r.routes).not.to.include('10.9.0.0/24');
    expect(r.skipped).to.deep.equal(['10.9.0.0/24']);
  });

  it('joins the network named with --network, and refuses one that does not exist', () => {
    expect(clientNetwork(cluster, 'lan').name).to.equal('lan');
    expect(thrown(() => clientNetwork(cluster, 'nowhere'))).to.match(/no such network.*public, lan, sync/);
  });

  it('refuses to put the real client on a network outside the documentation ranges', () => {
    const doc = defaultScenarioDoc({ sync: false });
    doc.networks.push({ name: 'private', prefix: '10.9.0.0/24' });
    doc.hosts.find((h) => h.name === 'be1')!.links.push({ network: 'private', address: '10.9.0.5/24' });
    expect(thrown(() => clientNetwork(load(doc), 'private'))).to.match(/not in a documentation range/);
  });

  it('reports a bad scenario file in one line naming the first problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-scn-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{"name": "x", "networks": [{"name": "a"}]}');
    const msg = thrown(() => loadLiveScenario(f));
    expect(msg.split('\n')).to.have.length(1);
    expect(msg).to.include(f).and.match(/hosts/);
  });
});

describe('live: a scenario file run live (root, ip, socat, curl)', function () {
  this.timeout(40_000);

  before(function () {
    requireRoot(this);
    requireTool(this, 'ip', 'apt-get install iproute2');
    requireTool(this, 'socat', 'apt-get install socat');
    requireTool(this, 'curl', 'apt-get install curl');
  });

  it("serves curl from the default cluster's VIP, with HANDOFF_VIP set from the scenario", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-scn-'));
    const file = join(dir, 'cluster.json');
    writeFileSync(file, JSON.stringify(defaultScenarioDoc({ requests: 1, clientsPerHost: 1 })));
    const s = live(['--scenario', file, '--exec', 'curl -sS -m 20 -D - -o /dev/null "http://$HANDOFF_VIP/about.txt" && echo "ns=$HANDOFF_NETNS client=$HANDOFF_CLIENT_ADDR"']);
    expect(await s.exited, s.stderr()).to.equal(0);
    expect(s.stdout()).to.match(/^HTTP\/1\.1 200/).and.match(/X-Served-By: (fe|be\d)/i).and.include('client=198.51.100.254');
    expect(s.stderr()).to.include('203.0.113.10');
    const ns = /ns=(\S+)/.exec(s.stdout())![1]!;
    expect(gone(ns, [])).to.equal(true);
  });

  it('refuses a bad scenario file before making anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-scn-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"name": ');
    const before = namespaces();
    const r = spawnSync(process.execPath, [BIN, 'live', '--scenario', file, '--exec', 'true'], { encoding: 'utf8', timeout: 20_000 });
    expect(namespaces()).to.deep.equal(before);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.include(file);
  });
});
