/**
 * The named places in a host's stack where modules go, and push / pop there:
 *
 *   "tcp-upper"  above TCP, on every endpoint stream opened from now on (TCP's autopush list)
 *   "tcp-lower"  on the stream between TCP and IP (where BTCP sits)
 *   "eth0", ...  between IP and that interface's driver (the stream linked under IP)
 *
 * Everything goes through the framework's own plumbing (insert / remove / setAutopush).
 */
import type { Position, Stream } from '../../lib/streams/index.ts';
import type { Host } from '../world/host.ts';
import type { StackPlace } from './model.ts';
import type { TcpAttachment } from './plugins.ts';

export class PlaceError extends Error {}

export interface Place {
  /** "fe eth0", "fe tcp-lower". */
  readonly label: string;
  /** The stream, for places that are one (null for tcp-upper). */
  readonly stream: Stream | null;
  push(module: string, where: Position): void;
  pop(module: string | null): void;
  /** Module names, top first. */
  modules(): string[];
}

/** StreamsError messages already end with the errno name ("no module 'x': EINVAL"). */
function why(e: unknown): string {
  return (e as Error).message;
}

function streamPlace(label: string, stream: Stream): Place {
  return {
    label,
    stream,
    push(module, where) {
      try {
        stream.insert(module, where);
      } catch (e) {
        throw new PlaceError(`push ${module} at ${label}: ${why(e)}`);
      }
    },
    pop(module) {
      try {
        if (module === null) stream.pop();
        else stream.remove(module);
      } catch (e) {
        throw new PlaceError(`pop ${module ?? ''} at ${label}: ${why(e)}`.replace('  ', ' '));
      }
    },
    modules: () => stream.modules.map((m) => m.def.name),
  };
}

function autopushPlace(label: string, host: Host, driver: string): Place {
  const env = host.stack.env;
  return {
    label,
    stream: null,
    push(module, where) {
      if (env.registry.get(module)?.kind !== 'module') throw new PlaceError(`push ${module} at ${label}: no module '${module}'`);
      const list = [...env.autopushFor(driver)];
      let i: number;
      if (where === 'top') i = 0;
      else if (where === 'bottom') i = list.length;
      else if ('index' in where) i = Math.min(Math.max(where.index, 0), list.length);
      else {
        const name = 'above' in where ? where.above : where.below;
        const k = list.indexOf(name);
        if (k < 0 && !('above' in where && name === driver)) throw new PlaceError(`push ${module} at ${label}: no module '${name}' there`);
        i = 'above' in where ? (k < 0 ? list.length : k) : k + 1;
      }
      list.splice(i, 0, module);
      env.setAutopush(driver, list);
    },
    pop(module) {
      const list = [...env.autopushFor(driver)];
      const i = module === null ? 0 : list.indexOf(module);
      if (list.length === 0 || i < 0) throw new PlaceError(`pop ${module ?? ''} at ${label}: no such module there`.replace('  ', ' '));
      list.splice(i, 1);
      env.setAutopush(driver, list);
    },
    modules: () => [...env.autopushFor(driver)],
  };
}

/** The place on `host`; throws PlaceError when the host has no such place. */
export function placeOf(host: Host, place: StackPlace, tcp: TcpAttachment | undefined): Place {
  if (place.kind === 'interface') {
    const iface = host.interfaces.find((i) => i.name === place.ifname) ?? host.interfaces.find((i) => i.network === place.ifname);
    const d = iface === undefined ? undefined : host.stack.drivers.get(iface.name);
    if (d === undefined) throw new PlaceError(`${host.name} has no interface ${place.ifname}`);
    return streamPlace(`${host.name} ${iface!.name}`, d.stream);
  }
  if (tcp === undefined) throw new PlaceError(`${host.name} has no TCP, so there is no ${place.kind}`);
  const label = `${host.name} ${place.kind}`;
  return place.kind === 'tcp-lower' ? streamPlace(label, tcp.lower) : autopushPlace(label, host, tcp.driver);
}

/** Every place of a host, in stack order from the top. */
export function placesOf(host: Host, tcp: TcpAttachment | undefined): Place[] {
  const out: Place[] = [];
  if (tcp !== undefined) out.push(placeOf(host, { kind: 'tcp-upper' }, tcp), placeOf(host, { kind: 'tcp-lower' }, tcp));
  for (const i of host.interfaces) out.push(placeOf(host, { kind: 'interface', ifname: i.name }, tcp));
  return out;
}
