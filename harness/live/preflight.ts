/**
 * What a live session needs before it touches anything: root, `ip`, `socat`, the TUN device and
 * network namespaces. Each missing piece is one clear line saying how to get it, and nothing
 * has been created yet when it is reported.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LiveError } from './sys.ts';

export interface Requirement {
  tool: string;
  /** What the session uses it for. */
  why: string;
  /** How to install it on Debian/Ubuntu. */
  install: string;
}

export const requiredTools: readonly Requirement[] = [
  { tool: 'ip', why: 'to make the network namespace and its routes', install: 'apt-get install iproute2' },
  { tool: 'socat', why: 'to bridge the TUN device to the emulator', install: 'apt-get install socat' },
];

/** The path of an executable found on PATH, or null. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export interface PreflightEnv {
  uid: number;
  path: string;
  exists: (p: string) => boolean;
}

const systemEnv = (): PreflightEnv => ({
  uid: typeof process.getuid === 'function' ? process.getuid() : -1,
  path: process.env.PATH ?? '',
  exists: existsSync,
});

/** Throws a LiveError naming the first thing missing. */
export function preflight(env: PreflightEnv = systemEnv()): void {
  if (env.uid !== 0) {
    throw new LiveError('live mode needs root (it makes a network namespace and a TUN device): run it with sudo');
  }
  for (const r of requiredTools) {
    if (findExecutable(r.tool, env.path) === null) {
      throw new LiveError(`${r.tool} is not installed; live mode needs it ${r.why} (install: ${r.install})`);
    }
  }
  if (!env.exists('/dev/net/tun')) {
    throw new LiveError('/dev/net/tun is missing: load the TUN driver (modprobe tun), or run the container with --device /dev/net/tun');
  }
  if (!env.exists('/proc/self/ns/net')) {
    throw new LiveError('this kernel has no network namespaces (CONFIG_NET_NS)');
  }
}
