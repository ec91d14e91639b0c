/**
 * The outcome of one script and its failure report: the script line, what was expected and what
 * happened (both as packetdrill text) and the last packets on the wire, e.g.
 *
 *   fr-4pkt.pkt:23: outbound packet mismatch in ack: expected 1, got 2
 *     script:   +0 > S. 0:0(0) ack 1 <mss 1460>
 *     expected: > S. 0:0(0) ack 1 <mss 1460>
 *     got:      > S. 0:0(0) ack 2 win 65535 <mss 1460> at 0.1
 *     last packets:
 *       0.1 < S 0:0(0) win 32792 <mss 1000>
 *       0.1 > S. 0:0(0) ack 2 win 65535 <mss 1460>
 */
import type { Time } from '../../lib/sim/time.ts';

export type FailureKind = 'packet' | 'timing' | 'syscall' | 'command' | 'unsupported' | 'script' | 'internal';

export interface Failure {
  path: string;
  line: number;
  kind: FailureKind;
  message: string;
  /** The script text of the failing line. */
  scriptLine?: string;
  expected?: string;
  got?: string;
  /** The last packets on the wire, oldest first, as `TIME packet` lines in script space. */
  recent: string[];
}

export interface ScriptRunResult {
  path: string;
  ok: boolean;
  failure?: Failure;
  /** Virtual time from the script start to its last event. */
  virtualNs: Time;
  /** Events played (lines of the script that ran). */
  events: number;
  /** Segments injected and captured. */
  packetsIn: number;
  packetsOut: number;
}

export function formatFailure(f: Failure): string {
  const lines = [`${f.path}:${f.line}: ${f.message}`];
  if (f.scriptLine !== undefined) lines.push(`  script:   ${f.scriptLine}`);
  if (f.expected !== undefined) lines.push(`  expected: ${f.expected}`);
  if (f.got !== undefined) lines.push(`  got:      ${f.got}`);
  if (f.recent.length) {
    lines.push('  last packets:');
    for (const r of f.recent) lines.push(`    ${r}`);
  }
  return lines.join('\n');
}
