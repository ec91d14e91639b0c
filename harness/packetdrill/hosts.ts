/**
 * The host a conformance script runs against by default: a fresh world per script (its own
 * clock and seed) with two hosts on one point-to-point link:
 *
 *   dut   192.168.0.1  IP + the TCP driver (profile linux|freebsd) + the socket layer
 *   peer  192.0.2.1    IP and a raw TCP endpoint: the script's remote peer
 *
 * The script's packets leave the peer's IP, cross the link and come up through the host's
 * interface driver and IP like any traffic; the link has no delay and no bandwidth limit, so
 * they arrive at the script's times. The host's interface has the script's MTU (1500 unless
 * --mtu or --mss say otherwise); the peer's takes any size, as packetdrill's tun device does.
 * With `captureDir`, each script's packets are written as pcap files there (one per interface)
 * when it ends.
 */
import { basename } from 'node:path';
import { SeededRng } from '../../lib/sim/rng.ts';
import { formatIpv4, IpProto } from '../../lib/wire/ip-types.ts';
import { attachTcp } from '../../modules/tcp/driver/setup.ts';
import { socketCalls } from '../sockets/syscalls.ts';
import { writeCaptures } from '../world/files.ts';
import { RawIp } from '../world/raw.ts';
import { World } from '../world/world.ts';
import { schedulerDriver } from './driver.ts';
import type { RunConfig } from './options.ts';
import type { HostFactory } from './suite.ts';
import { WorldIntrospection } from './world-introspection.ts';
import { syscallTarget } from '../sockets/syscall-target.ts';
import { WorldWire } from './world-wire.ts';

export interface WorldHostOptions {
  /** Write each script's captures to `<captureDir>/<script>/<host>.<if>.pcap`. */
  captureDir?: string;
}

/** The largest IPv4 packet: the peer's side of the link carries whatever a script injects. */
const ANY_SIZE = 65535;

function hostMtu(cfg: RunConfig): number {
  return cfg.mtu ?? (cfg.mss !== undefined ? cfg.mss + 40 : 1500);
}

export function worldHostFactory(opts: WorldHostOptions = {}): HostFactory {
  return (cfg, script) => {
    const w = new World({ seed: `packetdrill:${script.path}`, capture: opts.captureDir !== undefined });
    w.network('wire', { kind: 'p2p', mtu: ANY_SIZE });
    const dut = w.host('dut');
    const peer = w.host('peer');
    const host = formatIpv4(cfg.localIp);
    const remote = formatIpv4(cfg.remoteIp);
    w.attach(dut, 'wire', `${host}/32`, { mtu: hostMtu(cfg) });
    w.attach(peer, 'wire', `${remote}/32`, { mtu: ANY_SIZE });
    w.route(dut, `${remote}/32`, null, 'eth0');
    w.route(peer, `${host}/32`, null, 'eth0');

    const tcp = attachTcp(dut.stack.env, dut.stack.openIp('tcp-ip'), { profile: cfg.profile, rng: new SeededRng(`tcp:${script.path}`) });
    const calls = socketCalls(dut);
    const raw = new RawIp(peer.stack.openIp('peer-tcp'), IpProto.TCP, w.sched, 0);
    const introspection = new WorldIntrospection(cfg.profile, tcp.ctl, calls);
    const dir = opts.captureDir;
    return {
      driver: schedulerDriver(w.sched),
      wire: new WorldWire(raw, cfg.remoteIp, cfg.localIp),
      syscalls: syscallTarget(calls, { outq: (fd) => introspection.outq(fd) }),
      host: introspection,
      ...(dir !== undefined ? { close: () => void writeCaptures(w, `${dir}/${basename(script.path, '.pkt')}`) } : {}),
    };
  };
}

