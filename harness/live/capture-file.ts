/**
 * A capture streamed to a pcap file, bounded in bytes: past the bound whole packets are
 * skipped and counted, so the file stays readable. Writes are batched (a packet per write
 * call would cost a system call per packet on the bridge's hot path) and flushed on close.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Capture } from '../world/capture.ts';

export class CaptureFile {
  readonly capture: Capture;
  /** Packets left out because the file reached its bound. */
  skipped = 0;
  private readonly fd: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly maxBytes = 256 * 1024 * 1024,
    private readonly batchBytes = 256 * 1024,
  ) {
    this.fd = openSync(path, 'w', 0o644);
    this.capture = new Capture({}, (chunk) => this.take(chunk));
  }

  flush(): void {
    if (this.pendingBytes === 0 || this.closed) return;
    const buf = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    writeSync(this.fd, buf);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private take(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.written + chunk.length > this.maxBytes) {
      this.skipped++;
      return;
    }
    this.written += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.batchBytes) this.flush();
  }
}
