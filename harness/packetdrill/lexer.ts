/**
 * Tokens of the packetdrill script language, following packetdrill's lexer.l: longest match
 * wins and, on a tie, the earlier rule (so `1460` is an integer, `3021b9d8` a word, `192.0.2.1`
 * an address, `.1` a float). Keywords are plain words here; the parser looks at their text.
 * Whitespace and comments (`//`, `/* *\/`) separate tokens and are dropped.
 */
import type { Loc } from './ast.ts';

export type TokenKind =
  | 'int'
  | 'hex'
  | 'float'
  | 'word'
  | 'string'
  | 'backquote'
  | 'code'
  | 'option'
  | 'ellipsis'
  | 'ipv4'
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The decoded text: digits, word, string contents, option name (without `--`), punctuation. */
  text: string;
  /** Numeric value for int / hex / float. */
  value: number;
  loc: Loc;
  /** Offsets of the raw token in the source, for error excerpts and option values. */
  start: number;
  end: number;
}

export class LexError extends Error {
  constructor(
    message: string,
    readonly loc: Loc,
  ) {
    super(message);
  }
}

const FLOAT_RE = /-?[0-9]*\.[0-9]+/y;
const INT_RE = /-?[0-9]+/y;
const HEX_RE = /0x[0-9a-fA-F]+/y;
const WORD_RE = /[a-zA-Z0-9_]+/y;
const IPV4_RE = /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/y;
const OPTION_RE = /--[a-zA-Z0-9_]+/y;

function matchAt(re: RegExp, src: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(src);
  return m ? m[0] : null;
}

/** Splits a whole script into tokens; throws LexError (caught by the parser) on a broken token. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;

  const locAt = (p: number): Loc => {
    // Columns are counted within the current line; `line` tracks the line of `pos`.
    return { line, col: p - lineStart + 1 };
  };
  const advanceOver = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      if (src.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
  };

  while (pos < src.length) {
    const c = src[pos]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
      advanceOver(pos, pos + 1);
      pos++;
      continue;
    }
    if (src.startsWith('//', pos)) {
      const nl = src.indexOf('\n', pos);
      pos = nl < 0 ? src.length : nl;
      continue;
    }
    if (src.startsWith('/*', pos)) {
      const close = src.indexOf('*/', pos + 2);
      if (close < 0) throw new LexError('unterminated /* comment', locAt(pos));
      advanceOver(pos, close + 2);
      pos = close + 2;
      continue;
    }
    const loc = locAt(pos);
    const start = pos;
    const push = (kind: TokenKind, text: string, end: number, value = 0): void => {
      tokens.push({ kind, text, value, loc, start, end });
      advanceOver(start, end);
      pos = end;
    };

    if (src.startsWith('%{', pos)) {
      const close = src.indexOf('}%', pos + 2);
      if (close < 0) throw new LexError('unterminated %{ code block', loc);
      push('code', src.slice(pos + 2, close).replace(/^[ \t]+|[ \t]+$/g, ''), close + 2);
      continue;
    }
    if (c === '"' || c === '`') {
      let i = pos + 1;
      let out = '';
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) {
          out += src[i + 1] === c ? c : src[i]! + src[i + 1]!;
          i += 2;
        } else {
          out += src[i];
          i++;
        }
      }
      if (i >= src.length) {
        throw new LexError(c === '"' ? 'unterminated string' : 'unterminated backquoted command', loc);
      }
      push(c === '"' ? 'string' : 'backquote', out, i + 1);
      continue;
    }
    if (src.startsWith('...', pos)) {
      push('ellipsis', '...', pos + 3);
      continue;
    }
    const opt = matchAt(OPTION_RE, src, pos);
    if (opt) {
      push('option', opt.slice(2), pos + opt.length);
      continue;
    }

    // Longest match among the number/word/address rules; ties go to the earlier rule.
    const candidates: Array<[TokenKind, string | null]> = [
      ['float', matchAt(FLOAT_RE, src, pos)],
      ['int', matchAt(INT_RE, src, pos)],
      ['hex', matchAt(HEX_RE, src, pos)],
      ['word', matchAt(WORD_RE, src, pos)],
      ['ipv4', matchAt(IPV4_RE, src, pos)],
    ];
    let best: [TokenKind, string] | null = null;
    for (const [kind, text] of candidates) {
      if (text !== null && (best === null || text.length > best[1].length)) best = [kind, text];
    }
    if (best) {
      const [kind, text] = best;
      const value =
        kind === 'float' ? Number(text) : kind === 'int' ? Number(text) : kind === 'hex' ? parseInt(text.slice(2), 16) : 0;
      push(kind, text, pos + text.length, value);
      continue;
    }
    push('punct', c, pos + 1);
  }
  tokens.push({ kind: 'eof', text: '', value: 0, loc: locAt(pos), start: pos, end: pos });
  return tokens;
}
