/**
 * `handoff live` from start to finish: bring the session up, print where things are, then
 * either run COMMAND in the namespace and exit with its status, or wait for Ctrl-C. Whatever
 * ends the session first (COMMAND, a signal, the emulator dying, the time bound), the
 * teardown runs before the exit.
 */
import { constants } from 'node:os';
import type { StaleEntry } from './netns.ts';
import { LiveSession, type SessionOptions } from './supervisor.ts';

export interface LiveRunOptions extends SessionOptions {
  /** Run this shell command in the namespace, then tear down and exit with its status. */
  exec: string | null;
  /** Bound on the whole session. */
  maxTimeMs: number;
  /** Status lines (the banner goes to stderr with --exec, so COMMAND's output stays clean). */
  out: (line: string) => void;
  err: (line: string) => void;
}

type Outcome = { kind: 'exec'; status: number } | { kind: 'signal'; sig: NodeJS.Signals } | { kind: 'ended'; message: string } | { kind: 'timeout' };

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runLive(opts: LiveRunOptions): Promise<number> {
  let onSignal!: (sig: NodeJS.Signals) => void;
  const signalled = new Promise<Outcome>((resolve) => (onSignal = (sig) => resolve({ kind: 'signal', sig })));
  for (const s of SIGNALS) process.on(s, onSignal);
  let timer: NodeJS.Timeout | undefined;
  try {
    const say = opts.exec === null ? opts.out : opts.err;
    const starting = LiveSession.start({ ...opts, onStale: (s) => opts.err(staleLine(s)) });
    const first = await Promise.race([starting, signalled]);
    if (!(first instanceof LiveSession)) {
      // Interrupted while coming up: let the start finish or fail, then take it down.
      const s = await starting.catch(() => null);
      await s?.stop();
      return exitStatus(first);
    }
    const session = first;
    for (const line of banner(session, opts)) say(line);
    const timeout = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.maxTimeMs);
    });
    const ended = session.ended.then((e): Outcome => ({ kind: 'ended', message: e.message }));
    const ran = opts.exec === null ? new Promise<Outcome>(() => {}) : session.exec(opts.exec).then((status): Outcome => ({ kind: 'exec', status }));
    const outcome = await Promise.race([ran, ended, signalled, timeout]);
    if (outcome.kind === 'ended') opts.err(`handoff live: ${outcome.message}`);
    if (outcome.kind === 'timeout') opts.err(`handoff live: the session reached its time bound (${opts.maxTimeMs / 1000} s)`);
    const stats = await session.stop();
    if (stats !== null && opts.exec === null) {
      const b = stats.bridge;
      say(`handoff live: stopped; ${b.fromTun} packets in, ${b.toTun} out, ${b.dropNotIpv4 + b.dropForeign + b.dropTooBig + b.dropTxBusy} dropped at the bridge; virtual clock at most ${stats.maxLagMs.toFixed(1)} ms behind; namespace ${session.ns} removed`);
      for (const d of stats.linkDrops) {
        say(`  emulated link ${d.name}: ${d.queueDrops} tail-dropped (queue reached ${d.maxQueue} packets), ${d.otherDrops} lost to faults, down or MTU`);
      }
    }
    return exitStatus(outcome);
  } finally {
    clearTimeout(timer);
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

function exitStatus(o: Outcome): number {
  switch (o.kind) {
    case 'exec':
      return o.status;
    case 'signal':
      return 128 + ((constants.signals as Record<string, number>)[o.sig] ?? 0);
    case 'ended':
      return 1;
    case 'timeout':
      return 124;
  }
}

function staleLine(s: StaleEntry): string {
  return `handoff live: removed stale namespace ${s.ns} (${s.reason})`;
}

function banner(s: LiveSession, opts: LiveRunOptions): string[] {
  const r = s.ready;
  const lines = [
    `handoff live: up in namespace ${s.ns}`,
    `  client address  ${r.clientAddr} on ${r.tun} (the namespace's side of the TUN)`,
    `  server / VIP    ${r.vip}  (HANDOFF_VIP)`,
    `  routed to TUN   ${r.routes.join(', ')}`,
  ];
  for (const svc of r.services) lines.push(`  service         ${svc.name.padEnd(10)} ${svc.url}`);
  for (const n of r.notices) lines.push(`  note            ${n}`);
  if (opts.pcap) lines.push(`  capture         ${opts.pcap} (the TUN side, pcap)`);
  if (opts.exec === null) {
    lines.push(`  enter           sudo ip netns exec ${s.ns} bash`);
    const http = r.services.find((x) => x.url.startsWith('http'));
    if (http) lines.push(`  try             sudo ip netns exec ${s.ns} curl -v ${http.url}`);
    lines.push('  stop            Ctrl-C');
  }
  return lines;
}
