/**
 * Cluster mode: a conformance script plays the client against a whole handoff cluster's VIP.
 * The script's local address is the VIP; behind it a router, an FE owning the VIP and back ends
 * on a LAN, every server with TCP, UTCP, BTCP and handoffd. The client must see one ordinary
 * TCP connection: the SYN/ACK from the FE, the rest (after the request) from a back end.
 *
 *   peer (script) remoteIp ── wire ── router ── lan 10.77.0.0/24 ── fe (VIP = localIp)
 *                                                               ├── be1, be2, ...
 *
 * Packetdrill segments carry zeros; a cluster dispatches on the request's content, so the
 * client's byte stream comes with the cluster (`clientStream`, e.g. an HTTP request): each
 * inbound payload is filled from it at the segment's offset in the connection (ClusterWire).
 *
 * The script's system calls run on every server at once (ClusterSyscalls): socket, bind (to any
 * address: only the FE owns the VIP), listen and options on all nodes; accept returns the
 * connection of whichever node got it — the FE when it served locally, the BE it was handed
 * to otherwise — and later calls on that descriptor go to that node.
 */
import { basename } from 'node:path';
import { SeededRng } from '../../lib/sim/rng.ts';
import { SEC, US, type Time } from '../../lib/sim/time.ts';
import { formatIpv4, IpProto, type Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { seq, seqAdd, seqDiff } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { attachTcp } from '../../modules/tcp/driver/setup.ts';
import type { PolicySpec } from '../../modules/btcp/dispatch/registry.ts';
import type { UtcpConfig } from '../../modules/utcp/ioctl.ts';
import { socketCalls } from '../sockets/syscalls.ts';
import { startHandoffd, type Handoffd } from '../apps/handoffd.ts';
import { writeCaptures } from '../world/files.ts';
import { RawIp } from '../world/raw.ts';
import { World } from '../world/world.ts';
import { schedulerDriver } from './driver.ts';
import type { HostFactory } from './suite.ts';
import type { HostIntrospection, ScriptWire, SockAddr, SocketInfo, Syscall, SyscallTarget, SysOutcome, WireSegment } from './target.ts';
import { WorldIntrospection } from './world-introspection.ts';
import { syscallTarget } from '../sockets/syscall-target.ts';
import { WorldWire } from './world-wire.ts';

export interface ClusterModeOptions {
  /** Back ends (default 2: be1, be2). */
  backEnds?: number;
  /** Dispatch policy (default: /img/ on be1, /docs/ on be2, everything else on the FE). */
  policy?: PolicySpec;
  /** One-way latency of each LAN cable (default 10 us). */
  lanLatency?: Time;
  /** Timers and bounds of the handoff modules. */
  tuning?: Omit<UtcpConfig, 'nodeId' | 'lanAddr' | 'services' | 'nodes' | 'policy'>;
  /** The bytes the script's client sends, by offset in its connection (default: a GET of /img/photo-1.jpg). */
  clientStream?: string | Uint8Array;
  captureDir?: string;
  /** Called with each script's cluster once it is built (specs read the daemons' counters). */
  built?: (c: { world: World; daemons: Map<string, Handoffd> }) => void;
}

export const DEFAULT_CLIENT_STREAM = 'GET /img/photo-1.jpg HTTP/1.1\r\nHost: cluster\r\n\r\n';

const LAN = '10.77.0';

export function clusterHostFactory(opts: ClusterModeOptions = {}): HostFactory {
  return (cfg, script) => {
    const n = opts.backEnds ?? 2;
    const bes = Array.from({ length: n }, (_, i) => `be${i + 1}`);
    const w = new World({ seed: `packetdrill-cluster:${script.path}`, capture: opts.captureDir !== undefined });
    const vip = formatIpv4(cfg.localIp);
    const remote = formatIpv4(cfg.remoteIp);
    w.network('wire', { kind: 'p2p', mtu: 65535 });
    w.network('lan', { latency: opts.lanLatency ?? 10 * US, bandwidth: 10e9 });
    const peer = w.host('peer');
    w.router('router');
    w.host('fe');
    for (const b of bes) w.host(b);
    w.attach(peer, 'wire', `${remote}/32`, { mtu: 65535 });
    w.attach('router', 'wire', '198.18.0.1/32');
    w.attach('router', 'lan', `${LAN}.1/24`);
    w.attach('fe', 'lan', `${LAN}.10/24`);
    w.addAddress('fe', 'eth0', `${vip}/32`);
    bes.forEach((b, i) => w.attach(b, 'lan', `${LAN}.${11 + i}/24`));
    w.route(peer, 'default', null, 'eth0');
    w.route('router', `${remote}/32`, null, 'eth0');
    w.route('router', `${vip}/32`, `${LAN}.10`);
    for (const h of ['fe', ...bes]) w.route(h, 'default', `${LAN}.1`);

    const nodes = ['fe', ...bes].map((name, i) => {
      const st = w.getHost(name).stack;
      const lower = st.openIp('tcp-ip');
      const tcp = attachTcp(st.env, lower, { profile: cfg.profile, rng: new SeededRng(`tcp:${name}:${script.path}`) });
      const calls = socketCalls(st.env);
      const introspection = new WorldIntrospection(cfg.profile, tcp.ctl, calls);
      const lanAddr = i === 0 ? `${LAN}.10` : `${LAN}.${10 + i}`;
      return { name, lower, calls, introspection, lanAddr, sys: syscallTarget(calls, { outq: (fd) => introspection.outq(fd) }) };
    });
    const policy: PolicySpec = opts.policy ?? { policy: 'url-partition', rules: [{ prefix: '/img/', nodes: ['be1'] }, { prefix: '/docs/', nodes: ['be2'] }], defaultNodes: ['fe'] };
    const daemons = new Map<string, Handoffd>();
    for (const nd of nodes) {
      const fe = nd.name === 'fe';
      const d = startHandoffd(w.getHost(nd.name).stack, {
        nodeId: nd.name,
        lanAddr: nd.lanAddr,
        tcpLower: nd.lower,
        listen: fe ? false : {},
        peers: fe ? bes.map((id, i) => ({ id, addr: `${LAN}.${11 + i}` })) : [],
        frontEnd: fe ? { vip, port: cfg.bindPort, nodes: [{ id: 'fe', weight: 1 }, ...bes.map((id) => ({ id, weight: 1 }))], policy } : undefined,
        tuning: opts.tuning,
      });
      daemons.set(nd.name, d);
    }
    opts.built?.({ world: w, daemons });
    // The control channels come up (HELLO, first heartbeats) before the script starts.
    w.runFor(1 * SEC);

    const raw = new RawIp(peer.stack.openIp('peer-tcp'), IpProto.TCP, w.sched, 0);
    const dir = opts.captureDir;
    return {
      driver: schedulerDriver(w.sched),
      wire: new ClusterWire(new WorldWire(raw, cfg.remoteIp, cfg.localIp), opts.clientStream ?? DEFAULT_CLIENT_STREAM),
      syscalls: new ClusterSyscalls(nodes.map((nd) => nd.sys)),
      host: new ClusterIntrospection(nodes.map((nd) => nd.introspection)),
      ...(dir !== undefined ? { close: () => void writeCaptures(w, `${dir}/${basename(script.path, '.pkt')}`) } : {}),
    };
  };
}

/** The script's wire, with inbound payloads filled from the client's byte stream. */
export class ClusterWire implements ScriptWire {
  private readonly bytes: Uint8Array;
  /** The client ISN of each connection, by its port. */
  private readonly isn = new Map<number, number>();

  constructor(
    private readonly inner: ScriptWire,
    stream: string | Uint8Array,
  ) {
    this.bytes = typeof stream === 'string' ? new TextEncoder().encode(stream) : stream;
  }

  get peerAddr(): Ipv4Addr {
    return this.inner.peerAddr;
  }

  get hostAddr(): Ipv4Addr {
    return this.inner.hostAddr;
  }

  inject(seg: WireSegment): void {
    const t = seg.tcp;
    if (t.flags & TcpFlag.SYN) this.isn.set(t.srcPort, t.seq);
    const isn = this.isn.get(t.srcPort);
    if (isn !== undefined && t.payload.length > 0) {
      const at = seqDiff(t.seq, seqAdd(seq(isn), 1));
      const payload = new Uint8Array(t.payload.length);
      for (let i = 0; i < payload.length; i++) payload[i] = this.bytes[at + i] ?? 0;
      seg = { ...seg, tcp: { ...t, payload } };
    }
    this.inner.inject(seg);
  }

  onSegment(handler: (seg: WireSegment) => void): void {
    this.inner.onSegment(handler);
  }
}

/** A script descriptor: the same socket on every node, or one node's connection. */
type Binding = { kind: 'all'; fds: number[] } | { kind: 'one'; node: number; fd: number };

/** Accepts issued on the nodes for one listening descriptor, and connections that arrived unasked. */
interface AcceptState {
  outstanding: Set<number>;
  ready: Array<{ node: number; fd: number }>;
  waiter: ((o: SysOutcome) => void) | null;
}

/** The script's system calls, run on every server of the cluster (see the file comment). */
export class ClusterSyscalls implements SyscallTarget {
  private readonly fds = new Map<number, Binding>();
  private readonly accepts = new Map<number, AcceptState>();

  constructor(private readonly nodes: SyscallTarget[]) {}

  private newFd(b: Binding): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, b);
    return fd;
  }

  call(c: Syscall, done: (o: SysOutcome) => void): void {
    if (c.op === 'socket') return this.onAll(c, [], (outs) => (outs.every((o) => o.ret >= 0) ? done({ ret: this.newFd({ kind: 'all', fds: outs.map((o) => o.ret) }) }) : done(outs.find((o) => o.ret < 0)!)));
    if (c.op === 'poll') return this.poll(c, done);
    const b = this.fds.get(c.fd);
    if (b === undefined) return done({ ret: -1, errno: 'EBADF' });
    if (b.kind === 'one') {
      if (c.op === 'close') this.fds.delete(c.fd);
      return this.nodes[b.node]!.call({ ...c, fd: b.fd } as Syscall, done);
    }
    switch (c.op) {
      case 'bind':
        // Only the FE owns the VIP: every node binds the port on any address.
        return this.onAll({ ...c, addr: { addr: 0 as Ipv4Addr, port: c.addr.port } }, b.fds, (outs) => done(outs[0]!));
      case 'accept':
        return this.accept(c.fd, b.fds, done);
      case 'close':
        this.fds.delete(c.fd);
        this.accepts.delete(c.fd);
        return this.onAll(c, b.fds, (outs) => done(outs[0]!));
      default:
        return this.onAll(c, b.fds, (outs) => done(outs[0]!));
    }
  }

  /** Run a call on every node (with each node's own descriptor); answer when all have. */
  private onAll(c: Syscall, fds: number[], then: (outs: SysOutcome[]) => void): void {
    const outs: SysOutcome[] = new Array(this.nodes.length);
    let left = this.nodes.length;
    this.nodes.forEach((sys, i) => {
      const call = 'fd' in c ? ({ ...c, fd: fds[i] } as Syscall) : c;
      sys.call(call, (o) => {
        outs[i] = o;
        if (--left === 0) then(outs);
      });
    });
  }

  private accept(fd: number, fds: number[], done: (o: SysOutcome) => void): void {
    let st = this.accepts.get(fd);
    if (st === undefined) this.accepts.set(fd, (st = { outstanding: new Set(), ready: [], waiter: null }));
    const ready = st.ready.shift();
    if (ready !== undefined) return done({ ret: this.newFd({ kind: 'one', ...ready }) });
    st.waiter = done;
    const state = st;
    this.nodes.forEach((sys, i) => {
      if (state.outstanding.has(i)) return;
      state.outstanding.add(i);
      sys.call({ op: 'accept', fd: fds[i]! }, (o) => {
        state.outstanding.delete(i);
        if (o.ret < 0) {
          // Non-blocking listeners answer EAGAIN on the nodes that have nothing: only the last counts.
          if (state.waiter !== null && state.outstanding.size === 0 && state.ready.length === 0) {
            const w = state.waiter;
            state.waiter = null;
            w(o);
          }
          return;
        }
        const got = { node: i, fd: o.ret };
        if (state.waiter === null) return void state.ready.push(got);
        const w = state.waiter;
        state.waiter = null;
        w({ ret: this.newFd({ kind: 'one', ...got }) });
      });
    });
  }

  /** poll on descriptors of one node (a listener counts as the FE's). */
  private poll(c: Syscall & { op: 'poll' }, done: (o: SysOutcome) => void): void {
    let node = -1;
    const fds = c.fds.map((p) => {
      const b = this.fds.get(p.fd);
      if (b === undefined) return { fd: -1, events: p.events };
      const n = b.kind === 'one' ? b.node : 0;
      if (node < 0) node = n;
      return { fd: n === node ? (b.kind === 'one' ? b.fd : b.fds[0]!) : -1, events: p.events };
    });
    this.nodes[Math.max(0, node)]!.call({ ...c, fds }, done);
  }
}

/** Tools see the cluster: sysctls set everywhere, read from the FE; every node's sockets. */
export class ClusterIntrospection implements HostIntrospection {
  readonly hostname = 'cluster';

  constructor(private readonly nodes: WorldIntrospection[]) {}

  get profile(): 'linux' | 'freebsd' {
    return this.nodes[0]!.profile;
  }

  sysctlGet(name: string): string | undefined {
    return this.nodes[0]!.sysctlGet(name);
  }

  sysctlSet(name: string, value: string): { ok: true } | { ok: false; error: string } {
    let r: { ok: true } | { ok: false; error: string } = { ok: true };
    for (const n of this.nodes) {
      const x = n.sysctlSet(name, value);
      if (!x.ok) r = x;
    }
    return r;
  }

  sysctlNames(): string[] {
    return this.nodes[0]!.sysctlNames();
  }

  sockets(): SocketInfo[] {
    return this.nodes.flatMap((n) => n.sockets());
  }

  drop(local: SockAddr, remote: SockAddr): boolean {
    return this.nodes.some((n) => n.drop(local, remote));
  }
}
