/**
 * What the supervisor and the emulator (inside the namespace) say to each other. The emulator
 * gets its configuration as one JSON argument, writes JSON lines on fd 3, and reads its stdin:
 * a "stop" line, or the end of the input (the supervisor is gone), means shut down.
 */

export interface EmulatorConfig {
  ns: string;
  /** Scenario file, or null (or DEFAULT_CLUSTER) for the default handoff cluster. */
  scenario: string | null;
  /** Write the capture of the TUN side here (pcap), or null. */
  pcap: string | null;
  /** Bound on the capture file. */
  pcapMaxBytes: number;
  /** Seed of the emulated world (null: the scenario's, or 1). */
  seed: number | null;
  /** The scenario network the real client joins (null: chosen, scenario-world.ts). */
  network: string | null;
}

/** One published service: what the banner prints and what COMMAND gets in its environment. */
export interface ServiceInfo {
  name: string;
  url: string;
}

export interface ReadyMessage {
  ev: 'ready';
  /** The address clients use (the VIP of a cluster, else the first server's). */
  vip: string;
  clientAddr: string;
  tun: string;
  routes: string[];
  services: ServiceInfo[];
  /** What the world lacks or leaves out, one line each. */
  notices: string[];
  /** Pids of the emulator and of socat (the supervisor reports them; specs kill them). */
  pids: { emulator: number; socat: number };
}

export interface BridgeStats {
  fromTun: number;
  fromTunBytes: number;
  toTun: number;
  toTunBytes: number;
  dropNotIpv4: number;
  dropForeign: number;
  dropTooBig: number;
  dropTxBusy: number;
  sendErrors: number;
}

/** A link direction of the world that dropped packets (queue full, faults, down, MTU). */
export interface LinkDrops {
  name: string;
  queueDrops: number;
  otherDrops: number;
  maxQueue: number;
}

export interface StoppedMessage {
  ev: 'stopped';
  bridge: BridgeStats;
  /** Directions of the world's links that dropped anything. */
  linkDrops: LinkDrops[];
  /** Most the virtual clock fell behind the wall clock, in ms. */
  maxLagMs: number;
}

export interface ErrorMessage {
  ev: 'error';
  message: string;
}

export type EmulatorMessage = ReadyMessage | StoppedMessage | ErrorMessage;

/** Split a byte stream into JSON-line messages; bad lines are reported, not thrown. */
export class LineDecoder<T> {
  private buf = '';
  constructor(
    private readonly onMessage: (m: T) => void,
    private readonly onBad: (line: string) => void,
    private readonly maxLine = 1 << 20,
  ) {}

  push(chunk: Buffer | string): void {
    this.buf += chunk.toString();
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line === '') continue;
      let m: T;
      try {
        m = JSON.parse(line) as T;
      } catch {
        this.onBad(line);
        continue;
      }
      this.onMessage(m);
    }
    if (this.buf.length > this.maxLine) {
      this.onBad(this.buf.slice(0, 200));
      this.buf = '';
    }
  }
}
