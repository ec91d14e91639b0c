/**
 * Set-up commands of the public suites' helper scripts that have nothing to act on in the
 * emulator: `ip tcp_metrics flush` (the emulated TCP keeps no route metrics cache) and
 * `tc qdisc ...` on the packetdrill tun device (there is no queueing discipline to replace).
 * Only those exact forms are accepted; any other use is an error, not a silent success.
 */
import type { Tool } from './types.ts';
import { fail, ok } from './types.ts';

export const ipTool: Tool = (args) => {
  if ((args[0] === 'tcp_metrics' || args[0] === 'tcpmetrics') && (args[1] === 'flush' || args[1] === 'delete')) return ok();
  return fail(1, `ip ${args.join(' ')}: only "ip tcp_metrics flush" is emulated`);
};

export const tcTool: Tool = (args) => {
  if (args[0] === 'qdisc') return ok();
  return fail(1, `tc ${args.join(' ')}: only "tc qdisc ..." (a no-op here) is emulated`);
};
