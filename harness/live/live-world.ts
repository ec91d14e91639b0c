/**
 * What the emulator needs from a world to run it live: the world itself, the network the real
 * client joins (its other end being the emulated gateway), what to tell the user, and the
 * applications to start once the clock runs (Node code on emulated sockets needs the realtime
 * driver turning) and to stop at the end. The default world (default-world.ts) and, later,
 * scenario files both produce one.
 */
import type { World } from '../world/world.ts';
import type { ServiceInfo } from './protocol.ts';

export interface LiveWorld {
  world: World;
  /** The network the bridge attaches to, and the gateway's address on it. */
  edge: { network: string; gateway: string };
  /** The address clients use (a cluster's VIP; the server in the default world). */
  vip: string;
  services: ServiceInfo[];
  start(): Promise<void>;
  stop(): Promise<void>;
}
