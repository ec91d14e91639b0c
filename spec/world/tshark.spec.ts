import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { requireTool } from '../support/tools.ts';
import { writeCaptures } from '../../harness/world/files.ts';
import { runScenario } from './scenario.ts';

const ERROR_SEVERITY = 0x00800000; // Wireshark's PI_ERROR

interface Verdict {
  frames: number;
  /** Frames with a bad IP or TCP checksum, a malformed mark, or an error-level expert note. */
  bad: number;
}

/** Read a capture with tshark, checksum validation on, and count the frames it complains about. */
function tsharkVerdict(path: string): Verdict {
  const out = execFileSync(
    'tshark',
    ['-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', '_ws.malformed', '-e', '_ws.expert.severity'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let frames = 0;
  let bad = 0;
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    frames++;
    const [, ipSt, tcpSt, malformed, sev] = line.split('|');
    const severities = (sev ?? '').split(',').filter((s) => s !== '').map(Number);
    if (ipSt === '0' || tcpSt === '0' || (malformed ?? '') !== '' || severities.some((s) => s >= ERROR_SEVERITY)) bad++;
  }
  return { frames, bad };
}

describe('world: captures read by tshark', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    requireTool(this, 'tshark', 'bash .ci/install-tools');
    dir = mkdtempSync(join(tmpdir(), 'handoff-pcap-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads every pcap of a clean run (loss, duplication, reordering) with no malformed packet and no bad checksum', () => {
    const w = runScenario({ seed: 'tshark-clean' });
    const paths = writeCaptures(w, join(dir, 'clean'));
    expect(paths).to.have.length(6);
    for (const p of paths) {
      const v = tsharkVerdict(p);
      const captured = w.captures().find((c) => `${c.name}.pcap` === basename(p))!.packets;
      expect(v.frames, p).to.equal(captured);
      expect(v.bad, p).to.equal(0);
    }
  });

  it('shows bad checksums only downstream of a corrupting link, never more than were corrupted', () => {
    const w = runScenario({ seed: 'tshark-corrupt', corrupt: 0.2 });
    const corrupted = w.link('client', 'wan').from('client').counters.corrupted;
    const paths = writeCaptures(w, join(dir, 'corrupt'));
    const bad = Object.fromEntries(paths.map((p) => [basename(p, '.pcap'), tsharkVerdict(p).bad]));
    expect(corrupted).to.be.greaterThan(5);
    // The sender's capture is taken before the wire: clean.
    expect(bad['client.eth0']).to.equal(0);
    // The router sees the damage on arrival.
    expect(bad['router.eth0']).to.be.greaterThan(0);
    expect(bad['router.eth0']).to.be.at.most(corrupted);
  });
});
