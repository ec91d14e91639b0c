/**
 * The emulator side of a live session, run inside the namespace: the world in realtime mode,
 * the bridge to the TUN (its UDP socket, its capture) and socat. `startEmulator` returns once
 * the TUN is up and routed; `stop` takes it all down again (socat first, so no packet arrives
 * into a stopped world) and reports the bridge's counters.
 */
import { RealtimeDriver } from '../../lib/sim/realtime.ts';
import { MS } from '../../lib/sim/time.ts';
import { TunBridge } from './bridge.ts';
import { CaptureFile } from './capture-file.ts';
import { defaultLiveWorld } from './default-world.ts';
import type { LiveWorld } from './live-world.ts';
import { TUN_NAME } from './plan.ts';
import { DEFAULT_CLUSTER, scenarioLiveWorld } from './scenario-world.ts';
import type { EmulatorConfig, LinkDrops, ReadyMessage, StoppedMessage } from './protocol.ts';
import type { World } from '../world/world.ts';
import { TunDevice, UDP_BUFFER_BYTES } from './tun.ts';
import { UdpWire } from './udp-wire.ts';

export interface Emulator {
  readonly ready: ReadyMessage;
  stop(): Promise<StoppedMessage>;
}

function linkDrops(w: World): LinkDrops[] {
  const out: LinkDrops[] = [];
  for (const n of w.networks.values()) {
    for (const l of n.links) {
      for (const d of l.directions) {
        const c = d.counters;
        const other = c.lost + c.partitionDrops + c.downDrops + c.mtuDrops;
        if (c.queueDrops + other > 0) out.push({ name: d.name, queueDrops: c.queueDrops, otherDrops: other, maxQueue: c.maxQueue });
      }
    }
  }
  return out;
}

/** Build the world a session runs: the scenario's, or the default handoff cluster. */
export function buildLiveWorld(cfg: EmulatorConfig): Promise<LiveWorld> {
  if (cfg.scenario === null || cfg.scenario === DEFAULT_CLUSTER) return defaultLiveWorld({ seed: cfg.seed ?? 1, network: cfg.network });
  return scenarioLiveWorld(cfg.scenario, { seed: cfg.seed, network: cfg.network });
}

/** `onFatal` hears of failures after start: socat exiting, an event throwing. */
export async function startEmulator(cfg: EmulatorConfig, onFatal: (message: string) => void): Promise<Emulator> {
  const lw = await buildLiveWorld(cfg);
  const file = cfg.pcap === null ? null : new CaptureFile(cfg.pcap, cfg.pcapMaxBytes);
  let maxLag = 0;
  // Node's code gets its turns after each catch-up, not between due instants: a real client's
  // ACKs must be seen before virtual time runs ahead to the retransmission timers they cancel.
  const driver = new RealtimeDriver(lw.world.sched, {
    yields: 'after-catch-up',
    onError: (err) => onFatal(`the emulated world failed: ${(err as Error)?.stack ?? String(err)}`),
  });
  // A packet from the TUN enters at the wall-clock time, except while the simulation is
  // behind the wall clock (its last turn could not run everything due, or the next turn is
  // overdue: the emulator was not scheduled): then it most likely arrived during that time, so
  // it enters at the simulation's own time, before the due timers run. Catching up first would
  // fire retransmission timers that the waiting ACK cancels.
  const enter = (fn: () => void): void => {
    if (!driver.isRunning) return;
    if (driver.lag > maxLag) maxLag = driver.lag;
    if (driver.behind) {
      try {
        fn();
      } catch (err) {
        driver.stop();
        onFatal(`the emulated world failed: ${(err as Error)?.stack ?? String(err)}`);
      }
      return;
    }
    driver.post(fn);
  };
  const bridge = new TunBridge({
    world: lw.world,
    network: lw.client.network,
    addr: lw.client.addr,
    gateway: lw.client.gateway,
    enter,
    capture: file?.capture ?? null,
  });
  let wire: UdpWire | null = null;
  let tun: TunDevice | null = null;
  let stopping = false;
  const teardown = async (): Promise<void> => {
    stopping = true;
    tun?.stop();
    if (driver.isRunning) await lw.stop().catch(() => {});
    driver.stop();
    await wire?.close();
    file?.close();
  };
  try {
    wire = await UdpWire.open(bridge, { bufferBytes: UDP_BUFFER_BYTES });
    driver.start();
    await lw.start();
    enter(() => {});
    const [clientAddr, prefixLen] = lw.client.addr.split('/');
    tun = await TunDevice.start({ clientAddr, prefixLen: Number(prefixLen), routes: lw.routes });
  } catch (err) {
    await teardown();
    throw err;
  }
  const t = tun;
  t.onExit((code, sig) => {
    if (!stopping) onFatal(`socat exited (${sig ?? `code ${code}`})${t.lastWords ? `: ${t.lastWords}` : ''}`);
  });
  const ready: ReadyMessage = {
    ev: 'ready',
    vip: lw.vip,
    clientAddr: lw.client.addr.split('/')[0]!,
    tun: TUN_NAME,
    routes: lw.routes,
    services: lw.services,
    notices: lw.notices,
    pids: { emulator: process.pid, socat: t.pid },
  };
  return {
    ready,
    async stop() {
      await teardown();
      return { ev: 'stopped', bridge: { ...bridge.stats }, linkDrops: linkDrops(lw.world), maxLagMs: maxLag / MS };
    },
  };
}
