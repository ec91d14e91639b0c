/**
 * A run's output directory, written atomically: everything goes into a hidden temporary
 * directory beside the target, which replaces the target only when the run has finished. A run
 * that fails, or is interrupted, removes its temporary directory and leaves any earlier output
 * untouched, so nothing half-written is ever left where a reader looks.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Appends lines to a file in large writes (the trace can have millions of lines). */
export class LineWriter {
  private fd: number | null;
  private buf: string[] = [];
  private size = 0;
  lines = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.buf.length === 0) return;
    writeSync(this.fd, `${this.buf.join('\n')}\n`);
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class OutputDir {
  /** The directory the files go to until commit(). */
  readonly tmp: string;
  readonly target: string;
  private readonly writers: LineWriter[] = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';
  readonly files: string[] = [];

  constructor(target: string) {
    this.target = resolve(target);
    if (existsSync(this.target) && !statSync(this.target).isDirectory()) throw new Error(`${target} exists and is not a directory`);
    const parent = dirname(this.target);
    mkdirSync(parent, { recursive: true });
    this.tmp = join(parent, `.${basename(this.target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
    mkdirSync(this.tmp);
  }

  path(name: string): string {
    return join(this.tmp, name);
  }

  write(name: string, data: string | Uint8Array): void {
    writeFileSync(this.path(name), data);
    this.files.push(name);
  }

  lineWriter(name: string): LineWriter {
    const w = new LineWriter(this.path(name));
    this.writers.push(w);
    this.files.push(name);
    return w;
  }

  /** Replace the target with what was written. */
  commit(): void {
    if (this.state !== 'open') return;
    for (const w of this.writers) w.close();
    let old: string | null = null;
    if (existsSync(this.target)) {
      old = `${this.tmp}.old`;
      renameSync(this.target, old);
    }
    renameSync(this.tmp, this.target);
    if (old !== null) rmSync(old, { recursive: true, force: true });
    this.state = 'committed';
  }

  /** Throw away what was written; the target is left as it was. */
  abort(): void {
    if (this.state !== 'open') return;
    for (const w of this.writers) {
      try {
        w.close();
      } catch {
        // Closing a file we are about to delete may fail harmlessly.
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
    this.state = 'aborted';
  }
}
