/**
 * A shell session: one live emulation (a built scenario) that commands act on, the last trace
 * lines, the watch filter, and raw test endpoints opened on demand by `send`. Output goes
 * through `print`, so the same session serves a terminal, a pipe and the specs.
 */
import { formatTime } from '../../../lib/sim/time.ts';
import type { TraceEvent } from '../../../lib/sim/trace.ts';
import { IpProto } from '../../../lib/wire/ip-types.ts';
import type { RawIp } from '../../world/raw.ts';
import { buildScenario, type BuiltScenario } from '../build.ts';
import type { ModuleAction, Scenario } from '../model.ts';
import type { ScenarioPlugins } from '../plugins.ts';

/** Trace lines the session keeps for `trace`. */
const KEEP = 2000;

export class ShellError extends Error {}

export class Session {
  readonly recent: string[] = [];
  /** null: not watching; '' watches everything; otherwise a substring to match. */
  watch: string | null = null;
  private readonly raws = new Map<string, RawIp>();

  private constructor(
    readonly built: BuiltScenario,
    readonly print: (line: string) => void,
  ) {}

  static async open(
    s: Scenario,
    print: (line: string) => void,
    opts: { plugins?: ScenarioPlugins; extraModules?: readonly ModuleAction[]; clients?: boolean } = {},
  ): Promise<Session> {
    let session: Session | null = null;
    const built = await buildScenario(s, {
      plugins: opts.plugins,
      extraModules: opts.extraModules,
      clients: opts.clients,
      trace: { write: (line) => session?.keep(line) },
    });
    session = new Session(built, print);
    built.world.jsonl.subscribe((e, t) => session!.watched(e, t));
    return session;
  }

  get world() {
    return this.built.world;
  }

  private keep(line: string): void {
    this.recent.push(line);
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
  }

  private watched(e: Readonly<TraceEvent>, t: number): void {
    if (this.watch === null) return;
    const line = formatEvent(e, t);
    if (this.watch === '' || line.includes(this.watch)) this.print(line);
  }

  /** A raw endpoint of the test protocol on `host` (received packets show in the trace). */
  raw(host: string): RawIp {
    let r = this.raws.get(host);
    if (r === undefined) {
      r = this.world.getHost(host).stack.openRaw(IpProto.TEST);
      this.raws.set(host, r);
    }
    return r;
  }
}

/** One trace event as a line: time, kind, then its fields (packets in tcpdump style). */
export function formatEvent(e: Readonly<TraceEvent>, t: number): string {
  const rest = Object.entries(e)
    .filter(([k]) => k !== 'ev' && k !== 'pkt')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${formatTime(t)} ${e.ev}${rest ? ` ${rest}` : ''}${typeof e.pkt === 'string' ? `  ${e.pkt}` : ''}`;
}
