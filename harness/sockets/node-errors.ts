/**
 * Errors shaped like the ones Node's net module raises (`Error: connect ECONNREFUSED
 * 10.0.0.2:80` with code, errno, syscall, address, port), so that code written for net.Socket
 * (Node's http client and server included) recognises them.
 */
import { ERRNO, type ErrnoName } from './errno.ts';

export interface NodeSysError extends Error {
  code: ErrnoName;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
}

export function sysError(code: ErrnoName, syscall: string, address?: string, port?: number): NodeSysError {
  const where = address === undefined ? '' : port === undefined ? ` ${address}` : ` ${address}:${port}`;
  const e = new Error(`${syscall} ${code}${where}`) as NodeSysError;
  e.code = code;
  e.errno = -ERRNO[code];
  e.syscall = syscall;
  if (address !== undefined) e.address = address;
  if (port !== undefined) e.port = port;
  return e;
}
