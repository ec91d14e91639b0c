/**
 * sysctl(8) in the dialect of the host's profile, reading and writing the profile's tunables
 * (modules/tcp sysctlMap through HostIntrospection). An unknown name fails with the real tool's
 * message and a non-zero status, so a script naming a tunable the emulator lacks stops there
 * instead of silently running with a default.
 *   FreeBSD: `sysctl [-nqwi] name[=value]...`, prints `name: value` / `name: old -> new`.
 *   Linux:   `sysctl [-nqwe] name[=value]...`, prints `name = value`; names may use '/'.
 */
import type { Tool, ToolResult } from './types.ts';
import { fail, ok } from './types.ts';

export const sysctlTool: Tool = (args, _stdin, env): ToolResult => {
  const host = env.host;
  const bsd = host.profile === 'freebsd';
  let valuesOnly = false;
  let quiet = false;
  let ignoreUnknown = false;
  let all = false;
  const items: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') && items.length === 0 && a.length > 1) {
      for (const f of a.slice(1)) {
        if (f === 'n') valuesOnly = true;
        else if (f === 'q') quiet = true;
        else if (f === 'w') continue;
        else if (f === 'a') all = true;
        else if ((f === 'i' && bsd) || (f === 'e' && !bsd)) ignoreUnknown = true;
        else return fail(1, `sysctl: unsupported option -${f}`);
      }
    } else {
      items.push(a);
    }
  }
  if (all) items.push(...host.sysctlNames().sort());
  if (items.length === 0) return fail(1, bsd ? 'usage: sysctl [-nqwi] name[=value] ...' : 'sysctl: no variables specified');

  let out = '';
  let err = '';
  let status = 0;
  for (const item of items) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).replace(/\//g, '.');
    const current = host.sysctlGet(name);
    if (current === undefined) {
      if (ignoreUnknown) continue;
      err += bsd ? `sysctl: unknown oid '${name}'\n` : `sysctl: cannot stat /proc/sys/${name.replace(/\./g, '/')}: No such file or directory\n`;
      status = bsd ? 1 : 255;
      continue;
    }
    if (eq < 0) {
      out += valuesOnly ? `${current}\n` : bsd ? `${name}: ${current}\n` : `${name} = ${current}\n`;
      continue;
    }
    const value = item.slice(eq + 1);
    const r = host.sysctlSet(name, value);
    if (!r.ok) {
      err += bsd ? `sysctl: ${name}=${value}: ${r.error}\n` : `sysctl: setting key "${name}": ${r.error}\n`;
      status = bsd ? 1 : 255;
      continue;
    }
    const now = host.sysctlGet(name) ?? value;
    if (bsd) out += valuesOnly ? `${now}\n` : `${name}: ${current} -> ${now}\n`;
    else if (!quiet) out += valuesOnly ? `${now}\n` : `${name} = ${now}\n`;
  }
  return status === 0 ? ok(out) : fail(status, err, out);
};
