/**
 * The connection states of RFC 9293 §3.3.2. Numbered in the order a connection usually
 * moves through them, so "has reached ESTABLISHED" comparisons read naturally.
 */
export const TcpState = {
  CLOSED: 0,
  LISTEN: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  ESTABLISHED: 4,
  CLOSE_WAIT: 5,
  FIN_WAIT_1: 6,
  CLOSING: 7,
  LAST_ACK: 8,
  FIN_WAIT_2: 9,
  TIME_WAIT: 10,
} as const;

export type TcpState = (typeof TcpState)[keyof typeof TcpState];

const NAMES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'CLOSE-WAIT',
  'FIN-WAIT-1',
  'CLOSING',
  'LAST-ACK',
  'FIN-WAIT-2',
  'TIME-WAIT',
] as const;

/** The RFC spelling, e.g. "SYN-RECEIVED". */
export function stateName(s: TcpState): (typeof NAMES)[number] {
  return NAMES[s]!;
}

/** A SYN has been exchanged both ways: sequence numbers on both sides are known. */
export function isSynchronized(s: TcpState): boolean {
  return s >= TcpState.ESTABLISHED || s === TcpState.SYN_RECEIVED;
}

/** States in which arriving segment text is accepted into the receive buffer (§3.10.7.4 step 7). */
export function acceptsText(s: TcpState): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2;
}

/** States in which we have not yet sent our FIN (the user may still send). */
export function canSend(s: TcpState): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT;
}
