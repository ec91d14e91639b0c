/**
 * The parsed form of a packetdrill script. Every node keeps the line and column it came from so
 * that a failing run can name the script line. Times are microseconds, as in packetdrill; the
 * runner converts them to virtual nanoseconds.
 */
import type { TcpOption } from '../../lib/wire/tcp-types.ts';

/** 1-based line and column in the script text. */
export interface Loc {
  line: number;
  col: number;
}

/** A `--name=value` option written at the top of a script (value null for `--name`). */
export interface ScriptOption {
  name: string;
  value: string | null;
  loc: Loc;
}

/**
 * When an event happens. `relative` is measured from the moment the previous event completed
 * (packetdrill's rule); ranges are only legal on outbound packets, `any` (`*`) likewise.
 */
export type EventTime =
  | { kind: 'absolute'; usecs: number }
  | { kind: 'relative'; usecs: number }
  | { kind: 'absolute-range'; usecs: number; endUsecs: number }
  | { kind: 'relative-range'; usecs: number; endUsecs: number }
  | { kind: 'any' };

/** IP ECN codepoints as written in `[noecn]`, `[ect0]`, `[ect1]`, `[ce]`; `ect01` accepts either ECT. */
export type EcnSpec = 'noecn' | 'ect0' | 'ect1' | 'ce' | 'ect01';

export interface IpInfo {
  ecn?: EcnSpec;
  tos?: number;
  ttl?: number;
}

/** `<` or `>` TCP packet line. Sequence numbers are in script space (see conn-map.ts). */
export interface TcpPacketSpec {
  direction: 'inbound' | 'outbound';
  ip: IpInfo;
  /** Explicit `src>dst` ports, rarely written; normally the runner fills them in. */
  ports?: { src: number; dst: number };
  /** The flag letters as written, '.' for ACK (`S.`, `P.`, `.`, '' for `-`). */
  flags: string;
  /** OR of TcpFlag bits for `flags`. */
  flagBits: number;
  seq: number;
  len: number;
  /** `ack N`; absent when not written. */
  ack?: number;
  /** `win N`; absent means "not checked" on an outbound packet (illegal inbound). */
  win?: number;
  urg?: number;
  /** The option list; 'any' for `<...>`; [] when no list was written (meaning "no options"). */
  options: TcpOption[] | 'any';
}

export interface EventBase {
  loc: Loc;
  time: EventTime;
  /** The script text of the event (its first line), for reports. */
  text: string;
}

export interface PacketEvent extends EventBase {
  kind: 'packet';
  packet: TcpPacketSpec;
}

/** A construct the parser recognises but the runner cannot play (ICMP, UDP, encapsulation...). */
export interface UnsupportedEvent extends EventBase {
  kind: 'unsupported';
  what: string;
}

export interface SyscallEvent extends EventBase {
  kind: 'syscall';
  name: string;
  args: Expr[];
  /** `...END` blocking-call end time (usecs), relative events get it shifted like the start. */
  endUsecs?: number;
  result: Expr;
  errno?: { name: string; note?: string };
  note?: string;
}

export interface CommandEvent extends EventBase {
  kind: 'command';
  /** The shell command line between backquotes. */
  command: string;
}

export interface CodeEvent extends EventBase {
  kind: 'code';
  /** The text between `%{` and `}%` (a Python snippet in packetdrill). */
  code: string;
}

export type ScriptEvent = PacketEvent | SyscallEvent | CommandEvent | CodeEvent | UnsupportedEvent;

/** A command written without a time before the first event or after the last one. */
export interface BareCommand {
  loc: Loc;
  command: string;
}

/** Expressions in system-call arguments and results. Structs are generic `{a=1, b=2}` lists. */
export type Expr =
  | { kind: 'ellipsis'; loc: Loc }
  | { kind: 'int'; value: number; hex: boolean; loc: Loc }
  | { kind: 'word'; name: string; loc: Loc }
  | { kind: 'string'; value: string; trailingEllipsis: boolean; loc: Loc }
  | { kind: 'or'; lhs: Expr; rhs: Expr; loc: Loc }
  | { kind: 'assign'; lhs: Expr; rhs: Expr; loc: Loc }
  | { kind: 'call'; name: string; args: Expr[]; loc: Loc }
  | { kind: 'array'; items: Expr[]; loc: Loc }
  | { kind: 'struct'; items: Expr[]; loc: Loc };

export interface Script {
  path: string;
  options: ScriptOption[];
  initCommand?: BareCommand;
  events: ScriptEvent[];
  cleanupCommand?: BareCommand;
}

/** A script error: what and where. Parse errors and semantic errors share it. */
export interface ScriptError {
  path: string;
  line: number;
  col: number;
  message: string;
}

export function formatScriptError(e: ScriptError): string {
  return `${e.path}:${e.line}:${e.col}: ${e.message}`;
}
