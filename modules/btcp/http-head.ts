/**
 * The HTTP/1.x request head as the front end's BTCP sees it: bytes below TCP, arriving in
 * segments, possibly never completing. HeadParser reads one head incrementally and bounded
 * (RFC 9112 §2-§7) and says incomplete / complete / bad request / too large; RequestBoundaries
 * follows a keep-alive connection's byte stream and finds where each pipelined request (head
 * and body, Content-Length or chunked) ends, so requests can be counted per connection.
 *
 * Strict where a front end must be (request smuggling): both Transfer-Encoding and
 * Content-Length, conflicting lengths, obsolete line folding, whitespace before a colon, bare
 * CR and a missing or repeated Host in HTTP/1.1 are all bad requests. Lenient where RFC 9112
 * allows: bare LF ends a line, empty lines before the request line are skipped.
 * Nothing here throws on input.
 */

export interface HeadLimits {
  /** Bytes from the first byte of the request to the end of the empty line, inclusive. */
  maxHeadBytes: number;
  /** Header fields per head (and per chunked trailer section). */
  maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = { maxHeadBytes: 8192, maxHeaders: 100 };

export interface HeaderField {
  /** Lower-cased. */
  name: string;
  /** Leading and trailing whitespace removed; bytes above 0x7f kept as latin1 characters. */
  value: string;
}

export interface RequestHead {
  method: string;
  /** The request-target exactly as sent. */
  target: string;
  /** What dispatch keys on: the path and query of the target ('*' or the authority for those forms). */
  path: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and for a later 1.x, which RFC 9110 §2.5 says to treat as 1.1). */
  minor: 0 | 1;
  /** Lower-cased authority: from an absolute-form target, else the Host field; null if neither. */
  host: string | null;
  headers: HeaderField[];
  contentLength: number | null;
  chunked: boolean;
  /** The connection stays open after this request (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** Bytes of the head, leading empty lines included: the body starts at this offset. */
  headLength: number;
}

export type BadRequestReason =
  | 'bad-request-line'
  | 'bad-method'
  | 'bad-target'
  | 'unsupported-version'
  /** A CR not followed by LF. */
  | 'bare-cr'
  | 'bad-header-name'
  | 'bad-header-value'
  | 'obsolete-line-folding'
  | 'missing-host'
  | 'duplicate-host'
  | 'bad-content-length'
  | 'bad-transfer-encoding'
  /** Both framing fields: the classic request-smuggling shape (RFC 9112 §6.3). */
  | 'te-and-content-length'
  | 'bad-chunk';

export type TooLargeLimit = 'head-bytes' | 'header-count';

export type HeadOutcome =
  | { kind: 'incomplete' }
  /** `consumed`: how many bytes of the last chunk belong to the head (the rest is body or more). */
  | { kind: 'complete'; head: RequestHead; consumed: number }
  /** `at`: offset from the request's first byte where the fault was seen. */
  | { kind: 'bad-request'; reason: BadRequestReason; detail: string; at: number }
  | { kind: 'too-large'; limit: TooLargeLimit; max: number };

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/** Bytes as latin1 characters (lines are bounded by maxHeadBytes, well within apply's limit). */
function latin1(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode.apply(null, b.subarray(from, to) as unknown as number[]);
}

function isToken(b: Uint8Array, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (!TCHAR[b[i]!]) return false;
  return true;
}

const INCOMPLETE: HeadOutcome = { kind: 'incomplete' };

type Bad = { kind: 'bad-request'; reason: BadRequestReason; detail: string; at: number };

function bad(reason: BadRequestReason, detail: string, at: number): Bad {
  return { kind: 'bad-request', reason, detail, at };
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/;

/** Splits a target into the path dispatch keys on and the authority it names, if any. */
function readTarget(method: string, target: string): { path: string; authority: string | null } | null {
  if (target.startsWith('/')) return { path: target, authority: null };
  if (target === '*') return method === 'OPTIONS' ? { path: '*', authority: null } : null;
  if (method === 'CONNECT') return /^[^/?#@\s]+:\d+$/.test(target) ? { path: target, authority: target } : null;
  const m = ABSOLUTE.exec(target);
  if (!m) return null;
  const authority = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  if (authority === '') return null;
  const rest = m[2]!;
  return { path: rest.startsWith('/') ? rest : `/${rest}`, authority };
}

/** Comma-separated list members, trimmed, empty ones dropped (RFC 9110 §5.6.1). */
function listMembers(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const m of v.split(',')) if (m.trim() !== '') out.push(m.trim());
  return out;
}

/**
 * One request head, fed in chunks. After a final outcome (anything but incomplete) push
 * returns that outcome again and consumes nothing; reset() makes the parser ready for the
 * next request on the connection.
 */
export class HeadParser {
  /** Grows on demand up to maxHeadBytes: most heads are a few hundred bytes. */
  private buf = new Uint8Array(0);
  private len = 0;
  private lineStart = 0;
  /** Offset of the request line's first byte (after skipped empty lines), or -1 before it. */
  private requestStart = -1;
  private method = '';
  private target = '';
  private minor: 0 | 1 = 1;
  private headers: HeaderField[] = [];
  private final: HeadOutcome | null = null;

  constructor(readonly limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
  }

  /** Bytes taken so far (at most maxHeadBytes). */
  get buffered(): number {
    return this.len;
  }

  reset(): void {
    this.len = 0;
    this.lineStart = 0;
    this.requestStart = -1;
    this.headers = [];
    this.final = null;
  }

  push(chunk: Uint8Array): HeadOutcome {
    if (this.final !== null) return this.final;
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(LF, pos);
      const end = lf < 0 ? chunk.length : lf + 1;
      const max = this.limits.maxHeadBytes;
      const room = max - this.len;
      if (end - pos > room) {
        // The head cannot fit, whatever comes next. Keep what fits to report an earlier fault.
        this.reserve(max);
        this.buf.set(chunk.subarray(pos, pos + room), this.len);
        this.len += room;
        return this.finish(this.earlyFault() ?? { kind: 'too-large', limit: 'head-bytes', max });
      }
      this.reserve(this.len + end - pos);
      this.buf.set(chunk.subarray(pos, end), this.len);
      this.len += end - pos;
      pos = end;
      if (lf < 0) break;
      const r = this.line(this.lineStart, this.len - 1);
      this.lineStart = this.len;
      if (r === null) continue;
      if (r.kind === 'complete') return this.finish({ ...r, consumed: pos });
      return this.finish(r);
    }
    const early = this.earlyFault();
    return early ? this.finish(early) : INCOMPLETE;
  }

  private reserve(size: number): void {
    if (size <= this.buf.length) return;
    const grown = new Uint8Array(Math.min(this.limits.maxHeadBytes, Math.max(size, 512, 2 * this.buf.length)));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }

  private finish(o: HeadOutcome): HeadOutcome {
    this.final = o;
    return o;
  }

  /**
   * A fault visible before its line ends, so that garbage (a TLS hello, a binary probe) is
   * refused at once instead of after maxHeadBytes: the first byte of a request must start a
   * method, and no line may hold a CR that is not its last byte.
   */
  private earlyFault(): Bad | null {
    const from = this.lineStart;
    if (this.requestStart < 0) {
      const first = this.buf[from];
      if (from < this.len && first !== CR && !TCHAR[first!]) return bad('bad-method', 'request does not start with a method', from);
    }
    const cr = this.buf.subarray(from, Math.max(from, this.len - 1)).indexOf(CR);
    return cr >= 0 ? bad('bare-cr', 'CR not followed by LF', from + cr) : null;
  }

  /** Handles the line buf[from..lf) (lf indexes its LF). Returns null to go on. */
  private line(from: number, lf: number): Bad | { kind: 'too-large'; limit: TooLargeLimit; max: number } | { kind: 'complete'; head: RequestHead } | null {
    let to = lf;
    if (to > from && this.buf[to - 1] === CR) to--;
    const cr = this.buf.subarray(from, to).indexOf(CR);
    if (cr >= 0) return bad('bare-cr', 'CR not followed by LF', from + cr);
    if (this.requestStart < 0) {
      if (to === from) return null; // RFC 9112 §2.2: empty lines before the request line are skipped
      this.requestStart = from;
      return this.requestLine(from, to);
    }
    if (to === from) return this.complete(lf + 1);
    return this.headerLine(from, to);
  }

  private requestLine(from: number, to: number): Bad | null {
    const b = this.buf;
    const sp1 = b.indexOf(SP, from);
    const sp2 = sp1 < 0 || sp1 >= to ? -1 : b.indexOf(SP, sp1 + 1);
    if (sp1 < 0 || sp1 >= to || sp2 < 0 || sp2 >= to || b.subarray(sp2 + 1, to).includes(SP)) {
      return bad('bad-request-line', 'expected METHOD SP target SP HTTP-version', from);
    }
    if (!isToken(b, from, sp1)) return bad('bad-method', 'method is not a token', from);
    for (let i = sp1 + 1; i < sp2; i++) {
      if (b[i]! <= SP || b[i]! >= 0x7f) return bad('bad-target', 'request-target has a control, space or non-ASCII byte', i);
    }
    if (sp2 === sp1 + 1) return bad('bad-target', 'empty request-target', sp2);
    const version = latin1(b, sp2 + 1, to);
    const v = /^HTTP\/1\.(\d)$/.exec(version);
    if (!v) return bad('unsupported-version', `version ${JSON.stringify(version.slice(0, 16))}`, sp2 + 1);
    this.method = latin1(b, from, sp1);
    this.target = latin1(b, sp1 + 1, sp2);
    this.minor = v[1] === '0' ? 0 : 1;
    return null;
  }

  private headerLine(from: number, to: number): Bad | { kind: 'too-large'; limit: TooLargeLimit; max: number } | null {
    const b = this.buf;
    if (b[from] === SP || b[from] === HTAB) return bad('obsolete-line-folding', 'header line starts with whitespace', from);
    const colon = b.subarray(from, to).indexOf(COLON);
    if (colon <= 0 || !isToken(b, from, from + colon)) {
      return bad('bad-header-name', 'header name is not a token followed by a colon', from);
    }
    let vs = from + colon + 1;
    let ve = to;
    while (vs < ve && (b[vs] === SP || b[vs] === HTAB)) vs++;
    while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === HTAB)) ve--;
    for (let i = vs; i < ve; i++) {
      const c = b[i]!;
      if ((c < SP && c !== HTAB) || c === 0x7f) return bad('bad-header-value', 'control character in a field value', i);
    }
    if (this.headers.length === this.limits.maxHeaders) {
      return { kind: 'too-large', limit: 'header-count', max: this.limits.maxHeaders };
    }
    this.headers.push({ name: latin1(b, from, from + colon).toLowerCase(), value: latin1(b, vs, ve) });
    return null;
  }

  /** The empty line arrived: check the fields that decide routing and framing. */
  private complete(headLength: number): Bad | { kind: 'complete'; head: RequestHead } {
    const at = this.requestStart;
    const values = (name: string) => this.headers.filter((h) => h.name === name).map((h) => h.value);
    const target = readTarget(this.method, this.target);
    if (target === null) return bad('bad-target', `request-target ${JSON.stringify(this.target.slice(0, 64))}`, at);

    const hosts = values('host');
    if (hosts.length > 1) return bad('duplicate-host', `${hosts.length} Host fields`, at);
    if (hosts.length === 0 && this.minor === 1) return bad('missing-host', 'HTTP/1.1 request without Host', at);
    const host = (target.authority ?? hosts[0] ?? null)?.toLowerCase() ?? null;

    const lengths = listMembers(values('content-length'));
    let contentLength: number | null = null;
    for (const l of lengths) {
      if (!/^\d{1,15}$/.test(l)) return bad('bad-content-length', `Content-Length ${JSON.stringify(l.slice(0, 20))}`, at);
      if (contentLength !== null && Number(l) !== contentLength) return bad('bad-content-length', 'conflicting Content-Length values', at);
      contentLength = Number(l);
    }

    const codings = listMembers(values('transfer-encoding')).map((c) => c.toLowerCase());
    let chunked = false;
    if (values('transfer-encoding').length > 0) {
      if (contentLength !== null) return bad('te-and-content-length', 'Transfer-Encoding with Content-Length', at);
      // RFC 9112 §6.1: HTTP/1.0 framing with Transfer-Encoding is faulty; §6.3: in a request,
      // chunked must be the final coding, and only once.
      if (this.minor === 0) return bad('bad-transfer-encoding', 'Transfer-Encoding in an HTTP/1.0 request', at);
      if (codings.at(-1) !== 'chunked' || codings.indexOf('chunked') !== codings.length - 1) {
        return bad('bad-transfer-encoding', `Transfer-Encoding ${JSON.stringify(codings.join(', ').slice(0, 64))}`, at);
      }
      chunked = true;
    }

    const connection = listMembers(values('connection')).map((c) => c.toLowerCase());
    const keepAlive = !connection.includes('close') && (this.minor === 1 || connection.includes('keep-alive'));

    return {
      kind: 'complete',
      head: {
        method: this.method,
        target: this.target,
        path: target.path,
        minor: this.minor,
        host,
        headers: this.headers,
        contentLength,
        chunked,
        keepAlive,
        headLength,
      },
    };
  }
}

/** What RequestBoundaries reports; offsets count bytes from the start of the connection. */
export type BoundaryEvent =
  /** A request head is complete; the request began at `start`. */
  | { kind: 'request'; head: RequestHead; start: number }
  /** The request that began at `start` (head and body) ends just before `end`. */
  | { kind: 'end'; start: number; end: number }
  | { kind: 'bad-request'; reason: BadRequestReason; detail: string; at: number }
  | { kind: 'too-large'; limit: TooLargeLimit; max: number; at: number };

export type BoundaryPhase =
  | 'head'
  | 'body'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-data-end'
  | 'trailer'
  /** The last request asked to close: later bytes are not requests (RFC 9112 §9.6). */
  | 'closed'
  | 'failed';

/** A chunk-size line (size, extensions) longer than this is refused. */
const MAX_CHUNK_LINE = 1024;
/** 13 hex digits: every size stays an exact JS integer. */
const MAX_CHUNK_DIGITS = 13;

/**
 * Follows one connection's client bytes, in order, through any number of pipelined requests.
 * Bounded: one head (HeadLimits), one chunk-size line, one trailer section at a time.
 * A fault ends the tracking ('failed'): framing after a bad request cannot be trusted.
 */
export class RequestBoundaries {
  private readonly head: HeadParser;
  private phase: BoundaryPhase = 'head';
  /** Stream offset of the next byte push will see. */
  private offset = 0;
  private start = 0;
  private remaining = 0;
  private keepAlive = true;
  private lineBytes = 0;
  private line = '';
  private trailerBytes = 0;
  private trailerFields = 0;
  private sawCr = false;
  /** Requests whose heads were complete / that ended. */
  readonly counts = { requests: 0, ended: 0 };

  constructor(limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
    this.head = new HeadParser(limits);
  }

  get state(): BoundaryPhase {
    return this.phase;
  }

  /** Bytes seen so far on the connection. */
  get position(): number {
    return this.offset;
  }

  push(bytes: Uint8Array): BoundaryEvent[] {
    const out: BoundaryEvent[] = [];
    let pos = 0;
    while (pos < bytes.length && this.phase !== 'failed' && this.phase !== 'closed') {
      const before = pos;
      pos = this.step(bytes, pos, out);
      this.offset += pos - before;
    }
    // Bytes after a close or a fault are not requests; they still count as seen.
    this.offset += bytes.length - pos;
    return out;
  }

  private step(bytes: Uint8Array, pos: number, out: BoundaryEvent[]): number {
    switch (this.phase) {
      case 'head':
        return this.onHead(bytes, pos, out);
      case 'body': {
        const n = Math.min(this.remaining, bytes.length - pos);
        this.remaining -= n;
        if (this.remaining === 0) this.ended(this.offset + n, out);
        return pos + n;
      }
      case 'chunk-data': {
        const n = Math.min(this.remaining, bytes.length - pos);
        this.remaining -= n;
        if (this.remaining === 0) this.phase = 'chunk-data-end';
        return pos + n;
      }
      default:
        this.onChunkByte(bytes[pos]!, out);
        return pos + 1;
    }
  }

  private onHead(bytes: Uint8Array, pos: number, out: BoundaryEvent[]): number {
    const r = this.head.push(bytes.subarray(pos));
    switch (r.kind) {
      case 'incomplete':
        return bytes.length;
      case 'bad-request':
        this.phase = 'failed';
        out.push({ ...r, at: this.start + r.at });
        return bytes.length;
      case 'too-large':
        this.phase = 'failed';
        out.push({ ...r, at: this.start });
        return bytes.length;
      case 'complete': {
        const { head } = r;
        this.counts.requests++;
        out.push({ kind: 'request', head, start: this.start });
        this.head.reset();
        this.keepAlive = head.keepAlive;
        const end = pos + r.consumed;
        if (head.chunked) this.beginChunkLine('chunk-size');
        else if ((head.contentLength ?? 0) > 0) {
          this.phase = 'body';
          this.remaining = head.contentLength!;
        } else this.ended(this.offset + r.consumed, out);
        return end;
      }
    }
  }

  private ended(end: number, out: BoundaryEvent[]): void {
    this.counts.ended++;
    out.push({ kind: 'end', start: this.start, end });
    this.start = end;
    this.phase = this.keepAlive ? 'head' : 'closed';
  }

  private beginChunkLine(phase: 'chunk-size' | 'trailer'): void {
    this.phase = phase;
    this.line = '';
    this.lineBytes = 0;
    this.sawCr = false;
  }

  private fail(out: BoundaryEvent[], event: BoundaryEvent): boolean {
    this.phase = 'failed';
    out.push(event);
    return true;
  }

  /** One byte of chunked framing (size lines, CRLF after data, trailer). */
  private onChunkByte(c: number, out: BoundaryEvent[]): boolean {
    const at = this.offset;
    if (this.phase === 'chunk-data-end') {
      if (c === CR && !this.sawCr) {
        this.sawCr = true;
        return true;
      }
      if (c !== LF) return this.fail(out, { kind: 'bad-request', reason: 'bad-chunk', detail: 'chunk data not followed by CRLF', at });
      this.beginChunkLine('chunk-size');
      return true;
    }
    if (c === CR) {
      if (this.sawCr) return this.fail(out, { kind: 'bad-request', reason: 'bare-cr', detail: 'CR not followed by LF', at });
      this.sawCr = true;
      return true;
    }
    if (c !== LF) {
      if (this.sawCr) return this.fail(out, { kind: 'bad-request', reason: 'bare-cr', detail: 'CR not followed by LF', at });
      this.lineBytes++;
      if (this.phase === 'chunk-size') {
        if (this.lineBytes > MAX_CHUNK_LINE) return this.fail(out, { kind: 'bad-request', reason: 'bad-chunk', detail: 'chunk-size line too long', at });
        this.line += String.fromCharCode(c);
      } else {
        this.trailerBytes++;
        if (this.trailerBytes > this.head.limits.maxHeadBytes) {
          return this.fail(out, { kind: 'too-large', limit: 'head-bytes', max: this.head.limits.maxHeadBytes, at });
        }
        if (this.lineBytes === 1) this.line = String.fromCharCode(c);
      }
      return true;
    }
    // End of a line.
    if (this.phase === 'chunk-size') return this.chunkSizeLine(at, out);
    if (this.lineBytes === 0) {
      this.ended(at + 1, out);
      return true;
    }
    if (this.line === ' ' || this.line === '\t') {
      return this.fail(out, { kind: 'bad-request', reason: 'obsolete-line-folding', detail: 'trailer line starts with whitespace', at });
    }
    if (++this.trailerFields > this.head.limits.maxHeaders) {
      return this.fail(out, { kind: 'too-large', limit: 'header-count', max: this.head.limits.maxHeaders, at });
    }
    this.beginChunkLine('trailer');
    return true;
  }

  private chunkSizeLine(at: number, out: BoundaryEvent[]): boolean {
    // RFC 9112 §7.1: chunk-size [ BWS ";" chunk-ext ]; the extensions are skipped.
    const m = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/s.exec(this.line);
    const digits = m?.[1] ?? '';
    if (digits === '' || digits.length > MAX_CHUNK_DIGITS) {
      return this.fail(out, { kind: 'bad-request', reason: 'bad-chunk', detail: `chunk-size line ${JSON.stringify(this.line.slice(0, 32))}`, at });
    }
    const size = parseInt(digits, 16);
    if (size === 0) {
      this.trailerBytes = 0;
      this.trailerFields = 0;
      this.beginChunkLine('trailer');
    } else {
      this.phase = 'chunk-data';
      this.remaining = size;
      this.sawCr = false;
    }
    return true;
  }
}
