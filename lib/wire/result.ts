/**
 * What a parser returns: the value, or a typed reason that callers count and drop. Parsers in
 * lib/wire never throw on bad bytes; they throw only on programmer errors (a repr that cannot
 * be emitted, a buffer too small for what the caller asked to write).
 */

/** Why bytes were refused. One name per distinct cause, so counters can say what went wrong. */
export type WireError =
  /** The buffer ends before a header, a declared length or a record does. */
  | 'truncated'
  /** IPv4 version nibble is not 4. */
  | 'bad-version'
  /** IPv4 IHL < 5, or TCP data offset < 5. */
  | 'bad-header-length'
  /** IPv4 total length smaller than its own header. */
  | 'bad-total-length'
  | 'bad-checksum'
  /** A TCP option whose length byte is missing, < 2, runs past the header, or is wrong for its kind. */
  | 'bad-option-length'
  /** parseIpv4Tcp given a packet whose protocol is not TCP. */
  | 'not-tcp'
  /** parseIpv4Tcp given an IPv4 fragment (this stack does not reassemble). */
  | 'fragment'
  /** pcap: the first four bytes are no known pcap magic. */
  | 'bad-magic'
  /** pcap: a record longer than any capture would write. */
  | 'bad-record-length';

export interface WireFailure {
  readonly ok: false;
  readonly error: WireError;
  /** Byte offset where the problem was found. */
  readonly offset?: number;
}

export type WireResult<T> = { readonly ok: true; readonly value: T } | WireFailure;

export function ok<T>(value: T): WireResult<T> {
  return { ok: true, value };
}

export function fail(error: WireError, offset?: number): WireFailure {
  return offset === undefined ? { ok: false, error } : { ok: false, error, offset };
}
