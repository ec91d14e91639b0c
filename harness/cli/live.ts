import { resolve } from 'node:path';
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { runLive } from '../live/run.ts';
import { removeStale } from '../live/netns.ts';
import { preflight } from '../live/preflight.ts';
import { LiveError } from '../live/sys.ts';
import { DEFAULT_CLUSTER } from '../live/scenario-world.ts';

const USAGE =
  'usage: handoff live [--scenario FILE] [--network NAME] [--exec "COMMAND"] [--pcap FILE] [--seed N] [--max-time SECONDS] | handoff live --cleanup\n' +
  '  with no --scenario (or with --cluster) it runs the default handoff cluster: FE owning VIP 203.0.113.10, be1-be3';

export const liveCommand: Command = {
  name: 'live',
  summary: 'real clients (curl, wrk) talk to the emulated stacks through a TUN in a namespace of its own',
  async run(argv) {
    const o = { scenario: null as string | null, network: null as string | null, exec: null as string | null, pcap: null as string | null, seed: null as number | null, maxTime: 3600, cleanup: false };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const value = (): string => {
        const v = argv[++i];
        if (v === undefined) throw new CliError(`${a} needs a value\n${USAGE}`, 2);
        return v;
      };
      if (a === '--scenario') o.scenario = value();
      else if (a === '--network') o.network = value();
      else if (a === '--cluster') o.scenario = DEFAULT_CLUSTER;
      else if (a === '--exec') o.exec = value();
      else if (a === '--pcap') o.pcap = resolve(value());
      else if (a === '--seed') o.seed = intArg(a, value());
      else if (a === '--max-time') o.maxTime = intArg(a, value());
      else if (a === '--cleanup') o.cleanup = true;
      else if (a === '-h' || a === '--help') {
        process.stdout.write(USAGE + '\n');
        return 0;
      } else throw new CliError(`unknown option ${a}\n${USAGE}`, 2);
    }
    try {
      if (o.cleanup) {
        preflight();
        const removed = await removeStale();
        for (const s of removed) process.stdout.write(`removed ${s.ns} (${s.reason})\n`);
        if (removed.length === 0) process.stdout.write('no stale live namespaces\n');
        return 0;
      }
      return await runLive({
        scenario: o.scenario,
        network: o.network,
        exec: o.exec,
        pcap: o.pcap,
        seed: o.seed,
        maxTimeMs: o.maxTime * 1000,
        out: (l) => process.stdout.write(l + '\n'),
        err: (l) => process.stderr.write(l + '\n'),
      });
    } catch (err) {
      if (err instanceof LiveError) throw new CliError(err.message, err.exitCode);
      throw err;
    }
  },
};

function intArg(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} needs a whole number, got ${JSON.stringify(v)}`, 2);
  return n;
}
