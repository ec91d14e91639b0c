/** Capturing the TUN inside a live namespace (dumpcap) and reading captures with tshark. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { until } from './helpers.ts';

/** What tshark finds in a capture: checksums verified good and bad, gaps, retransmissions, connections. */
export interface Findings {
  packets: number;
  tcpPackets: number;
  goodIp: number;
  goodTcp: number;
  badChecksums: number;
  /**
   * TCP checksums written as 0xFFFF where 0x0000 is computed: the same number in one's
   * complement (RFC 1624 §3), which Linux writes on purpose (CSUM_MANGLED_0 in
   * skb_checksum_help) and tshark flags as bad. One packet in 65536 on average.
   */
  negativeZero: number;
  lostSegment: number;
  ackedUnseen: number;
  /** Segments tshark marks as retransmissions (plain, fast or spurious). */
  retransmissions: number;
  /** TCP connections (tshark's tcp.stream indexes). */
  tcpStreams: number;
  /** The client ports of those connections, in order of appearance. */
  clientPorts: number[];
  /** Every address that sent or received a packet. */
  addresses: string[];
  /** Frames whose checksums were not both verified good, or that tshark flags, for the failure message. */
  odd: number[];
}

/** The client ports of the TCP connections in a capture still being written (empty while unreadable). */
export function capturedClientPorts(pcap: string): number[] {
  try {
    return tsharkFindings(pcap).clientPorts;
  } catch {
    return [];
  }
}

export function tsharkFindings(pcap: string): Findings {
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=,',
      '-e', 'frame.number', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'tcp.analysis.lost_segment', '-e', 'tcp.analysis.ack_lost_segment',
      '-e', 'tcp.checksum', '-e', 'tcp.checksum_calculated',
      '-e', 'tcp.analysis.retransmission', '-e', 'tcp.analysis.fast_retransmission', '-e', 'tcp.analysis.spurious_retransmission',
      '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport'],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const f: Findings = { packets: 0, tcpPackets: 0, goodIp: 0, goodTcp: 0, badChecksums: 0, negativeZero: 0, lostSegment: 0, ackedUnseen: 0, retransmissions: 0, tcpStreams: 0, clientPorts: [], addresses: [], odd: [] };
  const streams = new Map<string, number>();
  const addrs = new Set<string>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [frame, ipSum, tcpSumStatus, lost, unseen, tcpSum, tcpCalc, rtx, fastRtx, spurious, stream, src, dst, sport, dport] = line.split(',');
    const negZero = tcpSumStatus === '0' && Number(tcpSum) === 0xffff && Number(tcpCalc) === 0;
    const tcpStatus = negZero ? '1' : tcpSumStatus;
    const retransmitted = rtx !== '' || fastRtx !== '' || spurious !== '';
    f.packets++;
    if (negZero) f.negativeZero++;
    if (tcpStatus !== '') f.tcpPackets++;
    if (ipSum === '1') f.goodIp++;
    if (tcpStatus === '1') f.goodTcp++;
    if (ipSum === '0' || tcpStatus === '0') f.badChecksums++;
    if (ipSum !== '1' || tcpStatus !== '1' || retransmitted) f.odd.push(Number(frame));
    if (lost !== '') f.lostSegment++;
    if (unseen !== '') f.ackedUnseen++;
    if (retransmitted) f.retransmissions++;
    // The client's port is the higher one (the servers listen on well-known ports).
    if (stream !== '' && stream !== undefined && !streams.has(stream)) streams.set(stream, Math.max(Number(sport), Number(dport)));
    for (const a of [src, dst]) if (a) addrs.add(a);
  }
  f.tcpStreams = streams.size;
  f.clientPorts = [...streams.values()];
  f.addresses = [...addrs].sort();
  return f;
}

/** tshark's one-line summaries of the packets it flags (for the failure message). */
export function flagged(pcap: string, odd: number[]): string {
  const oddFrames = odd.slice(0, 5).map((n) => ` || frame.number==${n}`).join('');
  const r = spawnSync('tshark', ['-r', pcap, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y',
    `tcp.checksum.status==0 || ip.checksum.status==0 || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.retransmission${oddFrames}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return r.stdout.split('\n').slice(0, 10).join('\n');
}

/** dumpcap on a TUN inside a namespace: the kernel's own view of what the real client sends and gets. */
export class TunCapture {
  private said = '';
  private constructor(private readonly proc: ChildProcess) {
    proc.stderr!.on('data', (d: Buffer) => (this.said += d.toString()));
  }

  /** Resolves once dumpcap captures; a large buffer (-B, MiB) so that a busy machine does not make it drop. */
  static async start(ns: string, iface: string, file: string): Promise<TunCapture> {
    const c = new TunCapture(spawn('ip', ['netns', 'exec', ns, 'dumpcap', '-B', '64', '-i', iface, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] }));
    if (!(await until(() => c.said.includes('Capturing on') || c.proc.exitCode !== null, 10_000)) || c.proc.exitCode !== null) {
      c.proc.kill('SIGINT');
      throw new Error(`dumpcap did not start: ${c.said}`);
    }
    return c;
  }

  /** What dumpcap said (its drop count is in the last line). */
  get stderr(): string {
    return this.said;
  }

  /**
   * Packets dumpcap itself dropped ("Packets received/dropped on interface 'hoff0': 59469/0"),
   * once stopped: a capture that dropped shows gaps that are not the path's. Null if it did not say.
   */
  get dropped(): number | null {
    const m = /received\/dropped on interface '[^']*': \d+\/(\d+)/.exec(this.said);
    return m ? Number(m[1]) : null;
  }

  /**
   * Stop once `settled()` holds (bounded): the kernel hands captured packets to dumpcap a block
   * at a time, and a block not yet handed over when dumpcap stops is lost from the file, so a
   * spec waits until the file shows what it is about to check.
   */
  async stop(settled: () => boolean = () => true): Promise<void> {
    await until(() => this.proc.exitCode !== null || settled(), 10_000);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGINT');
    await until(() => this.proc.exitCode !== null || this.proc.signalCode !== null, 10_000);
  }
}
