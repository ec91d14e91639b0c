/**
 * The progress line of long runs: one line on stderr rewritten in place on a terminal, at most
 * ten times a second; nothing at all when stderr is not a terminal (pipes, CI, specs), so logs
 * never fill with carriage returns.
 *
 *   [#######.............]  35%  virtual 7.012s / 20s  1,204,332 events  requests 120/400  3.1s
 */
import type { Progress } from '../scenario/run.ts';
import { formatDuration } from '../scenario/units.ts';

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressLine {
  update(p: Progress): void;
  /** Clear the line (before the summary is printed). */
  done(): void;
}

const WIDTH = 20;

export function formatProgress(p: Progress): string {
  const byTime = p.until > 0 ? p.now / p.until : 0;
  const byReq = p.requests !== null && p.requests.total > 0 ? p.requests.done / p.requests.total : 0;
  const frac = Math.min(1, Math.max(byTime, byReq));
  const fill = Math.round(frac * WIDTH);
  const parts = [
    `[${'#'.repeat(fill)}${'.'.repeat(WIDTH - fill)}]`,
    `${String(Math.floor(frac * 100)).padStart(3)}%`,
    `virtual ${formatDuration(p.now)} / ${formatDuration(p.until)}`,
    `${p.events.toLocaleString('en-US')} events`,
  ];
  if (p.requests !== null) parts.push(`requests ${p.requests.done}/${p.requests.total}`);
  parts.push(`${(p.wallMs / 1000).toFixed(1)}s`);
  return parts.join('  ');
}

export function progressLine(sink: ProgressSink, now: () => number = Date.now): ProgressLine {
  if (!sink.isTTY) return { update() {}, done() {} };
  let last = -Infinity;
  let shown = false;
  return {
    update(p) {
      const t = now();
      if (t - last < 100) return;
      last = t;
      const text = formatProgress(p).slice(0, Math.max(20, (sink.columns ?? 100) - 1));
      sink.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) sink.write('\r\x1b[2K');
      shown = false;
    },
  };
}
