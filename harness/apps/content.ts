/**
 * The document tree that the default scenario's web servers serve. Every byte is generated
 * deterministically from the path, so `handoff content PATH` prints exactly what any server
 * sends and a real client's download can be checked byte for byte.
 *
 * Text documents are built from a fixed vocabulary; binary ones are a xoshiro128** stream
 * seeded with "content:" + path (lib/sim/rng.ts), written little-endian, 4 bytes per draw.
 * Sizes: small (< 1 KB), medium (about 100 KB), large (10 MiB).
 */
import { SeededRng } from '../../lib/sim/rng.ts';

export type ContentKind = 'html' | 'text' | 'css' | 'binary';

export interface DocumentSpec {
  path: string;
  kind: ContentKind;
  size: number;
  contentType: string;
}

const KIB = 1024;
const MIB = 1024 * 1024;

const specs: DocumentSpec[] = [
  { path: '/index.html', kind: 'html', size: 0, contentType: 'text/html; charset=utf-8' },
  { path: '/about.txt', kind: 'text', size: 600, contentType: 'text/plain; charset=utf-8' },
  { path: '/static/style.css', kind: 'css', size: 400, contentType: 'text/css; charset=utf-8' },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({
    path: `/docs/page-${n}.html`,
    kind: 'html' as const,
    size: n * 2 * KIB,
    contentType: 'text/html; charset=utf-8',
  })),
  ...[1, 2, 3, 4].map((n) => ({
    path: `/img/photo-${n}.jpg`,
    kind: 'binary' as const,
    size: 100 * KIB + n * 1000,
    contentType: 'application/octet-stream',
  })),
  { path: '/data/1k.bin', kind: 'binary', size: KIB, contentType: 'application/octet-stream' },
  { path: '/data/1m.bin', kind: 'binary', size: MIB, contentType: 'application/octet-stream' },
  { path: '/video/clip.bin', kind: 'binary', size: 10 * MIB, contentType: 'application/octet-stream' },
];

const WORDS = (
  'stream queue module driver handoff segment window socket kernel packet header checksum ' +
  'sequence acknowledgment front back end cluster request response server client channel'
).split(' ');

/** The documents, in a fixed order. */
export function listDocuments(): readonly DocumentSpec[] {
  return specs.map((s) => (s.path === '/index.html' ? { ...s, size: indexHtml().length } : s));
}

const cache = new Map<string, Uint8Array>();

/** The bytes of a document, or undefined when the tree has no such path. */
export function documentBytes(path: string): Uint8Array | undefined {
  const hit = cache.get(path);
  if (hit) return hit;
  const spec = specs.find((s) => s.path === path);
  if (!spec) return undefined;
  const bytes = generate(spec);
  cache.set(path, bytes);
  return bytes;
}

export function documentSpec(path: string): DocumentSpec | undefined {
  return listDocuments().find((s) => s.path === path);
}

function generate(spec: DocumentSpec): Uint8Array {
  switch (spec.kind) {
    case 'binary':
      return binary(spec.path, spec.size);
    case 'html':
      return spec.path === '/index.html' ? indexHtml() : textDoc(spec.path, spec.size, 'html');
    case 'text':
      return textDoc(spec.path, spec.size, 'text');
    case 'css':
      return textDoc(spec.path, spec.size, 'css');
  }
}

function binary(path: string, size: number): Uint8Array {
  const rng = new SeededRng(`content:${path}`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let i = 0;
  for (; i + 4 <= size; i += 4) view.setUint32(i, rng.u32(), true);
  if (i < size) {
    const last = rng.u32();
    for (let k = 0; i < size; i++, k++) out[i] = (last >>> (8 * k)) & 0xff;
  }
  return out;
}

/** Text of exactly `size` bytes: a header line, then words from a seeded stream, wrapped at 72. */
function textDoc(path: string, size: number, style: 'html' | 'text' | 'css'): Uint8Array {
  const rng = new SeededRng(`content:${path}`);
  const [open, close] =
    style === 'html'
      ? [`<!doctype html>\n<title>${path}</title>\n<p>\n`, '\n</p>\n']
      : style === 'css'
        ? [`/* ${path} */\nbody {\n  /*\n`, '\n  */\n}\n']
        : [`${path}\n\n`, '\n'];
  const bodyLen = size - open.length - close.length;
  let body = '';
  let line = '';
  while (body.length + line.length < bodyLen) {
    const w = WORDS[rng.u32() % WORDS.length]!;
    if (line.length + w.length + 1 > 72) {
      body += line + '\n';
      line = '';
    }
    line += (line ? ' ' : '') + w;
  }
  body = (body + line).slice(0, bodyLen);
  return new TextEncoder().encode(open + body + close);
}

function indexHtml(): Uint8Array {
  const links = specs
    .filter((s) => s.path !== '/index.html')
    .map((s) => `<li><a href="${s.path}">${s.path}</a> (${s.size} bytes)</li>`)
    .join('\n');
  return new TextEncoder().encode(
    `<!doctype html>\n<title>streams-handoff</title>\n<h1>streams-handoff document tree</h1>\n<ul>\n${links}\n</ul>\n`,
  );
}
