/**
 * FreeBSD tcpdrop(8): drop one connection, or all of them (-a), or those in a state (-s), with
 * -l listing the tcpdrop commands instead of running them. Output as the real tool prints it:
 *   192.168.0.1 8080 192.0.2.1 40000: dropped
 * and "...: No such process" (status 1) when the connection does not exist. Addresses can be
 * given as four arguments or as two `addr:port` / `addr.port` arguments.
 */
import type { SocketInfo } from '../target.ts';
import { formatIpv4, ipv4 } from '../../../lib/wire/ip-types.ts';
import type { Tool, ToolResult } from './types.ts';
import { fail, ok } from './types.ts';
import { bsdStateName } from './sockstat.ts';

function splitEndpoint(text: string): [string, string] | null {
  const m = /^(.*)[:.](\d+)$/.exec(text);
  return m ? [m[1]!, m[2]!] : null;
}

export const tcpdropTool: Tool = (args, _stdin, env): ToolResult => {
  let all = false;
  let list = false;
  let state: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-a') all = true;
    else if (a === '-l') list = true;
    else if (a === '-s') {
      const v = args[++i];
      if (v === undefined) return fail(1, 'tcpdrop: option requires an argument -- s');
      state = v.toUpperCase().replace(/-/g, '_');
    } else if (a === '-la' || a === '-al') {
      all = list = true;
    } else if (a.startsWith('-') && a.length > 1 && rest.length === 0) {
      return fail(1, `tcpdrop: illegal option -- ${a.slice(1)}`);
    } else rest.push(a);
  }
  const host = env.host;
  const name = (s: SocketInfo): string => `${formatIpv4(s.local.addr)} ${s.local.port} ${formatIpv4(s.remote.addr)} ${s.remote.port}`;

  if (all || state !== null) {
    if (rest.length) return fail(1, 'usage: tcpdrop [-l] -a | -s state');
    const victims = host.sockets().filter((s) => s.state !== 'LISTEN' && s.state !== 'CLOSED' && (state === null || bsdStateName(s.state) === state));
    let out = '';
    for (const s of victims) {
      if (list) out += `tcpdrop ${name(s)}\n`;
      else if (host.drop(s.local, s.remote)) out += `${name(s)}: dropped\n`;
    }
    return ok(out);
  }

  let parts: string[];
  if (rest.length === 4) parts = rest;
  else if (rest.length === 2) {
    const l = splitEndpoint(rest[0]!);
    const f = splitEndpoint(rest[1]!);
    if (!l || !f) return fail(1, 'usage: tcpdrop local-address local-port foreign-address foreign-port');
    parts = [...l, ...f];
  } else {
    return fail(1, 'usage: tcpdrop local-address local-port foreign-address foreign-port');
  }
  const [lh, lp, fh, fp] = parts as [string, string, string, string];
  let local;
  let remote;
  try {
    local = { addr: ipv4(lh), port: Number(lp) };
    remote = { addr: ipv4(fh), port: Number(fp) };
  } catch {
    return fail(1, `tcpdrop: getaddrinfo: ${lh} ${lp} ${fh} ${fp}: hostname nor servname provided, or not known`);
  }
  if (!Number.isInteger(local.port) || !Number.isInteger(remote.port)) return fail(1, 'tcpdrop: bad port');
  const label = `${lh} ${lp} ${fh} ${fp}`;
  if (list) return ok(`tcpdrop ${label}\n`);
  return host.drop(local, remote) ? ok(`${label}: dropped\n`) : fail(1, `tcpdrop: ${label}: No such process`);
};
