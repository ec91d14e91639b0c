/**
 * What the emulator needs from a world to run it live: the world itself, where the real client
 * joins it (a network of the world and a free address there, which the TUN takes), the
 * prefixes the namespace routes into the TUN, what to tell the user, and the applications to
 * start once the clock runs (Node code on emulated sockets needs the realtime driver turning)
 * and to stop at the end. The default world (default-world.ts) and scenario files
 * (scenario-world.ts) both produce one.
 */
import type { World } from '../world/world.ts';
import type { ServiceInfo } from './protocol.ts';

export interface LiveWorld {
  world: World;
  /**
   * The network the bridge attaches to, the real client's address on it ("a.b.c.d/len"), and
   * its gateway there: the next hop of packets for addresses off that network (the role ARP
   * plays for a real client on a switched network).
   */
  client: { network: string; addr: string; gateway: string };
  /** Prefixes the namespace routes into the TUN ("203.0.113.0/24", "203.0.113.10/32"). */
  routes: string[];
  /** The address clients use (a cluster's VIP; the server in the default world). */
  vip: string;
  services: ServiceInfo[];
  /** Plain statements for the user (what the world lacks, what was left out). */
  notices: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}
