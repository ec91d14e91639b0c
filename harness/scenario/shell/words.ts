/**
 * Splitting a shell line into words: whitespace separates, single or double quotes group, a
 * '#' at the start of a word begins a comment. Returns an error for an unclosed quote.
 */
export function splitWords(line: string): { ok: true; words: string[] } | { ok: false; error: string } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote !== null) return { ok: false, error: `unclosed ${quote} quote` };
  if (inWord) words.push(cur);
  return { ok: true, words };
}
