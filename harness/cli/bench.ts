import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { benchmarks } from '../bench/suite.ts';
import '../bench/index.ts';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run the benchmark suite (fixed seeds) and print its figures; --area NAME to pick one',
  async run(argv) {
    let area: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--area') area = argv[++i];
      else throw new CliError(`unknown option '${argv[i]}'`, 2);
    }
    const chosen = benchmarks().filter((b) => area === undefined || b.area === area);
    if (chosen.length === 0) throw new CliError(area ? `no benchmarks in area '${area}'` : 'no benchmarks registered');
    for (const b of chosen) {
      const results = await b.run();
      for (const r of results) {
        const v = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(3);
        process.stdout.write(`${`${b.area}: ${r.name}`.padEnd(58)} ${v.padStart(14)} ${r.unit}${r.note ? `  (${r.note})` : ''}\n`);
      }
    }
    return 0;
  },
};
