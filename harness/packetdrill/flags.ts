/**
 * TCP flag letters as packetdrill writes them: F S R P U E W, then '.' for ACK (tcpdump style).
 * Scripts always put the '.' last (`S.`, `F.`, `SE.`), so the canonical text does too.
 */
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

const LETTERS: Array<[string, number]> = [
  ['F', TcpFlag.FIN],
  ['S', TcpFlag.SYN],
  ['R', TcpFlag.RST],
  ['P', TcpFlag.PSH],
  ['U', TcpFlag.URG],
  ['E', TcpFlag.ECE],
  ['W', TcpFlag.CWR],
];

export type FlagsResult = { ok: true; bits: number } | { ok: false; message: string };

export function parseTcpFlags(text: string): FlagsResult {
  let bits = 0;
  for (const ch of text) {
    if (ch === '.') {
      bits |= TcpFlag.ACK;
      continue;
    }
    const entry = LETTERS.find(([l]) => l === ch);
    if (!entry) return { ok: false, message: `invalid TCP flag '${ch}' in '${text}' (valid: F S R P U E W and .)` };
    bits |= entry[1];
  }
  return { ok: true, bits };
}

/** Canonical flag text for a set of bits; '-' would be written for none, but '' is returned. */
export function formatTcpFlags(bits: number): string {
  let out = '';
  for (const [l, b] of LETTERS) if (bits & b) out += l;
  if (bits & TcpFlag.ACK) out += '.';
  return out;
}
