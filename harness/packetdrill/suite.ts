/**
 * Script files in, verdicts out: parse a script with the runner's options, build a fresh host for
 * it (every script gets its own world and clock), play it, and report. Used by
 * `handoff conformance` and by the spec that runs spec/conformance/ in `npm test`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Script } from './ast.ts';
import { buildConfig, parseRunnerArgs } from './options.ts';
import type { RunConfig } from './options.ts';
import { parseScript } from './parser.ts';
import type { ScriptRunResult } from './report.ts';
import { runScript } from './runner.ts';
import type { RunnerEnv } from './runner.ts';

/** Builds the world a script runs in, from the script's final configuration. */
export type HostFactory = (cfg: RunConfig, script: Script) => RunnerEnv | Promise<RunnerEnv>;

function failed(path: string, line: number, message: string): ScriptRunResult {
  return {
    path,
    ok: false,
    failure: { path, line, kind: 'script', message, recent: [] },
    virtualNs: 0,
    events: 0,
    packetsIn: 0,
    packetsOut: 0,
  };
}

/** Parse, configure and play one script's text. Never throws for a bad script. */
export async function playScript(source: string, path: string, factory: HostFactory, runnerArgs: string[] = []): Promise<ScriptRunResult> {
  const args = parseRunnerArgs(runnerArgs);
  if (!args.ok) return failed(path, 0, args.error);
  const defines: Record<string, string> = {};
  const pre = buildConfig([], args.options);
  if (!pre.ok) return failed(path, 0, pre.error);
  Object.assign(defines, pre.config.defines);

  const parsed = parseScript(source, { path, defines });
  if (!parsed.ok) return failed(path, parsed.error.line, `${parsed.error.message} (column ${parsed.error.col})`);
  const script = parsed.script;
  const cfg = buildConfig(script.options, args.options);
  if (!cfg.ok) {
    const o = script.options.find((x) => x.name === cfg.option);
    return failed(path, o?.loc.line ?? 0, cfg.error);
  }
  const env = await factory(cfg.config, script);
  try {
    return await runScript(script, env, cfg.config);
  } finally {
    env.close?.();
  }
}

/** Play a script file; helper scripts it names are read relative to its directory. */
export async function playFile(path: string, factory: HostFactory, runnerArgs: string[] = []): Promise<ScriptRunResult> {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    return failed(path, 0, `cannot read script: ${(e as Error).message}`);
  }
  const dir = dirname(resolve(path));
  const withFiles: HostFactory = async (cfg, script) => {
    const env = await factory(cfg, script);
    return {
      ...env,
      readFile: (p: string) => {
        try {
          return readFileSync(resolve(dir, p), 'utf8');
        } catch {
          return undefined;
        }
      },
    };
  };
  return playScript(source, path, withFiles, runnerArgs);
}

/**
 * Parse and validate a script without running it: syntax, options, and constructs the runner
 * cannot play (code blocks, ICMP/UDP lines).
 */
export function checkScript(source: string, path: string, runnerArgs: string[] = []): ScriptRunResult {
  const args = parseRunnerArgs(runnerArgs);
  if (!args.ok) return failed(path, 0, args.error);
  const pre = buildConfig([], args.options);
  if (!pre.ok) return failed(path, 0, pre.error);
  const parsed = parseScript(source, { path, defines: pre.config.defines });
  if (!parsed.ok) return failed(path, parsed.error.line, `${parsed.error.message} (column ${parsed.error.col})`);
  const cfg = buildConfig(parsed.script.options, args.options);
  if (!cfg.ok) return failed(path, parsed.script.options.find((o) => o.name === cfg.option)?.loc.line ?? 0, cfg.error);
  const unsupported = parsed.script.events.find((e) => e.kind === 'code' || e.kind === 'unsupported');
  if (unsupported) return failed(path, unsupported.loc.line, `unsupported construct: ${unsupported.text}`);
  return { path, ok: true, virtualNs: 0, events: parsed.script.events.length, packetsIn: 0, packetsOut: 0 };
}

export function checkFile(path: string, runnerArgs: string[] = []): ScriptRunResult {
  try {
    return checkScript(readFileSync(path, 'utf8'), path, runnerArgs);
  } catch (e) {
    return failed(path, 0, `cannot read script: ${(e as Error).message}`);
  }
}

/** The profile a script was written for when a directory on its path (as given) is named after one. */
export function profileOfPath(path: string): 'linux' | 'freebsd' | null {
  const dirs = path.split(/[\\/]/).slice(0, -1);
  for (let i = dirs.length - 1; i >= 0; i--) {
    if (dirs[i] === 'linux' || dirs[i] === 'freebsd') return dirs[i] as 'linux' | 'freebsd';
  }
  return null;
}

/** The .pkt files named: a file itself, or every .pkt under a directory, sorted. */
export function findScripts(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.pkt')) out.push(p);
    }
  };
  walk(path);
  return out;
}
