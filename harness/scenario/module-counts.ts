/**
 * Messages per module, per host and side, counted from the STREAMS trace (put events), and
 * pushes / pops copied into the run's JSON-lines trace. Counting is the harness listening to
 * the framework's trace, nothing more: it costs the framework's tracing while it is on.
 */
import type { StreamsEnv } from '../../lib/streams/index.ts';
import type { TraceSink } from '../../lib/sim/trace.ts';

export interface ModuleCountRow {
  host: string;
  module: string;
  /** Messages put into the module's read / write queues (put and putnext). */
  read: number;
  write: number;
  /** Of those, how many the module queued for its service procedure (putq). */
  queued: number;
}

export class ModuleCounter {
  private readonly rows = new Map<string, ModuleCountRow>();

  row(host: string, module: string): ModuleCountRow {
    const key = `${host}\u0000${module}`;
    let r = this.rows.get(key);
    if (r === undefined) {
      r = { host, module, read: 0, write: 0, queued: 0 };
      this.rows.set(key, r);
    }
    return r;
  }

  /** Count the puts of one host's STREAMS env. */
  watch(host: string, env: StreamsEnv): void {
    env.trace.on('put', (e) => {
      const r = this.row(host, e.q.name);
      if (e.via === 'putq') r.queued++;
      else if (e.q.isRead) r.read++;
      else r.write++;
    });
  }

  /** Rows sorted by host, then module. */
  table(): ModuleCountRow[] {
    return [...this.rows.values()].sort((a, b) => a.host.localeCompare(b.host) || a.module.localeCompare(b.module));
  }
}

/** Copy module pushes and pops of one host into the run's trace. */
export function tracePlumbing(host: string, env: StreamsEnv, trace: TraceSink): void {
  if (!trace.enabled) return;
  env.trace.on('push', (e) => trace.emit({ ev: 'streams.push', host, stream: e.stream.label, module: e.module, index: e.index }));
  env.trace.on('pop', (e) => trace.emit({ ev: 'streams.pop', host, stream: e.stream.label, module: e.module, index: e.index }));
}
