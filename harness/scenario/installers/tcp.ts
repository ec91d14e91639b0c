/**
 * The TCP plug-in: on every host that has TCP, the tcp driver with the host's profile, its
 * secrets drawn from the run's seed, and an IP stream linked under it (the "tcp-lower" place,
 * where BTCP and any module a scenario pushes there sit). The socket layer comes with it on
 * first use (harness/sockets).
 */
import { attachTcp } from '../../../modules/tcp/driver/setup.ts';
import tcpDriver from '../../../modules/tcp/tcp.ts';
import { sockmod } from '../../sockets/index.ts';
import type { ScenarioPlugins } from '../plugins.ts';

export const tcpPlugin: NonNullable<ScenarioPlugins['tcp']> = ({ world, host, profile, registry }) => {
  if (!registry.has(tcpDriver.name)) registry.register(tcpDriver);
  if (!registry.has(sockmod.name)) registry.register(sockmod);
  const lower = host.stack.openIp('tcp-lower');
  attachTcp(host.stack.env, lower, { profile, rng: world.rng.fork(`tcp:${host.name}`) });
  return { lower, driver: tcpDriver.name };
};
