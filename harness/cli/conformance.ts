/**
 * `handoff conformance <file.pkt|dir>... [--profile linux|freebsd] [--check] [--quiet]
 *  [--pcap DIR] [packetdrill options]`: plays packetdrill scripts against the emulated TCP,
 * each in a world of its own (harness/packetdrill/hosts.ts). Prints one line per script and
 * ends with "N passed, N failed"; failure reports (script line, expected, got, last packets) go
 * to stderr. With --pcap, every script's packets are written under DIR/<script>/ as pcap files.
 * Scripts under a directory named linux/ or freebsd/ play with that profile; --profile leaves
 * out those written for the other one (said on stderr). Exit status 0 only if every script
 * played passed.
 *
 * Cluster mode (`--cluster`): the script plays the client against a whole handoff cluster's VIP
 * (harness/packetdrill/cluster.ts: router, FE owning the VIP, back ends with UTCP/BTCP and
 * handoffd). Packetdrill payloads are zeros, so the bytes the client sends come from a
 * `// client-stream: "<JSON string>"` comment line in the script, or `--client-stream JSON`,
 * or default to a GET that the default policy hands to a back end. `--backends N` sets the
 * number of back ends (default 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { worldHostFactory } from '../packetdrill/hosts.ts';
import { buildConfig, parseRunnerArgs } from '../packetdrill/options.ts';
import { formatFailure } from '../packetdrill/report.ts';
import { checkFile, findScripts, playFile, profileOfPath } from '../packetdrill/suite.ts';
import type { HostFactory } from '../packetdrill/suite.ts';
import { clusterHostFactory, type ClusterModeOptions } from '../packetdrill/cluster.ts';

export interface ConformanceIo {
  /** The host each script plays against; `captureDir` comes from --pcap. */
  factory(captureDir: string | undefined): HostFactory;
  /** Cluster mode's host for one script (--cluster). */
  clusterFactory(opts: ClusterModeOptions): HostFactory;
  out(text: string): void;
  err(text: string): void;
}

export function makeConformanceCommand(io: ConformanceIo): Command {
  return {
    name: 'conformance',
    summary: 'play packetdrill scripts (<file.pkt|dir>...) against the emulated TCP; --profile linux|freebsd, --pcap DIR, --cluster (a whole cluster\'s VIP)',
    async run(argv) {
      const paths: string[] = [];
      const runnerArgs: string[] = [];
      let profile: string | undefined;
      let check = false;
      let quiet = false;
      let pcapDir: string | undefined;
      let cluster = false;
      let clientStream: string | undefined;
      let backEnds: number | undefined;
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === '--cluster') {
          cluster = true;
        } else if (a === '--client-stream') {
          clientStream = jsonString(argv[++i], '--client-stream');
          cluster = true;
        } else if (a === '--backends') {
          const v = Number(argv[++i]);
          if (!Number.isInteger(v) || v < 1 || v > 16) throw new CliError(`--backends must be a whole number from 1 to 16, not ${argv[i] ?? 'nothing'}`, 2);
          backEnds = v;
          cluster = true;
        } else if (a === '--profile') {
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
      if (paths.length === 0) throw new CliError('usage: handoff conformance <file.pkt|dir>... [--profile linux|freebsd] [--check] [--pcap DIR] [--cluster [--client-stream JSON] [--backends N]]', 2);

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
        let r;
        if (check) r = checkFile(f, args);
        else if (cluster) {
          const opts: ClusterModeOptions = { clientStream: clientStream ?? scriptClientStream(f) };
          if (backEnds !== undefined) opts.backEnds = backEnds;
          if (pcapDir !== undefined) opts.captureDir = pcapDir;
          r = await playFile(f, io.clusterFactory(opts), args);
        } else r = await playFile(f, factory!, args);
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

const CLIENT_STREAM_LINE = /^\s*\/\/\s*client-stream:\s*(.+?)\s*$/m;

/** The client's bytes declared in a script (`// client-stream: "GET / ..."`), if any. */
function scriptClientStream(file: string): string | undefined {
  const m = CLIENT_STREAM_LINE.exec(readFileSync(file, 'utf8'));
  return m ? jsonString(m[1], `${file}: client-stream`) : undefined;
}

function jsonString(text: string | undefined, what: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text ?? '');
  } catch {
    v = undefined;
  }
  if (typeof v !== 'string' || v.length === 0) {
    throw new CliError(`${what}: expected a JSON string like "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", found ${text ?? 'nothing'}`, 2);
  }
  return v;
}

export const conformanceCommand: Command = makeConformanceCommand({
  factory: (captureDir) => worldHostFactory(captureDir === undefined ? {} : { captureDir }),
  clusterFactory: (opts) => clusterHostFactory(opts),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
