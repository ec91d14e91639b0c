/**
 * Loading a page in Debian's headless Chromium and reporting what a person would notice: the
 * console errors, uncaught exceptions and failed loads, and the answer to one expression
 * evaluated in the page once it has loaded. Chromium is driven through the DevTools protocol
 * over a pipe (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), so no
 * npm package and no network port is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

export interface PageCheck<T> {
  /** Console errors, exceptions and error log entries, as text. */
  errors: string[];
  /** What `expression` evaluated to (by value). */
  value: T;
}

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

class Cdp {
  private nextId = 1;
  private buf = '';
  private readonly waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly events: CdpMessage[] = [];
  private eventWaiters: { method: string; resolve: () => void }[] = [];

  constructor(
    private readonly out: Writable,
    inp: Readable,
  ) {
    inp.setEncoding('utf8');
    inp.on('data', (chunk: string) => {
      this.buf += chunk;
      let nul: number;
      while ((nul = this.buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, nul)) as CdpMessage;
        this.buf = this.buf.slice(nul + 1);
        this.dispatch(msg);
      }
    });
  }

  private dispatch(msg: CdpMessage): void {
    if (msg.id !== undefined) {
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.error) w?.reject(new Error(msg.error.message));
      else w?.resolve(msg.result ?? {});
      return;
    }
    this.events.push(msg);
    this.eventWaiters = this.eventWaiters.filter((w) => (w.method === msg.method ? (w.resolve(), false) : true));
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  event(method: string): Promise<void> {
    if (this.events.some((e) => e.method === method)) return Promise.resolve();
    return new Promise((resolve) => this.eventWaiters.push({ method, resolve }));
  }
}

function describeArgs(args: unknown): string {
  return ((args as { value?: unknown; description?: string }[]) ?? []).map((a) => String(a.value ?? a.description ?? '')).join(' ');
}

/** Load `file` in headless Chromium, wait for the load event, evaluate `expression`. */
export async function checkPage<T>(file: string, expression: string): Promise<PageCheck<T>> {
  const profile = mkdtempSync(join(tmpdir(), 'handoff-chromium-'));
  const child: ChildProcess = spawn(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'],
    // Its own process group, so that the helper processes it forks go with it at the end.
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true },
  );
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exited = gone.then((): never => {
    throw new Error(`chromium exited (${child.exitCode}) before the check finished`);
  });
  exited.catch(() => {});
  try {
    const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
    const work = (async () => {
      const { targetId } = (await cdp.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
      const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      await Promise.all([cdp.send('Runtime.enable', {}, sessionId), cdp.send('Log.enable', {}, sessionId), cdp.send('Page.enable', {}, sessionId)]);
      const loaded = cdp.event('Page.loadEventFired');
      await cdp.send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
      await loaded;
      const r = (await cdp.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: T }; exceptionDetails?: { text: string } };
      if (r.exceptionDetails) throw new Error(`the check expression threw: ${r.exceptionDetails.text}`);
      const errors: string[] = [];
      for (const e of cdp.events) {
        const p = e.params ?? {};
        if (e.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) errors.push(`console.${String(p.type)}: ${describeArgs(p.args)}`);
        if (e.method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify((p.exceptionDetails as { exception?: { description?: string } })?.exception?.description ?? p)}`);
        if (e.method === 'Log.entryAdded' && (p.entry as { level?: string })?.level === 'error') errors.push(`log: ${(p.entry as { text?: string }).text ?? ''}`);
      }
      await cdp.send('Browser.close').catch(() => {});
      return { errors, value: r.result.value };
    })();
    return await Promise.race([work, exited]);
  } finally {
    // Chromium writes its profile until it is gone, and its helper processes (crashpad, the
    // renderer) can outlive the browser process: end the whole group, then remove the profile.
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await gone;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}
