/**
 * The cluster plug-in: the handoff daemon (harness/apps/handoffd.ts) on the front end and every
 * back end, which loads UTCP and BTCP into the node's running stack and keeps the control
 * channels. From the scenario: the VIP and port, the nodes and their weights, the dispatch
 * policy, the network and port of the control channels. The counts the demo shows come from
 * the front end's BTCP (HANDOFF_IOC_STATS), never from the harness.
 *
 * Addresses: a node's LAN address (where the FE forwards a handed-off connection's packets) is
 * its address on a network it shares with the front end, other than the control network when
 * there is a choice; the control channels run between the addresses on the control network.
 */
import { formatIpv4 } from '../../../lib/wire/ip-types.ts';
import type { NodeConfig } from '../../../modules/btcp/dispatch/view.ts';
import { startHandoffd, type Handoffd } from '../../apps/handoffd.ts';
import type { HostModel, Scenario } from '../model.ts';
import type { ClusterStats, ScenarioPlugins } from '../plugins.ts';

function addrOn(h: HostModel, network: string): string | null {
  const l = h.links.find((x) => x.network === network);
  return l === undefined ? null : formatIpv4(l.address.addr);
}

/** The network `h` shares with the front end that carries client traffic (not the control one if another exists). */
function dataNetwork(fe: HostModel, h: HostModel, control: string | null): string {
  const shared = h.links.map((l) => l.network).filter((n) => fe.links.some((l) => l.network === n));
  return shared.find((n) => n !== control) ?? shared[0]!;
}

export const clusterPlugin: NonNullable<ScenarioPlugins['cluster']> = ({ world, scenario, cluster, tcp }) => {
  const s: Scenario = scenario;
  const host = (name: string): HostModel => s.hosts.find((h) => h.name === name)!;
  const fe = host(cluster.frontEnd);
  const vipIf = fe.links.find((l) => l.aliases.some((a) => a.addr === cluster.vip) || l.address.addr === cluster.vip)!;
  const bes = cluster.backEnds.map((b) => ({ b, h: host(b.host) }));
  const controlAddr = (h: HostModel): string => addrOn(h, cluster.controlNetwork ?? dataNetwork(fe, h, null))!;

  const daemons: Handoffd[] = [];
  for (const { b, h } of bes) {
    daemons.push(
      startHandoffd(world.getHost(b.host), {
        nodeId: b.host,
        lanAddr: addrOn(h, dataNetwork(fe, h, cluster.controlNetwork))!,
        tcpLower: tcp.get(b.host)!.lower,
        listen: { port: cluster.controlPort },
      }),
    );
  }
  const nodes: NodeConfig[] = [
    ...(cluster.serveLocally ? [{ id: fe.name, weight: 1 }] : []),
    ...bes.map(({ b }) => ({ id: b.host, weight: b.weight, ...(b.maxConns !== null ? { maxConns: b.maxConns } : {}) })),
  ];
  const feDaemon = startHandoffd(world.getHost(fe.name), {
    nodeId: fe.name,
    lanAddr: formatIpv4(vipIf.address.addr),
    tcpLower: tcp.get(fe.name)!.lower,
    listen: false,
    peers: bes.map(({ h }) => ({ id: h.name, addr: controlAddr(h), port: cluster.controlPort })),
    frontEnd: { vip: formatIpv4(cluster.vip), port: cluster.port, nodes, policy: cluster.policy },
  });
  daemons.push(feDaemon);

  return {
    stats(): ClusterStats {
      const b = feDaemon.stats().btcp;
      const c = b?.counters ?? {};
      const handoffs: Record<string, number> = {};
      for (const { b: be } of bes) handoffs[be.host] = b?.handoffs[be.host] ?? 0;
      return {
        handoffs,
        localServes: c.localServes ?? 0,
        failedHandoffs: (c.handoffNaks ?? 0) + (c.handoffTimeouts ?? 0) + (c.handoffSendFailed ?? 0),
      };
    },
  };
};
