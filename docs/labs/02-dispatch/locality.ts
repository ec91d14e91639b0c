/**
 * Lab 2 helper: from a run's output directory, which back end got which URLs. It reads the
 * front end's captures for HANDOFF_REQ messages (each carries the client's request segments,
 * so the request line is in it) and summary.json for the names of the back ends.
 *
 *   npx tsx docs/labs/02-dispatch/locality.ts OUTDIR [OUTDIR...]
 *
 * Per back end: connections handed to it, distinct URLs among them (its working set: what its
 * cache would have to hold). Overall: how many URLs were served by more than one back end
 * (each such URL is cached more than once), and the mean number of back ends per URL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunSummary } from '../../../harness/scenario/summary.ts';
import { controlFrames } from '../tools/control-frames.ts';

export interface Locality {
  /** Back end -> URL -> connections. */
  perBackEnd: Map<string, Map<string, number>>;
  handoffs: number;
  urls: number;
  /** URLs that went to more than one back end. */
  spread: number;
  /** Mean number of back ends per URL (1 = perfect locality). */
  backEndsPerUrl: number;
}

function addrName(sum: RunSummary): Map<string, string> {
  const m = new Map<string, string>();
  for (const h of sum.hosts) for (const a of h.addresses) m.set(a.address.split('/')[0]!, h.name);
  return m;
}

/** The request line's path in a recorded client packet (whole IPv4 packet). */
function pathOf(pkt: Uint8Array): string | null {
  const ihl = (pkt[0]! & 0x0f) * 4;
  const thl = (pkt[ihl + 12]! >> 4) * 4;
  const text = new TextDecoder('latin1').decode(pkt.subarray(ihl + thl, ihl + thl + 256));
  const m = /^[A-Z]+ (\S+) HTTP\//.exec(text);
  return m === null ? null : m[1]!;
}

export function locality(outDir: string): Locality {
  const sum = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
  const fe = sum.hosts.find((h) => h.role === 'front-end')?.name ?? 'fe';
  const names = addrName(sum);
  const perBackEnd = new Map<string, Map<string, number>>();
  let handoffs = 0;
  for (const f of readdirSync(outDir).filter((n) => n.startsWith(`${fe}.`) && n.endsWith('.pcap'))) {
    for (const l of controlFrames(new Uint8Array(readFileSync(join(outDir, f))))) {
      if (l.msg.type !== 'HANDOFF_REQ') continue;
      const t = l.msg.target.addr;
      const be = names.get(`${t >>> 24}.${(t >>> 16) & 255}.${(t >>> 8) & 255}.${t & 255}`) ?? String(t);
      const path = l.msg.data.length > 0 ? pathOf(l.msg.data[0]!) : null;
      if (path === null) continue;
      handoffs++;
      const urls = perBackEnd.get(be) ?? new Map<string, number>();
      urls.set(path, (urls.get(path) ?? 0) + 1);
      perBackEnd.set(be, urls);
    }
  }
  const byUrl = new Map<string, number>();
  for (const urls of perBackEnd.values()) for (const u of urls.keys()) byUrl.set(u, (byUrl.get(u) ?? 0) + 1);
  const total = [...byUrl.values()].reduce((a, b) => a + b, 0);
  return {
    perBackEnd: new Map([...perBackEnd.entries()].sort(([a], [b]) => a.localeCompare(b))),
    handoffs,
    urls: byUrl.size,
    spread: [...byUrl.values()].filter((n) => n > 1).length,
    backEndsPerUrl: byUrl.size === 0 ? 0 : total / byUrl.size,
  };
}

function main(dirs: string[]): void {
  if (dirs.length === 0) throw new Error('usage: locality.ts OUTDIR [OUTDIR...]');
  for (const d of dirs) {
    const sum = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as RunSummary;
    const l = locality(d);
    console.log(`${d}: ${sum.scenario}`);
    for (const [be, urls] of l.perBackEnd) {
      const n = [...urls.values()].reduce((a, b) => a + b, 0);
      console.log(`  ${be.padEnd(5)} ${String(n).padStart(4)} connections  ${String(urls.size).padStart(3)} distinct URLs`);
    }
    console.log(`  ${l.handoffs} handoffs, ${l.urls} URLs; ${l.spread} URLs on more than one back end; ${l.backEndsPerUrl.toFixed(2)} back ends per URL`);
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
