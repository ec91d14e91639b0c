/**
 * From a script's system-call line to a `Syscall` for the target, and from the target's
 * `SysOutcome` back to a verdict: return value, errno name, and the values a call hands back
 * (getsockopt's option, fcntl's flags, poll's revents, read's bytes when the script gives them).
 * Symbols take the values of the profile the script was written for (symbols.ts).
 */
import type { Expr, SyscallEvent } from './ast.ts';
import { formatExpr } from './format.ts';
import type { ProfileName } from './symbols.ts';
import { errnoName, sameErrno, symbolValue } from './symbols.ts';
import type { SockAddr, SockLevel, SockOptValue, Syscall, SysOutcome } from './target.ts';
import { POLL } from './target.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';

export interface SyscallContext {
  profile: ProfileName;
  localIp: Ipv4Addr;
  remoteIp: Ipv4Addr;
  bindPort: number;
  connectPort: number;
  /** Script fd -> target fd, learnt from socket() and accept() results. */
  fds: Map<number, number>;
}

export interface Prepared {
  call: Syscall;
  /** null when the outcome is what the script expects, else what went wrong. */
  check(o: SysOutcome): string | null;
}

export type PrepareResult = { ok: true; prepared: Prepared } | { ok: false; error: string };

class EvalError extends Error {}

const fail = (msg: string): never => {
  throw new EvalError(msg);
};

export function prepareSyscall(ev: SyscallEvent, ctx: SyscallContext): PrepareResult {
  try {
    return { ok: true, prepared: build(ev, ctx) };
  } catch (e) {
    if (e instanceof EvalError) return { ok: false, error: e.message };
    throw e;
  }
}

// ---- expression evaluation -----------------------------------------------------------------

function intOf(e: Expr, ctx: SyscallContext): number {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'word': {
      const v = symbolValue(ctx.profile, e.name);
      return v === undefined ? fail(`unknown symbol ${e.name} for the ${ctx.profile} profile`) : v;
    }
    case 'or':
      return (intOf(e.lhs, ctx) | intOf(e.rhs, ctx)) >>> 0;
    case 'call':
      if ((e.name === 'htons' || e.name === 'htonl' || e.name === 'ntohs' || e.name === 'ntohl') && e.args.length === 1) {
        return intOf(e.args[0]!, ctx);
      }
      if (e.name === 'inet_addr' && e.args[0]?.kind === 'string') return addrOf(e.args[0].value);
      return fail(`cannot evaluate ${formatExpr(e)} as a number`);
    case 'array':
      if (e.items.length === 1) return intOf(e.items[0]!, ctx);
      return fail(`expected one value in ${formatExpr(e)}`);
    default:
      return fail(`expected a number, found ${formatExpr(e)}`);
  }
}

function addrOf(text: string): number {
  try {
    return ipv4(text);
  } catch {
    return fail(`not an IPv4 address: ${text}`);
  }
}

function arg(ev: SyscallEvent, i: number, what: string): Expr {
  const a = ev.args[i];
  return a ?? fail(`${ev.name}: missing argument ${i + 1} (${what})`);
}

function fdArg(ev: SyscallEvent, ctx: SyscallContext, i = 0): number {
  const script = intOf(arg(ev, i, 'fd'), ctx);
  return ctx.fds.get(script) ?? script;
}

/** Fields of a `{name=value, ...}` struct literal (names as written). */
function fields(e: Expr): Map<string, Expr> {
  const m = new Map<string, Expr>();
  if (e.kind !== 'struct') return m;
  for (const item of e.items) {
    if (item.kind === 'assign' && item.lhs.kind === 'word') m.set(item.lhs.name, item.rhs);
    else if (item.kind === 'assign' && item.lhs.kind === 'call') m.set(item.lhs.name, item.rhs);
  }
  return m;
}

function sockaddrOf(e: Expr, ctx: SyscallContext, fallback: SockAddr): SockAddr {
  if (e.kind === 'ellipsis') return fallback;
  if (e.kind !== 'struct') return fail(`expected ... or a sockaddr struct, found ${formatExpr(e)}`);
  const f = fields(e);
  const family = f.get('sa_family') ?? f.get('sin_family');
  if (family && family.kind === 'word' && family.name !== 'AF_INET') return fail(`only AF_INET addresses are supported, not ${family.name}`);
  const port = f.get('sin_port');
  const addr = f.get('sin_addr');
  return {
    addr: (addr ? intOf(addr, ctx) : fallback.addr) as Ipv4Addr,
    port: port ? intOf(port, ctx) : fallback.port,
  };
}

function levelOf(e: Expr, ctx: SyscallContext): SockLevel {
  if (e.kind === 'word' && (e.name === 'SOL_SOCKET' || e.name === 'IPPROTO_TCP' || e.name === 'IPPROTO_IP')) return e.name;
  if (e.kind === 'word' && e.name === 'SOL_TCP') return 'IPPROTO_TCP';
  if (e.kind === 'word' && e.name === 'SOL_IP') return 'IPPROTO_IP';
  const n = intOf(e, ctx);
  if (n === symbolValue(ctx.profile, 'SOL_SOCKET')) return 'SOL_SOCKET';
  if (n === 6) return 'IPPROTO_TCP';
  if (n === 0) return 'IPPROTO_IP';
  return fail(`unsupported socket option level ${formatExpr(e)}`);
}

function optNameOf(e: Expr): string {
  return e.kind === 'word' ? e.name : fail(`socket option names must be written by name, found ${formatExpr(e)}`);
}

/** A value passed to setsockopt: [n], n, {l_onoff=.., l_linger=..} or "string". */
function optValueOf(e: Expr, ctx: SyscallContext): SockOptValue {
  if (e.kind === 'string') return e.value;
  if (e.kind === 'struct') {
    const f = fields(e);
    const onoff = f.get('l_onoff') ?? f.get('onoff');
    const linger = f.get('l_linger') ?? f.get('linger');
    if (!onoff || !linger) return fail(`expected {l_onoff=N, l_linger=N}, found ${formatExpr(e)}`);
    return { onoff: intOf(onoff, ctx), linger: intOf(linger, ctx) };
  }
  if (e.kind === 'array' && e.items.length === 1 && e.items[0]!.kind === 'word' && e.items[0]!.name.startsWith('E')) {
    return e.items[0]!.name;
  }
  return intOf(e, ctx);
}

function sameOptValue(expected: SockOptValue, actual: SockOptValue | undefined, ctx: SyscallContext): boolean {
  if (actual === undefined) return false;
  if (typeof expected === 'object' || typeof actual === 'object') {
    return typeof expected === 'object' && typeof actual === 'object' && (expected.onoff !== 0) === (actual.onoff !== 0) && expected.linger === actual.linger;
  }
  if (typeof expected === typeof actual) return typeof expected === 'string' ? sameErrno(expected, actual as string) || expected === actual : expected === actual;
  // An errno name against a number (SO_ERROR): compare in the profile's numbering.
  const name = typeof expected === 'string' ? expected : (actual as string);
  const num = typeof expected === 'number' ? expected : (actual as number);
  return symbolValue(ctx.profile, name) === num || (num === 0 && name === '0');
}

function showOpt(v: SockOptValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'object') return `{l_onoff=${v.onoff}, l_linger=${v.linger}}`;
  return typeof v === 'string' ? v : String(v);
}

// ---- the calls --------------------------------------------------------------------------------

function build(ev: SyscallEvent, ctx: SyscallContext): Prepared {
  const expectRet = (): { any: true } | { any: false; value: number } =>
    ev.result.kind === 'ellipsis' ? { any: true } : { any: false, value: intOf(ev.result, ctx) };
  const exp = expectRet();

  /** The common verdict on ret and errno; `fdResult` maps the script fd instead of comparing. */
  const verdict = (o: SysOutcome, fdResult = false): string | null => {
    const shown = o.ret === -1 && o.errno ? `-1 ${o.errno}` : String(o.ret);
    if (ev.errno) {
      if (o.ret !== -1 || !o.errno || !sameErrno(o.errno, ev.errno.name)) return `expected result -1 ${ev.errno.name} but got ${shown}`;
      return null;
    }
    if (exp.any) return null;
    if (fdResult && exp.value >= 0) {
      if (o.ret < 0) return `expected a new file descriptor (${exp.value}) but got ${shown}`;
      ctx.fds.set(exp.value, o.ret);
      return null;
    }
    if (o.ret !== exp.value) return `expected result ${exp.value} but got ${shown}`;
    return null;
  };
  const simple = (call: Syscall): Prepared => ({ call, check: (o) => verdict(o) });

  switch (ev.name) {
    case 'socket': {
      const d = arg(ev, 0, 'domain');
      const domain = d.kind === 'ellipsis' || (d.kind === 'word' && (d.name === 'AF_INET' || d.name === 'PF_INET')) ? 'AF_INET' : d.kind === 'word' && d.name === 'AF_INET6' ? 'AF_INET6' : fail(`unsupported socket domain ${formatExpr(d)}`);
      const t = arg(ev, 1, 'type');
      const type = t.kind === 'word' && (t.name === 'SOCK_STREAM' || t.name === 'SOCK_DGRAM') ? t.name : fail(`unsupported socket type ${formatExpr(t)}`);
      const p = ev.args[2];
      const protocol = p === undefined || p.kind === 'ellipsis' ? 0 : intOf(p, ctx);
      return { call: { op: 'socket', domain, type, protocol }, check: (o) => verdict(o, true) };
    }
    case 'bind':
      return simple({ op: 'bind', fd: fdArg(ev, ctx), addr: sockaddrOf(arg(ev, 1, 'address'), ctx, { addr: ctx.localIp, port: ctx.bindPort }) });
    case 'listen':
      return simple({ op: 'listen', fd: fdArg(ev, ctx), backlog: intOf(arg(ev, 1, 'backlog'), ctx) });
    case 'accept':
    case 'accept4':
      return { call: { op: 'accept', fd: fdArg(ev, ctx) }, check: (o) => verdict(o, true) };
    case 'connect':
      return simple({ op: 'connect', fd: fdArg(ev, ctx), addr: sockaddrOf(arg(ev, 1, 'address'), ctx, { addr: ctx.remoteIp, port: ctx.connectPort }) });
    case 'read':
    case 'recv':
    case 'recvfrom': {
      const flags = ev.name === 'read' ? 0 : ev.args[3] ? intOf(ev.args[3], ctx) : 0;
      const buf = arg(ev, 1, 'buffer');
      const call: Syscall = {
        op: 'read',
        fd: fdArg(ev, ctx),
        len: intOf(arg(ev, 2, 'length'), ctx),
        peek: (flags & (symbolValue(ctx.profile, 'MSG_PEEK') ?? 2)) !== 0,
        dontWait: (flags & (symbolValue(ctx.profile, 'MSG_DONTWAIT') ?? 0x40)) !== 0,
        oob: (flags & 1) !== 0,
      };
      return {
        call,
        check: (o) => {
          const v = verdict(o);
          if (v || buf.kind !== 'string' || o.ret < 0) return v;
          const got = new TextDecoder().decode(o.data ?? new Uint8Array(0));
          return got.startsWith(buf.value) ? null : `expected to read ${JSON.stringify(buf.value)} but read ${JSON.stringify(got)}`;
        },
      };
    }
    case 'write':
    case 'send':
    case 'sendto': {
      const flags = ev.name === 'write' ? 0 : ev.args[3] ? intOf(ev.args[3], ctx) : 0;
      const len = intOf(arg(ev, 2, 'length'), ctx);
      const buf = arg(ev, 1, 'buffer');
      const data = new Uint8Array(len);
      if (buf.kind === 'string') data.set(new TextEncoder().encode(buf.value).subarray(0, len));
      else if (buf.kind !== 'ellipsis') fail(`write buffers are written as ... or "text", not ${formatExpr(buf)}`);
      return simple({
        op: 'write',
        fd: fdArg(ev, ctx),
        data,
        dontWait: (flags & (symbolValue(ctx.profile, 'MSG_DONTWAIT') ?? 0x40)) !== 0,
        oob: (flags & 1) !== 0,
      });
    }
    case 'close':
      return simple({ op: 'close', fd: fdArg(ev, ctx) });
    case 'shutdown': {
      const h = arg(ev, 1, 'how');
      const n = h.kind === 'word' ? h.name : ['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'][intOf(h, ctx)];
      if (n !== 'SHUT_RD' && n !== 'SHUT_WR' && n !== 'SHUT_RDWR') return fail(`shutdown: bad how ${formatExpr(h)}`);
      return simple({ op: 'shutdown', fd: fdArg(ev, ctx), how: n });
    }
    case 'setsockopt':
      return simple({
        op: 'setsockopt',
        fd: fdArg(ev, ctx),
        level: levelOf(arg(ev, 1, 'level'), ctx),
        name: optNameOf(arg(ev, 2, 'option name')),
        value: optValueOf(arg(ev, 3, 'option value'), ctx),
      });
    case 'getsockopt': {
      const want = arg(ev, 3, 'option value');
      const expected = want.kind === 'ellipsis' ? undefined : optValueOf(want, ctx);
      return {
        call: { op: 'getsockopt', fd: fdArg(ev, ctx), level: levelOf(arg(ev, 1, 'level'), ctx), name: optNameOf(arg(ev, 2, 'option name')) },
        check: (o) => {
          const v = verdict(o);
          if (v || expected === undefined || o.ret < 0) return v;
          if (sameOptValue(expected, o.value, ctx)) return null;
          const actual = typeof o.value === 'number' && typeof expected === 'string' ? (errnoName(ctx.profile, o.value) ?? String(o.value)) : showOpt(o.value);
          return `getsockopt ${formatExpr(ev.args[2]!)}: expected ${showOpt(expected)} but got ${actual}`;
        },
      };
    }
    case 'fcntl': {
      const cmd = arg(ev, 1, 'command');
      const name = cmd.kind === 'word' ? cmd.name : intOf(cmd, ctx) === 3 ? 'F_GETFL' : intOf(cmd, ctx) === 4 ? 'F_SETFL' : '';
      const fd = fdArg(ev, ctx);
      const nonblock = symbolValue(ctx.profile, 'O_NONBLOCK')!;
      const rdwr = symbolValue(ctx.profile, 'O_RDWR')!;
      if (name === 'F_GETFL') {
        return {
          call: { op: 'getflags', fd },
          check: (o) => {
            if (o.ret < 0 || ev.errno) return verdict(o);
            // The runner composes the flags word the way the profile's kernel reports it.
            const flags = rdwr | (o.nonblocking ? nonblock : 0);
            return verdict({ ret: flags });
          },
        };
      }
      if (name === 'F_SETFL') {
        const flags = intOf(arg(ev, 2, 'flags'), ctx);
        return simple({ op: 'setflags', fd, nonblocking: (flags & nonblock) !== 0 });
      }
      return fail(`fcntl: only F_GETFL and F_SETFL are supported, not ${formatExpr(cmd)}`);
    }
    case 'ioctl': {
      const req = arg(ev, 1, 'request');
      if (req.kind !== 'word' || (req.name !== 'FIONREAD' && req.name !== 'SIOCOUTQ')) return fail(`ioctl: only FIONREAD and SIOCOUTQ are supported`);
      const want = ev.args[2];
      const expected = want && want.kind !== 'ellipsis' ? intOf(want, ctx) : undefined;
      return {
        call: { op: 'ioctl', fd: fdArg(ev, ctx), request: req.name },
        check: (o) => {
          const v = verdict(o);
          if (v || expected === undefined || o.ret < 0) return v;
          return o.value === expected ? null : `ioctl ${req.name}: expected ${expected} but got ${showOpt(o.value)}`;
        },
      };
    }
    case 'poll': {
      const list = arg(ev, 0, 'pollfd array');
      if (list.kind !== 'array') return fail(`poll: expected [{fd=.., events=..}], found ${formatExpr(list)}`);
      const entries = list.items.map((item) => {
        const f = fields(item);
        const fd = f.get('fd');
        const events = f.get('events');
        if (!fd || !events) return fail(`poll: each entry needs fd= and events=, found ${formatExpr(item)}`);
        const scriptFd = intOf(fd, ctx);
        const revents = f.get('revents');
        return { fd: ctx.fds.get(scriptFd) ?? scriptFd, events: intOf(events, ctx), revents: revents ? intOf(revents, ctx) : 0 };
      });
      const timeoutMs = intOf(arg(ev, 2, 'timeout'), ctx);
      return {
        call: { op: 'poll', fds: entries.map(({ fd, events }) => ({ fd, events })), timeoutMs },
        check: (o) => {
          const v = verdict(o);
          if (v || o.ret < 0) return v;
          for (let i = 0; i < entries.length; i++) {
            const got = o.revents?.[i] ?? 0;
            if (got !== entries[i]!.revents) return `poll: revents of entry ${i}: expected ${showPoll(entries[i]!.revents)} but got ${showPoll(got)}`;
          }
          return null;
        },
      };
    }
    default:
      return fail(`system call ${ev.name}() is not supported by the runner`);
  }
}

function showPoll(bits: number): string {
  const names = Object.entries(POLL)
    .filter(([, b]) => (bits & b) !== 0)
    .map(([n]) => `POLL${n}`);
  return names.length ? names.join('|') : '0';
}
