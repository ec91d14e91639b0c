/**
 * Print the handoff control-channel messages carried in captures: every TCP flow to or from
 * the control port is put back in order per direction (retransmitted bytes skipped, early
 * segments held) and cut into frames by the project's own decoder.
 *
 *   npx tsx docs/labs/tools/control-frames.ts out/fe.eth1.pcap [more.pcap...] [--port 7070] [--json]
 *
 * One line per frame: virtual time (s), sender > receiver, type, and the fields that matter
 * (--json prints the whole message). Wireshark shows the same bytes as TCP payload only.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FrameDecoder } from '../../../modules/control/decode.ts';
import type { ControlMessage } from '../../../modules/control/frame.ts';
import { controlMessageToJson } from '../../../modules/control/json.ts';
import { parsePcap } from '../../../lib/wire/pcap.ts';

export interface ControlLine {
  /** Virtual time in ns at which the capture saw the segment that completed the frame. */
  t: number;
  from: string;
  to: string;
  id: number;
  reply: boolean;
  msg: ControlMessage;
}

interface Dir {
  next: number | null;
  held: Map<number, Uint8Array>;
  dec: FrameDecoder;
}

function ip(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** The control messages in one capture, in the order their last byte was captured. */
export function controlFrames(pcap: Uint8Array, port = 7070): ControlLine[] {
  const f = parsePcap(pcap);
  if (!f.ok) throw new Error('not a capture this tool can read');
  const dirs = new Map<string, Dir>();
  const out: ControlLine[] = [];
  for (const r of f.value.records) {
    const b = r.data;
    if (b.length < 40 || b[9] !== 6) continue;
    const ihl = (b[0]! & 0x0f) * 4;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const sport = v.getUint16(ihl);
    const dport = v.getUint16(ihl + 2);
    if (sport !== port && dport !== port) continue;
    const from = `${ip(b, 12)}:${sport}`;
    const to = `${ip(b, 16)}:${dport}`;
    const seq = v.getUint32(ihl + 4);
    const flags = b[ihl + 13]!;
    const payload = b.subarray(ihl + (b[ihl + 12]! >> 4) * 4, v.getUint16(2));
    const key = `${from}>${to}`;
    let d = dirs.get(key);
    if (d === undefined || (flags & 0x02) !== 0) {
      // A SYN starts the direction afresh (a reconnect reuses no state).
      d = { next: (flags & 0x02) !== 0 ? (seq + 1) >>> 0 : seq, held: new Map(), dec: new FrameDecoder() };
      dirs.set(key, d);
    }
    if (payload.length === 0) continue;
    d.held.set(seq, payload);
    for (let chunk = d.held.get(d.next!); chunk !== undefined; chunk = d.held.get(d.next!)) {
      d.held.delete(d.next!);
      for (const res of d.dec.push(chunk)) {
        if (res.ok) out.push({ t: r.time, from, to, id: res.frame.header.id, reply: (res.frame.header.flags & 1) !== 0, msg: res.frame.msg });
      }
      d.next = (d.next! + chunk.length) >>> 0;
    }
    // Bytes already delivered (a retransmission) are dropped; later ones wait in `held`.
    for (const s of [...d.held.keys()]) if (((s - d.next!) | 0) < 0) d.held.delete(s);
  }
  return out;
}

const brief: Record<string, (m: Record<string, unknown>) => string> = {
  HELLO: (m) => `node ${m.nodeId}`,
  HEARTBEAT: (m) => `node ${m.nodeId} active ${m.activeConns} queue ${m.queueDepth}${m.draining ? ' draining' : ''}`,
  HANDOFF_REQ: (m) =>
    `conn ${m.connId} client ${ep(m.client)} -> ${ep(m.target)} clientIsn ${m.clientIsn} feIsn ${m.feIsn} feTsNow ${m.feTsNow} + SYN, ACK, ${(m.data as unknown[]).length} request segment(s)`,
  HANDOFF_ACK: (m) => `conn ${m.connId} beIsn ${m.beIsn} beTsVal ${(m.beOpts as { tsVal?: number }).tsVal ?? '-'}`,
  HANDOFF_NAK: (m) => `conn ${m.connId} reason ${m.reason}`,
  TERMINATE: (m) => `conn ${m.connId} reason ${m.reason}`,
};

function ep(e: unknown): string {
  const x = e as { addr: number; port: number };
  return `${x.addr >>> 24}.${(x.addr >>> 16) & 255}.${(x.addr >>> 8) & 255}.${x.addr & 255}:${x.port}`;
}

export function formatControlLine(l: ControlLine, json = false): string {
  const m = controlMessageToJson(l.msg);
  const type = String(m.type);
  const rest = json ? JSON.stringify(m) : (brief[type]?.(m) ?? '');
  return `${(l.t / 1e9).toFixed(6)} ${l.from} > ${l.to} ${type}${l.reply ? ' (reply)' : ''} id ${l.id}  ${rest}`;
}

function main(argv: string[]): void {
  let port = 7070;
  let json = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i] === '--json') json = true;
    else files.push(argv[i]!);
  }
  if (files.length === 0) throw new Error('usage: control-frames.ts FILE.pcap... [--port 7070] [--json]');
  for (const f of files) {
    if (files.length > 1) console.log(`== ${f}`);
    for (const l of controlFrames(new Uint8Array(readFileSync(f)), port)) console.log(formatControlLine(l, json));
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
