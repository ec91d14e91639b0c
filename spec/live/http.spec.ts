import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRng } from '../../lib/sim/rng.ts';
import { documentBytes } from '../../harness/apps/content.ts';
import { BIN, gone, inNs, type LiveProc } from './helpers.ts';
import { flagged, TunCapture, tsharkFindings } from './tshark.ts';
import { emulatorPcapIn, kernelPcapIn, startCapturedSession, stopCapturedSession } from './session.ts';

const VIP = '203.0.113.10';

describe('live: real curl and wrk against Node http on the emulated TCP (root, socat, curl, tshark, wrk)', function () {
  this.timeout(60_000);
  let dir: string;
  let s: LiveProc;
  let ns: string;
  let pids: number[];
  let dumpcap: TunCapture | null = null;
  const emulatorPcap = (): string => emulatorPcapIn(dir);
  const kernelPcap = (): string => kernelPcapIn(dir);

  before(async function () {
    ({ dir, s, ns, pids, dumpcap } = await startCapturedSession(this, 'live-http-', [['wrk', 'apt-get install wrk']]));
  });

  after(async () => {
    await stopCapturedSession({ dir, s, dumpcap: dumpcap ?? undefined });
  });

  it('downloads a small document whose bytes equal `handoff content`, from the server named in X-Served-By', () => {
    const out = join(dir, 'about.txt');
    const r = inNs(ns, ['curl', '-sS', '-m', '20', '-D', '-', '-o', out, `http://${VIP}/about.txt`]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^HTTP\/1\.1 200/).and.match(/X-Served-By: fe/i);
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
    await dumpcap!.stop();
    s.proc.kill('SIGINT');
    expect(await s.exited).to.equal(130);
    expect(gone(ns, pids)).to.equal(true);
  });

  for (const [name, file] of [['the kernel side of the TUN (dumpcap on hoff0)', kernelPcap], ["the emulator's side of the bridge (--pcap)", emulatorPcap]] as const) {
    it(`shows, in a capture of ${name} read by tshark, no bad checksum, no ACKed unseen segment, no previous segment not captured`, () => {
      if (file === kernelPcap) {
        expect(dumpcap!.dropped, `dumpcap dropped packets itself: ${dumpcap!.stderr}`).to.equal(0);
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
