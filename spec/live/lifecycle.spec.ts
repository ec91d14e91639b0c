import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot, requireTool } from '../support/tools.ts';
import { createNamespace, markerPath, writeMarker } from '../../harness/live/netns.ts';
import { LiveError } from '../../harness/live/sys.ts';
import { alive, cmdline, gone, live, namespaces, pidsIn, until, type LiveProc } from './helpers.ts';

function requireLiveTools(ctx: Mocha.Context): void {
  requireRoot(ctx);
  requireTool(ctx, 'ip', 'apt-get install iproute2');
  requireTool(ctx, 'socat', 'apt-get install socat');
}

describe('live: session lifecycle (root, ip, socat)', function () {
  this.timeout(40_000);
  const started: LiveProc[] = [];
  const run = (args: string[], opts?: Parameters<typeof live>[1]): LiveProc => {
    const p = live(args, opts);
    started.push(p);
    return p;
  };

  before(function () {
    requireLiveTools(this);
  });

  after(async () => {
    // A failed spec must not leave a session running.
    for (const p of started) if (p.proc.exitCode === null) p.proc.kill('SIGTERM');
    await Promise.all(started.map((p) => p.exited));
  });

  describe('an interactive session', () => {
    let s: LiveProc;
    let ns: string;
    let pids: number[];

    before(async () => {
      s = run([]);
      ns = await s.waitUp();
      pids = pidsIn(ns);
    });

    it('prints the addresses and how to enter the namespace', () => {
      expect(s.stdout()).to.include('203.0.113.10').and.include('198.51.100.254').and.include(`ip netns exec ${ns} bash`);
    });

    it('runs the emulator and socat inside its namespace, nothing else', () => {
      const names = pids.map(cmdline);
      expect(names.some((c) => c.includes('emulator-main.ts')), names.join('\n')).to.equal(true);
      expect(names.some((c) => c.startsWith('socat ')), names.join('\n')).to.equal(true);
      expect(pids).to.have.length(2);
    });

    it('carries a datagram from the real client to an emulated host and back (UDP echo through the TUN)', () => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo bridge-check-42 | timeout 10 socat -t 1 - UDP:203.0.113.10:7'], { encoding: 'utf8', timeout: 15_000 });
      expect(r.stdout).to.equal('bridge-check-42\n');
    });

    it('tears everything down on Ctrl-C (SIGINT) and exits 130', async () => {
      s.proc.kill('SIGINT');
      expect(await s.exited).to.equal(130);
      expect(gone(ns, pids), `left behind: ${namespaces().join(' ')}`).to.equal(true);
      expect(s.stdout()).to.match(/stopped; \d+ packets in, \d+ out/);
    });
  });

  it('runs COMMAND in the namespace with HANDOFF_VIP and HANDOFF_CLIENT_ADDR, then exits with its status', async () => {
    const cmd = 'test "$HANDOFF_VIP" = 203.0.113.10 && test "$HANDOFF_CLIENT_ADDR" = 198.51.100.254 && ip -o addr show hoff0 | grep -q 198.51.100.254 && echo "ns=$HANDOFF_NETNS" && exit 7';
    const s = run(['--exec', cmd]);
    expect(await s.exited, s.stderr()).to.equal(7);
    const ns = /ns=(\S+)/.exec(s.stdout())?.[1];
    expect(ns).to.match(/^handoff-live-\d+$/);
    expect(gone(ns!, [])).to.equal(true);
  });

  it('stops, cleans up and fails when the emulator is killed (SIGKILL)', async () => {
    const s = run([]);
    const ns = await s.waitUp();
    const pids = pidsIn(ns);
    const emulator = pids.find((p) => cmdline(p).includes('emulator-main.ts'))!;
    process.kill(emulator, 'SIGKILL');
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.match(/emulator exited \(SIGKILL\)/);
    expect(gone(ns, pids)).to.equal(true);
  });

  it("is cleaned up by its reaper when the supervisor's whole process group is killed (SIGKILL)", async () => {
    const s = run([], { detached: true });
    const ns = await s.waitUp();
    const pids = pidsIn(ns);
    process.kill(-s.proc.pid!, 'SIGKILL');
    await s.exited;
    expect(await until(() => gone(ns, pids), 10_000), `left behind: ${namespaces().join(' ')}`).to.equal(true);
  });

  it('removes a stale namespace of a dead owner, with the processes in it, at the next start', async () => {
    const dead = spawnSync('true').pid!;
    const stale = `handoff-live-${dead}`;
    execFileSync('ip', ['netns', 'add', stale]);
    writeMarker({ ns: stale, pid: dead, start: 1, created: 'spec' });
    const squatter = spawn('ip', ['netns', 'exec', stale, 'sleep', '60'], { stdio: 'ignore', detached: true });
    await until(() => pidsIn(stale).length > 0, 5000);
    const s = run(['--exec', 'true']);
    expect(await s.exited, s.stderr()).to.equal(0);
    expect(s.stderr()).to.include(`removed stale namespace ${stale}`);
    expect(gone(stale, [squatter.pid!])).to.equal(true);
  });

  it('refuses to run without root, in one line, leaving nothing behind', async () => {
    const before = namespaces();
    const s = run(['--exec', 'true'], { uid: 65534 });
    expect(await s.exited).to.equal(1);
    expect(s.stderr().trim().split('\n')).to.have.length(1);
    expect(s.stderr()).to.match(/needs root/);
    expect(namespaces()).to.deep.equal(before);
  });

  it('leaves no marker behind when the namespace cannot be made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-marker-'));
    const bad = '..'; // ip refuses it, a file name can hold it
    let err: unknown;
    await createNamespace(bad, dir).catch((e) => (err = e));
    expect(err).to.be.instanceOf(LiveError);
    expect((err as Error).message).to.match(/cannot make network namespace/);
    expect(existsSync(markerPath(bad, dir))).to.equal(false);
  });

  it('keeps no process of a finished session alive', () => {
    const leftovers = started.flatMap((p) => (p.proc.pid !== undefined && alive(p.proc.pid) ? [p.proc.pid] : []));
    expect(leftovers).to.deep.equal([]);
  });
});
