/**
 * The registry of modules and drivers by name (SVR4 fmodsw + cdevsw in one table), and
 * `load()`, which imports a module file at runtime and registers its default export.
 *
 * `load` is the one asynchronous function of lib/streams (dynamic import() cannot be
 * synchronous). It is for set-up and the CLI, never for put or service procedures.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { StreamsModule } from './module.ts';
import { checkDefinition } from './module.ts';
import { StreamsError } from './errors.ts';
import { Errno } from './types.ts';

export class Registry {
  private readonly table = new Map<string, StreamsModule>();

  /** Register a definition under its name; a different definition under a taken name is refused. */
  register(def: StreamsModule, opts: { replace?: boolean } = {}): StreamsModule {
    const why = checkDefinition(def);
    if (why !== null) throw new StreamsError(Errno.EINVAL, `register: not a module definition (${why})`);
    const old = this.table.get(def.name);
    if (old !== undefined && old !== def && !opts.replace) {
      throw new StreamsError(Errno.EBUSY, `register: '${def.name}' is already registered`);
    }
    this.table.set(def.name, def);
    return def;
  }

  unregister(name: string): boolean {
    return this.table.delete(name);
  }

  get(name: string): StreamsModule | undefined {
    return this.table.get(name);
  }

  has(name: string): boolean {
    return this.table.has(name);
  }

  /** The module called name; throws StreamsError(EINVAL) when missing or a driver. */
  module(name: string): StreamsModule {
    const d = this.table.get(name);
    if (d === undefined || d.kind !== 'module') throw new StreamsError(Errno.EINVAL, `no module '${name}'`);
    return d;
  }

  /** The driver called name; throws StreamsError(ENXIO) when missing or a module. */
  driver(name: string): StreamsModule {
    const d = this.table.get(name);
    if (d === undefined || d.kind !== 'driver') throw new StreamsError(Errno.ENXIO, `no driver '${name}'`);
    return d;
  }

  list(): StreamsModule[] {
    return [...this.table.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Import a module file (a path, absolute or relative to the working directory, .ts works under
   * tsx) or a package specifier, check its default export and register it. The callback form
   * and the returned promise report the same outcome.
   */
  load(spec: string, cb?: (err: Error | null, def?: StreamsModule) => void, opts: { replace?: boolean } = {}): Promise<StreamsModule> {
    const url = looksLikePath(spec) ? pathToFileURL(isAbsolute(spec) ? spec : resolve(process.cwd(), spec)).href : spec;
    const p = import(url).then((ns: Record<string, unknown>) => {
      const def = ns.default;
      const why = checkDefinition(def);
      if (why !== null) throw new StreamsError(Errno.EINVAL, `load ${spec}: default export is not a module definition (${why})`);
      return this.register(def as StreamsModule, opts);
    });
    if (cb !== undefined) p.then((d) => cb(null, d), (e: Error) => cb(e));
    return p;
  }
}

function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || /\.(ts|mts|js|mjs)$/.test(spec);
}

/** The process-wide default registry; an env uses it unless given its own. */
export const fmodsw = new Registry();
