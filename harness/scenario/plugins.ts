/**
 * Where the parts that are not the harness's own plug into a scenario run: the TCP (with the
 * socket layer), the cluster roles (the handoff modules on the front end and back ends), and
 * the applications (web servers, client workloads). Each is installed by the code that owns it,
 * through `registerScenarioPlugins` (harness/scenario/installed.ts lists those imports); a run
 * without one says so plainly in its notices instead of pretending.
 *
 * Order of installation in build.ts: topology, then `tcp` on every host that has TCP, then
 * start-up module pushes, then `cluster`, then `apps`. Each installer gets the loaded model
 * (model.ts), never the raw file, and talks to stacks only through streams and ioctls.
 */
import type { Registry, Stream } from '../../lib/streams/index.ts';
import type { Host } from '../world/host.ts';
import type { World } from '../world/world.ts';
import type { ClientModel, ClusterModel, HostModel, Scenario } from './model.ts';
import type { TcpProfileName } from './types.ts';

/** What the TCP installer gives back for one host. */
export interface TcpAttachment {
  /** The stream between TCP and IP (I_LINKed under TCP): pushes at "tcp-lower" go here. */
  lower: Stream;
  /** The transport driver's name; "tcp-upper" pushes go on its autopush list. */
  driver: string;
}

export interface TcpInstallContext {
  world: World;
  host: Host;
  model: HostModel;
  profile: TcpProfileName;
  registry: Registry;
}

export interface ClusterInstallContext {
  world: World;
  scenario: Scenario;
  cluster: ClusterModel;
  /** TCP of every host that has one. */
  tcp: ReadonlyMap<string, TcpAttachment>;
  registry: Registry;
}

/** Counts the demo's summary table shows; the cluster installer keeps them. */
export interface ClusterStats {
  /** Connections handed off, per back end. */
  handoffs: Record<string, number>;
  /** Connections the front end served itself. */
  localServes: number;
  /** Handoffs refused or timed out (then served elsewhere). */
  failedHandoffs: number;
}

export interface ClusterAttachment {
  stats(): ClusterStats;
}

export interface AppsInstallContext {
  world: World;
  scenario: Scenario;
  /** The clients to start (the scenario's, or none when the user drives requests: the shell). */
  clients: readonly ClientModel[];
  tcp: ReadonlyMap<string, TcpAttachment>;
  cluster: ClusterAttachment | null;
}

export interface WorkloadStats {
  requestsStarted: number;
  requestsDone: number;
  requestsFailed: number;
  /** Response body bytes the clients received. */
  bytes: number;
  /** Requests answered, per server host (what the servers counted). */
  served: Record<string, number>;
}

export interface AppsAttachment {
  /** Every client has finished its requests (the run may stop). */
  done(): boolean;
  stats(): WorkloadStats;
  /**
   * Send one request now from `host` to a URL or a path (the shell's `request` command). The
   * promise settles inside the simulation: the caller runs the clock until it does.
   */
  request?(host: string, url: string): Promise<string>;
  /** Node code runs in the applications: the run must yield to Node's event loop. */
  readonly needsAsync: boolean;
  /** What the applications could not do as the scenario asked (shown with the run's notices). */
  readonly notices?: readonly string[];
}

export interface ScenarioPlugins {
  tcp?: (ctx: TcpInstallContext) => TcpAttachment;
  cluster?: (ctx: ClusterInstallContext) => ClusterAttachment;
  apps?: (ctx: AppsInstallContext) => AppsAttachment;
}

const installed: ScenarioPlugins = {};

/** Install (or replace) plug-ins for every later build in this process. */
export function registerScenarioPlugins(p: ScenarioPlugins): void {
  Object.assign(installed, p);
}

/** The plug-ins installed so far. */
export function scenarioPlugins(): ScenarioPlugins {
  return { ...installed };
}
