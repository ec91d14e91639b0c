/**
 * The JSON form of a control message, for traces: the same object with every byte field as
 * a base64 string. schema.ts validates both forms.
 */
import type { ControlMessage } from './frame.ts';

const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');

/** A JSON-safe copy of msg (byte fields base64). */
export function controlMessageToJson(msg: ControlMessage): Record<string, unknown> {
  if (msg.type !== 'HANDOFF_REQ') return { ...msg };
  return { ...msg, syn: base64(msg.syn), ack: base64(msg.ack), data: msg.data.map(base64) };
}
