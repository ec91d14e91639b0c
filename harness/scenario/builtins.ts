/**
 * The modules and drivers a scenario can name without a file path, registered in a fresh
 * registry per run (so a module loaded from a file by one run does not leak into the next).
 * Modules that come with the TCP, the sockets or the handoff plug-ins register themselves
 * when their plug-in installs (plugins.ts); the ones here need nothing but the framework.
 */
import { Registry, type StreamsModule } from '../../lib/streams/index.ts';
import counter from '../../modules/examples/counter.ts';
import loop from '../../modules/examples/loop.ts';
import muxd from '../../modules/examples/muxd.ts';
import passthru from '../../modules/examples/passthru.ts';
import qpass from '../../modules/examples/qpass.ts';
import tee from '../../modules/examples/tee.ts';
import upper from '../../modules/examples/upper.ts';
import ip from '../../modules/ip/ip.ts';
import netdrv from '../../modules/netdrv/netdrv.ts';

export const builtinModules: readonly StreamsModule[] = [ip, netdrv, passthru, qpass, counter, tee, upper, loop, muxd];

/** A registry holding the built-ins (and whatever `extra` lists). */
export function builtinRegistry(extra: readonly StreamsModule[] = []): Registry {
  const reg = new Registry();
  for (const m of [...builtinModules, ...extra]) if (!reg.has(m.name)) reg.register(m);
  return reg;
}
