/**
 * Two world hosts (10.0.0.1, 10.0.0.2) on one point-to-point network, with the real IP and TCP
 * linked in, and their socket calls.
 */
import { World } from '../../../harness/world/world.ts';
import type { LinkParams } from '../../../harness/world/direction.ts';
import type { FaultSettings } from '../../../harness/world/faults.ts';
import type { Host } from '../../../harness/world/host.ts';
import { socketCalls, type SocketCalls } from '../../../harness/sockets/syscalls.ts';
import { attachTcp } from '../../../modules/tcp/driver/setup.ts';
import type { TcpProfile } from '../../../modules/tcp/profile.ts';
import { yieldToNode } from '../../../lib/sim/async.ts';

export interface TcpPair {
  w: World;
  a: Host;
  b: Host;
  sa: SocketCalls;
  sb: SocketCalls;
}

export const A = '10.0.0.1';
export const B = '10.0.0.2';

export function tcpPair(
  opts: { link?: Partial<LinkParams>; faults?: Partial<FaultSettings>; seed?: number; capture?: boolean; profile?: TcpProfile } = {},
): TcpPair {
  const w = new World({ seed: opts.seed ?? 1, capture: opts.capture ?? false });
  w.network('net', { kind: 'p2p', ...opts.link });
  const a = w.host('a');
  const b = w.host('b');
  w.attach('a', 'net', `${A}/24`);
  w.attach('b', 'net', `${B}/24`);
  for (const h of [a, b]) attachTcp(h.stack.env, h.stack.openIp('tcp-ip'), opts.profile ? { profile: opts.profile } : {});
  if (opts.faults) w.link('a', 'net').setFaults(opts.faults);
  return { w, a, b, sa: socketCalls(a), sb: socketCalls(b) };
}

/** Async run with a turn for Node work the spec queued before it. */
export async function runNode(t: TcpPair, until: number): Promise<void> {
  await yieldToNode();
  await t.w.runAsync({ until });
}
