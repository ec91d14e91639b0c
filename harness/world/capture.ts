/**
 * A pcap capture of one interface, as tcpdump on that interface would see it: packets the host
 * sends (before the link's faults) and packets it receives (after them, so a corrupted packet
 * shows up with its bad checksum). Nanosecond timestamps from the virtual clock, LINKTYPE_RAW.
 *
 * Bytes go to a sink: in memory by default (bounded; packets past the bound are counted, not
 * written), or wherever the harness points it (a file it opened).
 */
import { PcapWriter, type PcapOptions } from '../../lib/wire/pcap.ts';
import type { Time } from '../../lib/sim/time.ts';

export interface CaptureOptions {
  /** Bytes kept in memory per interface (default 64 MiB). */
  maxBytes?: number;
  /** Snap length (default 65535). */
  snaplen?: number;
  /** Timestamp resolution (default 'ns'; 'us' for old readers). */
  resolution?: PcapOptions['resolution'];
}

export class Capture {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private readonly writer: PcapWriter;
  private readonly maxBytes: number;
  /** Packets not written because the in-memory bound was reached. */
  skipped = 0;

  constructor(opts: CaptureOptions = {}, sink?: (chunk: Uint8Array) => void) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    const keep = (c: Uint8Array): void => {
      this.chunks.push(c);
      this.size += c.length;
    };
    this.writer = new PcapWriter(sink ?? keep, { snaplen: opts.snaplen, resolution: opts.resolution ?? 'ns' });
  }

  /** Packets written. */
  get packets(): number {
    return this.writer.packets;
  }

  record(time: Time, packet: Uint8Array): void {
    if (this.size + packet.length + 16 > this.maxBytes) {
      this.skipped++;
      return;
    }
    this.writer.write(time, packet);
  }

  /** The whole capture so far, as a pcap file (empty when a sink took the bytes). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
