/**
 * Specs that need root, network namespaces or Debian tools call `requireTool` in a `before`
 * hook. Outside CI a missing tool skips the suite with a clear message; in CI (CI=true or
 * HANDOFF_REQUIRE_TOOLS=1) it fails, so a missing install step can never pass silently.
 */
import { execFileSync } from 'node:child_process';

export const toolsRequired = process.env.HANDOFF_REQUIRE_TOOLS === '1' || process.env.CI === 'true';

export function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Call from a mocha `before` hook with `this`. */
export function requireTool(ctx: Mocha.Context, name: string, install: string): void {
  if (haveTool(name)) return;
  const msg = `${name} is not installed (${install})`;
  if (toolsRequired) throw new Error(`${msg}; required in CI`);
  console.warn(`      skipped: ${msg}`);
  ctx.skip();
}

export function requireRoot(ctx: Mocha.Context): void {
  if (isRoot()) return;
  if (toolsRequired) throw new Error('these specs need root; required in CI');
  console.warn('      skipped: these specs need root');
  ctx.skip();
}
