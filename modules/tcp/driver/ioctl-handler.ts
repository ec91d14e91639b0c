/**
 * The tcp driver's own ioctls (driver/ioctl.ts): profile, sysctls, counters, the connection
 * table and tcpdrop. Anything else is NAKed, as a driver NAKs an ioctl nobody knows.
 */
import { Errno, miocack, miocnak, type IocBlk, type Mblk, type Queue } from '../../../lib/streams/index.ts';
import type { TcpEndpoint } from '../endpoint.ts';
import type { TcpProfile } from '../profile.ts';
import { stateName, TcpState } from '../state.ts';
import { profileByName, type TcpHost } from './host.ts';
import {
  TCP_IOC_CTL_SUBSCRIBE,
  TCP_IOC_DROP,
  TCP_IOC_GET_PROFILE,
  TCP_IOC_MIB,
  TCP_IOC_PROFILE,
  TCP_IOC_SOCKETS,
  TCP_IOC_SYSCTL_GET,
  TCP_IOC_SYSCTL_LIST,
  TCP_IOC_SYSCTL_SET,
  type TcpAddr,
  type TcpSocketRow,
} from './ioctl.ts';
import type { TcpUpper } from './upper.ts';

export function tcpIoctl(q: Queue, u: TcpUpper, mp: Mblk, ioc: IocBlk): void {
  const host = u.host;
  const stack = host.stack;
  switch (ioc.cmd) {
    case TCP_IOC_PROFILE: {
      const d = ioc.data as string | TcpProfile;
      const chosen = typeof d === 'string' ? profileByName(d) : d && typeof d === 'object' && typeof d.name === 'string' ? { profile: d, map: profileByName(d.name)?.map ?? stack.sysctlMap } : null;
      if (chosen === null) return miocnak(q, mp, Errno.EINVAL);
      stack.profile = chosen.profile;
      stack.sysctlMap = chosen.map;
      return miocack(q, mp, chosen.profile.name);
    }
    case TCP_IOC_GET_PROFILE:
      return miocack(q, mp, stack.profile);
    case TCP_IOC_SYSCTL_GET: {
      const name = (ioc.data as { name?: unknown } | null)?.name;
      const v = typeof name === 'string' ? stack.getSysctl(name) : null;
      return v === null ? miocnak(q, mp, Errno.ENOENT) : miocack(q, mp, v);
    }
    case TCP_IOC_SYSCTL_SET: {
      const d = ioc.data as { name?: unknown; value?: unknown } | null;
      if (typeof d?.name !== 'string' || (typeof d.value !== 'string' && typeof d.value !== 'number')) return miocnak(q, mp, Errno.EINVAL);
      const r = stack.setSysctl(d.name, String(d.value));
      if (r.ok) return miocack(q, mp);
      return miocnak(q, mp, stack.sysctlMap[d.name] ? Errno.EINVAL : Errno.ENOENT);
    }
    case TCP_IOC_SYSCTL_LIST:
      return miocack(q, mp, Object.keys(stack.sysctlMap));
    case TCP_IOC_MIB:
      return miocack(q, mp, { ...stack.mib.snapshot(), ...host.counters });
    case TCP_IOC_SOCKETS:
      return miocack(q, mp, sockets(host));
    case TCP_IOC_DROP: {
      const d = ioc.data as { local?: TcpAddr; remote?: TcpAddr } | null;
      if (!d?.local || !d.remote) return miocnak(q, mp, Errno.EINVAL);
      const ep = stack.lookup(d.local.addr, d.local.port, d.remote.addr, d.remote.port);
      if (ep === null || ep.state === TcpState.TIME_WAIT) return miocnak(q, mp, Errno.ENOENT);
      ep.kill(host.env.now());
      return miocack(q, mp);
    }
    case TCP_IOC_CTL_SUBSCRIBE:
      u.wantCtl = ioc.data !== false;
      return miocack(q, mp);
  }
  miocnak(q, mp, Errno.EINVAL);
}

function owner(ep: TcpEndpoint): number | null {
  const u = ep.user as TcpUpper | null;
  return u !== null && u.ep === ep ? u.streamId : null;
}

function sockets(host: TcpHost): TcpSocketRow[] {
  const stack = host.stack;
  const profile = stack.profile.name;
  const rows: TcpSocketRow[] = [];
  for (const l of stack.listening()) {
    const u = l.user as TcpUpper | null;
    rows.push({
      state: 'LISTEN',
      local: { addr: l.localAddr, port: l.localPort },
      remote: { addr: 0 as TcpAddr['addr'], port: 0 },
      recvQ: l.pending,
      sendQ: l.backlog,
      streamId: u?.streamId ?? null,
      backlog: { queued: l.pending, limit: l.backlog },
      profile,
    });
  }
  for (const ep of stack.connections()) {
    rows.push({
      state: stateName(ep.state),
      local: { addr: ep.localAddr, port: ep.localPort },
      remote: { addr: ep.remoteAddr, port: ep.remotePort },
      recvQ: ep.readable,
      sendQ: ep.unacknowledged,
      streamId: owner(ep),
      info: ep.state === TcpState.SYN_SENT || ep.state === TcpState.SYN_RECEIVED ? undefined : ep.info(),
      profile,
    });
  }
  return rows;
}
