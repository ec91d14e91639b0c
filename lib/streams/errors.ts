/**
 * Errors thrown by the framework's setup API (open, push, link...) and by misuse that must be
 * caught in tests (a freed block used again). Message paths never throw for bad input.
 */
import { errnoName } from './types.ts';

export class StreamsError extends Error {
  readonly errno: number;
  constructor(errno: number, what: string) {
    super(`${what}: ${errnoName(errno)}`);
    this.name = 'StreamsError';
    this.errno = errno;
  }
}

/** A message block was used after freeb/freemsg (or freed twice): a module bug. */
export class UseAfterFreeError extends Error {
  constructor(where: string) {
    super(`message block used after free (${where})`);
    this.name = 'UseAfterFreeError';
  }
}
