/**
 * The applications plug-in: the web server of harness/apps on every host the scenario lists
 * under apps.servers (named after its host, so X-Served-By tells who answered), and the client
 * workload (workload.ts). The shell's `request` command goes through fetchOnce.
 */
import { formatIpv4, ipv4 } from '../../../lib/wire/ip-types.ts';
import { startWebServer } from '../../apps/web-server.ts';
import type { ScenarioPlugins } from '../plugins.ts';
import { fetchOnce, startWorkload } from './workload.ts';

export const appsPlugin: NonNullable<ScenarioPlugins['apps']> = ({ world, scenario, clients }) => {
  for (const s of scenario.servers) startWebServer(world.getHost(s.host), { name: s.host, port: s.port });
  const load = startWorkload(world, clients);
  return {
    needsAsync: true,
    done: () => load.done(),
    stats: () => load.stats(),
    notices: load.notices,
    async request(host, url) {
      const m = /^(?:http:\/\/)?(\d+\.\d+\.\d+\.\d+)(?::(\d+))?(\/.*)?$/.exec(url) ?? /^()()(\/.*)$/.exec(url);
      if (m === null) throw new Error(`expected a URL like http://203.0.113.10/index.html or a path like /index.html, found "${url}"`);
      const target = m[1] ? m[1] : scenario.cluster !== null ? formatIpv4(scenario.cluster.vip) : null;
      if (target === null) throw new Error('a path alone needs a cluster VIP to send it to; give http://ADDRESS/path');
      ipv4(target);
      const port = m[2] ? Number(m[2]) : (scenario.cluster?.port ?? 80);
      const path = m[3] ?? '/';
      const t0 = world.now();
      const r = await fetchOnce(world, { host: target, port, path, from: world.getHost(host) });
      return `${r.status} from ${r.servedBy ?? '(unknown)'}: ${r.bytes} bytes in ${((world.now() - t0) / 1e6).toFixed(3)} ms of virtual time`;
    },
  };
};
