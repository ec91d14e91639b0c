/**
 * The `--push` flag of `handoff run` and `handoff shell`: a module action given on the command
 * line instead of in the file.
 *
 *   HOST:PLACE:MODULE[@TIME]      PLACE = eth0 | tcp-lower | tcp-upper, optionally /top,
 *                                 /bottom, /above=NAME or /below=NAME
 *
 *   --push fe:tcp-lower:./my-module.ts          --push be1:eth0/bottom:counter@2s
 *
 * A module path is relative to the working directory.
 */
import { resolve } from 'node:path';
import type { ModuleAction } from './model.ts';
import { isModulePath, placeOf } from './resolve.ts';
import type { ModuleWhere } from './types.ts';
import { durationPattern, parseDuration } from './units.ts';

const USAGE = 'expected HOST:PLACE:MODULE[@TIME], e.g. fe:tcp-lower:./my-module.ts or be1:eth0/bottom:counter@2s';

export function parseWhere(text: string): ModuleWhere | null {
  if (text === 'top' || text === 'bottom') return text;
  const m = /^(above|below)=(.+)$/.exec(text);
  if (m === null) return null;
  return m[1] === 'above' ? { above: m[2]! } : { below: m[2]! };
}

function toPosition(w: ModuleWhere): ModuleAction['where'] {
  if (w === 'top' || w === 'bottom') return w;
  return 'above' in w ? { above: w.above } : { below: w.below };
}

/** Parse one --push value; `action` pop gives a --pop. */
export function parsePushFlag(value: string, cwd: string = process.cwd(), action: 'push' | 'pop' = 'push'): { ok: true; action: ModuleAction } | { ok: false; error: string } {
  const first = value.indexOf(':');
  const second = first < 0 ? -1 : value.indexOf(':', first + 1);
  if (first <= 0 || second < 0) return { ok: false, error: `--${action} ${value}: ${USAGE}` };
  const host = value.slice(0, first);
  const placeText = value.slice(first + 1, second);
  let module = value.slice(second + 1);
  let time: number | null = null;
  const at = module.lastIndexOf('@');
  if (at > 0 && new RegExp(durationPattern).test(module.slice(at + 1))) {
    time = parseDuration(module.slice(at + 1));
    module = module.slice(0, at);
  }
  if (module === '' || placeText === '') return { ok: false, error: `--${action} ${value}: ${USAGE}` };
  const [place, whereText] = placeText.split('/', 2) as [string, string | undefined];
  const where = whereText === undefined ? 'top' : parseWhere(whereText);
  if (where === null) return { ok: false, error: `--${action} ${value}: unknown position "${whereText}" (top, bottom, above=NAME, below=NAME)` };
  const isFile = isModulePath(module);
  return {
    ok: true,
    action: {
      ptr: `--${action} ${value}`,
      host,
      module: isFile ? resolve(cwd, module) : module,
      isFile,
      at: place,
      place: placeOf(place),
      where: toPosition(where),
      time,
      action,
    },
  };
}
