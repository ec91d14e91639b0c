/** Two world hosts with the real IP and this TCP linked in, and their socket calls. */
import { World } from '../../../harness/world/world.ts';
import { socketCalls, type SocketCalls } from '../../../harness/sockets/syscalls.ts';
import type { Call } from '../../../harness/sockets/call.ts';
import type { SysResult } from '../../../harness/sockets/types.ts';
import type { LinkParams } from '../../../harness/world/direction.ts';
import { attachTcp, type AttachedTcp } from '../../../modules/tcp/driver/setup.ts';
import type { TcpDriverArgs } from '../../../modules/tcp/driver/host.ts';

export interface TcpWorld {
  w: World;
  sa: SocketCalls;
  sb: SocketCalls;
  ta: AttachedTcp;
  tb: AttachedTcp;
}

export const A = '10.0.0.1';
export const B = '10.0.0.2';

export function tcpWorld(params: Partial<LinkParams> = {}, args: TcpDriverArgs = {}, seed = 7, capture = false): TcpWorld {
  const w = new World({ seed, capture });
  w.network('net', { kind: 'p2p', ...params });
  w.host('a');
  w.host('b');
  w.attach('a', 'net', `${A}/24`);
  w.attach('b', 'net', `${B}/24`);
  const ha = w.getHost('a').stack;
  const hb = w.getHost('b').stack;
  const ta = attachTcp(ha.env, ha.openIp('tcp-ip'), args);
  const tb = attachTcp(hb.env, hb.openIp('tcp-ip'), args);
  return { w, sa: socketCalls(ha.env), sb: socketCalls(hb.env), ta, tb };
}

export function now<R extends SysResult>(c: Call<R>): R {
  if (!c.done) throw new Error(`${c.what} is still blocked`);
  return c.result!;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
