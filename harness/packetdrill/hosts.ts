/**
 * The host a conformance script runs against by default: a fresh world per script with one
 * host under test (the chosen TCP profile) and the script's peer on the same network.
 *
 * It needs the socket call layer (a SyscallTarget over the host's stream heads) and the TCP
 * driver in the world's host stack; until those exist this is null and `handoff conformance`
 * can only check scripts (--check). The factory plugs in here, nothing else changes.
 */
import type { HostFactory } from './suite.ts';

export const defaultHostFactory: HostFactory | null = null;
