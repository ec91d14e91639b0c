/**
 * The trace: a sink of typed events stamped with virtual time, written as JSON lines. Anything
 * may emit into it (the world: packet tx/rx/drop/fault; the STREAMS framework; the handoff
 * modules, through whatever hook they are given). Emitters test `enabled` before building an
 * event, so a run without a trace pays one property read per would-be event.
 *
 * Lines are deterministic: fields keep the order the emitter wrote them in, the timestamp is
 * virtual, and byte arrays are written as hex. The in-memory buffer is bounded; lines beyond
 * the bound are counted in `overflow`, never silently lost.
 */

export interface TraceEvent {
  /** Event kind, dotted: "pkt.tx", "pkt.drop", "link.fault", "streams.put", "handoff.req"... */
  ev: string;
  [field: string]: unknown;
}

export interface TraceSink {
  readonly enabled: boolean;
  emit(event: TraceEvent): void;
}

/** A sink that is always off. */
export const noTrace: TraceSink = {
  enabled: false,
  emit() {},
};

export interface JsonlTraceOptions {
  /** Most lines kept in memory (default 1 000 000); ignored when `write` is given. */
  maxLines?: number;
  /** Stream every line here instead of keeping it (the harness writes files). */
  write?: (line: string) => void;
  /** Keep only events this accepts. */
  filter?: (event: TraceEvent) => boolean;
}

export class JsonlTrace implements TraceSink {
  enabled = true;
  /** Lines that did not fit in memory. */
  overflow = 0;
  private readonly lines: string[] = [];
  private readonly maxLines: number;
  private readonly listeners: ((e: Readonly<TraceEvent>, t: number) => void)[] = [];

  constructor(
    private readonly clock: { now(): number },
    private readonly opts: JsonlTraceOptions = {},
  ) {
    this.maxLines = opts.maxLines ?? 1_000_000;
  }

  emit(event: TraceEvent): void {
    if (!this.enabled) return;
    if (this.opts.filter && !this.opts.filter(event)) return;
    const t = this.clock.now();
    for (const l of this.listeners) l(event, t);
    const line = JSON.stringify({ t, ...event }, replacer);
    if (this.opts.write) this.opts.write(line);
    else if (this.lines.length < this.maxLines) this.lines.push(line);
    else this.overflow++;
  }

  /** Also hand every accepted event to fn (views built live from the trace). */
  subscribe(fn: (event: Readonly<TraceEvent>, t: number) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Lines kept in memory. */
  get lineCount(): number {
    return this.lines.length;
  }

  /** The kept lines, one JSON object per line, newline-terminated. */
  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }

  /** The kept events, parsed back. */
  events(): (TraceEvent & { t: number })[] {
    return this.lines.map((l) => JSON.parse(l) as TraceEvent & { t: number });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
