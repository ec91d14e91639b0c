/** Running a cluster world from async specs (Node's http runs in it), and reading responses. */
import type { World } from '../../../harness/world/world.ts';
import { MS, type Time } from '../../../lib/sim/time.ts';
import type { RawClient } from './raw-client.ts';

export async function run(w: World, d: Time): Promise<void> {
  await w.runAsync({ until: w.now() + d });
}

/** Run for `d`, the raw client acknowledging what arrived every `every`. */
export async function pump(w: World, c: RawClient, d: Time, every: Time = 5 * MS): Promise<void> {
  const end = w.now() + d;
  while (w.now() < end) {
    const before = c.rcvNxt;
    await run(w, Math.min(every, end - w.now()));
    if (c.rcvNxt !== before) c.ack();
  }
}

export interface Response {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The HTTP/1.1 responses in a byte stream (Content-Length framing only, as the web server sends). */
export function responses(stream: number[]): Response[] {
  const b = new Uint8Array(stream);
  const out: Response[] = [];
  let at = 0;
  const text = new TextDecoder('latin1');
  while (at < b.length) {
    let end = -1;
    for (let i = at; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) { end = i; break; }
    if (end < 0) break;
    const lines = text.decode(b.subarray(at, end)).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    const bodyAt = end + 4;
    if (bodyAt + len > b.length) break;
    out.push({ status, headers, body: b.slice(bodyAt, bodyAt + len) });
    at = bodyAt + len;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
