/**
 * The modules and drivers a scenario can name without a file path, registered in a fresh
 * registry per run (so a module loaded from a file by one run does not leak into the next).
 * Modules of a plug-in that needs more than a name (the handoff modules need their daemon)
 * register themselves when their plug-in installs (plugins.ts).
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
import tcp from '../../modules/tcp/tcp.ts';
import { sockmod } from '../sockets/index.ts';

export const builtinModules: readonly StreamsModule[] = [ip, netdrv, tcp, sockmod, passthru, qpass, counter, tee, upper, loop, muxd];

/** A registry holding the built-ins (and whatever `extra` lists). */
export function builtinRegistry(extra: readonly StreamsModule[] = []): Registry {
  const reg = new Registry();
  for (const m of [...builtinModules, ...extra]) if (!reg.has(m.name)) reg.register(m);
  return reg;
}
