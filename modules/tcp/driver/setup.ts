/**
 * Putting TCP into a host's STREAMS stack: register the driver, open its control stream
 * (the first open creates the host's TCP with the given profile and seed) and link an IP
 * stream under it. The IP stream is the caller's: push modules (BTCP) on it before linking.
 * The control stream must stay open: closing it unlinks IP.
 */
import type { Stream, StreamsEnv } from '../../../lib/streams/index.ts';
import tcpDriver from '../tcp.ts';
import { tcpHostOf, type TcpDriverArgs, type TcpHost } from './host.ts';

export interface AttachedTcp {
  /** The control stream (ioctls: driver/ioctl.ts). */
  ctl: Stream;
  muxid: number;
  host: TcpHost;
}

export function attachTcp(env: StreamsEnv, ipStream: Stream, args: TcpDriverArgs = {}): AttachedTcp {
  if (!env.registry.has('tcp')) env.registry.register(tcpDriver);
  const ctl = env.open('tcp', { clone: true, args, label: 'tcp' });
  const muxid = ctl.link(ipStream);
  return { ctl, muxid, host: tcpHostOf(env) };
}
