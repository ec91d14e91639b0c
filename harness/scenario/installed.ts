/**
 * The scenario plug-ins of this build, installed by importing this file (the CLI commands do).
 * Each plug-in is a file that registerScenarioPlugins (plugins.ts) is called with:
 *
 *   TCP and the socket layer   -> { tcp }      installers/tcp.ts
 *   web servers and workloads  -> { apps }     installers/apps.ts
 *   the handoff cluster roles  -> { cluster }  installers/cluster.ts (handoffd: UTCP, BTCP)
 *
 * A run without one says so in its notices (build.ts).
 */
import { registerScenarioPlugins } from './plugins.ts';
import { appsPlugin } from './installers/apps.ts';
import { clusterPlugin } from './installers/cluster.ts';
import { tcpPlugin } from './installers/tcp.ts';

registerScenarioPlugins({ tcp: tcpPlugin, cluster: clusterPlugin, apps: appsPlugin });
