/**
 * The shell's `ioctl` command: an ioctl as a user program would issue it, to the module or
 * driver at a place of a host's stack, with the answer printed as JSON. A place linked under a
 * multiplexor takes no ioctls of its own, so each place is reached the way a program would:
 *   ip              the host's IP stream (IP's own ioctls);
 *   IFACE | NETWORK IP_IOC_IFIOCTL: IP relays the ioctl down that interface's stream, through
 *                   the modules pushed there, to the driver;
 *   tcp             a fresh TCP stream (TCP's own ioctls), closed afterwards;
 *   tcp+MODULE      a fresh TCP stream with MODULE pushed and subscribed to TCP's M_CTL: a
 *                   module below TCP (tcp-lower: syncount, btcp) is asked through its partner
 *                   above (SYNCOUNT_ASK; HANDOFF_IOC_STATS through utcp).
 * An answer that needs the clock (a question that travels as M_CTL) runs it, bounded.
 */
import { errnoName, type IoctlResult, type Stream } from '../../../lib/streams/index.ts';
import { MS, formatTime } from '../../../lib/sim/time.ts';
import { SYNCOUNT_ASK, SYNCOUNT_GET, SYNCOUNT_RESET } from '../../../modules/examples/syncount.ts';
import * as ipIoc from '../../../modules/ip/ioctl.ts';
import * as tcpIoc from '../../../modules/tcp/driver/ioctl.ts';
import { HANDOFF_IOC_DRAIN, HANDOFF_IOC_STATS } from '../../../modules/utcp/ioctl.ts';
import { ShellError, type Session } from './session.ts';

/** The ioctl names the shell knows; any other command is given as a number (decimal or 0x). */
export const ioctlNames: Readonly<Record<string, number>> = {
  ...pick(ipIoc, 'IP_IOC_'),
  ...pick(tcpIoc, 'TCP_IOC_'),
  HANDOFF_IOC_STATS,
  HANDOFF_IOC_DRAIN,
  SYNCOUNT_GET,
  SYNCOUNT_RESET,
  SYNCOUNT_ASK,
};

function pick(mod: Record<string, unknown>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(mod)) if (k.startsWith(prefix) && typeof v === 'number') out[k] = v;
  return out;
}

/** How long the clock may run for an answer. */
const ANSWER_WAIT = 2_000 * MS;

export function parseIoctlCmd(text: string): number {
  const named = ioctlNames[text];
  if (named !== undefined) return named;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) return Number(text);
  throw new ShellError(`unknown ioctl '${text}': a number (decimal or 0x) or one of ${Object.keys(ioctlNames).join(', ')}`);
}

function parseArg(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ShellError(`the argument must be JSON (quote it: '{"key": 1}'), found ${text}`);
  }
}

/** Issue the ioctl and run the clock (bounded) until it is answered. */
async function ask(s: Session, st: Stream, cmd: number, arg: unknown): Promise<IoctlResult> {
  let r: IoctlResult | null = null;
  st.ioctl(cmd, arg, (x) => (r = x), ANSWER_WAIT);
  st.env.runServices();
  const w = s.world;
  const limit = w.now() + ANSWER_WAIT;
  while (r === null && w.now() < limit && w.sched.nextTime() !== undefined) {
    const until = Math.min(limit, w.now() + 10 * MS);
    if (s.built.apps?.needsAsync) await w.runAsync({ until });
    else w.runUntil(until);
  }
  const got = r as IoctlResult | null;
  if (got === null) throw new ShellError(`no answer within ${formatTime(ANSWER_WAIT)} of virtual time`);
  return got;
}

export async function runIoctl(s: Session, hostName: string, at: string, cmdText: string, argText: string | undefined): Promise<void> {
  const h = s.world.getHost(hostName);
  const cmd = parseIoctlCmd(cmdText);
  const arg = parseArg(argText);
  const t0 = s.world.now();
  let r: IoctlResult;
  if (at === 'ip') {
    r = await ask(s, h.stack.ip, cmd, arg);
  } else if (at === 'tcp' || at.startsWith('tcp+')) {
    if (s.built.tcp.get(hostName) === undefined) throw new ShellError(`${hostName} has no TCP`);
    const mod = at === 'tcp' ? null : at.slice(4);
    const st = h.stack.env.open('tcp', { clone: true, label: 'shell-ioctl', autopush: false });
    try {
      if (mod !== null) {
        try {
          st.push(mod);
        } catch (e) {
          throw new ShellError(`cannot push ${mod} on a TCP stream: ${(e as Error).message}`);
        }
        const sub = await ask(s, st, tcpIoc.TCP_IOC_CTL_SUBSCRIBE, true);
        if (!sub.ok) throw new ShellError(`TCP_IOC_CTL_SUBSCRIBE refused: ${errnoName(sub.error)}`);
      }
      r = await ask(s, st, cmd, arg);
    } finally {
      st.close();
    }
  } else {
    let iface: { name: string } | undefined;
    try {
      iface = h.iface(at);
    } catch {
      iface = undefined;
    }
    if (iface === undefined) {
      throw new ShellError(`no place '${at}' on ${hostName} for an ioctl: ip, tcp, tcp+MODULE, or an interface (${h.interfaces.map((i) => i.name).join(', ')}) or network`);
    }
    r = await ask(s, h.stack.ip, ipIoc.IP_IOC_IFIOCTL, { ifname: iface.name, cmd, arg });
  }
  const ran = s.world.now() - t0;
  const note = ran > 0 ? ` (clock ran ${formatTime(ran)})` : '';
  if (!r.ok) throw new ShellError(`${cmdText} refused: ${errnoName(r.error)}${note}`);
  s.print(`${JSON.stringify(r.data ?? null)}${note}`);
}
