/**
 * The fixed plan of a live session: names and ports. The addresses come from the world the
 * session runs (scenario-world.ts), all in the documentation ranges of RFC 5737, so nothing a
 * live session sends could mean anything outside it:
 *
 *   namespace handoff-live-<pid>                         the emulator process
 *   ┌──────────────────────────────────┐                ┌──────────────────────────────────┐
 *   │ curl, wrk ...  198.51.100.254/24 │  one IPv4      │ tun.hoff0 ── public ── router    │
 *   │   route 203.0.113.10 dev hoff0   │  packet per    │                 198.51.100.1     │
 *   │   route 192.0.2.0/24 dev hoff0 … │  UDP datagram  │   lan 192.0.2.0/24 ── fe, be1-3  │
 *   │ hoff0 (TUN) ─ socat ─ udp 47001 ─┼──────────────▶ │ udp 127.0.0.1:47000              │
 *   └──────────────────────────────────┘                └──────────────────────────────────┘
 *
 * The UDP ports are fixed because the namespace is ours alone: nothing else binds there.
 */

/** Every namespace a live session makes starts with this; the rest is the supervisor's pid. */
export const NS_PREFIX = 'handoff-live-';

/** Where the supervisor leaves a note per namespace (tmpfs: gone after a reboot, as are namespaces). */
export const MARKER_DIR = '/run/handoff-live';

export const TUN_NAME = 'hoff0';

/** The emulator's UDP socket, and socat's, on the namespace's loopback. */
export const BRIDGE_PORT = 47000;
export const SOCAT_PORT = 47001;
export const LOOPBACK = '127.0.0.1';

/** The MTU of the TUN and of the bridge's interface (one Ethernet payload, the emulated links' default). */
export const LIVE_MTU = 1500;

export function namespaceName(pid: number): string {
  return `${NS_PREFIX}${pid}`;
}

/** The pid in a namespace name of ours, or null for a name that is not ours. */
export function ownerPid(ns: string): number | null {
  if (!ns.startsWith(NS_PREFIX)) return null;
  const rest = ns.slice(NS_PREFIX.length);
  return /^[1-9]\d{0,9}$/.test(rest) ? Number(rest) : null;
}
