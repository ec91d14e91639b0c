/**
 * handoffd: the small userland daemon every cluster node runs (no protocol logic: that is in
 * UTCP and BTCP). At start it loads the handoff modules into the node's running stack — UTCP
 * on TCP's autopush list, BTCP inserted into the IP stream linked under TCP — opens its control
 * stream (subscribed to TCP's M_CTL traffic) and configures the node by ioctl. Then it keeps
 * the control channels: a back end listens on the control port and hands every accepted
 * connection to UTCP (HANDOFF_IOC_CHANNEL); a front end connects to each back end and, when a
 * channel breaks, reconnects with exponential backoff. Everything runs on virtual time through
 * the socket calls (harness/sockets).
 *
 * Servers may already be listening: UTCP is pushed onto their listening streams (just above
 * TCP), and autopushed on every TCP stream opened later. stop() pops both modules again.
 */
import type { Stream } from '../../lib/streams/index.ts';
import { MS, SEC, type Time } from '../../lib/sim/time.ts';
import type { TimerId } from '../../lib/sim/types.ts';
import { ipv4, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import btcpModule from '../../modules/btcp/btcp.ts';
import utcpModule from '../../modules/utcp/utcp.ts';
import { TCP_IOC_CTL_SUBSCRIBE, TCP_IOC_SOCKETS, type TcpSocketRow } from '../../modules/tcp/driver/ioctl.ts';
import {
  HANDOFF_IOC_CHANNEL,
  HANDOFF_IOC_CONFIG,
  HANDOFF_IOC_DRAIN,
  HANDOFF_IOC_STATS,
  type HandoffStats,
  type UtcpConfig,
} from '../../modules/utcp/ioctl.ts';
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import type { NodeConfig } from '../../modules/btcp/dispatch/view.ts';
import { envOf, socketCalls, type HostLike, type SocketCalls } from '../sockets/index.ts';
import { MSG_DONTWAIT, POLLRDHUP } from '../sockets/types.ts';

export const DEFAULT_CONTROL_PORT = 7070;

export interface ControlPeer {
  /** The peer's node id (must match what it says in HELLO). */
  id: string;
  /** Its control address and port. */
  addr: string;
  port?: number;
}

export interface HandoffdOptions {
  nodeId: string;
  /** This node's LAN address (where an FE sends the connections it hands here). */
  lanAddr: string;
  /** The IP stream linked under TCP (BTCP goes into it, just below TCP). */
  tcpLower: Stream;
  /** Accept control channels on this address and port (back ends; default port 7070, any address). */
  listen?: { addr?: string; port?: number } | false;
  /** Front ends: the back ends to keep a control channel to. */
  peers?: ControlPeer[];
  /** Front ends: the services dispatched, the nodes that may serve them and the policy. */
  frontEnd?: { vip: string; port?: number; nodes: NodeConfig[]; policy: PolicySpec };
  /** Timers and bounds handed to UTCP and BTCP (heartbeatInterval, limits, ...). */
  tuning?: Omit<UtcpConfig, 'nodeId' | 'lanAddr' | 'services' | 'nodes' | 'policy'>;
  /** Reconnect backoff (ns): first delay and cap (default 100 ms, 5 s). */
  backoff?: { min: Time; max: Time };
}

interface PeerConn {
  peer: ControlPeer;
  fd: number | null;
  delay: Time;
  timer: TimerId | null;
}

export class Handoffd {
  readonly calls: SocketCalls;
  /** The daemon's control stream (UTCP's control instance sits on it). */
  readonly ctl: Stream;
  /** Counts of the daemon's own doings. */
  readonly counts = { accepted: 0, connects: 0, connectFailures: 0, channelsLost: 0 };
  private listenFd: number | null = null;
  private readonly channelFds = new Set<number>();
  private readonly peers: PeerConn[] = [];
  private stopped = false;

  constructor(
    readonly host: HostLike,
    readonly opts: HandoffdOptions,
  ) {
    const env = envOf(host);
    if (!env.registry.has('utcp')) env.registry.register(utcpModule);
    if (!env.registry.has('btcp')) env.registry.register(btcpModule);
    const auto = env.autopushFor('tcp');
    if (!auto.includes('utcp')) env.setAutopush('tcp', [...auto, 'utcp']);
    if (!opts.tcpLower.find('btcp')) opts.tcpLower.insert('btcp', 'top');
    this.calls = socketCalls(host);
    this.ctl = env.open('tcp', { clone: true, label: `handoffd:${opts.nodeId}` });
    this.ioctl(TCP_IOC_CTL_SUBSCRIBE, true, 'subscribe to M_CTL');
    this.ioctl(HANDOFF_IOC_CONFIG, this.config(), 'configure UTCP');
    this.pushOnListeners();
    if (opts.listen !== false) this.listen(opts.listen ?? {});
    for (const p of opts.peers ?? []) {
      const pc: PeerConn = { peer: p, fd: null, delay: this.backoff.min, timer: null };
      this.peers.push(pc);
      this.connect(pc);
    }
  }

  private get backoff(): { min: Time; max: Time } {
    return this.opts.backoff ?? { min: 100 * MS, max: 5 * SEC };
  }

  private config(): UtcpConfig {
    const o = this.opts;
    const fe = o.frontEnd;
    return {
      ...o.tuning,
      nodeId: o.nodeId,
      lanAddr: ipv4(o.lanAddr),
      services: fe ? [{ addr: ipv4(fe.vip), port: fe.port ?? 80 }] : [],
      nodes: fe?.nodes ?? [],
      policy: fe?.policy ?? null,
    };
  }

  private ioctl(cmd: number, arg: unknown, what: string): unknown {
    const r = this.ctl.ioctlSync(cmd, arg);
    if (!r.ok) throw new Error(`handoffd ${this.opts.nodeId}: ${what} refused (errno ${r.error})`);
    return r.data;
  }

  /** UTCP's and BTCP's counters and tables. */
  stats(): HandoffStats {
    return this.ioctl(HANDOFF_IOC_STATS, undefined, 'stats') as HandoffStats;
  }

  /** Take no new handoffs (back end going down) or take them again. */
  drain(on: boolean): void {
    this.ioctl(HANDOFF_IOC_DRAIN, on, 'drain');
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Channels currently open (descriptors handed to UTCP). */
  get channels(): number {
    return this.channelFds.size;
  }

  // ---- back end: accept channels ----------------------------------------------------------------

  private listen(l: { addr?: string; port?: number }): void {
    const c = this.calls;
    const fd = c.socket().value.ret;
    const addr: Ipv4Addr = l.addr === undefined ? (0 as Ipv4Addr) : ipv4(l.addr);
    const bind = c.bind(fd, { addr, port: l.port ?? DEFAULT_CONTROL_PORT }).value;
    if (bind.ret !== 0) throw new Error(`handoffd ${this.opts.nodeId}: bind control port: ${bind.errno}`);
    c.listen(fd, 64);
    this.listenFd = fd;
    this.acceptNext();
  }

  private acceptNext(): void {
    const lfd = this.listenFd;
    if (lfd === null || this.stopped) return;
    this.calls.accept(lfd).onDone((r) => {
      if (this.stopped) return;
      if (r.ret >= 0) {
        this.counts.accepted++;
        this.handOver(r.ret, () => {});
      }
      this.acceptNext();
    });
  }

  // ---- front end: connect, reconnect with backoff -------------------------------------------------

  private connect(pc: PeerConn): void {
    if (this.stopped) return;
    const c = this.calls;
    const fd = c.socket().value.ret;
    pc.fd = fd;
    c.connect(fd, { addr: pc.peer.addr, port: pc.peer.port ?? DEFAULT_CONTROL_PORT }).onDone((r) => {
      if (this.stopped) return;
      if (r.ret !== 0) {
        this.counts.connectFailures++;
        c.close(fd);
        pc.fd = null;
        return this.retry(pc);
      }
      this.counts.connects++;
      pc.delay = this.backoff.min;
      this.handOver(fd, () => {
        pc.fd = null;
        this.retry(pc);
      });
    });
  }

  private retry(pc: PeerConn): void {
    if (this.stopped) return;
    const time = this.calls.layer.time;
    const delay = pc.delay;
    pc.delay = Math.min(this.backoff.max, pc.delay * 2);
    pc.timer = time.schedule(delay, () => {
      pc.timer = null;
      this.connect(pc);
    });
  }

  // ---- both: a connected socket becomes a channel --------------------------------------------------

  /** Give the connection to UTCP, with any bytes already read; watch it until it ends. */
  private handOver(fd: number, lost: () => void): void {
    const c = this.calls;
    const parts: Uint8Array[] = [];
    for (;;) {
      const r = c.recv(fd, 65536, MSG_DONTWAIT).value;
      if (r.ret <= 0) break;
      parts.push(r.data);
    }
    const pending = Buffer.concat(parts);
    const sock = c.sockOf(fd)!;
    sock.stream.ioctl(HANDOFF_IOC_CHANNEL, { pending: new Uint8Array(pending) }, (r) => {
      if (!r.ok) c.close(fd);
    });
    this.channelFds.add(fd);
    c.poll([{ fd, events: POLLRDHUP }], -1).onDone(() => {
      if (!this.channelFds.delete(fd)) return;
      this.counts.channelsLost++;
      c.close(fd);
      if (!this.stopped) lost();
    });
  }

  /** UTCP onto the TCP streams already listening (they were opened before the autopush). */
  private pushOnListeners(): void {
    const env = envOf(this.host);
    const rows = this.ioctl(TCP_IOC_SOCKETS, undefined, 'list sockets') as TcpSocketRow[];
    for (const row of rows) {
      if (row.state !== 'LISTEN' || row.streamId === null) continue;
      const st = env.streamById(row.streamId);
      if (st !== undefined && !st.find('utcp')) st.insert('utcp', { above: 'tcp' });
    }
  }

  /** Close the channels and the control stream, take BTCP out and UTCP off every stream. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const c = this.calls;
    for (const pc of this.peers) if (pc.timer !== null) c.layer.time.cancel(pc.timer);
    for (const fd of [...this.channelFds]) {
      this.channelFds.delete(fd);
      c.close(fd);
    }
    for (const pc of this.peers) if (pc.fd !== null && c.sockOf(pc.fd) !== null) c.close(pc.fd);
    if (this.listenFd !== null) c.close(this.listenFd);
    this.ctl.close();
    const env = envOf(this.host);
    env.setAutopush('tcp', env.autopushFor('tcp').filter((m) => m !== 'utcp'));
    for (const st of [...env.streams]) if (!st.closed && st.driver.name === 'tcp' && st.find('utcp')) st.remove('utcp');
    if (this.opts.tcpLower.find('btcp')) this.opts.tcpLower.remove('btcp');
  }
}

export function startHandoffd(host: HostLike, opts: HandoffdOptions): Handoffd {
  return new Handoffd(host, opts);
}
