/**
 * The set-up the live HTTP specs share: root and the Debian tools (required in CI, skipped with a
 * message elsewhere), a `handoff live` session with no scenario (the default handoff cluster)
 * capturing its side of the bridge, and dumpcap capturing the kernel's side of the TUN.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot, requireTool } from '../support/tools.ts';
import { live, pidsIn, type LiveProc } from './helpers.ts';
import { TunCapture } from './tshark.ts';

export interface CapturedSession {
  dir: string;
  s: LiveProc;
  ns: string;
  /** The processes inside the namespace once it is up. */
  pids: number[];
  dumpcap: TunCapture;
}

/** The emulator's capture (`--pcap`) and the kernel's (dumpcap on hoff0) inside `dir`. */
export const emulatorPcapIn = (dir: string): string => join(dir, 'bridge.pcap');
export const kernelPcapIn = (dir: string): string => join(dir, 'tun.pcap');

/** Call from a mocha `before` hook. `tools` are extra [command, install hint] pairs. */
export async function startCapturedSession(ctx: Mocha.Context, prefix: string, tools: Array<[string, string]> = []): Promise<CapturedSession> {
  requireRoot(ctx);
  for (const [tool, install] of [
    ['ip', 'apt-get install iproute2'],
    ['socat', 'apt-get install socat'],
    ['curl', 'apt-get install curl'],
    ['tshark', 'apt-get install tshark'],
    ['dumpcap', 'apt-get install tshark'],
    ...tools,
  ] as const) {
    requireTool(ctx, tool, install);
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const s = live(['--pcap', emulatorPcapIn(dir)]);
  const ns = await s.waitUp();
  const pids = pidsIn(ns);
  const dumpcap = await TunCapture.start(ns, 'hoff0', kernelPcapIn(dir));
  return { dir, s, ns, pids, dumpcap };
}

/** Call from the `after` hook: stops the capture and the session, removes the files. */
export async function stopCapturedSession(c: Partial<CapturedSession>): Promise<void> {
  await c.dumpcap?.stop();
  if (c.s !== undefined && c.s.proc.exitCode === null) c.s.proc.kill('SIGINT');
  await c.s?.exited;
  if (c.dir !== undefined) rmSync(c.dir, { recursive: true, force: true });
}
