/**
 * The emulated shell that runs a script's backtick lines. Tools are pure functions of their
 * arguments, stdin and the host they inspect; nothing touches the real system.
 */
import type { HostIntrospection } from '../target.ts';

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface ShellEnv {
  host: HostIntrospection;
  /** Reads a helper script named by a command line (e.g. `../common/defaults.sh`), resolved by the caller. */
  readFile?: (path: string) => string | undefined;
}

export type Tool = (args: string[], stdin: string, env: ShellEnv) => ToolResult;

export const ok = (stdout = ''): ToolResult => ({ status: 0, stdout, stderr: '' });
export const fail = (status: number, stderr: string, stdout = ''): ToolResult => ({
  status,
  stdout,
  stderr: stderr.endsWith('\n') || stderr === '' ? stderr : stderr + '\n',
});
