/**
 * Splits a shell command line into words, operators and redirections: quotes ('...' and "..."),
 * backslash escapes, `$((arithmetic))`, `|`, `;` (or a newline), `&&`, `||`, `#` comments and `[n]>`, `[n]>>`,
 * `[n]>&m`, `<` redirections. Enough for the one-liners conformance suites write; anything else
 * is a clear error rather than a guess.
 */

export type ShellToken =
  | { kind: 'word'; text: string }
  | { kind: 'op'; op: '|' | ';' | '&&' | '||' }
  | { kind: 'redir'; fd: number; op: '>' | '>>' | '<' | '>&'; target: string };

export type LexResult = { ok: true; tokens: ShellToken[] } | { ok: false; error: string };

export function lexShell(line: string): LexResult {
  const tokens: ShellToken[] = [];
  let i = 0;
  let word: string | null = null;
  const endWord = (): void => {
    if (word !== null) tokens.push({ kind: 'word', text: word });
    word = null;
  };
  try {
    while (i < line.length) {
      const c = line[i]!;
      if (c === ' ' || c === '\t') {
        endWord();
        i++;
        continue;
      }
      if (c === '\n') {
        // A backtick block may hold several lines: each is a command of its own.
        endWord();
        if (tokens.length && tokens[tokens.length - 1]!.kind !== 'op') tokens.push({ kind: 'op', op: ';' });
        i++;
        continue;
      }
      if (c === '#' && word === null) break;
      if (c === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0) return { ok: false, error: 'unterminated single quote' };
        word = (word ?? '') + line.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        let s = '';
        while (j < line.length && line[j] !== '"') {
          if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) {
            s += line[j + 1];
            j += 2;
          } else if (line.startsWith('$((', j)) {
            const [value, end] = arith(line, j);
            s += value;
            j = end;
          } else {
            s += line[j];
            j++;
          }
        }
        if (j >= line.length) return { ok: false, error: 'unterminated double quote' };
        word = (word ?? '') + s;
        i = j + 1;
        continue;
      }
      if (c === '\\' && i + 1 < line.length) {
        word = (word ?? '') + line[i + 1];
        i += 2;
        continue;
      }
      if (line.startsWith('$((', i)) {
        const [value, end] = arith(line, i);
        word = (word ?? '') + value;
        i = end;
        continue;
      }
      if (c === '$' && (line[i + 1] === '(' || /[A-Za-z_{]/.test(line[i + 1] ?? ''))) {
        return { ok: false, error: 'shell variables and command substitution are not supported' };
      }
      if (c === '|' || c === ';' || c === '&') {
        endWord();
        const two = line.slice(i, i + 2);
        if (two === '||' || two === '&&') {
          tokens.push({ kind: 'op', op: two });
          i += 2;
        } else if (c === '&') {
          return { ok: false, error: 'background jobs (&) are not supported' };
        } else {
          tokens.push({ kind: 'op', op: c });
          i++;
        }
        continue;
      }
      if (c === '>' || c === '<') {
        // A word made only of digits right before the operator is its file descriptor.
        let fd = c === '<' ? 0 : 1;
        if (word !== null && /^\d+$/.test(word) && line[i - 1] !== ' ') {
          fd = Number(word);
          word = null;
        }
        endWord();
        let op: '>' | '>>' | '<' | '>&' = c;
        i++;
        if (c === '>' && line[i] === '>') {
          op = '>>';
          i++;
        } else if (c === '>' && line[i] === '&') {
          op = '>&';
          i++;
        }
        while (line[i] === ' ' || line[i] === '\t') i++;
        let target = '';
        while (i < line.length && !' \t|;&<>'.includes(line[i]!)) target += line[i++];
        if (target === '') return { ok: false, error: `redirection ${op} without a target` };
        tokens.push({ kind: 'redir', fd, op, target });
        continue;
      }
      word = (word ?? '') + c;
      i++;
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  endWord();
  return { ok: true, tokens };
}

/** Evaluates `$((expr))` starting at `start`; returns the value text and the index after `))`. */
function arith(line: string, start: number): [string, number] {
  let depth = 0;
  let j = start + 3;
  for (; j < line.length; j++) {
    if (line[j] === '(') depth++;
    else if (line[j] === ')') {
      if (depth === 0) break;
      depth--;
    }
  }
  if (line[j] !== ')' || line[j + 1] !== ')') throw new Error('unterminated $(( arithmetic ))');
  return [String(evalArith(line.slice(start + 3, j))), j + 2];
}

/** Integer arithmetic with + - * / % and parentheses, as the shell does it. */
export function evalArith(expr: string): number {
  const toks = expr.match(/\d+|0x[0-9a-fA-F]+|[-+*/%()]|\S/g) ?? [];
  let p = 0;
  const peek = (): string | undefined => toks[p];
  const primary = (): number => {
    const t = toks[p++];
    if (t === undefined) throw new Error(`bad arithmetic: ${expr}`);
    if (t === '(') {
      const v = sum();
      if (toks[p++] !== ')') throw new Error(`bad arithmetic: ${expr}`);
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (/^(\d+|0x[0-9a-fA-F]+)$/.test(t)) return Number(t);
    throw new Error(`bad arithmetic: ${expr}`);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = toks[p++];
      const r = primary();
      if (op !== '*' && r === 0) throw new Error('division by zero in arithmetic');
      v = op === '*' ? v * r : op === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = toks[p++];
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (p !== toks.length) throw new Error(`bad arithmetic: ${expr}`);
  return v;
}
