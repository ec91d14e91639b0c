/**
 * The TUN side, set up from inside the namespace: IPv6 off (the emulated networks are IPv4
 * only, and a TUN with IPv6 sends router solicitations the moment it comes up), socat making
 * the TUN device with the client's address and relaying it to the bridge's UDP port, the MTU,
 * and the routes of the emulated networks into the TUN. socat is our child: stopping the TUN
 * side kills it, and so does the exit of this process however it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BRIDGE_PORT, LIVE_MTU, LOOPBACK, SOCAT_PORT, TUN_NAME } from './plan.ts';
import { delay, firstLine, LiveError, run, runOrFail } from './sys.ts';

const IFF_UP = 0x1;

export interface TunOptions {
  tun?: string;
  /** The real client's address on the TUN, and its prefix length. */
  clientAddr: string;
  prefixLen: number;
  mtu?: number;
  /** Prefixes routed into the TUN. */
  routes: readonly string[];
  bridgePort?: number;
  socatPort?: number;
  /** How long to wait for socat to make the device (default 5 s). */
  timeoutMs?: number;
}

/** Socket buffer the bridge's two UDP sockets ask for. */
export const UDP_BUFFER_BYTES = 8 * 1024 * 1024;

/** Turn IPv6 off for every interface made from now on in this namespace (if IPv6 exists). */
export function disableIpv6(): void {
  for (const k of ['default', 'all']) {
    const f = `/proc/sys/net/ipv6/conf/${k}/disable_ipv6`;
    if (existsSync(f)) writeFileSync(f, '1');
  }
}

/**
 * socat's UDP socket buffers, forced past net.core.rmem_max (SO_RCVBUFFORCE / SO_SNDBUFFORCE,
 * which root may use; SOL_SOCKET is 1 on Linux). The realtime driver hands packets over in
 * bursts (everything due since its last turn), and a default 208 KiB buffer holds about ninety
 * of them: the rest would be lost between the emulator and socat, and the real TCP would see
 * losses on a clean link. The host's sysctls are left alone.
 */
function forcedBuffers(bytes: number): string {
  return `setsockopt-int=1:33:${bytes},setsockopt-int=1:32:${bytes}`;
}

export class TunDevice {
  private exited = false;
  private stderr = '';

  private constructor(
    readonly socat: ChildProcess,
    readonly name: string,
  ) {
    socat.stderr?.on('data', (d: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += d.toString();
    });
    socat.on('exit', () => {
      this.exited = true;
    });
    process.on('exit', this.killNow);
  }

  static async start(opts: TunOptions): Promise<TunDevice> {
    const name = opts.tun ?? TUN_NAME;
    const addr = `${opts.clientAddr}/${opts.prefixLen}`;
    const mtu = opts.mtu ?? LIVE_MTU;
    disableIpv6();
    const socat = spawn(
      'socat',
      [
        '-b', '65536',
        `TUN:${addr},tun-type=tun,iff-no-pi,iff-up,tun-name=${name}`,
        `UDP:${LOOPBACK}:${opts.bridgePort ?? BRIDGE_PORT},sourceport=${opts.socatPort ?? SOCAT_PORT},${forcedBuffers(UDP_BUFFER_BYTES)}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const dev = new TunDevice(socat, name);
    const spawned = await new Promise<Error | null>((resolve) => {
      socat.once('spawn', () => resolve(null));
      socat.once('error', (err) => resolve(err));
    });
    if (spawned !== null) {
      dev.stop();
      throw new LiveError(`cannot start socat: ${spawned.message}`);
    }
    try {
      await dev.waitForDevice(addr, opts.timeoutMs ?? 5000);
      await runOrFail(`setting the MTU of ${name}`, 'ip', ['link', 'set', name, 'mtu', String(mtu)]);
      for (const p of opts.routes) {
        await runOrFail(`routing ${p} into ${name}`, 'ip', ['route', 'add', p, 'dev', name]);
      }
    } catch (err) {
      dev.stop();
      throw err;
    }
    return dev;
  }

  get pid(): number {
    return this.socat.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Why socat stopped, as far as it said. */
  get lastWords(): string {
    return firstLine(this.stderr);
  }

  onExit(fn: (code: number | null, sig: NodeJS.Signals | null) => void): void {
    if (this.exited) fn(this.socat.exitCode, this.socat.signalCode);
    else this.socat.once('exit', fn);
  }

  stop(): void {
    this.killNow();
    process.off('exit', this.killNow);
  }

  private readonly killNow = (): void => {
    if (!this.exited) this.socat.kill('SIGKILL');
  };

  /** Wait until socat has made the device, given it its address and brought it up. */
  private async waitForDevice(addr: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await this.deviceReady(addr))) {
      if (this.exited) throw new LiveError(`socat could not make the TUN device ${this.name}: ${this.lastWords || 'it exited'}`);
      if (Date.now() > until) throw new LiveError(`socat did not bring up the TUN device ${this.name} within ${timeoutMs} ms`);
      await delay(20);
    }
  }

  private async deviceReady(addr: string): Promise<boolean> {
    let flags: number;
    try {
      flags = Number(readFileSync(`/sys/class/net/${this.name}/flags`, 'latin1').trim());
    } catch {
      return false;
    }
    if ((flags & IFF_UP) === 0) return false;
    const r = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', this.name]);
    return r.code === 0 && r.stdout.includes(` ${addr} `);
  }
}
