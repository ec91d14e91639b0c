/**
 * `handoff modules [FILE...] [--json]`: the registered modules and drivers with their
 * module_info (id, name, packet sizes, water marks), plus any module files given, loaded the
 * way a scenario loads them.
 */
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { INFPSZ, type StreamsModule } from '../../lib/streams/index.ts';
import { builtinRegistry } from '../scenario/builtins.ts';

export interface ModulesIo {
  out(text: string): void;
}

export interface ModuleRow {
  name: string;
  kind: 'module' | 'driver';
  id: number;
  minpsz: number;
  /** null: no limit (INFPSZ). */
  maxpsz: number | null;
  hiwat: number;
  lowat: number;
  description: string;
}

export function moduleRow(m: StreamsModule): ModuleRow {
  const mi = m.streamtab.rdinit.minfo;
  return {
    name: m.name,
    kind: m.kind,
    id: mi.id,
    minpsz: mi.minpsz,
    maxpsz: mi.maxpsz === INFPSZ ? null : mi.maxpsz,
    hiwat: mi.hiwat,
    lowat: mi.lowat,
    description: m.description ?? '',
  };
}

export function formatModuleTable(rows: readonly ModuleRow[]): string {
  const head = ['NAME', 'KIND', 'ID', 'MINPSZ', 'MAXPSZ', 'HIWAT', 'LOWAT', 'DESCRIPTION'];
  const cells = rows.map((r) => [r.name, r.kind, String(r.id), String(r.minpsz), r.maxpsz === null ? 'INF' : String(r.maxpsz), String(r.hiwat), String(r.lowat), r.description]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

export function makeModulesCommand(io: ModulesIo): Command {
  return {
    name: 'modules',
    summary: 'list registered modules and drivers with their module_info; FILE... loads module files too; --json',
    async run(argv) {
      let json = false;
      const files: string[] = [];
      for (const a of argv) {
        if (a === '--json') json = true;
        else if (a.startsWith('-')) throw new CliError(`unknown option '${a}'\nusage: handoff modules [FILE...] [--json]`, 2);
        else files.push(a);
      }
      const reg = builtinRegistry();
      for (const f of files) {
        try {
          await reg.load(f, undefined, { replace: true });
        } catch (e) {
          throw new CliError(`cannot load ${f}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      const rows = reg.list().map(moduleRow);
      io.out(json ? `${JSON.stringify(rows, null, 2)}\n` : formatModuleTable(rows));
      return 0;
    },
  };
}

export const modulesCommand: Command = makeModulesCommand({ out: (t) => process.stdout.write(t) });
