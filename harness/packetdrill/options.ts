/**
 * Run configuration from packetdrill options: the ones written at the top of a script and the
 * ones given to the runner (which win), in packetdrill's spelling (`--tolerance_usecs=10000`,
 * `-D NAME=VALUE`). Unknown options are errors, as in packetdrill.
 */
import type { ScriptOption } from './ast.ts';
import type { ProfileName } from './symbols.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import { splitDefine } from './parser.ts';

export interface RunConfig {
  profile: ProfileName;
  toleranceUsecs: number;
  tolerancePercent: number;
  /** Microseconds per TS val tick for the outbound TS val check; 0 disables it. */
  tsTickUsecs: number;
  tsEcrScaled: boolean;
  /** Compare outbound TS ecr exactly (our addition; packetdrill leaves it unchecked). */
  checkTsEcr: boolean;
  /** Never merge several segments to match one scripted packet. */
  strictSegments: boolean;
  /** Fail on an outbound segment no script line accounts for (our addition; default on). */
  strictOutbound: boolean;
  localIp: Ipv4Addr;
  remoteIp: Ipv4Addr;
  bindPort: number;
  connectPort: number;
  /** --mss / --mtu: for the world that hosts the stack under test (link MTU, route MSS). */
  mss?: number;
  mtu?: number;
  defines: Record<string, string>;
  verbose: boolean;
}

export const DEFAULT_CONFIG: RunConfig = {
  profile: 'linux',
  toleranceUsecs: 4000,
  tolerancePercent: 0,
  tsTickUsecs: 0,
  tsEcrScaled: false,
  checkTsEcr: false,
  strictSegments: false,
  strictOutbound: true,
  localIp: ipv4('192.168.0.1'),
  remoteIp: ipv4('192.0.2.1'),
  bindPort: 8080,
  connectPort: 8080,
  defines: {},
  verbose: false,
};

export type ConfigResult = { ok: true; config: RunConfig } | { ok: false; error: string; option: string };

/** Options a runner accepts, as `--name[=value]`, `--name value` is not packetdrill syntax. */
export function parseRunnerArgs(args: string[]): { ok: true; options: ScriptOption[] } | { ok: false; error: string } {
  const out: ScriptOption[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const loc = { line: 0, col: 0 };
    if (a === '-D' || a === '--define') {
      const v = args[++i];
      if (v === undefined) return { ok: false, error: `${a} needs NAME=VALUE` };
      out.push({ name: 'define', value: v, loc });
    } else if (a.startsWith('-D') && a.length > 2) {
      out.push({ name: 'define', value: a.slice(2), loc });
    } else if (a === '-v') {
      out.push({ name: 'verbose', value: null, loc });
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      out.push(eq < 0 ? { name: a.slice(2), value: null, loc } : { name: a.slice(2, eq), value: a.slice(eq + 1), loc });
    } else {
      return { ok: false, error: `not an option: ${a}` };
    }
  }
  return { ok: true, options: out };
}

/** Options packetdrill has that only matter on a real machine; accepted and ignored here. */
const IGNORED = new Set(['non_fatal', 'dry_run', 'debug', 'send_omit_free', 'is_anyip', 'init_scripts', 'speed', 'gateway_ip', 'netmask_ip', 'so_filename', 'so_flags', 'code_command', 'code_format', 'code_sockopt']);

export function buildConfig(scriptOptions: ScriptOption[], runnerOptions: ScriptOption[], base: RunConfig = DEFAULT_CONFIG): ConfigResult {
  const cfg: RunConfig = { ...base, defines: { ...base.defines } };
  for (const o of [...scriptOptions, ...runnerOptions]) {
    const err = apply(cfg, o);
    if (err) return { ok: false, error: err, option: o.name };
  }
  return { ok: true, config: cfg };
}

function apply(cfg: RunConfig, o: ScriptOption): string | null {
  const v = o.value;
  const need = (): string | null => (v === null ? `--${o.name} needs a value` : null);
  const int = (min: number, max: number): number | string => {
    if (v === null || !/^\d+$/.test(v)) return `--${o.name} needs an integer`;
    const n = Number(v);
    return n < min || n > max ? `--${o.name} out of range (${min}..${max})` : n;
  };
  const set = <K extends keyof RunConfig>(k: K, x: RunConfig[K] | string): string | null => {
    if (typeof x === 'string' && typeof cfg[k] !== 'string') return x;
    cfg[k] = x as RunConfig[K];
    return null;
  };
  switch (o.name) {
    case 'ip_version':
      if (v === 'ipv4') return null;
      if (v === 'ipv6' || v === 'ipv4-mapped-ipv6') return `--ip_version=${v} is not supported: the emulated stack is IPv4 only`;
      return `bad --ip_version: ${v ?? ''}`;
    case 'tolerance_usecs':
      return set('toleranceUsecs', int(0, 1e9));
    case 'tolerance_percent': {
      if (v === null || !/^\d+(\.\d+)?$/.test(v)) return '--tolerance_percent needs a number';
      cfg.tolerancePercent = Number(v);
      return null;
    }
    case 'tcp_ts_tick_usecs':
      return set('tsTickUsecs', int(0, 1e9));
    case 'tcp_ts_ecr_scaled':
      cfg.tsEcrScaled = true;
      return null;
    case 'check_ts_ecr':
      cfg.checkTsEcr = true;
      return null;
    case 'strict_segments':
      cfg.strictSegments = true;
      return null;
    case 'lenient_outbound':
      cfg.strictOutbound = false;
      return null;
    case 'mss':
      return set('mss', int(1, 65535));
    case 'mtu':
      return set('mtu', int(68, 65535));
    case 'bind_port':
      return set('bindPort', int(1, 65535));
    case 'connect_port':
      return set('connectPort', int(1, 65535));
    case 'local_ip':
    case 'remote_ip': {
      const e = need();
      if (e) return e;
      try {
        const addr = ipv4(v!.replace(/\/\d+$/, ''));
        if (o.name === 'local_ip') cfg.localIp = addr;
        else cfg.remoteIp = addr;
        return null;
      } catch {
        return `--${o.name}: not an IPv4 address: ${v}`;
      }
    }
    case 'profile':
      if (v !== 'linux' && v !== 'freebsd') return `--profile must be linux or freebsd, not ${v ?? ''}`;
      cfg.profile = v;
      return null;
    case 'define': {
      const kv = v === null ? null : splitDefine(v);
      if (!kv) return '--define needs NAME=VALUE';
      cfg.defines[kv[0]] = kv[1];
      return null;
    }
    case 'verbose':
      cfg.verbose = true;
      return null;
    case 'wire_client':
    case 'wire_server':
    case 'wire_server_ip':
    case 'wire_server_at':
    case 'wire_server_port':
    case 'wire_client_dev':
    case 'wire_server_dev':
      return `--${o.name}: wire mode is not supported (scripts run against emulated hosts)`;
    default:
      if (IGNORED.has(o.name)) return null;
      return `unknown option --${o.name}`;
  }
}
