/**
 * Lab 3 helper: every request of a run as the client saw it, from the client's capture:
 * when it was sent, the path, how long until the first response byte, which server answered
 * (the X-Served-By header), and whether the connection was reset.
 *
 *   npx tsx docs/labs/03-control-channel/timeline.ts OUTDIR [--client client1.eth0] [--from 0.5] [--to 6]
 *
 * Times are virtual seconds since the start of the run. Requests on a keep-alive connection
 * are listed one by one (same port).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePcap } from '../../../lib/wire/pcap.ts';

export interface RequestLine {
  /** When the request's first byte left the client (ns). */
  sent: number;
  port: number;
  path: string;
  /** Time to the first response byte (ns), or null if none came. */
  latency: number | null;
  servedBy: string | null;
  reset: boolean;
}

export function timeline(pcap: Uint8Array): RequestLine[] {
  const f = parsePcap(pcap);
  if (!f.ok) throw new Error('not a capture this tool can read');
  const all: RequestLine[] = [];
  /** Per client port: the request waiting for its first response byte, and the last one. */
  const open = new Map<number, { waiting: RequestLine | null; last: RequestLine }>();
  const text = new TextDecoder('latin1');
  for (const r of f.value.records) {
    const b = r.data;
    if (b.length < 40 || b[9] !== 6) continue;
    const ihl = (b[0]! & 0x0f) * 4;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const sport = v.getUint16(ihl);
    const dport = v.getUint16(ihl + 2);
    const flags = b[ihl + 13]!;
    const payload = b.subarray(ihl + (b[ihl + 12]! >> 4) * 4, v.getUint16(2));
    // The client's side of a connection is the port that is not 80.
    const outbound = dport === 80;
    const port = outbound ? sport : dport;
    const conn = open.get(port);
    if (outbound && payload.length > 0) {
      const m = /^[A-Z]+ (\S+) HTTP\//.exec(text.decode(payload.subarray(0, 256)));
      // A segment that starts a request line starts a request (retransmissions repeat the first one's).
      if (m !== null && !(conn?.waiting !== null && conn?.waiting !== undefined && conn.waiting.path === m[1] && r.time - conn.waiting.sent < 60e9)) {
        const line: RequestLine = { sent: r.time, port, path: m[1]!, latency: null, servedBy: null, reset: false };
        all.push(line);
        open.set(port, { waiting: line, last: line });
      }
      continue;
    }
    if (conn === undefined) continue;
    if ((flags & 0x04) !== 0) conn.last.reset = true;
    if (!outbound && payload.length > 0 && conn.waiting !== null) {
      const w = conn.waiting;
      w.latency = r.time - w.sent;
      const m = /\r\nX-Served-By: *([^\r\n]+)/i.exec(text.decode(payload.subarray(0, 1024)));
      w.servedBy = m?.[1] ?? null;
      conn.waiting = null;
    }
  }
  return all.sort((a, b) => a.sent - b.sent);
}

function main(argv: string[]): void {
  let dir: string | undefined;
  let client = 'client1.eth0';
  let from = 0;
  let to = Infinity;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--client') client = argv[++i]!;
    else if (argv[i] === '--from') from = Number(argv[++i]);
    else if (argv[i] === '--to') to = Number(argv[++i]);
    else dir = argv[i];
  }
  if (dir === undefined) throw new Error('usage: timeline.ts OUTDIR [--client client1.eth0] [--from S] [--to S]');
  for (const l of timeline(new Uint8Array(readFileSync(join(dir, `${client}.pcap`))))) {
    const t = l.sent / 1e9;
    if (t < from || t > to) continue;
    const lat = l.latency === null ? 'no answer' : `${(l.latency / 1e6).toFixed(1)} ms`;
    console.log(`${t.toFixed(3)}  port ${l.port}  ${l.path.padEnd(20)} ${lat.padStart(10)}  ${l.servedBy ?? '-'}${l.reset ? '  RESET' : ''}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
