/**
 * The shell's commands. Each checks its arguments and fails with a ShellError whose message is
 * the one line the user sees; the table also makes `help`.
 */
import { dumpStream, type Position } from '../../../lib/streams/index.ts';
import { MS, SEC, formatTime } from '../../../lib/sim/time.ts';
import { formatPrefix } from '../../world/addr.ts';
import type { FaultSettings } from '../../world/faults.ts';
import { loadedModuleName, loadModuleFiles } from '../build.ts';
import { didYouMean } from '../messages.ts';
import { placesOf, PlaceError } from '../places.ts';
import { isModulePath, placeOf as stackPlaceOf } from '../resolve.ts';
import { parseWhere } from '../push-flag.ts';
import { rolesOf } from '../summary.ts';
import { durationPattern, parseDuration } from '../units.ts';
import { MAX_IDLE_RUN } from '../model.ts';
import { runIoctl } from './ioctl.ts';
import { ShellError, type Session } from './session.ts';
import { resolve } from 'node:path';

export interface ShellCommand {
  name: string;
  usage: string;
  summary: string;
  run(s: Session, args: string[]): void | Promise<void>;
}

function need(args: string[], min: number, max: number, cmd: ShellCommand): void {
  if (args.length < min || args.length > max) throw new ShellError(`usage: ${cmd.usage}`);
}

function host(s: Session, name: string) {
  const h = s.world.hosts.get(name);
  if (h === undefined) {
    const names = [...s.world.hosts.keys()];
    const g = didYouMean(name, names);
    throw new ShellError(`no host '${name}'${g ? ` (did you mean '${g}'?)` : ''}; hosts: ${names.join(', ')}`);
  }
  return h;
}

function place(s: Session, hostName: string, at: string) {
  host(s, hostName);
  try {
    return s.built.place(hostName, at);
  } catch (e) {
    if (e instanceof PlaceError) throw new ShellError(`${e.message} (places: ${placesOf(s.world.getHost(hostName), s.built.tcp.get(hostName)).map((p) => p.label.split(' ')[1]).join(', ')})`);
    throw e;
  }
}

function plumb(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    throw new ShellError((e as Error).message);
  }
}

function duration(text: string): number {
  if (!new RegExp(durationPattern).test(text) && !/^\d+$/.test(text)) throw new ShellError(`expected a duration like "10ms" or a number of ns, found "${text}"`);
  return /^\d+$/.test(text) ? Number(text) : parseDuration(text);
}

async function advance(s: Session, until: number): Promise<number> {
  const w = s.world;
  const before = w.sched.eventsRun;
  if (s.built.apps?.needsAsync) await w.runAsync({ until });
  else w.runUntil(until);
  return w.sched.eventsRun - before;
}

/** How long `request` runs the clock for an answer. */
const REQUEST_WAIT = 60 * SEC;

const faultKeys = ['loss', 'duplicate', 'reorder', 'reorderDelay', 'corrupt', 'corruptBits'] as const;

export const commands: ShellCommand[] = [
  {
    name: 'help',
    usage: 'help [COMMAND]',
    summary: 'list the commands, or explain one',
    run(s, args) {
      need(args, 0, 1, this);
      if (args.length === 1) {
        const c = commands.find((x) => x.name === args[0]);
        if (c === undefined) throw new ShellError(`no command '${args[0]}'`);
        s.print(`${c.usage}\n  ${c.summary}`);
        return;
      }
      for (const c of commands) s.print(`  ${c.usage.padEnd(44)} ${c.summary}`);
    },
  },
  {
    name: 'hosts',
    usage: 'hosts',
    summary: 'hosts, their roles and addresses',
    run(s, args) {
      need(args, 0, 0, this);
      const roles = rolesOf(s.built);
      for (const h of s.world.hosts.values()) {
        const addrs = h.interfaces.map((i) => `${i.name} ${i.addrs.map(formatPrefix).join(' ')}`).join(', ');
        s.print(`${h.name.padEnd(10)} ${(roles.get(h.name) ?? 'host').padEnd(10)} ${addrs}`);
      }
    },
  },
  {
    name: 'stack',
    usage: 'stack HOST',
    summary: "a host's stack: each place and its modules, top first",
    run(s, args) {
      need(args, 1, 1, this);
      const h = host(s, args[0]!);
      const tcp = s.built.tcp.get(h.name);
      if (tcp === undefined) s.print(`${h.name} has no TCP (IP only)`);
      for (const p of placesOf(h, tcp)) {
        const at = p.label.split(' ')[1]!;
        const mods = p.modules();
        s.print(p.stream === null ? `  ${at.padEnd(10)} autopush: ${mods.length ? mods.join(' > ') : '(none)'}` : `  ${at.padEnd(10)} ${p.stream.list().join(' > ')}`);
      }
    },
  },
  {
    name: 'modules',
    usage: 'modules',
    summary: 'the modules that can be pushed by name',
    run(s, args) {
      need(args, 0, 0, this);
      for (const m of s.built.registry.list()) {
        const mi = m.streamtab.rdinit.minfo;
        s.print(`  ${m.name.padEnd(10)} ${m.kind.padEnd(7)} id ${String(mi.id).padEnd(6)} hiwat ${mi.hiwat} lowat ${mi.lowat}  ${m.description ?? ''}`);
      }
    },
  },
  {
    name: 'push',
    usage: 'push HOST PLACE MODULE [top|bottom|above=M|below=M]',
    summary: 'push a module (a name or a ./file.ts) at a place (eth0, tcp-lower, tcp-upper)',
    async run(s, args) {
      need(args, 3, 4, this);
      const [h, at, mod, whereText] = args as [string, string, string, string | undefined];
      const p = place(s, h, at);
      const where = whereText === undefined ? 'top' : parseWhere(whereText);
      if (where === null) throw new ShellError(`unknown position '${whereText}' (top, bottom, above=MODULE, below=MODULE)`);
      let name = mod;
      if (isModulePath(mod)) {
        const file = resolve(mod);
        const action = { ptr: 'push', host: h, module: file, isFile: true, at, place: stackPlaceOf(at), where: where as Position, time: null, action: 'push' as const };
        try {
          await loadModuleFiles(s.built.registry, [action]);
        } catch (e) {
          throw new ShellError((e as Error).message);
        }
        name = loadedModuleName(s.built.registry, file) ?? name;
      } else if (s.built.registry.get(mod)?.kind !== 'module') {
        const names = s.built.registry.list().filter((m) => m.kind === 'module').map((m) => m.name);
        const g = didYouMean(mod, names);
        throw new ShellError(`no module '${mod}'${g ? ` (did you mean '${g}'?)` : ''}; modules: ${names.join(', ')}; a file path starts with ./ or /`);
      }
      plumb(() => p.push(name, where as Position));
      s.print(`pushed ${name} at ${p.label}: ${p.modules().join(' > ') || '(none)'}`);
    },
  },
  {
    name: 'pop',
    usage: 'pop HOST PLACE [MODULE]',
    summary: 'pop the top module at a place, or the one named',
    run(s, args) {
      need(args, 2, 3, this);
      const p = place(s, args[0]!, args[1]!);
      plumb(() => p.pop(args[2] ?? null));
      s.print(`popped at ${p.label}: ${p.modules().join(' > ') || '(none)'}`);
    },
  },
  {
    name: 'dump',
    usage: 'dump HOST PLACE',
    summary: "a place's stream, queue by queue (count, messages, water marks, flags)",
    run(s, args) {
      need(args, 2, 2, this);
      const p = place(s, args[0]!, args[1]!);
      if (p.stream === null) throw new ShellError(`${p.label} is an autopush list, not a stream: dump an endpoint's stream instead`);
      s.print(dumpStream(p.stream));
    },
  },
  {
    name: 'time',
    usage: 'time',
    summary: 'the virtual clock and the events pending',
    run(s, args) {
      need(args, 0, 0, this);
      const next = s.world.sched.nextTime();
      s.print(`now ${formatTime(s.world.now())}, ${s.world.sched.pending} events pending${next === undefined ? '' : `, next at ${formatTime(next)}`}`);
    },
  },
  {
    name: 'step',
    usage: 'step [N]',
    summary: 'run the next N events (default 1)',
    run(s, args) {
      need(args, 0, 1, this);
      const n = args.length === 0 ? 1 : Number(args[0]);
      if (!Number.isInteger(n) || n < 1) throw new ShellError(`expected a number of events >= 1, found "${args[0]}"`);
      const before = s.world.sched.eventsRun;
      s.world.sched.runSlice(Number.MAX_SAFE_INTEGER, n, false);
      s.print(`ran ${s.world.sched.eventsRun - before} event(s); now ${formatTime(s.world.now())}`);
    },
  },
  {
    name: 'run',
    usage: 'run [DURATION]',
    summary: 'advance the virtual clock by DURATION ("10ms"), or until nothing is left to do',
    async run(s, args) {
      need(args, 0, 1, this);
      const w = s.world;
      let events: number;
      if (args.length === 1) {
        events = await advance(s, w.now() + duration(args[0]!));
      } else {
        const before = w.sched.eventsRun;
        const limit = Math.min(w.now() + MAX_IDLE_RUN, s.built.scenario.until ?? Number.MAX_SAFE_INTEGER);
        if (s.built.apps?.needsAsync) await w.runAsync({ until: limit });
        else w.sched.runSlice(limit, s.built.scenario.maxEvents, false);
        events = w.sched.eventsRun - before;
      }
      s.print(`ran ${events} event(s); now ${formatTime(w.now())}`);
    },
  },
  {
    name: 'watch',
    usage: 'watch [on|off|TEXT]',
    summary: 'print trace events as they happen (all, or those containing TEXT)',
    run(s, args) {
      need(args, 0, 1, this);
      const a = args[0] ?? 'on';
      s.watch = a === 'off' ? null : a === 'on' ? '' : a;
      s.print(s.watch === null ? 'watch off' : s.watch === '' ? 'watching every trace event' : `watching events containing '${s.watch}'`);
    },
  },
  {
    name: 'trace',
    usage: 'trace [N]',
    summary: 'the last N trace lines (default 10)',
    run(s, args) {
      need(args, 0, 1, this);
      const n = args.length === 0 ? 10 : Number(args[0]);
      if (!Number.isInteger(n) || n < 1) throw new ShellError(`expected a number of lines >= 1, found "${args[0]}"`);
      const lines = s.recent.slice(-n);
      if (lines.length === 0) s.print('(no trace yet)');
      for (const l of lines) s.print(l);
    },
  },
  {
    name: 'send',
    usage: 'send HOST DST [TEXT]',
    summary: 'send one IP packet of the test protocol from HOST to address DST (shows in the trace)',
    run(s, args) {
      need(args, 2, 3, this);
      const h = host(s, args[0]!);
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(args[1]!)) throw new ShellError(`expected an IPv4 address, found "${args[1]}"`);
      const payload = new TextEncoder().encode(args[2] ?? 'hello');
      plumb(() => s.raw(h.name).send({ dst: args[1]!, payload }));
      s.print(`queued ${payload.length} bytes from ${h.name} to ${args[1]} (run the clock to deliver)`);
    },
  },
  {
    name: 'request',
    usage: 'request HOST URL',
    summary: 'send an HTTP request from HOST (needs the applications)',
    async run(s, args) {
      need(args, 2, 2, this);
      const h = host(s, args[0]!);
      const apps = s.built.apps;
      if (apps?.request === undefined) throw new ShellError('requests need the emulated TCP, sockets and applications, which this scenario or build does not have');
      let out: { line: string } | { error: Error } | null = null;
      apps.request(h.name, args[1]!).then(
        (line) => (out = { line }),
        (error: Error) => (out = { error }),
      );
      const w = s.world;
      const limit = w.now() + REQUEST_WAIT;
      // Run the clock until the answer is in (Node's http needs turns between instants).
      while (out === null && w.now() < limit && w.sched.nextTime() !== undefined) await w.runAsync({ until: Math.min(limit, w.now() + 10 * MS) });
      const o = out as { line: string } | { error: Error } | null;
      if (o === null) throw new ShellError(`no answer within ${REQUEST_WAIT / SEC} s of virtual time`);
      if ('error' in o) throw new ShellError(`request failed: ${o.error.message}`);
      s.print(o.line);
    },
  },
  {
    name: 'links',
    usage: 'links [HOST]',
    summary: 'link directions with their counters (only those of HOST)',
    run(s, args) {
      need(args, 0, 1, this);
      if (args[0] !== undefined) host(s, args[0]);
      for (const n of s.world.networks.values()) {
        for (const l of n.links) {
          for (const d of l.directions) {
            if (args[0] !== undefined && !d.name.includes(args[0])) continue;
            const c = d.counters;
            s.print(`  ${d.name.padEnd(32)} ${l.isUp ? 'up  ' : 'DOWN'} sent ${c.sent} delivered ${c.delivered} lost ${c.lost} drops ${c.queueDrops + c.mtuDrops + c.partitionDrops + c.downDrops}`);
          }
        }
      }
    },
  },
  {
    name: 'fault',
    usage: 'fault HOST NETWORK out|in|both KEY=VALUE...',
    summary: `set faults on a host's cable (${faultKeys.join(', ')}; clear to reset)`,
    run(s, args) {
      if (args.length < 4) throw new ShellError(`usage: ${this.usage}`);
      const [h, net, dir, ...kvs] = args as [string, string, string, ...string[]];
      host(s, h);
      let link;
      try {
        link = s.world.link(h, net);
      } catch (e) {
        throw new ShellError((e as Error).message);
      }
      if (dir !== 'out' && dir !== 'in' && dir !== 'both') throw new ShellError(`expected out, in or both, found "${dir}"`);
      const dirs = dir === 'out' ? [link.from(h)] : dir === 'in' ? [link.to(h)] : [link.from(h), link.to(h)];
      if (kvs.length === 1 && kvs[0] === 'clear') {
        for (const d of dirs) d.clearFaults();
        s.print(`faults cleared on ${dirs.map((d) => d.name).join(', ')}`);
        return;
      }
      const change: Partial<FaultSettings> = {};
      for (const kv of kvs) {
        const [k, v] = kv.split('=', 2) as [string, string | undefined];
        if (!(faultKeys as readonly string[]).includes(k) || v === undefined) throw new ShellError(`expected KEY=VALUE with KEY one of ${faultKeys.join(', ')}, found "${kv}"`);
        (change as Record<string, number>)[k] = k === 'reorderDelay' ? duration(v) : Number(v);
      }
      plumb(() => dirs.forEach((d) => d.setFaults(change)));
      s.print(`faults set on ${dirs.map((d) => d.name).join(', ')}`);
    },
  },
  {
    name: 'down',
    usage: 'down HOST NETWORK',
    summary: "cut a host's cable (queued and in-flight packets are lost)",
    run(s, args) {
      need(args, 2, 2, this);
      host(s, args[0]!);
      plumb(() => s.world.link(args[0]!, args[1]!).down());
      s.print(`cable of ${args[0]} on ${args[1]} is down`);
    },
  },
  {
    name: 'up',
    usage: 'up HOST NETWORK',
    summary: "mend a host's cable",
    run(s, args) {
      need(args, 2, 2, this);
      host(s, args[0]!);
      plumb(() => s.world.link(args[0]!, args[1]!).up());
      s.print(`cable of ${args[0]} on ${args[1]} is up`);
    },
  },
  {
    name: 'stats',
    usage: 'stats HOST',
    summary: "a host's IP counters (those that are not zero)",
    run(s, args) {
      need(args, 1, 1, this);
      const h = host(s, args[0]!);
      const st = h.stack.ipStats() as unknown as Record<string, number>;
      const nz = Object.entries(st).filter(([, v]) => v !== 0);
      s.print(nz.length === 0 ? `${h.name}: all IP counters are zero` : nz.map(([k, v]) => `  ${k} ${v}`).join('\n'));
    },
  },
  {
    name: 'ioctl',
    usage: 'ioctl HOST PLACE CMD [JSON]',
    summary: "an ioctl at ip, an interface, tcp or tcp+MODULE (e.g. tcp+syncount SYNCOUNT_ASK); prints the answer",
    async run(s, args) {
      need(args, 3, 4, this);
      host(s, args[0]!);
      await runIoctl(s, args[0]!, args[1]!, args[2]!, args[3]);
    },
  },
  {
    name: 'quit',
    usage: 'quit',
    summary: 'leave the shell (end of input does too)',
    run() {},
  },
];
