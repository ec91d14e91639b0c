/**
 * A deliberately small TCP host for the runner's specs, so the runner can be proven before the
 * real stack is wired in: three-way handshakes both ways, in-order data with immediate ACKs,
 * FIN/RST handling, a SYN retransmission timer, timestamps when the peer offers them, and the
 * socket calls scripts use. It implements the runner's interfaces directly over a Scheduler.
 * `faults` inject the bugs the specs expect the runner to catch.
 */
import type { Scheduler } from '../../../lib/sim/scheduler.ts';
import { MS, SEC } from '../../../lib/sim/time.ts';
import { ipv4 } from '../../../lib/wire/ip-types.ts';
import type { Ipv4Addr } from '../../../lib/wire/ip-types.ts';
import { seq, seqAdd, seqDiff } from '../../../lib/wire/seq.ts';
import type { Seq } from '../../../lib/wire/seq.ts';
import { TcpFlag } from '../../../lib/wire/tcp-types.ts';
import type { TcpOption, TcpRepr } from '../../../lib/wire/tcp-types.ts';
import type {
  HostIntrospection,
  ScriptWire,
  SockAddr,
  SocketInfo,
  Syscall,
  SyscallTarget,
  SysOutcome,
  TcpStateName,
  WireSegment,
} from '../../../harness/packetdrill/target.ts';
import { POLL } from '../../../harness/packetdrill/target.ts';

export interface ToyFaults {
  /** Acknowledge one byte too many. */
  ackOffByOne?: boolean;
  /** Answer a SYN this much later. */
  synAckDelay?: number;
  /** Send every data segment twice. */
  duplicateData?: boolean;
  /** Leave the MSS option out of the SYN/ACK. */
  noMssOption?: boolean;
}

interface Tcb {
  state: TcpStateName;
  local: SockAddr;
  remote: SockAddr;
  iss: Seq;
  sndUna: Seq;
  sndNxt: Seq;
  rcvNxt: Seq;
  rcvBuf: number[];
  ts: boolean;
  tsRecent: number;
  finRcvd: boolean;
  listener?: Listener;
  synTimer?: number;
  synTries: number;
}

interface Listener {
  port: number;
  backlog: number;
  queue: Tcb[];
  waiting: Array<(o: SysOutcome) => void>;
}

interface Sock {
  nonblocking: boolean;
  bound?: SockAddr;
  listener?: Listener;
  tcb?: Tcb;
  readers: Array<{ len: number; done: (o: SysOutcome) => void }>;
  connectDone?: (o: SysOutcome) => void;
  opts: Map<string, number>;
}

const MSS = 1460;
const ISS = 0x11223344;
const WINDOW = 65535;

export class ToyHost implements ScriptWire, SyscallTarget, HostIntrospection {
  readonly peerAddr: Ipv4Addr = ipv4('192.0.2.1');
  readonly hostAddr: Ipv4Addr = ipv4('192.168.0.1');
  readonly profile: 'linux' | 'freebsd';
  readonly hostname = 'toy';
  private handler: ((seg: WireSegment) => void) | null = null;
  private readonly fds = new Map<number, Sock>();
  private readonly tcbs: Tcb[] = [];
  private readonly listeners: Listener[] = [];
  private nextPort = 50000;
  private readonly sysctls = new Map([
    ['net.ipv4.tcp_sack', '1'],
    ['net.inet.tcp.sack.enable', '1'],
  ]);

  constructor(
    private readonly sched: Scheduler,
    private readonly faults: ToyFaults = {},
    profile: 'linux' | 'freebsd' = 'linux',
  ) {
    this.profile = profile;
  }

  // ---- ScriptWire ---------------------------------------------------------------------------

  onSegment(handler: (seg: WireSegment) => void): void {
    this.handler = handler;
  }

  inject(seg: WireSegment): void {
    // Arrival is an event of its own, as on a link with no delay.
    this.sched.schedule(0, () => this.input(seg.tcp));
  }

  private send(t: Tcb, flags: number, payload = 0, extra: TcpOption[] = []): void {
    const options: TcpOption[] = [...extra];
    if (t.ts && !(flags & TcpFlag.RST)) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: this.tsNow(), ecr: t.tsRecent });
    let ack = t.rcvNxt;
    if (this.faults.ackOffByOne && flags & TcpFlag.ACK) ack = seqAdd(ack, 1);
    const seg: TcpRepr = {
      srcPort: t.local.port,
      dstPort: t.remote.port,
      seq: t.sndNxt,
      ack,
      flags,
      window: flags & TcpFlag.RST ? 0 : WINDOW,
      urgent: 0,
      options,
      payload: new Uint8Array(payload),
    };
    this.emit(seg);
    if (payload && this.faults.duplicateData) this.emit(seg);
  }

  private emit(tcp: TcpRepr): void {
    this.handler?.({ src: this.hostAddr, dst: this.peerAddr, tos: 0, ttl: 64, tcp });
  }

  private tsNow(): number {
    return 7000 + Math.floor(this.sched.now() / MS);
  }

  // ---- input --------------------------------------------------------------------------------

  private input(seg: TcpRepr): void {
    const t = this.tcbs.find((x) => x.local.port === seg.dstPort && x.remote.port === seg.srcPort && x.state !== 'CLOSED');
    if (!t) return this.noConnection(seg);
    const tsOpt = seg.options.find((o) => o.kind === 'ts');
    if (tsOpt && tsOpt.kind === 'ts') t.tsRecent = tsOpt.val;
    if (seg.flags & TcpFlag.RST) return this.destroy(t);

    if (t.state === 'SYN-SENT') {
      if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== (TcpFlag.SYN | TcpFlag.ACK) || seg.ack !== seqAdd(t.iss, 1)) return;
      if (t.synTimer !== undefined) this.sched.cancel(t.synTimer);
      t.rcvNxt = seqAdd(seg.seq, 1);
      t.sndUna = seg.ack;
      t.sndNxt = seg.ack;
      t.state = 'ESTABLISHED';
      this.send(t, TcpFlag.ACK);
      const sock = this.sockOf(t);
      sock?.connectDone?.({ ret: 0 });
      if (sock) delete sock.connectDone;
      return;
    }
    if (seg.flags & TcpFlag.SYN) return; // a retransmitted SYN: ignore
    if (!(seg.flags & TcpFlag.ACK)) return;
    if (seqDiff(seg.ack, t.sndUna) > 0 && seqDiff(seg.ack, t.sndNxt) <= 0) t.sndUna = seg.ack;

    if (t.state === 'SYN-RECEIVED' && seg.ack === seqAdd(t.iss, 1)) {
      t.state = 'ESTABLISHED';
      const l = t.listener!;
      const waiter = l.waiting.shift();
      if (waiter) waiter({ ret: this.adopt(t) });
      else l.queue.push(t);
    }
    if (seg.payload.length > 0 || seg.flags & TcpFlag.FIN) {
      if (seg.seq !== t.rcvNxt) {
        this.send(t, TcpFlag.ACK);
        return;
      }
      for (const b of seg.payload) t.rcvBuf.push(b);
      t.rcvNxt = seqAdd(t.rcvNxt, seg.payload.length);
      if (seg.flags & TcpFlag.FIN) {
        t.rcvNxt = seqAdd(t.rcvNxt, 1);
        t.finRcvd = true;
        if (t.state === 'ESTABLISHED') t.state = 'CLOSE-WAIT';
        else if (t.state === 'FIN-WAIT-1') t.state = t.sndUna === t.sndNxt ? 'TIME-WAIT' : 'CLOSING';
        else if (t.state === 'FIN-WAIT-2') t.state = 'TIME-WAIT';
      }
      this.send(t, TcpFlag.ACK);
      this.wakeReaders(t);
    }
    if (t.sndUna === t.sndNxt) {
      if (t.state === 'FIN-WAIT-1') t.state = 'FIN-WAIT-2';
      else if (t.state === 'CLOSING') t.state = 'TIME-WAIT';
      else if (t.state === 'LAST-ACK') this.destroy(t);
    }
  }

  private noConnection(seg: TcpRepr): void {
    const l = this.listeners.find((x) => x.port === seg.dstPort);
    if (l && (seg.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN) {
      const peerTs = seg.options.find((o) => o.kind === 'ts');
      const t: Tcb = this.newTcb({ addr: this.hostAddr, port: l.port }, { addr: this.peerAddr, port: seg.srcPort }, 'SYN-RECEIVED');
      t.listener = l;
      t.rcvNxt = seqAdd(seg.seq, 1);
      t.ts = peerTs !== undefined;
      if (peerTs && peerTs.kind === 'ts') t.tsRecent = peerTs.val;
      const answer = (): void => {
        t.sndNxt = t.iss;
        this.send(t, TcpFlag.SYN | TcpFlag.ACK, 0, this.faults.noMssOption ? [] : [{ kind: 'mss', mss: MSS }]);
        t.sndNxt = seqAdd(t.iss, 1);
      };
      if (this.faults.synAckDelay) this.sched.schedule(this.faults.synAckDelay, answer);
      else answer();
      return;
    }
    if (seg.flags & TcpFlag.RST) return;
    // RFC 9293 3.10.7.1: a segment for no connection draws a RST.
    const rst: TcpRepr = { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seq(0), ack: seq(0), flags: TcpFlag.RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
    if (seg.flags & TcpFlag.ACK) rst.seq = seg.ack;
    else {
      rst.flags |= TcpFlag.ACK;
      rst.ack = seqAdd(seg.seq, seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0));
    }
    this.emit(rst);
  }

  private newTcb(local: SockAddr, remote: SockAddr, state: TcpStateName): Tcb {
    const iss = seq(ISS);
    const t: Tcb = { state, local, remote, iss, sndUna: iss, sndNxt: iss, rcvNxt: seq(0), rcvBuf: [], ts: false, tsRecent: 0, finRcvd: false, synTries: 0 };
    this.tcbs.push(t);
    return t;
  }

  private destroy(t: Tcb): void {
    t.state = 'CLOSED';
    if (t.synTimer !== undefined) this.sched.cancel(t.synTimer);
    const i = this.tcbs.indexOf(t);
    if (i >= 0) this.tcbs.splice(i, 1);
    const sock = this.sockOf(t);
    sock?.connectDone?.({ ret: -1, errno: 'ECONNREFUSED' });
    if (sock) delete sock.connectDone;
  }

  private sockOf(t: Tcb): Sock | undefined {
    for (const s of this.fds.values()) if (s.tcb === t) return s;
    return undefined;
  }

  private adopt(t: Tcb): number {
    const fd = this.allocFd();
    this.fds.set(fd, { nonblocking: false, tcb: t, readers: [], opts: new Map() });
    return fd;
  }

  private allocFd(): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  private wakeReaders(t: Tcb): void {
    const s = this.sockOf(t);
    if (!s) return;
    while (s.readers.length && (t.rcvBuf.length > 0 || t.finRcvd)) {
      const r = s.readers.shift()!;
      const data = t.rcvBuf.splice(0, r.len);
      r.done({ ret: data.length, data: Uint8Array.from(data) });
    }
  }

  // ---- SyscallTarget ------------------------------------------------------------------------

  call(c: Syscall, done: (o: SysOutcome) => void): void {
    const err = (errno: string): void => done({ ret: -1, errno });
    if (c.op === 'socket') {
      const fd = this.allocFd();
      this.fds.set(fd, { nonblocking: false, readers: [], opts: new Map() });
      return done({ ret: fd });
    }
    if (c.op === 'poll') {
      const revents = c.fds.map(({ fd, events }) => {
        const s = this.fds.get(fd);
        if (!s) return POLL.NVAL;
        let r = 0;
        if (s.tcb && (s.tcb.rcvBuf.length > 0 || s.tcb.finRcvd)) r |= POLL.IN;
        if (s.listener && s.listener.queue.length > 0) r |= POLL.IN;
        if (s.tcb && s.tcb.state === 'ESTABLISHED') r |= POLL.OUT;
        return r & (events | POLL.ERR | POLL.HUP);
      });
      return done({ ret: revents.filter((r) => r !== 0).length, revents });
    }
    const s = this.fds.get(c.fd);
    if (!s) return err('EBADF');
    switch (c.op) {
      case 'bind':
        if (this.listeners.some((l) => l.port === c.addr.port)) return err('EADDRINUSE');
        s.bound = c.addr;
        return done({ ret: 0 });
      case 'listen': {
        if (!s.bound) return err('EINVAL');
        const l: Listener = { port: s.bound.port, backlog: c.backlog, queue: [], waiting: [] };
        s.listener = l;
        this.listeners.push(l);
        return done({ ret: 0 });
      }
      case 'accept': {
        const l = s.listener;
        if (!l) return err('EINVAL');
        const t = l.queue.shift();
        if (t) return done({ ret: this.adopt(t) });
        if (s.nonblocking) return err('EAGAIN');
        l.waiting.push(done);
        return;
      }
      case 'connect': {
        if (s.tcb) return err(s.tcb.state === 'ESTABLISHED' ? 'EISCONN' : 'EALREADY');
        const t = this.newTcb({ addr: this.hostAddr, port: this.nextPort++ }, c.addr, 'SYN-SENT');
        s.tcb = t;
        const sendSyn = (): void => {
          t.sndNxt = t.iss;
          this.send(t, TcpFlag.SYN, 0, [{ kind: 'mss', mss: MSS }]);
          t.sndNxt = seqAdd(t.iss, 1);
          t.synTries++;
          if (t.synTries < 3) t.synTimer = this.sched.schedule(t.synTries * SEC, sendSyn);
        };
        sendSyn();
        if (s.nonblocking) return err('EINPROGRESS');
        s.connectDone = done;
        return;
      }
      case 'read': {
        const t = s.tcb;
        if (!t) return err('ENOTCONN');
        if (t.rcvBuf.length > 0 || t.finRcvd) {
          const data = c.peek ? t.rcvBuf.slice(0, c.len) : t.rcvBuf.splice(0, c.len);
          return done({ ret: data.length, data: Uint8Array.from(data) });
        }
        if (s.nonblocking || c.dontWait) return err('EAGAIN');
        s.readers.push({ len: c.len, done });
        return;
      }
      case 'write': {
        const t = s.tcb;
        if (!t || (t.state !== 'ESTABLISHED' && t.state !== 'CLOSE-WAIT')) return err('EPIPE');
        let left = c.data.length;
        while (left > 0) {
          const n = Math.min(MSS, left);
          left -= n;
          this.send(t, TcpFlag.ACK | (left === 0 ? TcpFlag.PSH : 0), n);
          t.sndNxt = seqAdd(t.sndNxt, n);
        }
        return done({ ret: c.data.length });
      }
      case 'shutdown':
      case 'close': {
        const t = s.tcb;
        if (c.op === 'close') {
          this.fds.delete(c.fd);
          if (s.listener) this.listeners.splice(this.listeners.indexOf(s.listener), 1);
        }
        if (t && (t.state === 'ESTABLISHED' || t.state === 'CLOSE-WAIT') && (c.op === 'close' || c.how !== 'SHUT_RD')) {
          this.send(t, TcpFlag.FIN | TcpFlag.ACK);
          t.sndNxt = seqAdd(t.sndNxt, 1);
          t.state = t.state === 'ESTABLISHED' ? 'FIN-WAIT-1' : 'LAST-ACK';
        }
        return done({ ret: 0 });
      }
      case 'setsockopt':
        s.opts.set(c.name, typeof c.value === 'number' ? c.value : 1);
        return done({ ret: 0 });
      case 'getsockopt':
        if (c.name === 'SO_RCVBUF') return done({ ret: 0, value: s.opts.get('SO_RCVBUF') ?? 65536 });
        if (c.name === 'SO_ERROR') return done({ ret: 0, value: 0 });
        return s.opts.has(c.name) ? done({ ret: 0, value: s.opts.get(c.name)! }) : err('ENOPROTOOPT');
      case 'getflags':
        return done({ ret: 0, nonblocking: s.nonblocking });
      case 'setflags':
        s.nonblocking = c.nonblocking;
        return done({ ret: 0 });
      case 'ioctl':
        return done({ ret: 0, value: s.tcb?.rcvBuf.length ?? 0 });
    }
  }

  // ---- HostIntrospection --------------------------------------------------------------------

  sysctlGet(name: string): string | undefined {
    return this.sysctls.get(name);
  }

  sysctlSet(name: string, value: string): { ok: true } | { ok: false; error: string } {
    if (!this.sysctls.has(name)) return { ok: false, error: 'unknown' };
    this.sysctls.set(name, value);
    return { ok: true };
  }

  sysctlNames(): string[] {
    return [...this.sysctls.keys()];
  }

  sockets(): SocketInfo[] {
    const out: SocketInfo[] = [];
    for (const [fd, s] of this.fds) {
      if (s.listener) out.push({ state: 'LISTEN', local: { addr: this.hostAddr, port: s.listener.port }, remote: { addr: ipv4('0.0.0.0'), port: 0 }, owner: { command: 'packetdrill', pid: 1, fd, user: 'root' }, recvQ: 0, sendQ: 0 });
    }
    for (const t of this.tcbs) {
      const s = this.sockOf(t);
      const fd = s ? [...this.fds].find(([, v]) => v === s)![0] : undefined;
      const info: SocketInfo = { state: t.state, local: t.local, remote: t.remote, recvQ: t.rcvBuf.length, sendQ: seqDiff(t.sndNxt, t.sndUna) };
      if (fd !== undefined) info.owner = { command: 'packetdrill', pid: 1, fd, user: 'root' };
      out.push(info);
    }
    return out;
  }

  drop(local: SockAddr, remote: SockAddr): boolean {
    const t = this.tcbs.find((x) => x.local.port === local.port && x.remote.port === remote.port);
    if (!t) return false;
    this.send(t, TcpFlag.RST);
    this.destroy(t);
    return true;
  }
}
