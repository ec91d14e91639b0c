/**
 * Runs one backtick command line: `a | b`, `a; b`, `a && b`, `a || b`, redirections to
 * /dev/null and between stdout and stderr, and helper scripts (`../common/defaults.sh`), whose
 * lines run one by one and stop at the first failure (as with `set -e`). The exit status is the
 * shell's: the last command of the last pipeline.
 */
import { lexShell } from './lex.ts';
import type { ShellToken } from './lex.ts';
import type { ShellEnv, Tool, ToolResult } from './types.ts';
import { fail, ok } from './types.ts';
import { sysctlTool } from './sysctl.ts';
import { sockstatTool } from './sockstat.ts';
import { ssTool } from './ss.ts';
import { tcpdropTool } from './tcpdrop.ts';
import { TEXT_TOOLS } from './text.ts';
import { ipTool, tcTool } from './noop.ts';

export const TOOLS: Record<string, Tool> = {
  sysctl: sysctlTool,
  sockstat: sockstatTool,
  ss: ssTool,
  tcpdrop: tcpdropTool,
  ip: ipTool,
  tc: tcTool,
  ...TEXT_TOOLS,
};

interface Command {
  words: string[];
  redirs: Array<Extract<ShellToken, { kind: 'redir' }>>;
}

/** Helper scripts nest at most this deep (a script that runs itself must end). */
const MAX_DEPTH = 8;

export function runShell(line: string, env: ShellEnv, depth = 0): ToolResult {
  const lexed = lexShell(line);
  if (!lexed.ok) return fail(2, `sh: ${lexed.error}`);
  let stdout = '';
  let stderr = '';
  let status = 0;
  let skip = false;
  let pipeline: Command[] = [];
  let cmd: Command = { words: [], redirs: [] };

  const runPipeline = (): void => {
    if (cmd.words.length || cmd.redirs.length) pipeline.push(cmd);
    cmd = { words: [], redirs: [] };
    if (pipeline.length === 0) return;
    if (!skip) {
      const r = runPipelineNow(pipeline, env, depth);
      stdout += r.stdout;
      stderr += r.stderr;
      status = r.status;
    }
    pipeline = [];
  };

  for (const t of lexed.tokens) {
    if (t.kind === 'word') cmd.words.push(t.text);
    else if (t.kind === 'redir') cmd.redirs.push(t);
    else if (t.op === '|') {
      if (cmd.words.length === 0) return fail(2, 'sh: syntax error near |');
      pipeline.push(cmd);
      cmd = { words: [], redirs: [] };
    } else {
      runPipeline();
      // `a && b` runs b only after success, `a || b` only after failure, `a; b` always.
      skip = t.op === '&&' ? status !== 0 : t.op === '||' ? status === 0 : false;
    }
  }
  runPipeline();
  return { status, stdout, stderr };
}

function runPipelineNow(pipeline: Command[], env: ShellEnv, depth: number): ToolResult {
  let stdin = '';
  let stderr = '';
  let last: ToolResult = ok();
  for (const c of pipeline) {
    last = runCommand(c, stdin, env, depth);
    const routed = route(c, last);
    if (!routed.ok) return fail(2, routed.error);
    stdin = routed.stdout;
    stderr += routed.stderr;
    last = { status: last.status, stdout: routed.stdout, stderr: '' };
  }
  return { status: last.status, stdout: last.stdout, stderr };
}

/** Applies redirections: only /dev/null and fd duplication, since there is no file system here. */
function route(c: Command, r: ToolResult): { ok: true; stdout: string; stderr: string } | { ok: false; error: string } {
  let out: string | null = r.stdout;
  let err: string | null = r.stderr;
  for (const d of c.redirs) {
    if (d.op === '<') {
      if (d.target === '/dev/null') continue;
      return { ok: false, error: `sh: input redirection from ${d.target} is not supported` };
    }
    if (d.op === '>&') {
      if (d.fd === 2 && d.target === '1') {
        out = (out ?? '') + (err ?? '');
        err = '';
      } else if (d.fd === 1 && d.target === '2') {
        err = (err ?? '') + (out ?? '');
        out = '';
      } else {
        return { ok: false, error: `sh: redirection ${d.fd}>&${d.target} is not supported` };
      }
      continue;
    }
    if (d.target !== '/dev/null') return { ok: false, error: `sh: redirection to ${d.target} is not supported (no files in the emulator)` };
    if (d.fd === 1) out = '';
    else if (d.fd === 2) err = '';
  }
  return { ok: true, stdout: out ?? '', stderr: err ?? '' };
}

function runCommand(c: Command, stdin: string, env: ShellEnv, depth: number): ToolResult {
  const [name, ...args] = c.words;
  if (name === undefined) return ok();
  const tool = TOOLS[name];
  if (tool) return tool(args, stdin, env);
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (base === 'set_sysctls.py') return setSysctlsPy(args, env);
  if (name.endsWith('.sh')) return runScriptFile(name, env, depth);
  if (name.includes('/')) return fail(127, `sh: ${name}: only shell helper scripts (.sh) can run in the emulator`);
  return fail(127, `sh: ${name}: command not found (the emulated shell knows: ${Object.keys(TOOLS).sort().join(', ')})`);
}

/**
 * The Linux suite's helper `set_sysctls.py /proc/sys/net/ipv4/NAME=VALUE ...` writes sysctls
 * through /proc; here that is the sysctl tool on the dotted name.
 */
function setSysctlsPy(args: string[], env: ShellEnv): ToolResult {
  const items: string[] = [];
  for (const a of args) {
    const m = /^\/proc\/sys\/([^=]+)=(.*)$/.exec(a);
    if (!m) return fail(2, `set_sysctls.py: expected /proc/sys/NAME=VALUE, got ${a}`);
    items.push(`${m[1]!.replace(/\//g, '.')}=${m[2]!}`);
  }
  return sysctlTool(['-q', ...items], '', env);
}

function runScriptFile(path: string, env: ShellEnv, depth: number): ToolResult {
  if (depth >= MAX_DEPTH) return fail(2, `sh: ${path}: helper scripts nested too deeply`);
  const text = env.readFile?.(path);
  if (text === undefined) return fail(127, `sh: ${path}: No such file or directory`);
  let stdout = '';
  let stderr = '';
  let status = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const r = runShell(line, env, depth + 1);
    stdout += r.stdout;
    stderr += r.stderr;
    status = r.status;
    // Like `set -e`: a failing line (an unknown sysctl, say) must not pass unnoticed.
    if (status !== 0) return { status, stdout, stderr: stderr + `sh: ${path}: failed at: ${line}\n` };
  }
  return { status, stdout, stderr };
}
