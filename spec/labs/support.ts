/**
 * What the lab specs share: reading a run's captures the way the lab texts tell students to
 * (our own pcap reader always, tshark when it is installed), and running a lab scenario
 * through `handoff run` itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRunCommand } from '../../harness/cli/run.ts';
import type { RunSummary } from '../../harness/scenario/summary.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { parsePcap, type PcapRecord } from '../../lib/wire/pcap.ts';
import { capture, runCommand } from '../cli/support.ts';
import { haveTool } from '../support/tools.ts';

export const LABS = join(import.meta.dirname, '..', '..', 'docs', 'labs');

export function tempOut(tag: string): string {
  return join(mkdtempSync(join(tmpdir(), `lab-${tag}-`)), 'out');
}

/** `handoff run FILE --out DIR ARGS...`; throws with its stderr unless it exits 0. */
export async function handoffRun(file: string, outDir: string, args: string[] = []): Promise<RunSummary> {
  const io = capture();
  const r = await runCommand(makeRunCommand(io), [file, '--out', outDir, ...args], io);
  if (r.code !== 0) throw new Error(`handoff run ${file} exited ${r.code}: ${r.err}`);
  return JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
}

export interface Seg {
  t: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: number;
  seq: number;
  ack: number;
  window: number;
  options: Uint8Array;
  payload: Uint8Array;
}

function ip(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** The TCP segments of a capture (raw IPv4 link type), parsed just enough for the labs. */
export function segments(pcapPath: string): Seg[] {
  const f = parsePcap(new Uint8Array(readFileSync(pcapPath)));
  if (!f.ok) throw new Error(`${pcapPath}: unreadable capture`);
  const out: Seg[] = [];
  for (const r of f.value.records as PcapRecord[]) {
    const b = r.data;
    if (b[9] !== 6) continue;
    const ihl = (b[0]! & 0x0f) * 4;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const thl = (b[ihl + 12]! >> 4) * 4;
    const total = dv.getUint16(2);
    out.push({
      t: r.time,
      src: ip(b, 12),
      dst: ip(b, 16),
      sport: dv.getUint16(ihl),
      dport: dv.getUint16(ihl + 2),
      flags: b[ihl + 13]!,
      seq: dv.getUint32(ihl + 4),
      ack: dv.getUint32(ihl + 8),
      window: dv.getUint16(ihl + 14),
      options: b.subarray(ihl + 20, ihl + thl),
      payload: b.subarray(ihl + thl, total),
    });
  }
  return out;
}

export const SYN = 0x02;
export const RST = 0x04;
export const ACK = 0x10;
export const FIN = 0x01;

/** How many frames tshark shows for a display filter, or null without tshark. */
export function tsharkCount(pcapPath: string, filter: string): number | null {
  if (!haveTool('tshark')) return null;
  const text = execFileSync('tshark', ['-r', pcapPath, '-Y', filter], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/** The timestamps option of a segment, or null. */
export function timestamps(s: Seg): { val: number; ecr: number } | null {
  const o = s.options;
  for (let i = 0; i < o.length; ) {
    const kind = o[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = o[i + 1] ?? 0;
    if (len < 2) break;
    if (kind === 8 && len === 10) {
      const v = new DataView(o.buffer, o.byteOffset + i);
      return { val: v.getUint32(2), ecr: v.getUint32(6) };
    }
    i += len;
  }
  return null;
}

/** The SACK blocks of a segment ([left, right] edges, raw), or [] when it carries none. */
export function sackBlocks(s: Seg): [number, number][] {
  const o = s.options;
  const out: [number, number][] = [];
  for (let i = 0; i < o.length; ) {
    const kind = o[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = o[i + 1] ?? 0;
    if (len < 2) break;
    if (kind === 5) {
      const v = new DataView(o.buffer, o.byteOffset + i);
      for (let k = 2; k + 8 <= len; k += 8) out.push([v.getUint32(k), v.getUint32(k + 4)]);
    }
    i += len;
  }
  return out;
}

/** Frames of a capture whose IP or TCP checksum does not verify. */
export function badChecksums(pcapPath: string): number {
  const f = parsePcap(new Uint8Array(readFileSync(pcapPath)));
  if (!f.ok) throw new Error(`${pcapPath}: unreadable capture`);
  return f.value.records.filter((r) => r.data[9] === 6 && !parseIpv4Tcp(r.data).ok).length;
}
