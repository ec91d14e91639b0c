/**
 * packetdrill script parser: text -> Script AST (see ast.ts), following packetdrill's parser.y.
 * It never throws: a broken script yields `{ ok: false, error }` naming line and column.
 * Options (`--name=value`) come first; `--define=NAME=VALUE` and runner defines then replace
 * the word NAME wherever it appears (re-lexed, so a define may stand for a number).
 */
import type {
  BareCommand,
  EcnSpec,
  EventTime,
  Expr,
  IpInfo,
  Loc,
  Script,
  ScriptError,
  ScriptEvent,
  ScriptOption,
  SyscallEvent,
  TcpPacketSpec,
} from './ast.ts';
import { LexError, tokenize } from './lexer.ts';
import type { Token } from './lexer.ts';
import { parseTcpFlags } from './flags.ts';
import type { TcpOption } from '../../lib/wire/tcp-types.ts';
import { seq } from '../../lib/wire/seq.ts';

export type ParseResult = { ok: true; script: Script } | { ok: false; error: ScriptError };

export interface ParseOptions {
  /** Shown in errors and reports. */
  path?: string;
  /** Defines given by the runner (`-D NAME=VALUE`); they override the script's own. */
  defines?: Record<string, string>;
}

/** Words the lexer of packetdrill treats as keywords: a define never replaces them. */
const RESERVED = new Set(
  (
    'sa_family sin_port sin_addr msg_name msg_iov msg_flags msg_control cmsg_data cmsg_level cmsg_type ' +
    'ee_errno ee_origin ee_type ee_code ee_info ee_data scm_sec scm_nsec fd u32 u64 ptr events revents ' +
    'onoff linger htons ipv4 ipv6 icmp udp GREv0 gre raw sum off key seq none checksum present mpls label ' +
    'tc ttl inet_addr inet6_addr ack eol ecr mss mtu nop sack sackOK md5 TS FO FOEXP tos flowlabel flags ' +
    'Flags val win urg wscale ect01 ect0 ect1 noecn ce id mut trun ins ip tcp ihl source_port'
  ).split(' '),
);

const ENCAPSULATIONS: Record<string, string> = {
  udp: 'UDP packets',
  icmp: 'ICMP packets',
  ipv4: 'explicit IPv4 encapsulation headers',
  ipv6: 'explicit IPv6 encapsulation headers',
  gre: 'GRE encapsulation',
  GREv0: 'GRE encapsulation',
  mpls: 'MPLS encapsulation',
};

class ParseFailure extends Error {
  constructor(
    message: string,
    readonly loc: Loc,
  ) {
    super(message);
  }
}

const U32_MAX = 0xffffffff;

export function parseScript(source: string, opts: ParseOptions = {}): ParseResult {
  const path = opts.path ?? '<script>';
  try {
    const parser = new Parser(source, tokenize(source), opts.defines ?? {});
    const script = parser.parseScript(path);
    return { ok: true, script };
  } catch (err) {
    if (err instanceof ParseFailure || err instanceof LexError) {
      return { ok: false, error: { path, line: err.loc.line, col: err.loc.col, message: err.message } };
    }
    throw err;
  }
}

/** A `--define` / `-D` value: `NAME=VALUE`. */
export function splitDefine(text: string): [string, string] | null {
  const eq = text.indexOf('=');
  if (eq <= 0) return null;
  return [text.slice(0, eq), text.slice(eq + 1)];
}

class Parser {
  private pos = 0;
  private readonly lines: string[];

  constructor(
    private readonly src: string,
    private tokens: Token[],
    private readonly runnerDefines: Record<string, string>,
  ) {
    this.lines = src.split('\n');
  }

  parseScript(path: string): Script {
    const options = this.parseOptions();
    this.applyDefines(options);
    const script: Script = { path, options, events: [] };

    if (this.peek().kind === 'backquote') script.initCommand = this.bareCommand();
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      if (t.kind === 'backquote') {
        const cmd = this.bareCommand();
        if (this.peek().kind !== 'eof') {
          throw new ParseFailure('a command in the middle of a script needs an event time (e.g. +0 `...`)', cmd.loc);
        }
        script.cleanupCommand = cmd;
        break;
      }
      if (t.kind === 'option') throw new ParseFailure(`option --${t.text} must come before the first event`, t.loc);
      script.events.push(this.event());
    }
    return script;
  }

  // ---- options and defines -------------------------------------------------------------

  private parseOptions(): ScriptOption[] {
    const out: ScriptOption[] = [];
    while (this.peek().kind === 'option') {
      const t = this.next();
      let value: string | null = null;
      if (this.src[t.end] === '=') {
        const valueStart = t.end + 1;
        const valueEnd = this.optionValueEnd(valueStart);
        value = this.src.slice(valueStart, valueEnd);
        if (value.length === 0) throw new ParseFailure(`option --${t.text} has an empty value`, t.loc);
        while (this.peek().kind !== 'eof' && this.peek().start < valueEnd) this.pos++;
      }
      out.push({ name: t.text, value, loc: t.loc });
    }
    return out;
  }

  /** An option value runs to the next unquoted whitespace (values like FOO="a b" keep their quotes). */
  private optionValueEnd(from: number): number {
    let i = from;
    let quote: string | null = null;
    while (i < this.src.length) {
      const c = this.src[i]!;
      if (quote) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === '`') {
        quote = c;
      } else if (/\s/.test(c)) {
        break;
      }
      i++;
    }
    return i;
  }

  private applyDefines(options: ScriptOption[]): void {
    const defines = new Map<string, string>();
    for (const o of options) {
      if (o.name !== 'define') continue;
      const kv = o.value === null ? null : splitDefine(o.value);
      if (!kv) throw new ParseFailure('--define needs NAME=VALUE', o.loc);
      defines.set(kv[0], kv[1]);
    }
    for (const [k, v] of Object.entries(this.runnerDefines)) defines.set(k, v);
    if (defines.size === 0) return;

    const out: Token[] = this.tokens.slice(0, this.pos);
    for (const t of this.tokens.slice(this.pos)) {
      const value = t.kind === 'word' && !RESERVED.has(t.text) ? defines.get(t.text) : undefined;
      if (value === undefined) {
        out.push(t);
        continue;
      }
      if (value.length >= 2 && (value[0] === '"' || value[0] === '`') && value.endsWith(value[0])) {
        out.push({ ...t, kind: value[0] === '"' ? 'string' : 'backquote', text: value.slice(1, -1) });
        continue;
      }
      let sub: Token[];
      try {
        sub = tokenize(value).filter((x) => x.kind !== 'eof');
      } catch {
        throw new ParseFailure(`define ${t.text}=${value} does not form valid tokens`, t.loc);
      }
      // Substituted tokens take the location of the word they replace, so errors point there.
      for (const s of sub) out.push({ ...s, loc: t.loc, start: t.start, end: t.end });
    }
    this.tokens = out;
  }

  // ---- token helpers ---------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isPunct(c: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'punct' && t.text === c;
  }

  private isWord(w: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'word' && t.text === w;
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of script';
    if (t.kind === 'string') return `"${t.text}"`;
    if (t.kind === 'backquote') return '`' + t.text + '`';
    if (t.kind === 'option') return `--${t.text}`;
    return `'${this.src.slice(t.start, t.end) || t.text}'`;
  }

  private fail(expected: string, t: Token = this.peek()): never {
    throw new ParseFailure(`expected ${expected}, found ${this.describe(t)}`, t.loc);
  }

  private expectPunct(c: string, what = `'${c}'`): Token {
    if (!this.isPunct(c)) this.fail(what);
    return this.next();
  }

  private expectWord(w: string): Token {
    if (!this.isWord(w)) this.fail(`'${w}'`);
    return this.next();
  }

  private integer(what: string, min = 0, max = U32_MAX): number {
    const t = this.peek();
    if (t.kind !== 'int' && t.kind !== 'hex') this.fail(what);
    this.next();
    if (!Number.isSafeInteger(t.value) || t.value < min || t.value > max) {
      throw new ParseFailure(`${what} out of range (${min}..${max}): ${t.text}`, t.loc);
    }
    return t.value;
  }

  private lineText(line: number): string {
    return (this.lines[line - 1] ?? '').trim();
  }

  // ---- events ----------------------------------------------------------------------------

  private bareCommand(): BareCommand {
    const t = this.next();
    return { loc: t.loc, command: t.text };
  }

  private event(): ScriptEvent {
    const first = this.peek();
    const time = this.eventTime();
    const loc = first.loc;
    const text = this.lineText(loc.line);
    const t = this.peek();
    let ev: ScriptEvent;
    if (t.kind === 'punct' && (t.text === '<' || t.text === '>')) {
      ev = this.packetEvent(loc, time, text);
    } else if (t.kind === 'backquote') {
      this.next();
      ev = { kind: 'command', loc, time, text, command: t.text };
    } else if (t.kind === 'code') {
      this.next();
      ev = { kind: 'code', loc, time, text, code: t.text };
    } else if (t.kind === 'word' || t.kind === 'ellipsis') {
      ev = this.syscallEvent(loc, time, text);
    } else {
      this.fail('a packet (< or >), a system call, a `command` or a %{ code }% block after the event time');
    }
    this.checkTime(ev);
    return ev;
  }

  private checkTime(ev: ScriptEvent): void {
    const outbound = ev.kind === 'packet' && ev.packet.direction === 'outbound';
    if (ev.time.kind === 'any' && !outbound) {
      throw new ParseFailure('event time * can only be used with outbound packets', ev.loc);
    }
    if ((ev.time.kind === 'absolute-range' || ev.time.kind === 'relative-range') && !outbound) {
      throw new ParseFailure('an event time range can only be used with outbound packets', ev.loc);
    }
  }

  private eventTime(): EventTime {
    if (this.isPunct('*')) {
      this.next();
      return { kind: 'any' };
    }
    if (this.isPunct('+')) {
      this.next();
      const start = this.time();
      if (this.isPunct('~')) {
        const tilde = this.next();
        this.expectPunct('+', "'+' (a relative range is written +A~+B)");
        const end = this.time();
        if (end < start) throw new ParseFailure('time range is backwards', tilde.loc);
        return { kind: 'relative-range', usecs: start, endUsecs: end };
      }
      return { kind: 'relative', usecs: start };
    }
    const t = this.peek();
    if (t.kind !== 'int' && t.kind !== 'float') this.fail('an event time (e.g. 0.100, +0.1, 0.1~0.2 or *)');
    const start = this.time();
    if (this.isPunct('~')) {
      const tilde = this.next();
      const end = this.time();
      if (end < start) throw new ParseFailure('time range is backwards', tilde.loc);
      return { kind: 'absolute-range', usecs: start, endUsecs: end };
    }
    return { kind: 'absolute', usecs: start };
  }

  /** Seconds as written, returned in microseconds. */
  private time(): number {
    const t = this.peek();
    if (t.kind !== 'int' && t.kind !== 'float') this.fail('a time in seconds');
    this.next();
    if (t.value < 0) throw new ParseFailure('negative time', t.loc);
    return Math.round(t.value * 1e6);
  }

  // ---- packets ---------------------------------------------------------------------------

  private packetEvent(loc: Loc, time: EventTime, text: string): ScriptEvent {
    const dirTok = this.next();
    const direction = dirTok.text === '<' ? 'inbound' : 'outbound';
    const ip = this.ipInfo();

    const w = this.peek();
    if (w.kind === 'word' && ENCAPSULATIONS[w.text] !== undefined) {
      this.skipLine(dirTok.loc.line);
      return { kind: 'unsupported', loc, time, text, what: ENCAPSULATIONS[w.text]! };
    }

    let ports: { src: number; dst: number } | undefined;
    if (this.peek().kind === 'int' && this.isPunct('>', 1)) {
      const src = this.integer('source port', 0, 0xffff);
      this.next();
      const dst = this.integer('destination port', 0, 0xffff);
      ports = { src, dst };
    }

    const flagsTok = this.peek();
    let flags: string;
    if (flagsTok.kind === 'word') {
      this.next();
      flags = flagsTok.text;
      if (this.isPunct('.')) {
        this.next();
        flags += '.';
      }
    } else if (this.isPunct('.')) {
      this.next();
      flags = '.';
    } else if (this.isPunct('-')) {
      this.next();
      flags = '';
    } else {
      this.fail('TCP flags (S, S., ., P., F., R, R., -, with E and W for ECN)');
    }
    const parsed = parseTcpFlags(flags);
    if (!parsed.ok) throw new ParseFailure(parsed.message, flagsTok.loc);

    const seqTok = this.peek();
    const start = this.integer('a sequence range START:END(LENGTH)');
    this.expectPunct(':', "':' in START:END(LENGTH)");
    const end = this.integer('the end of START:END(LENGTH)');
    this.expectPunct('(', "'(' in START:END(LENGTH)");
    const len = this.integer('the payload length in START:END(LENGTH)', 0, 0xffff);
    this.expectPunct(')', "')' in START:END(LENGTH)");
    if (((start + len) >>> 0) !== end) {
      throw new ParseFailure(`inconsistent TCP sequence numbers and payload size: ${start}+${len} != ${end}`, seqTok.loc);
    }

    const pkt: TcpPacketSpec = { direction, ip, flags, flagBits: parsed.bits, seq: start, len, options: [] };
    if (ports) pkt.ports = ports;
    for (;;) {
      const k = this.peek();
      if (k.kind !== 'word') break;
      if (k.text === 'ack' && pkt.ack === undefined) {
        this.next();
        pkt.ack = this.integer('an acknowledgment number after ack');
      } else if (k.text === 'win' && pkt.win === undefined) {
        this.next();
        pkt.win = this.integer('a window after win', 0, 0xffff);
      } else if (k.text === 'urg' && pkt.urg === undefined) {
        this.next();
        pkt.urg = this.integer('an urgent pointer after urg', 0, 0xffff);
      } else {
        break;
      }
    }
    if (this.isPunct('<')) {
      const open = this.next();
      if (this.peek().kind === 'ellipsis') {
        this.next();
        this.expectPunct('>', "'>' closing <...>");
        if (direction === 'inbound') {
          throw new ParseFailure('<...> for TCP options can only be used with outbound packets', open.loc);
        }
        pkt.options = 'any';
      } else {
        pkt.options = this.tcpOptions();
      }
    }
    if (this.isPunct('{')) throw new ParseFailure('packet fuzzing annotations {...} are not supported', this.peek().loc);
    if (direction === 'inbound' && pkt.win === undefined) {
      throw new ParseFailure('window must be specified for inbound packets (win N)', dirTok.loc);
    }
    return { kind: 'packet', loc, time, text, packet: pkt };
  }

  private ipInfo(): IpInfo {
    const ip: IpInfo = {};
    if (!this.isPunct('[') && !this.isPunct('(')) return ip;
    const open = this.next();
    const close = open.text === '[' ? ']' : ')';
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'word') this.fail('an IP field (noecn, ect0, ect1, ce, ect01, tos 0xNN, ttl N)');
      this.next();
      if (t.text === 'noecn' || t.text === 'ect0' || t.text === 'ect1' || t.text === 'ce' || t.text === 'ect01') {
        ip.ecn = t.text as EcnSpec;
      } else if (t.text === 'tos') {
        ip.tos = this.integer('a TOS byte after tos', 0, 255);
      } else if (t.text === 'ttl') {
        ip.ttl = this.integer('a TTL after ttl', 0, 255);
      } else if (t.text === 'flowlabel') {
        throw new ParseFailure('IPv6 flow labels are not supported (the emulated stack is IPv4)', t.loc);
      } else {
        throw new ParseFailure(`unknown IP field '${t.text}' (expected noecn, ect0, ect1, ce, ect01, tos or ttl)`, t.loc);
      }
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(close, `'${close}' closing the IP fields`);
      return ip;
    }
  }

  private tcpOptions(): TcpOption[] {
    const out: TcpOption[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'word') this.fail('a TCP option (mss, wscale, sackOK, sack, TS, nop, eol, md5, FO)');
      this.next();
      switch (t.text) {
        case 'nop':
          out.push({ kind: 'nop' });
          break;
        case 'eol':
          out.push({ kind: 'eol' });
          break;
        case 'mss':
          out.push({ kind: 'mss', mss: this.integer('an MSS value', 0, 0xffff) });
          break;
        case 'wscale':
          out.push({ kind: 'wscale', shift: this.integer('a window scale shift count', 0, 255) });
          break;
        case 'sackOK':
          out.push({ kind: 'sackOK' });
          break;
        case 'sack': {
          const blocks: Array<{ left: ReturnType<typeof seq>; right: ReturnType<typeof seq> }> = [];
          do {
            const left = this.integer('a SACK block LEFT:RIGHT');
            this.expectPunct(':', "':' in a SACK block LEFT:RIGHT");
            const right = this.integer('the right edge of a SACK block');
            blocks.push({ left: seq(left), right: seq(right) });
          } while (this.peek().kind === 'int');
          out.push({ kind: 'sack', blocks });
          break;
        }
        case 'TS': {
          this.expectWord('val');
          const val = this.integer('a TS val');
          this.expectWord('ecr');
          const ecr = this.integer('a TS ecr');
          out.push({ kind: 'ts', val, ecr });
          break;
        }
        case 'md5':
          out.push({ kind: 'unknown', code: 19, data: this.hexBlob(t, true, 16) });
          break;
        case 'FO':
          out.push({ kind: 'unknown', code: 34, data: this.hexBlob(t, false, 16) });
          break;
        case 'FOEXP': {
          const cookie = this.hexBlob(t, false, 16);
          const data = new Uint8Array(2 + cookie.length);
          data[0] = 0xf9;
          data[1] = 0x89;
          data.set(cookie, 2);
          out.push({ kind: 'unknown', code: 254, data });
          break;
        }
        default:
          throw new ParseFailure(`unknown TCP option '${t.text}'`, t.loc);
      }
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct('>', "',' or '>' in the TCP option list");
      return out;
    }
  }

  /** Hex bytes written as a word or digits (TCP Fast Open cookies, MD5 digests). */
  private hexBlob(opt: Token, required: boolean, maxBytes: number): Uint8Array {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'int') {
      if (required) this.fail(`hex bytes after ${opt.text}`);
      return new Uint8Array(0);
    }
    this.next();
    // The token's own text: a define stands for the digits it was replaced by.
    const hex = t.text;
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
      throw new ParseFailure(`${opt.text} value '${hex}' is not an even number of hex digits`, t.loc);
    }
    if (hex.length / 2 > maxBytes) throw new ParseFailure(`${opt.text} value longer than ${maxBytes} bytes`, t.loc);
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  private skipLine(line: number): void {
    while (this.peek().kind !== 'eof' && this.peek().loc.line === line) this.next();
  }

  // ---- system calls ----------------------------------------------------------------------

  private syscallEvent(loc: Loc, time: EventTime, text: string): SyscallEvent {
    let endUsecs: number | undefined;
    if (this.peek().kind === 'ellipsis') {
      this.next();
      endUsecs = this.time();
    }
    const nameTok = this.peek();
    if (nameTok.kind !== 'word') this.fail('a system call name');
    this.next();
    this.expectPunct('(', `'(' after ${nameTok.text}`);
    const args = this.isPunct(')') ? [] : this.exprList(')');
    this.expectPunct(')', `',' or ')' in the arguments of ${nameTok.text}`);
    this.expectPunct('=', `'= RESULT' after ${nameTok.text}(...)`);
    const result = this.resultExpr();
    const ev: SyscallEvent = { kind: 'syscall', loc, time, text, name: nameTok.text, args, result };
    if (endUsecs !== undefined) ev.endUsecs = endUsecs;
    // The errno and note belong to the result's line; a word on the next line starts a new event.
    const sameLine = this.peek().loc.line === result.loc.line;
    if (sameLine && this.peek().kind === 'word') {
      const errnoTok = this.next();
      const errno: { name: string; note?: string } = { name: errnoTok.text };
      const note = this.note();
      if (note !== undefined) errno.note = note;
      ev.errno = errno;
    } else if (sameLine) {
      const note = this.note();
      if (note !== undefined) ev.note = note;
    }
    return ev;
  }

  private note(): string | undefined {
    if (!this.isPunct('(')) return undefined;
    const open = this.next();
    let depth = 1;
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') throw new ParseFailure("unterminated note: missing ')'", open.loc);
      if (t.kind === 'punct' && t.text === '(') depth++;
      if (t.kind === 'punct' && t.text === ')' && --depth === 0) {
        return this.src.slice(open.end, t.start).trim().replace(/\s+/g, ' ');
      }
    }
  }

  /** A result is a plain value: a call-like `WORD (` here would swallow the errno note. */
  private resultExpr(): Expr {
    const t = this.peek();
    const loc = t.loc;
    if (t.kind === 'int' || t.kind === 'hex') {
      this.next();
      return { kind: 'int', value: t.value, hex: t.kind === 'hex', loc };
    }
    if (t.kind === 'word') {
      this.next();
      return { kind: 'word', name: t.text, loc };
    }
    if (t.kind === 'ellipsis') {
      this.next();
      return { kind: 'ellipsis', loc };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.text, trailingEllipsis: false, loc };
    }
    this.fail('a result value after =');
  }

  private exprList(close: string): Expr[] {
    const items = [this.expr()];
    while (this.isPunct(',')) {
      this.next();
      if (this.isPunct(close)) break;
      items.push(this.expr());
    }
    return items;
  }

  private expr(): Expr {
    let lhs = this.primary();
    while (this.isPunct('|')) {
      const bar = this.next();
      lhs = { kind: 'or', lhs, rhs: this.primary(), loc: bar.loc };
    }
    return lhs;
  }

  private primary(): Expr {
    const t = this.peek();
    const loc = t.loc;
    switch (t.kind) {
      case 'ellipsis':
        this.next();
        return { kind: 'ellipsis', loc };
      case 'int':
      case 'hex':
        this.next();
        return { kind: 'int', value: t.value, hex: t.kind === 'hex', loc };
      case 'string': {
        let value = '';
        while (this.peek().kind === 'string') value += this.next().text;
        let trailingEllipsis = false;
        if (this.peek().kind === 'ellipsis') {
          this.next();
          trailingEllipsis = true;
        }
        return { kind: 'string', value, trailingEllipsis, loc };
      }
      case 'word': {
        this.next();
        let e: Expr = { kind: 'word', name: t.text, loc };
        if (this.isPunct('(')) {
          this.next();
          const args = this.isPunct(')') ? [] : this.exprList(')');
          this.expectPunct(')', `',' or ')' after the arguments of ${t.text}`);
          e = { kind: 'call', name: t.text, args, loc };
        }
        if (this.isPunct('=')) {
          this.next();
          e = { kind: 'assign', lhs: e, rhs: this.expr(), loc };
        }
        return e;
      }
      case 'punct':
        if (t.text === '[' || t.text === '{') {
          this.next();
          const close = t.text === '[' ? ']' : '}';
          const items = this.isPunct(close) ? [] : this.exprList(close);
          this.expectPunct(close, `',' or '${close}'`);
          return { kind: t.text === '[' ? 'array' : 'struct', items, loc };
        }
        break;
      default:
        break;
    }
    this.fail('an expression (number, NAME, "string", ..., [list] or {struct})');
  }
}
