import { expect } from 'chai';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot, requireTool } from '../support/tools.ts';
import { SeededRng } from '../../lib/sim/rng.ts';
import { documentBytes } from '../../harness/apps/content.ts';
import { BIN, gone, live, pidsIn, until, type LiveProc } from './helpers.ts';

const VIP = '203.0.113.10';

/** Run a program inside the namespace (bounded). */
function inNs(ns: string, args: string[], timeoutMs = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 24 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What tshark finds in a capture: checksums verified good and bad, and the two gap flags. */
interface Findings {
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
  /** Frames whose checksums were not both verified good, for the failure message. */
  odd: number[];
}

function tsharkFindings(pcap: string): Findings {
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=,',
      '-e', 'frame.number', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'tcp.analysis.lost_segment', '-e', 'tcp.analysis.ack_lost_segment',
      '-e', 'tcp.checksum', '-e', 'tcp.checksum_calculated'],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const f: Findings = { packets: 0, tcpPackets: 0, goodIp: 0, goodTcp: 0, badChecksums: 0, negativeZero: 0, lostSegment: 0, ackedUnseen: 0, odd: [] };
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [frame, ipSum, tcpSumStatus, lost, unseen, tcpSum, tcpCalc] = line.split(',');
    const negZero = tcpSumStatus === '0' && Number(tcpSum) === 0xffff && Number(tcpCalc) === 0;
    const tcpStatus = negZero ? '1' : tcpSumStatus;
    f.packets++;
    if (negZero) f.negativeZero++;
    if (tcpStatus !== '') f.tcpPackets++;
    if (ipSum === '1') f.goodIp++;
    if (tcpStatus === '1') f.goodTcp++;
    if (ipSum === '0' || tcpStatus === '0') f.badChecksums++;
    if (ipSum !== '1' || tcpStatus !== '1') f.odd.push(Number(frame));
    if (lost !== '') f.lostSegment++;
    if (unseen !== '') f.ackedUnseen++;
  }
  return f;
}

/** tshark's one-line summaries of the packets it flags (for the failure message). */
function flagged(pcap: string, odd: number[]): string {
  const oddFrames = odd.slice(0, 5).map((n) => ` || frame.number==${n}`).join('');
  const r = spawnSync('tshark', ['-r', pcap, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y',
    `tcp.checksum.status==0 || ip.checksum.status==0 || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment${oddFrames}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return r.stdout.split('\n').slice(0, 10).join('\n');
}

describe('live: real curl and wrk against Node http on the emulated TCP (root, socat, curl, tshark, wrk)', function () {
  this.timeout(60_000);
  let dir: string;
  let s: LiveProc;
  let ns: string;
  let pids: number[];
  let dumpcap: ChildProcess | null = null;
  let dumpcapSaid = '';
  const emulatorPcap = (): string => join(dir, 'bridge.pcap');
  const kernelPcap = (): string => join(dir, 'tun.pcap');

  before(async function () {
    requireRoot(this);
    requireTool(this, 'ip', 'apt-get install iproute2');
    requireTool(this, 'socat', 'apt-get install socat');
    requireTool(this, 'curl', 'apt-get install curl');
    requireTool(this, 'tshark', 'apt-get install tshark');
    requireTool(this, 'dumpcap', 'apt-get install tshark');
    requireTool(this, 'wrk', 'apt-get install wrk');
    dir = mkdtempSync(join(tmpdir(), 'live-http-'));
    s = live(['--pcap', emulatorPcap()]);
    ns = await s.waitUp();
    pids = pidsIn(ns);
    // The kernel's own view of the TUN, captured inside the namespace.
    // A large capture buffer (-B, MiB), so that a busy machine does not make dumpcap drop.
    dumpcap = spawn('ip', ['netns', 'exec', ns, 'dumpcap', '-B', '64', '-i', 'hoff0', '-w', kernelPcap()], { stdio: ['ignore', 'ignore', 'pipe'] });
    dumpcap.stderr!.on('data', (d: Buffer) => (dumpcapSaid += d.toString()));
    expect(await until(() => dumpcapSaid.includes('Capturing on'), 10_000), dumpcapSaid).to.equal(true);
  });

  after(async () => {
    dumpcap?.kill('SIGINT');
    if (s !== undefined && s.proc.exitCode === null) s.proc.kill('SIGINT');
    await s?.exited;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a small document whose bytes equal `handoff content`, from the server named in X-Served-By', () => {
    const out = join(dir, 'about.txt');
    const r = inNs(ns, ['curl', '-sS', '-m', '20', '-D', '-', '-o', out, `http://${VIP}/about.txt`]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^HTTP\/1\.1 200/).and.match(/X-Served-By: web/i);
    const want = execFileSync(process.execPath, [BIN, 'content', '/about.txt']);
    expect(want.length).to.be.within(1, 1023);
    expect(readFileSync(out).equals(want)).to.equal(true);
  });

  it('downloads a 10 MB document whose bytes equal `handoff content`', () => {
    const out = join(dir, 'clip.bin');
    const r = inNs(ns, ['curl', '-sS', '-m', '40', '-o', out, '-w', '%{http_code} %{size_download}', `http://${VIP}/video/clip.bin`], 45_000);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`200 ${10 * 1024 * 1024}`);
    const want = execFileSync(process.execPath, [BIN, 'content', '/video/clip.bin'], { maxBuffer: 1 << 25 });
    expect(readFileSync(out).equals(want)).to.equal(true);
  });

  it('uploads a 5 MB body that the server hashes: the SHA-256 it returns matches', () => {
    const rng = new SeededRng('live-post');
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(rng.u32(), i);
    const file = join(dir, 'body.bin');
    writeFileSync(file, body);
    const r = inNs(ns, ['curl', '-sS', '-m', '40', '--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream', `http://${VIP}/hash`], 45_000);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(createHash('sha256').update(body).digest('hex'));
  });

  it('serves several requests on one keep-alive connection (curl URL1 URL2 URL3)', () => {
    const paths = ['/index.html', '/static/style.css', '/docs/page-1.html'];
    const r = inNs(ns, ['curl', '-sS', '-m', '20', '-w', '%{http_code}:%{num_connects}:%{size_download}\\n', ...paths.flatMap((p) => ['-o', '/dev/null', `http://${VIP}${p}`])]);
    expect(r.status, r.stderr).to.equal(0);
    const sizes = paths.map((p) => documentBytes(p)!.length);
    // One new connection for the first transfer, none for the others.
    expect(r.stdout.trim().split('\n')).to.deep.equal([`200:1:${sizes[0]}`, `200:0:${sizes[1]}`, `200:0:${sizes[2]}`]);
  });

  it('answers 50 parallel connections under wrk for two seconds without a failed request', () => {
    const r = inNs(ns, ['wrk', '-t1', '-c50', '-d2s', '--timeout', '10s', `http://${VIP}/docs/page-2.html`], 30_000);
    expect(r.status, r.stderr).to.equal(0);
    const done = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
    expect(done, r.stdout).to.be.greaterThan(50);
    expect(r.stdout, 'wrk reports socket errors (connect, read, write, timeout) here').not.to.include('Socket errors');
    expect(r.stdout, 'wrk reports non-2xx answers here').not.to.include('Non-2xx');
  });

  it('tears down on SIGINT leaving no namespace, marker or process', async () => {
    dumpcap!.kill('SIGINT');
    await until(() => dumpcap!.exitCode !== null, 10_000);
    s.proc.kill('SIGINT');
    expect(await s.exited).to.equal(130);
    expect(gone(ns, pids)).to.equal(true);
  });

  for (const [name, file] of [['the kernel side of the TUN (dumpcap on hoff0)', kernelPcap], ["the emulator's side of the bridge (--pcap)", emulatorPcap]] as const) {
    it(`shows, in a capture of ${name} read by tshark, no bad checksum, no ACKed unseen segment, no previous segment not captured`, () => {
      if (file === kernelPcap) {
        // "Packets received/dropped on interface 'hoff0': 59469/0": a capture that itself
        // dropped would show gaps that are not the path's.
        const dropped = /received\/dropped on interface '[^']*': \d+\/(\d+)/.exec(dumpcapSaid)?.[1];
        expect(dropped, dumpcapSaid).to.equal('0');
      }
      const f = tsharkFindings(file());
      const why = `${JSON.stringify({ ...f, odd: f.odd.slice(0, 10) })}\n${flagged(file(), f.odd)}\n${s.stdout()}${s.stderr()}`;
      expect(f.packets).to.be.greaterThan(10_000);
      // Checksums were verified, not skipped: IP on every packet, TCP on every TCP packet.
      expect(f.goodIp, why).to.equal(f.packets);
      expect(f.goodTcp, why).to.equal(f.tcpPackets);
      expect(f, why).to.include({ badChecksums: 0, lostSegment: 0, ackedUnseen: 0 });
    });
  }
});
