/**
 * The benchmark suite behind `handoff bench` / `npm run bench`. Each area registers its
 * benchmarks here; every benchmark uses fixed seeds and prints its figures, so two runs on
 * the same machine can be compared. Ratios measured within one run are the figures to trust
 * on shared machines.
 */

export interface BenchResult {
  /** e.g. "streams: putnext through 4 modules". */
  name: string;
  value: number;
  unit: string;
  /** Free text: the goal, a ratio, the seed. */
  note?: string;
}

export interface Benchmark {
  area: string;
  name: string;
  run(): Promise<BenchResult[]> | BenchResult[];
}

const registry: Benchmark[] = [];

export function registerBenchmarks(...benches: Benchmark[]): void {
  registry.push(...benches);
}

export function benchmarks(): readonly Benchmark[] {
  return registry;
}

/** CPU seconds (user + system) spent by this process while running fn. */
export function cpuSeconds(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}
