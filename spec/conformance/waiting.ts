/**
 * Scripts that show a gap someone else's work will close: each entry says what the real
 * stacks do that ours does not yet, and which scripts show it (paths relative to
 * spec/conformance, `*` within a name, `{a,b}` alternatives). The suite reports them as pending
 * with the reasons, so they neither fail everyone's run nor go unseen; `handoff conformance`
 * still reports them as failures. An entry goes when the fix lands.
 */

export interface Waiting {
  /** What the script expects that the emulator does not do yet. */
  reason: string;
  scripts: string[];
  /** Only under these profiles (common/ scripts run under both). */
  profiles?: Array<'linux' | 'freebsd'>;
}

/** Empty: every script passes under its profiles. Add an entry (with its reason) for a gap found later. */
export const WAITING: Waiting[] = [];

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      re += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((a) => a.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
        .join('|')})`;
      i = end;
    } else re += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const COMPILED = WAITING.map((w) => ({ ...w, res: w.scripts.map(globToRegExp) }));

/** Why `script` (relative to spec/conformance) waits under `profile`, or null when it should pass. */
export function waitingFor(script: string, profile: 'linux' | 'freebsd'): string | null {
  const reasons = COMPILED.filter((w) => (!w.profiles || w.profiles.includes(profile)) && w.res.some((r) => r.test(script))).map((w) => w.reason);
  return reasons.length ? reasons.join('; and ') : null;
}

/** Patterns that match no script: a stale entry is a mistake (checked by the suite). */
export function unmatchedPatterns(scripts: string[]): string[] {
  return COMPILED.flatMap((w) => w.scripts.filter((_, i) => !scripts.some((s) => w.res[i]!.test(s))));
}
