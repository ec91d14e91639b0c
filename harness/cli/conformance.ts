/**
 * `handoff conformance <file.pkt|dir>... [--profile linux|freebsd] [--check] [--quiet]
 *  [--pcap DIR] [packetdrill options]`: plays packetdrill scripts against the emulated TCP,
 * each in a world of its own (harness/packetdrill/hosts.ts). Prints one line per script and
 * ends with "N passed, N failed"; failure reports (script line, expected, got, last packets) go
 * to stderr. With --pcap, every script's packets are written under DIR/<script>/ as pcap files.
 * Scripts under a directory named linux/ or freebsd/ play with that profile; --profile leaves
 * out those written for the other one (said on stderr). Exit status 0 only if every script
 * played passed.
 */
import { existsSync } from 'node:fs';
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { worldHostFactory } from '../packetdrill/hosts.ts';
import { buildConfig, parseRunnerArgs } from '../packetdrill/options.ts';
import { formatFailure } from '../packetdrill/report.ts';
import { checkFile, findScripts, playFile, profileOfPath } from '../packetdrill/suite.ts';
import type { HostFactory } from '../packetdrill/suite.ts';

export interface ConformanceIo {
  /** The host each script plays against; `captureDir` comes from --pcap. */
  factory(captureDir: string | undefined): HostFactory;
  out(text: string): void;
  err(text: string): void;
}

export function makeConformanceCommand(io: ConformanceIo): Command {
  return {
    name: 'conformance',
    summary: 'play packetdrill scripts (<file.pkt|dir>...) against the emulated TCP; --profile linux|freebsd, --pcap DIR',
    async run(argv) {
      const paths: string[] = [];
      const runnerArgs: string[] = [];
      let profile: string | undefined;
      let check = false;
      let quiet = false;
      let pcapDir: string | undefined;
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === '--profile') {
          const v = argv[++i];
          if (v !== 'linux' && v !== 'freebsd') throw new CliError(`--profile must be linux or freebsd, not ${v ?? 'nothing'}`, 2);
          profile = v;
        } else if (a.startsWith('--profile=')) {
          profile = a.slice('--profile='.length);
        } else if (a === '--check') {
          check = true;
        } else if (a === '--quiet' || a === '-q') {
          quiet = true;
        } else if (a === '--pcap') {
          pcapDir = argv[++i];
          if (pcapDir === undefined) throw new CliError('--pcap needs a directory', 2);
        } else if (a === '-D' || a === '--define') {
          const v = argv[++i];
          if (v === undefined) throw new CliError(`${a} needs NAME=VALUE`, 2);
          runnerArgs.push('-D', v);
        } else if (a.startsWith('-')) {
          runnerArgs.push(a);
        } else {
          paths.push(a);
        }
      }
      if (profile !== undefined) runnerArgs.unshift(`--profile=${profile}`);
      const opts = parseRunnerArgs(runnerArgs);
      if (!opts.ok) throw new CliError(opts.error, 2);
      const cfg = buildConfig([], opts.options);
      if (!cfg.ok) throw new CliError(cfg.error, 2);
      if (paths.length === 0) throw new CliError('usage: handoff conformance <file.pkt|dir>... [--profile linux|freebsd] [--check] [--pcap DIR]', 2);

      const files: string[] = [];
      for (const p of paths) {
        if (!existsSync(p)) throw new CliError(`no such file or directory: ${p}`);
        files.push(...findScripts(p));
      }
      if (files.length === 0) throw new CliError(`no .pkt scripts under ${paths.join(', ')}`);
      const factory = check ? null : io.factory(pcapDir);

      let passed = 0;
      let failed = 0;
      const skipped = new Map<string, number>();
      for (const f of files) {
        // A script under a directory named after a profile was written for that stack: it plays
        // with that profile, and a run for the other profile leaves it out.
        const own = profileOfPath(f);
        if (own !== null && profile !== undefined && own !== profile) {
          skipped.set(own, (skipped.get(own) ?? 0) + 1);
          continue;
        }
        const args = own !== null && profile === undefined ? [`--profile=${own}`, ...runnerArgs] : runnerArgs;
        const r = check ? checkFile(f, args) : await playFile(f, factory!, args);
        if (r.ok) {
          passed++;
          io.out(`PASS ${f}\n`);
        } else {
          failed++;
          const fl = r.failure!;
          io.out(`FAIL ${f}${fl.line ? `:${fl.line}` : ''}: ${fl.message}\n`);
          if (!quiet) io.err(formatFailure(fl) + '\n\n');
        }
      }
      for (const [own, n] of skipped) io.err(`skipped ${n} script${n === 1 ? '' : 's'} written for ${own} (run them with --profile ${own})\n`);
      io.out(`${passed} passed, ${failed} failed\n`);
      return failed === 0 ? 0 : 1;
    },
  };
}

export const conformanceCommand: Command = makeConformanceCommand({
  factory: (captureDir) => worldHostFactory(captureDir === undefined ? {} : { captureDir }),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
