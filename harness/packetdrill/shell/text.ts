/** The text filters suites pipe tool output through: grep, wc, head, tail, cat, echo, true, false. */
import type { ShellEnv, Tool, ToolResult } from './types.ts';
import { fail, ok } from './types.ts';

function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

const joinLines = (l: string[]): string => (l.length ? l.join('\n') + '\n' : '');

/** POSIX basic regular expression -> JS: + ? | ( ) { } are literal unless escaped (GNU style). */
export function breToRegExp(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      const n = pattern[++i]!;
      out += '+?|(){}'.includes(n) ? n : '\\' + n;
    } else if ('+?|(){}'.includes(c)) {
      out += '\\' + c;
    } else {
      out += c;
    }
  }
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const grep: Tool = (args, stdin): ToolResult => {
  let count = false;
  let invert = false;
  let quiet = false;
  let icase = false;
  let word = false;
  let whole = false;
  let mode: 'basic' | 'extended' | 'fixed' = 'basic';
  const patterns: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-e') {
      const p = args[++i];
      if (p === undefined) return fail(2, 'grep: option requires an argument -- e');
      patterns.push(p);
      continue;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (const f of a.slice(1)) {
      if (f === 'c') count = true;
      else if (f === 'v') invert = true;
      else if (f === 'q' || f === 's') quiet = quiet || f === 'q';
      else if (f === 'i') icase = true;
      else if (f === 'w') word = true;
      else if (f === 'x') whole = true;
      else if (f === 'E') mode = 'extended';
      else if (f === 'F') mode = 'fixed';
      else if (f === 'G') mode = 'basic';
      else return fail(2, `grep: unsupported option -${f}`);
    }
  }
  if (patterns.length === 0) {
    const p = args[i++];
    if (p === undefined) return fail(2, 'usage: grep [-cvqiwxEF] [-e pattern] pattern');
    patterns.push(p);
  }
  if (i < args.length) return fail(2, 'grep: reading files is not supported (no files in the emulator)');
  let re: RegExp;
  try {
    const alts = patterns.map((p) => (mode === 'fixed' ? escapeRe(p) : mode === 'basic' ? breToRegExp(p) : p));
    let src = alts.map((a) => `(?:${a})`).join('|');
    if (word) src = `(?<![A-Za-z0-9_])(?:${src})(?![A-Za-z0-9_])`;
    if (whole) src = `^(?:${src})$`;
    re = new RegExp(src, icase ? 'i' : '');
  } catch (e) {
    return fail(2, `grep: bad pattern: ${(e as Error).message}`);
  }
  const selected = lines(stdin).filter((l) => re.test(l) !== invert);
  const status = selected.length > 0 ? 0 : 1;
  if (quiet) return { status, stdout: '', stderr: '' };
  if (count) return { status, stdout: `${selected.length}\n`, stderr: '' };
  return { status, stdout: joinLines(selected), stderr: '' };
};

export const wc: Tool = (args, stdin, env: ShellEnv): ToolResult => {
  const flags = args.join('');
  if (args.some((a) => !a.startsWith('-'))) return fail(1, 'wc: reading files is not supported');
  const nl = (stdin.match(/\n/g) ?? []).length;
  const words = stdin.split(/\s+/).filter((w) => w !== '').length;
  const chars = stdin.length;
  const picked: number[] = [];
  if (flags === '' || flags.includes('l')) picked.push(nl);
  if (flags === '' || flags.includes('w')) picked.push(words);
  if (flags === '' || flags.includes('c') || flags.includes('m')) picked.push(chars);
  // BSD wc pads every count to 8 columns; GNU wc reading stdin prints a single count bare.
  if (env.host.profile === 'freebsd') return ok(picked.map((n) => String(n).padStart(8)).join('') + '\n');
  return ok((picked.length === 1 ? String(picked[0]) : picked.map((n) => String(n).padStart(7)).join(' ')) + '\n');
};

function countArg(args: string[], tool: string): number | string {
  let n = 10;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n') {
      const v = args[++i];
      if (v === undefined || !/^\d+$/.test(v)) return `${tool}: bad line count`;
      n = Number(v);
    } else if (/^-n?\d+$/.test(a)) {
      n = Number(a.replace(/^-n?/, ''));
    } else {
      return `${tool}: unsupported argument ${a}`;
    }
  }
  return n;
}

export const head: Tool = (args, stdin) => {
  const n = countArg(args, 'head');
  return typeof n === 'string' ? fail(1, n) : ok(joinLines(lines(stdin).slice(0, n)));
};

export const tail: Tool = (args, stdin) => {
  const n = countArg(args, 'tail');
  return typeof n === 'string' ? fail(1, n) : ok(joinLines(n === 0 ? [] : lines(stdin).slice(-n)));
};

export const TEXT_TOOLS: Record<string, Tool> = {
  grep,
  egrep: (args, stdin, env) => grep(['-E', ...args], stdin, env),
  wc,
  head,
  tail,
  cat: (args, stdin) => (args.length ? fail(1, 'cat: reading files is not supported') : ok(stdin)),
  echo: (args) => (args[0] === '-n' ? ok(args.slice(1).join(' ')) : ok(args.join(' ') + '\n')),
  true: () => ok(),
  false: () => fail(1, ''),
  ':': () => ok(),
};
