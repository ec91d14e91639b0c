/**
 * Plays one parsed script against one host's TCP on the virtual clock. The script's `<` packets
 * are injected through the ScriptWire as if the peer had sent them; what the host sends back is
 * captured and compared with the `>` lines; system calls go to the SyscallTarget; backtick lines
 * run in the emulated shell against the host's tunables and sockets.
 *
 * Time follows packetdrill: an event is due at its script time (relative times count from the
 * moment the previous event completed); the clock runs to that time, so the stack's own timers
 * fire on schedule; an outbound packet is taken as soon as the host sends it and then checked
 * for content and time. A blocking call (`...END`) runs while later lines play and must return
 * by END. The first difference ends the run with a report (report.ts).
 *
 * Like packetdrill, the runner follows one "connection under test": a new one starts with the
 * first packet after listen() (or with no socket), and with the SYN after connect().
 */
import type { PacketEvent, Script, ScriptEvent, SyscallEvent, TcpPacketSpec } from './ast.ts';
import { ConnMap } from './conn-map.ts';
import { formatEvent, formatPacketSpec, formatTcpRepr, formatUsecs } from './format.ts';
import { continuesBurst, matchOutbound, mergeBurst } from './match.ts';
import type { RunConfig } from './options.ts';
import type { Failure, FailureKind, ScriptRunResult } from './report.ts';
import { runShell } from './shell/shell.ts';
import { prepareSyscall } from './syscalls.ts';
import type { SyscallContext } from './syscalls.ts';
import type { HostIntrospection, ScriptWire, SimDriver, Syscall, SyscallTarget, SysOutcome, WireSegment } from './target.ts';
import { checkDue, dueTime, toleranceNs } from './timing.ts';
import type { Due } from './timing.ts';
import type { Time } from '../../lib/sim/time.ts';
import { SEC, US } from '../../lib/sim/time.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

export interface RunnerEnv {
  driver: SimDriver;
  wire: ScriptWire;
  syscalls: SyscallTarget;
  host: HostIntrospection;
  /** Reads helper scripts named in backtick lines, relative to the script's directory. */
  readFile?: (path: string) => string | undefined;
  /** Called once the script has ended, whatever the verdict (e.g. to write its captures). */
  close?: () => void;
}

/** How long `*` waits for an outbound packet, and how many wire lines a report shows. */
const ANY_TIME_WAIT = 120 * SEC;
/** After a missed deadline, how much longer to watch so a late packet is reported with its time. */
const LATE_LOOKAHEAD = 10 * SEC;
const RECENT = 8;
/** First remote port the runner gives the peer's connections (packetdrill asks the kernel). */
const FIRST_PEER_PORT = 40000;

interface Conn {
  localPort: number;
  remotePort: number;
  map: ConnMap;
  /**
   * The peer sent a SYN after we learned our ISN: if the host answers with a SYN of another ISN,
   * that is a new incarnation of the connection (TIME-WAIT reuse) and its ISN is learned anew.
   */
  peerResynced: boolean;
}

interface Captured {
  seg: WireSegment;
  time: Time;
  conn: Conn | undefined;
  consumed: boolean;
}

interface WireLine {
  time: Time;
  dir: 'inbound' | 'outbound';
  seg: WireSegment;
  conn: Conn | undefined;
  /** For inbound segments: the script packet they came from (shown as written). */
  spec?: TcpPacketSpec;
}

interface Pending {
  ev: SyscallEvent;
  expectedEnd: Time;
  done: boolean;
}

type Phase = 'none' | 'new' | 'listening' | 'connecting' | 'active' | 'passive';

class ScriptFailure extends Error {
  constructor(readonly failure: Omit<Failure, 'path' | 'recent'>) {
    super(failure.message);
  }
}

export async function runScript(script: Script, env: RunnerEnv, cfg: RunConfig): Promise<ScriptRunResult> {
  return new ScriptRun(script, env, cfg).run();
}

class ScriptRun {
  private readonly start: Time;
  private lastEnd: Time;
  private readonly captured: Captured[] = [];
  private readonly wireLog: WireLine[] = [];
  private readonly pending: Pending[] = [];
  private phase: Phase = 'none';
  private conn: Conn | undefined;
  private readonly conns: Conn[] = [];
  private connectPort: number;
  private bindPort: number;
  private nextPeerPort = FIRST_PEER_PORT;
  private waitingForPacket = false;
  private waitingForCall = false;
  private asyncFailure: ScriptFailure | undefined;
  private readonly ctx: SyscallContext;
  private eventsRun = 0;
  private packetsIn = 0;
  private packetsOut = 0;

  constructor(
    private readonly script: Script,
    private readonly env: RunnerEnv,
    private readonly cfg: RunConfig,
  ) {
    this.start = env.driver.now();
    this.lastEnd = this.start;
    this.connectPort = cfg.connectPort;
    this.bindPort = cfg.bindPort;
    this.ctx = {
      profile: cfg.profile,
      localIp: cfg.localIp,
      remoteIp: cfg.remoteIp,
      bindPort: cfg.bindPort,
      connectPort: cfg.connectPort,
      fds: new Map(),
    };
    env.wire.onSegment((seg) => this.onOutbound(seg));
  }

  async run(): Promise<ScriptRunResult> {
    let failure: Failure | undefined;
    try {
      if (this.script.initCommand) this.command(this.script.initCommand.command, this.script.initCommand.loc.line, `\`${this.script.initCommand.command}\``);
      for (const ev of this.script.events) {
        await this.event(ev);
        this.eventsRun++;
        this.raiseAsync();
      }
      await this.finish();
      if (this.script.cleanupCommand) this.command(this.script.cleanupCommand.command, this.script.cleanupCommand.loc.line, `\`${this.script.cleanupCommand.command}\``);
    } catch (err) {
      failure = this.toFailure(err);
    }
    const result: ScriptRunResult = {
      path: this.script.path,
      ok: failure === undefined,
      virtualNs: this.lastEnd - this.start,
      events: this.eventsRun,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
    };
    if (failure) result.failure = failure;
    return result;
  }

  // ---- failures ------------------------------------------------------------------------------

  private toFailure(err: unknown): Failure {
    const recent = this.recentLines();
    if (err instanceof ScriptFailure) return { path: this.script.path, recent, ...err.failure };
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { path: this.script.path, line: 0, kind: 'internal', message: `the emulated host threw: ${message}`, recent };
  }

  /** `at` is the failing event, or a line number when no event is at fault (end of script). */
  private fail(at: ScriptEvent | number, kind: FailureKind, message: string, extra: Partial<Failure> = {}): never {
    const line = typeof at === 'number' ? at : at.loc.line;
    const scriptLine = typeof at === 'number' ? undefined : formatEvent(at);
    const f: Omit<Failure, 'path' | 'recent'> = { line, kind, message, ...extra };
    if (scriptLine !== undefined && f.scriptLine === undefined) f.scriptLine = scriptLine;
    throw new ScriptFailure(f);
  }

  private raiseAsync(): void {
    if (this.asyncFailure) throw this.asyncFailure;
  }

  private secs(t: Time): string {
    return formatUsecs((t - this.start) / US);
  }

  private recentLines(): string[] {
    // Both directions in script space: outbound mapped back, inbound as the script wrote it.
    return this.wireLog.slice(-RECENT).map((w) => {
      if (w.spec) return `${this.secs(w.time)} ${formatPacketSpec(w.spec)}`;
      const tcp = w.conn ? w.conn.map.outboundToScript(w.seg.tcp, null) : w.seg.tcp;
      return `${this.secs(w.time)} ${formatTcpRepr(w.dir, tcp)}`;
    });
  }

  private log(line: WireLine): void {
    this.wireLog.push(line);
    if (this.wireLog.length > 4 * RECENT) this.wireLog.splice(0, this.wireLog.length - RECENT);
  }

  // ---- the wire -------------------------------------------------------------------------------

  private onOutbound(seg: WireSegment): void {
    const time = this.env.driver.now();
    if (seg.src !== this.cfg.localIp || seg.dst !== this.cfg.remoteIp) {
      this.log({ time, dir: 'outbound', seg, conn: undefined });
      return;
    }
    this.packetsOut++;
    let conn = this.conns.find((c) => c.localPort === seg.tcp.srcPort && c.remotePort === seg.tcp.dstPort);
    const syn = (seg.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (!conn && this.phase === 'connecting' && syn && seg.tcp.dstPort === this.connectPort) {
      conn = this.newConn(seg.tcp.srcPort, seg.tcp.dstPort);
      this.phase = 'active';
    }
    this.captured.push({ seg, time, conn, consumed: false });
    this.log({ time, dir: 'outbound', seg, conn });
    if (this.waitingForPacket) this.env.driver.stop();
  }

  private newConn(localPort: number, remotePort: number): Conn {
    const conn: Conn = { localPort, remotePort, map: new ConnMap({ tsEcrScaled: this.cfg.tsEcrScaled }), peerResynced: false };
    this.conns.push(conn);
    this.conn = conn;
    return conn;
  }

  /** The connection an inbound script packet belongs to (packetdrill's socket under test). */
  private connForInbound(p: TcpPacketSpec): Conn {
    if (p.ports) {
      const c = this.conns.find((x) => x.localPort === p.ports!.dst && x.remotePort === p.ports!.src);
      if (c) return (this.conn = c);
      return this.newConn(p.ports.dst, p.ports.src);
    }
    if (!this.conn || this.phase === 'listening' || this.phase === 'none' || this.phase === 'new') {
      const c = this.newConn(this.bindPort, this.nextPeerPort++);
      this.phase = 'passive';
      return c;
    }
    return this.conn;
  }

  // ---- events ---------------------------------------------------------------------------------

  private tolerance(due: Due): Time {
    return toleranceNs({ usecs: this.cfg.toleranceUsecs, percent: this.cfg.tolerancePercent }, due.start - this.lastEnd);
  }

  private async event(ev: ScriptEvent): Promise<void> {
    if (ev.kind === 'packet' && ev.packet.direction === 'outbound') return this.outbound(ev);

    const due = dueTime(ev.time, this.start, this.lastEnd);
    const tol = this.tolerance(due);
    await this.runTo(due.start);
    const now = this.env.driver.now();
    this.checkUnexpected(ev, due.start - tol);
    this.checkOverdueCalls(now);
    const late = checkDue(describe(ev), due, now, this.start, tol);
    if (late) this.fail(ev, 'timing', late);

    switch (ev.kind) {
      case 'packet':
        this.inbound(ev);
        this.lastEnd = now;
        return;
      case 'syscall':
        await this.syscall(ev, tol);
        return;
      case 'command':
        this.command(ev.command, ev.loc.line, formatEvent(ev));
        this.lastEnd = now;
        return;
      case 'code':
        return this.fail(ev, 'unsupported', 'unsupported: %{ ... }% code blocks (Python in packetdrill) are not run by this runner');
      case 'unsupported':
        return this.fail(ev, 'unsupported', `unsupported: ${ev.what} are not supported by this runner`);
    }
  }

  /**
   * Run the clock to `t`. It runs at least once even when the clock is already there, so that
   * work scheduled for this very instant (an injected segment, output after a write) is done
   * before the next line looks at the host.
   */
  private async runTo(t: Time): Promise<void> {
    do {
      await this.env.driver.run(Math.max(t, this.env.driver.now()));
      this.raiseAsync();
    } while (this.env.driver.now() < t);
  }

  /** With strict checking, a segment the host sent before `before` that no line matched fails. */
  private checkUnexpected(at: ScriptEvent | number, before: Time): void {
    if (!this.cfg.strictOutbound) return;
    const stray = this.captured.find((c) => !c.consumed && c.conn !== undefined && c.time < before);
    if (!stray) return;
    const got = `${formatTcpRepr('outbound', stray.conn!.map.outboundToScript(stray.seg.tcp, null), stray.seg.tos & 3 || undefined)} at ${this.secs(stray.time)}`;
    this.fail(at, 'packet', `unexpected outbound packet: the host sent a segment no script line accounts for before this line`, { got });
  }

  private checkOverdueCalls(now: Time): void {
    for (const p of this.pending) {
      if (p.done) continue;
      const tol = this.cfg.toleranceUsecs * US;
      if (now > p.expectedEnd + tol) {
        this.fail(p.ev, 'syscall', `blocking call ${p.ev.name}() had not returned by ${this.secs(p.expectedEnd)} sec (now ${this.secs(now)} sec)`);
      }
    }
  }

  private inbound(ev: PacketEvent): void {
    const p = ev.packet;
    const conn = this.connForInbound(p);
    const isSynAck = (p.flagBits & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
    if (p.flagBits & TcpFlag.SYN && (conn.map.remoteIsn === undefined || isSynAck)) conn.map.learnRemoteIsn(p.seq);
    if (p.flagBits & TcpFlag.SYN && !isSynAck && conn.map.liveLocalIsn !== undefined) conn.peerResynced = true;
    const r = conn.map.inboundToLive(p, conn.remotePort, conn.localPort);
    if (!r.ok) this.fail(ev, 'script', r.error);
    const ecn = p.ip.ecn === 'ect1' ? 1 : p.ip.ecn === 'ect0' ? 2 : p.ip.ecn === 'ce' ? 3 : 0;
    const tos = p.ip.tos !== undefined ? p.ip.tos : ecn;
    const seg: WireSegment = { src: this.cfg.remoteIp, dst: this.cfg.localIp, tos, ttl: p.ip.ttl ?? 64, tcp: r.tcp };
    this.log({ time: this.env.driver.now(), dir: 'inbound', seg, conn, spec: p });
    this.packetsIn++;
    this.env.wire.inject(seg);
  }

  private async outbound(ev: PacketEvent): Promise<void> {
    const expected = ev.packet;
    const due = dueTime(ev.time, this.start, this.lastEnd);
    const tol = this.tolerance(due);
    const deadline = due.any ? this.env.driver.now() + ANY_TIME_WAIT : due.end + tol;

    // Wait past the deadline for a while: a packet that comes late is a timing error with the
    // time it came, more useful than "none" (packetdrill's sniffer likewise waits for it).
    const giveUp = due.any ? deadline : deadline + LATE_LOOKAHEAD;
    let first = this.nextCaptured();
    while (!first) {
      if (this.env.driver.now() >= giveUp) {
        this.fail(ev, 'packet', `expected an outbound packet by ${this.secs(deadline)} sec but the host sent none`, {
          expected: formatPacketSpec(expected),
        });
      }
      this.waitingForPacket = true;
      try {
        await this.env.driver.run(giveUp);
      } finally {
        this.waitingForPacket = false;
      }
      this.raiseAsync();
      first = this.nextCaptured();
    }

    // A scripted super-segment (TSO/GSO) may be several segments on our wire.
    const parts = [first];
    let total = first.seg.tcp.payload.length;
    if (!this.cfg.strictSegments) {
      for (const c of this.captured) {
        if (total >= expected.len) break;
        if (c.consumed || parts.includes(c) || c.conn !== first.conn) continue;
        if (!continuesBurst(parts[parts.length - 1]!.seg.tcp, c.seg.tcp)) break;
        parts.push(c);
        total += c.seg.tcp.payload.length;
      }
    }
    for (const p of parts) p.consumed = true;
    const last = parts[parts.length - 1]!;
    const live = parts.length > 1 ? mergeBurst(parts.map((p) => p.seg.tcp)) : first.seg.tcp;

    const conn = first.conn ?? this.conn ?? this.newConn(live.srcPort, live.dstPort);
    if (expected.flagBits & TcpFlag.SYN && live.flags & TcpFlag.SYN) {
      const known = conn.map.liveLocalIsn;
      if (known === undefined || (conn.peerResynced && live.seq !== known)) conn.map.learnLocalIsn(expected.seq, live.seq);
      conn.peerResynced = false;
    }
    const mapped = conn.map.outboundToScript(live, expected);
    const mismatch = matchOutbound(expected, mapped, { tos: first.seg.tos, ttl: first.seg.ttl }, {
      tsTickUsecs: this.cfg.tsTickUsecs,
      toleranceUsecs: this.cfg.toleranceUsecs,
      checkTsEcr: this.cfg.checkTsEcr,
    });
    const got = `${formatTcpRepr('outbound', mapped, expected.ip.ecn !== undefined ? first.seg.tos & 3 : undefined)} at ${this.secs(first.time)}`;
    if (mismatch) {
      this.fail(ev, 'packet', `outbound packet mismatch in ${mismatch.field}: expected ${mismatch.expected}, got ${mismatch.actual}`, {
        expected: formatPacketSpec(expected),
        got,
      });
    }
    const late = checkDue('outbound packet', due, first.time, this.start, tol);
    if (late) this.fail(ev, 'timing', late, { expected: formatPacketSpec(expected), got });
    this.lastEnd = last.time;
  }

  /** The oldest unconsumed segment of a connection the script follows (or any, before one). */
  private nextCaptured(): Captured | undefined {
    return this.captured.find((c) => !c.consumed && (c.conn !== undefined || this.conns.length === 0));
  }

  // ---- system calls ---------------------------------------------------------------------------

  private async syscall(ev: SyscallEvent, tol: Time): Promise<void> {
    const prepared = prepareSyscall(ev, this.ctx);
    if (!prepared.ok) this.fail(ev, 'script', prepared.error);
    const { call, check } = prepared.prepared;
    this.track(call);

    const startedAt = this.env.driver.now();
    let outcome: SysOutcome | undefined;
    let doneAt: Time = startedAt;
    let inCall = true;
    const blocking = ev.endUsecs !== undefined;
    // packetdrill shifts the end of a relative blocking call by the same offset as its start:
    // the completion time of the previous event.
    const expectedEnd = blocking ? (ev.time.kind === 'relative' ? this.lastEnd : this.start) + ev.endUsecs! * US : startedAt;
    const pending: Pending = { ev, expectedEnd, done: false };

    const verdict = (o: SysOutcome, at: Time): ScriptFailure | undefined => {
      const wrong = check(o);
      if (wrong) return new ScriptFailure({ line: ev.loc.line, kind: 'syscall', message: `${ev.name}(): ${wrong}`, scriptLine: formatEvent(ev) });
      if (blocking) {
        const late = checkDue(`${ev.name}() to return`, { start: expectedEnd, end: expectedEnd, any: false }, at, this.start, tol);
        if (late) return new ScriptFailure({ line: ev.loc.line, kind: 'timing', message: late, scriptLine: formatEvent(ev) });
      }
      return undefined;
    };

    this.env.syscalls.call(call, (o) => {
      if (outcome) return;
      outcome = o;
      doneAt = this.env.driver.now();
      pending.done = true;
      if (this.waitingForCall) this.env.driver.stop();
      if (!blocking || inCall) return;
      const f = verdict(o, doneAt);
      if (f && !this.asyncFailure) {
        this.asyncFailure = f;
        this.env.driver.stop();
      }
    });
    inCall = false;

    if (outcome) {
      const f = verdict(outcome, doneAt);
      if (f) throw f;
      this.lastEnd = doneAt;
      return;
    }
    if (blocking) {
      // The call blocks as scripted; later lines play meanwhile, relative to its start.
      this.pending.push(pending);
      this.lastEnd = startedAt;
      return;
    }
    // Not scripted to block: give it the tolerance to complete, as packetdrill's timing check does.
    const until = startedAt + tol;
    this.waitingForCall = true;
    try {
      do {
        await this.env.driver.run(until);
        this.raiseAsync();
      } while (!outcome && this.env.driver.now() < until);
    } finally {
      this.waitingForCall = false;
    }
    if (!outcome) {
      this.fail(ev, 'syscall', `${ev.name}() blocked; a call that is meant to block is written with ...END (e.g. +0...0.1 ${ev.name}(...))`);
    }
    const f = verdict(outcome!, doneAt);
    if (f) throw f;
    this.lastEnd = doneAt;
  }

  /** Follow the socket under test through the calls, as packetdrill does. */
  private track(call: Syscall): void {
    switch (call.op) {
      case 'socket':
        this.phase = 'new';
        this.conn = undefined;
        break;
      case 'bind':
        this.bindPort = call.addr.port;
        break;
      case 'listen':
        this.phase = 'listening';
        break;
      case 'connect':
        if (this.phase !== 'active') {
          this.phase = 'connecting';
          this.connectPort = call.addr.port;
        }
        break;
      default:
        break;
    }
  }

  // ---- commands and the end ------------------------------------------------------------------

  private command(command: string, line: number, scriptLine: string): void {
    const r = runShell(command, { host: this.env.host, ...(this.env.readFile ? { readFile: this.env.readFile } : {}) });
    if (r.status !== 0) {
      const detail = (r.stderr || r.stdout).trim();
      throw new ScriptFailure({
        line,
        kind: 'command',
        message: `command failed with status ${r.status}${detail ? `: ${detail.split('\n').slice(-3).join(' | ')}` : ''}`,
        scriptLine,
      });
    }
  }

  private async finish(): Promise<void> {
    const open = this.pending.filter((p) => !p.done);
    if (open.length) {
      const until = Math.max(...open.map((p) => p.expectedEnd)) + this.cfg.toleranceUsecs * US;
      while (this.pending.some((p) => !p.done) && this.env.driver.now() < until) {
        await this.env.driver.run(until);
        this.raiseAsync();
      }
      const stuck = this.pending.find((p) => !p.done);
      if (stuck) this.fail(stuck.ev, 'syscall', `blocking call ${stuck.ev.name}() had not returned by ${this.secs(stuck.expectedEnd)} sec`);
    }
    const lastLine = this.script.events.at(-1)?.loc.line ?? 0;
    this.checkUnexpected(lastLine, this.lastEnd - this.cfg.toleranceUsecs * US);
  }
}

function describe(ev: ScriptEvent): string {
  switch (ev.kind) {
    case 'packet':
      return ev.packet.direction === 'inbound' ? 'inbound packet' : 'outbound packet';
    case 'syscall':
      return 'system call start';
    case 'command':
      return 'command';
    default:
      return 'event';
  }
}
