/**
 * The supervisor: the process the user started, in the root namespace. It owns the session's
 * lifecycle and its cleanup; the emulator runs as its child inside the namespace.
 *
 *   start: preflight → remove stale namespaces → reaper → marker + namespace → emulator (which
 *          binds its UDP port, starts socat, waits for the TUN and routes it) → ready
 *   stop:  "stop" to the emulator (bounded wait, then SIGKILL) → every process left in the
 *          namespace stopped → namespace deleted → marker removed → reaper dismissed
 *
 * Any failure on the way up runs the same stop before the error is thrown, so an error leaves
 * nothing behind. The emulator is started in its own process group: a Ctrl-C at the terminal
 * reaches the supervisor, which then stops things in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createNamespace, destroyNamespace, listNamespaces, removeStale, type StaleEntry } from './netns.ts';
import { namespaceName } from './plan.ts';
import { preflight } from './preflight.ts';
import { loadLiveScenario } from './scenario-world.ts';
import { LineDecoder, type EmulatorConfig, type EmulatorMessage, type ReadyMessage, type StoppedMessage } from './protocol.ts';
import { Reaper } from './reaper.ts';
import { LiveError, signal } from './sys.ts';

export interface SessionOptions {
  scenario?: string | null;
  /** Capture of the TUN side, written by the emulator (pcap). */
  pcap?: string | null;
  pcapMaxBytes?: number;
  /** Overrides the scenario's seed (default world: 1). */
  seed?: number | null;
  /** The scenario network the real client joins. */
  network?: string | null;
  /** Bound on the emulator's start-up (default 30 s). */
  readyTimeoutMs?: number;
  /** Told about stale namespaces removed at start. */
  onStale?: (s: StaleEntry) => void;
}

/** How the emulator ended when nobody asked it to. */
export interface EmulatorEnd {
  message: string;
}

const emulatorMain = fileURLToPath(new URL('./emulator-main.ts', import.meta.url));

export class LiveSession {
  private emulator: ChildProcess | null = null;
  private stopped: StoppedMessage | null = null;
  private stopping: Promise<StoppedMessage | null> | null = null;
  private lastError: string | null = null;
  private endedResolve!: (e: EmulatorEnd) => void;
  /** Resolves if the emulator ends on its own (crash, socat gone, killed). */
  readonly ended: Promise<EmulatorEnd> = new Promise((r) => (this.endedResolve = r));
  ready!: ReadyMessage;

  private constructor(
    readonly ns: string,
    private readonly reaper: Reaper,
  ) {}

  static async start(opts: SessionOptions = {}): Promise<LiveSession> {
    preflight();
    // A bad scenario file is reported before anything is made.
    if (opts.scenario) loadLiveScenario(opts.scenario);
    for (const s of await removeStale()) opts.onStale?.(s);
    const ns = namespaceName(process.pid);
    if ((await listNamespaces()).includes(ns)) throw new LiveError(`namespace ${ns} already exists and is in use`);
    const session = new LiveSession(ns, Reaper.spawn(ns));
    try {
      await createNamespace(ns);
      await session.launch({
        ns,
        scenario: opts.scenario ?? null,
        pcap: opts.pcap ?? null,
        pcapMaxBytes: opts.pcapMaxBytes ?? 256 * 1024 * 1024,
        seed: opts.seed ?? null,
        network: opts.network ?? null,
      }, opts.readyTimeoutMs ?? 30_000);
    } catch (err) {
      await session.stop();
      throw err;
    }
    return session;
  }

  /** What COMMAND sees. */
  env(): Record<string, string> {
    return {
      HANDOFF_VIP: this.ready.vip,
      HANDOFF_CLIENT_ADDR: this.ready.clientAddr,
      HANDOFF_NETNS: this.ns,
    };
  }

  /** Run a shell command inside the namespace; resolves to its exit status (128+n on signal n). */
  exec(command: string, opts: { stdio?: 'inherit' | 'ignore' } = {}): Promise<number> {
    const child = spawn('ip', ['netns', 'exec', this.ns, 'sh', '-c', command], {
      stdio: opts.stdio ?? 'inherit',
      env: { ...process.env, ...this.env() },
    });
    return new Promise((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, sig) => resolve(code ?? 128 + signalNumber(sig)));
    });
  }

  /** Take everything down; safe to call more than once. Returns the emulator's last report. */
  stop(): Promise<StoppedMessage | null> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  private async teardown(): Promise<StoppedMessage | null> {
    const em = this.emulator;
    if (em !== null && em.exitCode === null && em.signalCode === null) {
      em.stdin?.end('stop\n');
      if (!(await exited(em, 4000))) {
        signal(em.pid!, 'SIGKILL');
        await exited(em, 1000);
      }
    }
    const { survivors } = await destroyNamespace(this.ns);
    const left = (await listNamespaces().catch(() => [this.ns])).includes(this.ns);
    // With something left, the reaper gets one more try when this process exits.
    if (survivors.length === 0 && !left) this.reaper.dismiss();
    if (left) throw new LiveError(`could not delete namespace ${this.ns} (processes left: ${survivors.join(' ') || 'none'}); run: ip netns del ${this.ns}`);
    return this.stopped;
  }

  private launch(cfg: EmulatorConfig, readyTimeoutMs: number): Promise<void> {
    const tsx = import.meta.resolve('tsx');
    const child = spawn('ip', ['netns', 'exec', cfg.ns, process.execPath, '--import', tsx, emulatorMain, JSON.stringify(cfg)], {
      stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
      detached: true,
    });
    this.emulator = child;
    child.stdin!.on('error', () => {});
    return new Promise((resolve, reject) => {
      let isReady = false;
      const timer = setTimeout(() => {
        reject(new LiveError(`the emulator did not come up within ${readyTimeoutMs / 1000} s`));
      }, readyTimeoutMs);
      const decoder = new LineDecoder<EmulatorMessage>(
        (m) => {
          if (m.ev === 'ready') {
            isReady = true;
            this.ready = m;
            clearTimeout(timer);
            resolve();
          } else if (m.ev === 'stopped') this.stopped = m;
          else if (m.ev === 'error') this.lastError = m.message;
        },
        (line) => (this.lastError = `emulator said: ${line}`),
      );
      (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => decoder.push(d));
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new LiveError(`cannot start the emulator: ${err.message}`));
      });
      child.on('exit', (code, sig) => {
        clearTimeout(timer);
        const why = this.lastError ?? `the emulator exited (${sig ?? `status ${code}`})`;
        if (!isReady) reject(new LiveError(why));
        else if (this.stopping === null) this.endedResolve({ message: why });
      });
    });
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const n = sig === null ? undefined : (constants.signals as Record<string, number>)[sig];
  return n ?? 0;
}
