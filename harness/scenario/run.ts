/**
 * Running a loaded scenario to its end and writing what it produced. The run goes in slices of
 * virtual time so a progress line can follow it; it ends when the workload is done, when
 * nothing is left to do, at the scenario's end time, or at its event cap. With an output
 * directory it writes, atomically (output.ts):
 *
 *   trace.jsonl          the JSON-lines trace (packets, faults, module pushes, handoff events)
 *   <host>.<if>.pcap     one capture per interface
 *   summary.json         counters and roles (summary.ts)
 *   report.html          the self-contained report (harness/report)
 *   report.md            the Mermaid sequence diagram of the same connection
 *   scenario.json        the scenario as run (after --seed and --push)
 */
import { readFileSync } from 'node:fs';
import { SimLimitError } from '../../lib/sim/scheduler.ts';
import { MS, type Time } from '../../lib/sim/time.ts';
import type { TraceEvent } from '../../lib/sim/trace.ts';
import type { Registry } from '../../lib/streams/index.ts';
import { makeReport, reportEventKinds } from '../report/index.ts';
import { buildScenario, type BuiltScenario } from './build.ts';
import { MAX_IDLE_RUN, type ModuleAction, type Scenario } from './model.ts';
import type { OutputDir } from './output.ts';
import type { ScenarioPlugins } from './plugins.ts';
import { pcapFileName, summarize, type RunEnd, type RunSummary } from './summary.ts';

export interface Progress {
  now: Time;
  /** The run's end time (the scenario's, or the idle bound). */
  until: Time;
  events: number;
  requests: { done: number; total: number } | null;
  wallMs: number;
}

export interface RunOptions {
  /** Where to write the outputs (null or absent: keep everything in memory). */
  out?: OutputDir | null;
  progress?: (p: Progress) => void;
  extraModules?: readonly ModuleAction[];
  registry?: Registry;
  plugins?: ScenarioPlugins;
  /** The connection the report draws ("198.51.100.10:40001" or its number in the list); default: the first handed off, else the first. */
  conn?: string;
}

export interface RunOutcome {
  built: BuiltScenario;
  summary: RunSummary;
  /** Present when the run kept its trace in memory. */
  events: (TraceEvent & { t: number })[] | null;
}

/** Virtual time per slice between progress reports. */
const SLICE: Time = 20 * MS;

function totalRequests(s: Scenario): number {
  return s.clients.reduce((n, c) => n + c.count * c.requests, 0);
}

async function drive(b: BuiltScenario, progress: RunOptions['progress'], wallStart: number): Promise<{ end: RunEnd; events: number }> {
  const w = b.world;
  const s = b.scenario;
  const sched = w.sched;
  const until = s.until ?? MAX_IDLE_RUN;
  const start = sched.eventsRun;
  const total = totalRequests(s);
  const asyncRun = b.apps?.needsAsync ?? false;
  const report = (): void =>
    progress?.({
      now: w.now(),
      until,
      events: sched.eventsRun - start,
      requests: b.apps === null ? null : { done: b.apps.stats().requestsDone + b.apps.stats().requestsFailed, total },
      wallMs: Date.now() - wallStart,
    });
  for (;;) {
    report();
    // A scenario without clients has no workload to finish: it runs to its end time or idle.
    if (s.clients.length > 0 && b.apps?.done()) return { end: 'done', events: sched.eventsRun - start };
    const next = sched.nextTime();
    if (next === undefined) {
      // Nothing left to do: a run with an end time still lasts until then.
      if (s.until === null) return { end: 'idle', events: sched.eventsRun - start };
      sched.advanceTo(until);
      return { end: 'time', events: sched.eventsRun - start };
    }
    if (next > until) {
      sched.advanceTo(until);
      return { end: 'time', events: sched.eventsRun - start };
    }
    const budget = s.maxEvents - (sched.eventsRun - start);
    if (budget <= 0) return { end: 'events', events: sched.eventsRun - start };
    // Skip quiet stretches: a slice starts at the next event, not at the clock.
    const target = Math.min(until, Math.max(w.now(), next) + SLICE);
    if (asyncRun) {
      try {
        await w.runAsync({ until: target, maxEvents: budget });
      } catch (e) {
        if (e instanceof SimLimitError) return { end: 'events', events: sched.eventsRun - start };
        throw e;
      }
    } else {
      sched.runSlice(target, budget, false);
    }
  }
}

function readTraceFile(path: string): (TraceEvent & { t: number })[] {
  const kinds = reportEventKinds.map((k) => `"ev":"${k}`);
  const out: (TraceEvent & { t: number })[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || !kinds.some((k) => line.includes(k))) continue;
    out.push(JSON.parse(line) as TraceEvent & { t: number });
  }
  return out;
}

/** Build, run to the end, summarize; with `out`, write every output and commit the directory. */
export async function runScenario(s: Scenario, opts: RunOptions = {}): Promise<RunOutcome> {
  const out = opts.out ?? null;
  const traceWriter = out !== null && s.capture.trace ? out.lineWriter('trace.jsonl') : null;
  const built = await buildScenario(s, {
    registry: opts.registry,
    plugins: opts.plugins,
    extraModules: opts.extraModules,
    trace: traceWriter === null ? undefined : { write: (l) => traceWriter.write(l) },
  });
  const wallStart = Date.now();
  const cpuStart = process.cpuUsage();
  const { end, events } = await drive(built, opts.progress, wallStart);
  const cpu = process.cpuUsage(cpuStart);
  const w = built.world;
  const inMemory = s.capture.trace && traceWriter === null;
  const summary = summarize(built, {
    end,
    events,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    wallMs: Date.now() - wallStart,
    traceLines: traceWriter?.lines ?? (inMemory ? w.jsonl.lineCount : 0),
    traceFile: traceWriter === null ? null : 'trace.jsonl',
  });
  const eventsKept = inMemory ? w.jsonl.events() : null;
  if (out !== null) {
    traceWriter?.close();
    const pcaps = new Map<string, Uint8Array>();
    for (const c of w.captures()) {
      out.write(pcapFileName(c.name), c.pcap);
      pcaps.set(c.name, c.pcap);
    }
    const traceEvents = traceWriter !== null ? readTraceFile(out.path('trace.jsonl')) : (eventsKept ?? []);
    const report = makeReport({ summary, events: traceEvents, pcaps, conn: opts.conn });
    out.write('report.html', report.html);
    out.write('report.md', report.markdown);
    out.write('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
    out.write('scenario.json', `${JSON.stringify(s.doc, null, 2)}\n`);
  }
  return { built, summary, events: eventsKept };
}
