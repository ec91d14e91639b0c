import { expect } from 'chai';
import { problems, smallDoc, load } from './support.ts';
import { parseJson } from '../../harness/scenario/load.ts';
import type { ScenarioDoc } from '../../harness/scenario/types.ts';

/** Write a field the types do not allow (the point of these cases). */
const poke = (o: object, key: string, value: unknown): void => {
  (o as Record<string, unknown>)[key] = value;
};

const one = (change: (d: ScenarioDoc) => void): string => {
  const p = problems(change);
  expect(p, p.join('\n')).to.have.length(1);
  return p[0]!;
};

describe('scenario files: schema errors name the path, what was expected and what was found', () => {
  it('accepts the small scenario the other cases change', () => {
    expect(load(smallDoc()).ok).to.equal(true);
  });

  it('names a bad duration', () => {
    expect(one((d) => poke(d.hosts[2]!.links[0]!, 'latency', 'fast'))).to.equal(
      'scenario.json: /hosts/2/links/0/latency: expected a duration like "2ms" or a number of ns, found "fast"',
    );
  });

  it('names a bad bandwidth and a bad size', () => {
    expect(one((d) => (d.networks[1]!.link = { bandwidth: '10 furlongs' }))).to.equal(
      'scenario.json: /networks/1/link/bandwidth: expected a bandwidth like "100Mbit", "1Gbps", "unlimited" or a number of bit/s, found "10 furlongs"',
    );
    expect(one((d) => (d.networks[1]!.link = { queue: { bytes: 'lots' } }))).to.equal(
      'scenario.json: /networks/1/link/queue/bytes: expected a size like "64KiB" or a number of bytes, found "lots"',
    );
  });

  it('suggests the property meant by a typo', () => {
    expect(one((d) => poke(d.hosts[2]!.links[0]!, 'latncy', '1ms'))).to.equal(
      'scenario.json: /hosts/2/links/0: unknown property "latncy" (did you mean "latency"?)',
    );
  });

  it('lists the allowed properties when nothing is close', () => {
    expect(one((d) => poke(d, 'colour', 'blue'))).to.equal(
      'scenario.json: unknown property "colour" (expected one of: $schema, name, description, seed, networks, hosts, cluster, apps, capture, run)',
    );
  });

  it('names a missing required property', () => {
    expect(one((d) => delete (d.hosts[3]!.links[0] as Partial<ScenarioDoc['hosts'][number]['links'][number]>).address)).to.equal(
      'scenario.json: /hosts/3/links/0: missing required property "address"',
    );
  });

  it('names a value of the wrong type', () => {
    expect(one((d) => poke(d.hosts[1]!, 'router', 'yes'))).to.equal('scenario.json: /hosts/1/router: expected a boolean, found "yes"');
  });

  it('refuses an impossible address', () => {
    expect(one((d) => (d.hosts[3]!.links[0]!.address = '192.0.2.300'))).to.equal(
      'scenario.json: /hosts/3/links/0/address: expected an IPv4 address like "192.0.2.10/24" (the prefix length is optional), found "192.0.2.300"',
    );
  });

  it('lists the choices of an enumeration', () => {
    expect(one((d) => (d.hosts[2]!.stack = { tcp: 'windows' as 'linux' }))).to.equal(
      'scenario.json: /hosts/2/stack/tcp: expected one of "linux", "freebsd", false, found "windows"',
    );
  });

  it('refuses a probability above 1', () => {
    expect(one((d) => (d.hosts[0]!.links[0]!.faults = { out: { loss: 1.5 } }))).to.equal(
      'scenario.json: /hosts/0/links/0/faults/out/loss: expected a probability between 0 and 1, found 1.5',
    );
  });

  it('names the dispatch policies when the policy is unknown', () => {
    expect(one((d) => (d.cluster!.policy = { policy: 'round-robin' } as never))).to.equal(
      'scenario.json: /cluster/policy/policy: expected one of "url-partition", "lard", "weighted-round-robin", "consistent-hash", "least-connections", found "round-robin"',
    );
  });

  it('explains the object form of a back end when it is wrong, and the whole choice otherwise', () => {
    expect(one((d) => (d.cluster!.backEnds = [{ host: 'be1', wieght: 2 } as never]))).to.equal(
      'scenario.json: /cluster/backEnds/0: unknown property "wieght" (did you mean "weight"?)',
    );
    expect(one((d) => (d.cluster!.backEnds = [5 as never]))).to.equal(
      'scenario.json: /cluster/backEnds/0: expected a host name, or {"host": name, "weight": w, "maxConns": n}, found 5',
    );
  });

  it('reports several problems, one line each, in document order', () => {
    const p = problems((d) => {
      d.seed = -1;
      poke(d.hosts[2]!.links[0]!, 'latency', 'fast');
    });
    expect(p).to.deep.equal([
      'scenario.json: /seed: expected a seed: an integer >= 0 or a non-empty string, found -1',
      'scenario.json: /hosts/2/links/0/latency: expected a duration like "2ms" or a number of ns, found "fast"',
    ]);
  });
});

describe('scenario files: semantic errors', () => {
  it('names an unknown network and suggests the likely one', () => {
    expect(one((d) => (d.hosts[3]!.links[0]!.network = 'lann'))).to.equal(
      'scenario.json: /hosts/3/links/0/network: no network "lann" (did you mean "lan"? networks: public, lan)',
    );
  });

  it('refuses an address used twice', () => {
    expect(one((d) => (d.hosts[3]!.links[0]!.address = '192.0.2.10/24'))).to.equal(
      'scenario.json: /hosts/3/links/0/address: 192.0.2.10 is already an address of fe (/hosts/2/links/0/address)',
    );
  });

  it('refuses an address outside its network', () => {
    expect(one((d) => (d.hosts[3]!.links[0]!.address = '198.51.100.11/24'))).to.equal(
      'scenario.json: /hosts/3/links/0/address: 198.51.100.11 is outside network lan (192.0.2.0/24)',
    );
  });

  it('refuses a network or broadcast address as a host address', () => {
    expect(one((d) => (d.hosts[3]!.links[0]!.address = '192.0.2.255'))).to.equal(
      'scenario.json: /hosts/3/links/0/address: 192.0.2.255 is the broadcast address of lan, not a host address',
    );
  });

  it('refuses addresses outside the documentation and private ranges', () => {
    const p = problems((d) => {
      d.networks[1]!.prefix = '8.8.8.0/24';
      d.hosts[1]!.links[1]!.address = '8.8.8.1/24';
      d.hosts[2]!.links[0]!.address = '8.8.8.10/24';
      d.hosts[3]!.links[0]!.address = '8.8.8.11/24';
      d.hosts[1]!.routes = [{ to: '203.0.113.10/32', via: '8.8.8.10' }];
      for (const h of [d.hosts[2]!, d.hosts[3]!]) h.routes = [{ to: 'default', via: '8.8.8.1' }];
    });
    expect(p[0]).to.equal(
      'scenario.json: /networks/1/prefix: 8.8.8.0/24 is outside the documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), private (10/8, 172.16/12, 192.168/16) or benchmarking (198.18/15) ranges',
    );
    expect(p).to.have.length(4);
  });

  it('refuses a route to nowhere', () => {
    expect(one((d) => (d.hosts[3]!.routes = [{ to: 'default', via: '192.0.9.1' }]))).to.equal(
      "scenario.json: /hosts/3/routes/0/via: route to nowhere: gateway 192.0.9.1 is on none of be1's networks (lan 192.0.2.0/24)",
    );
    expect(one((d) => (d.hosts[3]!.routes = [{ to: 'default', via: '192.0.2.99' }]))).to.equal(
      'scenario.json: /hosts/3/routes/0/via: route to nowhere: no host has the gateway address 192.0.2.99',
    );
  });

  it('refuses a VIP the front end does not own', () => {
    expect(problems((d) => (d.hosts[2]!.links[0]!.aliases = []))).to.deep.equal([
      'scenario.json: /cluster/vip: the VIP 203.0.113.10 is not an address of the front end fe (add it to one of its links\' "aliases")',
      'scenario.json: /apps/clients/0/target: no host has the address 203.0.113.10',
    ]);
  });

  it('names an unknown host in the cluster', () => {
    expect(one((d) => (d.cluster!.backEnds = ['be9']))).to.equal('scenario.json: /cluster/backEnds/0: no host "be9" (did you mean "be1"? hosts: client1, router, fe, be1)');
  });

  it('names a module file that does not exist, resolved from the scenario file', () => {
    expect(one((d) => (d.hosts[2]!.stack = { modules: [{ module: './nope/syn-counter.ts', at: 'eth0' }] }))).to.equal(
      `scenario.json: /hosts/2/stack/modules/0/module: module file not found: ${process.cwd()}/nope/syn-counter.ts`,
    );
  });

  it('names an unknown module and a place the host does not have', () => {
    expect(problems((d) => (d.hosts[2]!.stack = { modules: [{ module: 'countr', at: 'eth9' }] }))).to.deep.equal([
      'scenario.json: /hosts/2/stack/modules/0/module: no module "countr" (did you mean "counter"? modules: counter, passthru, qpass, sockmod, tee, upper) (a file path starts with ./ or /)',
      "scenario.json: /hosts/2/stack/modules/0/at: no place \"eth9\" in fe's stack (places: eth0, tcp-lower, tcp-upper)",
    ]);
  });

  it('refuses a time window that ends before it starts', () => {
    expect(one((d) => (d.hosts[3]!.links[0]!.down = [{ from: '2s', to: '1s' }]))).to.equal(
      'scenario.json: /hosts/3/links/0/down/0/to: the window ends before it starts (to 1s <= from 2s)',
    );
  });

  it('refuses a point-to-point network with three hosts', () => {
    expect(one((d) => (d.networks[1]!.kind = 'p2p'))).to.equal('scenario.json: /networks/1: point-to-point network lan has 3 hosts (router, fe, be1); it takes exactly 2');
  });

  it('refuses a client target no route leads to', () => {
    expect(one((d) => (d.hosts[0]!.routes = []))).to.equal(
      'scenario.json: /apps/clients/0/target: client1 has no route to 203.0.113.10 (add a route, e.g. {"to": "default", "via": ...})',
    );
  });

  it('warns, without failing, about an event after the end of the run', () => {
    const d = smallDoc();
    d.run = { until: '1s' };
    d.hosts[3]!.links[0]!.down = [{ from: '2s' }];
    const r = load(d);
    expect(r.ok).to.equal(true);
    expect(r.ok && r.warnings.map((w) => w.message)).to.deep.equal(['never happens: 2s is not before the end of the run (1s)']);
  });
});

describe('scenario files: JSON syntax', () => {
  it('says where the syntax error is', () => {
    const r = parseJson('{\n  "seed": 1,\n  "hosts": [}\n');
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.message).to.match(/^not valid JSON at line 3 column 13: /);
  });

  it('says so when the file is empty', () => {
    const r = parseJson('');
    expect(!r.ok && r.message).to.match(/^not valid JSON \(the file is empty\)/);
  });
});
