import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentBytes } from '../../harness/apps/content.ts';
import { NO_HANDOFF_NOTICE } from '../../harness/scenario/build.ts';
import { gone, inNs, type LiveProc } from './helpers.ts';
import { capturedClientPorts, flagged, TunCapture, tsharkFindings } from './tshark.ts';
import { emulatorPcapIn, kernelPcapIn, startCapturedSession, stopCapturedSession } from './session.ts';

const VIP = '203.0.113.10';
const CLIENT = '198.51.100.254';

interface Transfer {
  path: string;
  status: number;
  /** New connections curl made for this transfer (0: it reused the previous one). */
  connects: number;
  localPort: number;
  servedBy: string;
  body: Buffer;
}

describe('live: the default handoff cluster behind a real client (root, socat, curl, tshark)', function () {
  this.timeout(30_000);
  let dir: string;
  let s: LiveProc;
  let ns: string;
  let pids: number[];
  let dumpcap: TunCapture | null = null;
  /** The client port of every connection curl opened, in order. */
  const ports: number[] = [];
  const emulatorPcap = (): string => emulatorPcapIn(dir);
  const kernelPcap = (): string => kernelPcapIn(dir);

  /** One curl run: the paths in order on one keep-alive connection, each saved to its own file. */
  function curl(paths: string[]): Transfer[] {
    const files = paths.map((_, i) => join(dir, `body-${ports.length}-${i}`));
    const args = ['curl', '-sS', '-m', '20', '-D', '-', '-w', '=== %{http_code}:%{num_connects}:%{local_port}\\n'];
    paths.forEach((p, i) => args.push('-o', files[i]!, `http://${VIP}${p}`));
    const r = inNs(ns, args, 25_000);
    expect(r.status, r.stderr).to.equal(0);
    const servedBy = [...r.stdout.matchAll(/^X-Served-By: (\S+)\r?$/gim)].map((m) => m[1]!);
    const ends = [...r.stdout.matchAll(/^=== (\d+):(\d+):(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])] as const);
    expect(servedBy, r.stdout).to.have.length(paths.length);
    expect(ends, r.stdout).to.have.length(paths.length);
    const out = paths.map((path, i) => ({ path, status: ends[i]![0], connects: ends[i]![1], localPort: ends[i]![2], servedBy: servedBy[i]!, body: readFileSync(files[i]!) }));
    for (const t of out) if (t.connects > 0) ports.push(t.localPort);
    return out;
  }

  function expectOneConnection(ts: Transfer[], servedBy: string): void {
    expect(ts.map((t) => t.connects), 'one new connection, then reused').to.deep.equal(ts.map((_, i) => (i === 0 ? 1 : 0)));
    for (const t of ts) {
      expect(t.status, t.path).to.equal(200);
      expect(t.servedBy, t.path).to.equal(servedBy);
      expect(t.body.equals(Buffer.from(documentBytes(t.path)!)), `${t.path}: bytes differ from handoff content`).to.equal(true);
    }
  }

  before(async function () {
    ({ dir, s, ns, pids, dumpcap } = await startCapturedSession(this, 'live-handoff-'));
  });

  after(async () => {
    await stopCapturedSession({ dir, s, dumpcap: dumpcap ?? undefined });
  });

  it('runs the default handoff cluster when no scenario is given: the VIP, the real client on the public network', () => {
    const banner = s.stdout();
    expect(banner).to.include(`client address  ${CLIENT}`).and.include(`server / VIP    ${VIP}`).and.include('http (VIP)');
    expect(banner).not.to.include(NO_HANDOFF_NOTICE);
  });

  it('hands a keep-alive connection whose first request is under /img/ to be1, which answers every request on it byte for byte', () => {
    expectOneConnection(curl(['/img/photo-1.jpg', '/img/photo-2.jpg', '/docs/page-3.html']), 'be1');
  });

  it('hands /docs/ to be2 and /data/ to be3, each connection staying on its back end', () => {
    expectOneConnection(curl(['/docs/page-1.html', '/docs/page-8.html', '/about.txt']), 'be2');
    expectOneConnection(curl(['/data/1m.bin', '/data/1k.bin', '/img/photo-4.jpg']), 'be3');
  });

  it('keeps on the front end a connection whose first request the policy serves locally (X-Served-By: fe)', () => {
    expectOneConnection(curl(['/index.html', '/img/photo-1.jpg']), 'fe');
  });

  for (const [name, file] of [['the kernel side of the TUN (dumpcap on hoff0)', kernelPcap], ["the emulator's side of the bridge (--pcap)", emulatorPcap]] as const) {
    it(`shows in a capture of ${name} one clean TCP connection per curl connection, with the VIP only: no bad checksum, gap or unseen ACK`, async () => {
      await dumpcap!.stop(() => capturedClientPorts(kernelPcap()).length >= ports.length);
      expect(dumpcap!.dropped, `dumpcap dropped packets itself: ${dumpcap!.stderr}`).to.equal(0);
      const f = tsharkFindings(file());
      const why = `${JSON.stringify({ ...f, odd: f.odd.slice(0, 10) })}\n${flagged(file(), f.odd)}`;
      expect(ports).to.have.length(4);
      expect(f.clientPorts, why).to.deep.equal(ports);
      // The client never sees a back end's address: every answer comes from the VIP.
      expect(f.addresses, why).to.deep.equal([CLIENT, VIP]);
      expect(f.goodIp, why).to.equal(f.packets);
      expect(f.goodTcp, why).to.equal(f.tcpPackets);
      expect(f.tcpPackets, why).to.equal(f.packets);
      expect(f, why).to.include({ badChecksums: 0, lostSegment: 0, ackedUnseen: 0 });
      // Both ends' timers run on the wall clock here: a stall of the shared machine (socat or the
      // emulator not scheduled for a few hundred ms) makes a real retransmission, which is no
      // fault of the emulation. A clean run has none (docs/live.md, Limits); a burst of them
      // on an idle machine would still fail this bound.
      if (f.retransmissions > 0) console.warn(`      note: ${f.retransmissions} retransmission(s) in ${name}`);
      expect(f.retransmissions, why).to.be.at.most(Math.max(3, Math.ceil(f.tcpPackets * 0.02)));
    });
  }

  it('tears down on SIGINT leaving no namespace, marker or process', async () => {
    s.proc.kill('SIGINT');
    expect(await s.exited).to.equal(130);
    expect(gone(ns, pids)).to.equal(true);
  });
});
