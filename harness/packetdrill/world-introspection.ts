/**
 * What the emulated sysctl, sockstat, ss and tcpdrop see of the host under test, asked of its
 * TCP driver by ioctl on a control stream (modules/tcp/driver/ioctl.ts): the tunables, the
 * connection table (listeners, embryonic and TIME-WAIT connections included), and tcpdrop.
 * Owners come from the socket layer: a connection whose upper stream is a descriptor's belongs
 * to the script's process.
 */
import { errnoName, type Stream } from '../../lib/streams/index.ts';
import {
  TCP_IOC_DROP,
  TCP_IOC_SOCKETS,
  TCP_IOC_SYSCTL_GET,
  TCP_IOC_SYSCTL_LIST,
  TCP_IOC_SYSCTL_SET,
  type TcpSocketRow,
} from '../../modules/tcp/driver/ioctl.ts';
import type { TcpInfo } from '../../modules/tcp/info.ts';
import type { SocketCalls } from '../sockets/syscalls.ts';
import type { HostIntrospection, SockAddr, SocketInfo, TcpStateName } from './target.ts';

/** The process the script stands for, as tools print it. */
const OWNER = { command: 'packetdrill', pid: 4242, user: 'root' };

/** `ss -i` details in iproute2's words. */
function ssInfo(i: TcpInfo): string {
  const ms = (t: number): string => String(Math.round(t / 1e5) / 10);
  const parts = [i.congestion];
  if (i.options.windowScale) parts.push(`wscale:${i.sndWscale},${i.rcvWscale}`);
  parts.push(`rto:${ms(i.rto)}`, `rtt:${ms(i.rtt)}/${ms(i.rttVar)}`, `mss:${i.sndMss}`, `cwnd:${Math.floor(i.sndCwnd / Math.max(1, i.sndMss))}`);
  if (i.sndSsthresh < 0x7fffffff) parts.push(`ssthresh:${Math.floor(i.sndSsthresh / Math.max(1, i.sndMss))}`);
  return parts.join(' ');
}

export class WorldIntrospection implements HostIntrospection {
  readonly hostname = 'dut';

  constructor(
    readonly profile: 'linux' | 'freebsd',
    /** A control stream of the host's TCP driver. */
    private readonly ctl: Stream,
    private readonly calls: SocketCalls,
  ) {}

  private ioctl(cmd: number, arg: unknown): { ok: true; data: unknown } | { ok: false; error: string } {
    const r = this.ctl.ioctlSync(cmd, arg);
    return r.ok ? { ok: true, data: r.data } : { ok: false, error: errnoName(r.error) };
  }

  sysctlGet(name: string): string | undefined {
    const r = this.ioctl(TCP_IOC_SYSCTL_GET, { name });
    return r.ok ? String(r.data) : undefined;
  }

  sysctlSet(name: string, value: string): { ok: true } | { ok: false; error: string } {
    const r = this.ioctl(TCP_IOC_SYSCTL_SET, { name, value });
    if (r.ok) return { ok: true };
    return { ok: false, error: r.error === 'ENOENT' ? 'No such file or directory' : 'Invalid argument' };
  }

  sysctlNames(): string[] {
    const r = this.ioctl(TCP_IOC_SYSCTL_LIST, null);
    return r.ok ? [...(r.data as string[])] : [];
  }

  /** The transport's rows, as the driver reports them (connections in CLOSED left out). */
  rows(): TcpSocketRow[] {
    const r = this.ioctl(TCP_IOC_SOCKETS, null);
    return r.ok ? (r.data as TcpSocketRow[]).filter((x) => x.state !== 'CLOSED') : [];
  }

  /** Which descriptor holds each upper stream. */
  private fdsByStream(): Map<number, number> {
    const m = new Map<number, number>();
    for (const fd of this.calls.openFds) {
      const s = this.calls.sockOf(fd);
      if (s !== null) m.set(s.stream.id, fd);
    }
    return m;
  }

  sockets(): SocketInfo[] {
    const fds = this.fdsByStream();
    return this.rows().map((r) => {
      const info: SocketInfo = {
        state: r.state as TcpStateName,
        local: { addr: r.local.addr, port: r.local.port },
        remote: { addr: r.remote.addr, port: r.remote.port },
        recvQ: r.recvQ,
        sendQ: r.sendQ,
      };
      const fd = r.streamId === null ? undefined : fds.get(r.streamId);
      if (fd !== undefined) info.owner = { ...OWNER, fd };
      if (r.backlog) info.backlog = { ...r.backlog };
      if (r.info) info.info = ssInfo(r.info);
      return info;
    });
  }

  /** Bytes not yet acknowledged on the connection a descriptor holds (SIOCOUTQ). */
  outq(fd: number): number | null {
    const s = this.calls.sockOf(fd);
    if (s === null) return null;
    const row = this.rows().find((r) => r.streamId === s.stream.id && r.state !== 'LISTEN');
    return row ? row.sendQ : 0;
  }

  drop(local: SockAddr, remote: SockAddr): boolean {
    return this.ioctl(TCP_IOC_DROP, { local, remote }).ok;
  }
}

