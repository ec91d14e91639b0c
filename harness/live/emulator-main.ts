/**
 * Entry point of the emulator process, which the supervisor starts inside the namespace
 * (`ip netns exec NS node --import tsx emulator-main.ts CONFIG`). Messages go to the
 * supervisor as JSON lines on fd 3. A "stop" line on stdin, the end of stdin (the supervisor
 * died), SIGTERM or SIGINT shut it down; a failure is reported and ends it with status 1.
 * Whatever happens, socat dies with it (tun.ts kills it on exit).
 */
import { fstatSync, writeSync } from 'node:fs';
import { startEmulator, type Emulator } from './emulator.ts';
import type { EmulatorConfig, EmulatorMessage } from './protocol.ts';

const out = (() => {
  try {
    fstatSync(3);
    return 3;
  } catch {
    return 1;
  }
})();

function send(m: EmulatorMessage): void {
  try {
    writeSync(out, JSON.stringify(m) + '\n');
  } catch {
    // the supervisor is gone: nobody to tell
  }
}

let emulator: Emulator | null = null;
let ending = false;

async function end(code: number, error?: string): Promise<void> {
  if (ending) return;
  ending = true;
  if (error !== undefined) send({ ev: 'error', message: error });
  // A teardown that hangs must not keep the process (and socat) alive.
  setTimeout(() => process.exit(code === 0 ? 1 : code), 3000).unref();
  if (emulator !== null) {
    try {
      send(await emulator.stop());
    } catch (err) {
      send({ ev: 'error', message: `teardown: ${(err as Error).message}` });
    }
  }
  process.exit(code);
}

process.on('SIGTERM', () => void end(0));
process.on('SIGINT', () => void end(0));
process.on('SIGHUP', () => void end(0));
process.on('uncaughtException', (err) => void end(1, `emulator crashed: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => void end(1, `emulator crashed: ${(err as Error)?.stack ?? String(err)}`));

let input = '';
process.stdin.on('data', (d: Buffer) => {
  input += d.toString();
  if (input.includes('stop\n')) void end(0);
  if (input.length > 4096) input = input.slice(-16);
});
process.stdin.on('end', () => void end(0));
process.stdin.on('error', () => void end(0));

try {
  const cfg = JSON.parse(process.argv[2] ?? '') as EmulatorConfig;
  emulator = await startEmulator(cfg, (message) => void end(1, message));
  if (!ending) send(emulator.ready);
} catch (err) {
  await end(1, (err as Error).message);
}
