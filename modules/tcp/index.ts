/**
 * The userland TCP, public surface. The pure state machine: TcpStack (one per host),
 * TcpEndpoint (one per connection), TcpListener; profiles for Linux and FreeBSD. The STREAMS
 * driver face lives in driver/ and is exported from there.
 */
export { TcpStack, type TcpEnv, type TcpStackOptions, type ConnectParams } from './stack.ts';
export { TcpEndpoint } from './endpoint.ts';
export { TcpListener } from './listen.ts';
export { TcpState, stateName, isSynchronized } from './state.ts';
export type { TcpHandler, TcpListenHandler, TcpErrno } from './events.ts';
export type { TcpInfo } from './info.ts';
export { TcpMib, type TcpMibName } from './mib.ts';
export {
  tuneProfile,
  withSysctl,
  type TcpProfile,
  type SysctlMap,
  type SysctlEntry,
  type SynOptionLayout,
  type ZeroWindowProbe,
} from './profile.ts';
export { linuxProfile, linuxSysctlMap } from './profiles/linux.ts';
export { freebsdProfile, freebsdSysctlMap } from './profiles/freebsd.ts';
export { registerCongestion, congestionNames, type CongestionControl, type CongestionFactory } from './congestion/index.ts';

import type { SysctlMap, TcpProfile } from './profile.ts';
import { freebsdProfile, freebsdSysctlMap } from './profiles/freebsd.ts';
import { linuxProfile, linuxSysctlMap } from './profiles/linux.ts';

/** The shipped profiles by name, with their sysctl maps. */
export const profiles: Readonly<Record<string, { profile: TcpProfile; sysctlMap: SysctlMap }>> = {
  linux: { profile: linuxProfile, sysctlMap: linuxSysctlMap },
  freebsd: { profile: freebsdProfile, sysctlMap: freebsdSysctlMap },
};

// The STREAMS driver face.
export { default as tcpDriver, tcptab } from './tcp.ts';
export { attachTcp, type AttachedTcp } from './driver/setup.ts';
export { tcpHostOf, TcpHost, type TcpDriverArgs } from './driver/host.ts';
export * from './driver/ioctl.ts';
