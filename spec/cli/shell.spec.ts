import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { makeShellCommand } from '../../harness/cli/shell.ts';
import type { ScenarioPlugins } from '../../harness/scenario/plugins.ts';
import { tcpPlugin } from '../../harness/scenario/installers/tcp.ts';
import { appsPlugin } from '../../harness/scenario/installers/apps.ts';
import { clusterPlugin } from '../../harness/scenario/installers/cluster.ts';
import { ipOnlyDoc } from '../scenario/support.ts';
import { capture, runCommand, scenarioFile, tempDir, type CliResult } from './support.ts';

/** Run the shell over `script` (one command per line), as if piped on stdin. */
async function shell(script: string, argv: string[] = [], plugins: ScenarioPlugins = {}): Promise<CliResult> {
  const io = capture();
  const lines = script.split('\n');
  const cmd = makeShellCommand({
    out: io.out,
    err: io.err,
    interactive: false,
    plugins,
    lines: async function* () {
      yield* lines;
    },
  });
  return runCommand(cmd, argv, io);
}

/** Output lines, without the notes about what the build lacks. */
const outLines = (r: CliResult): string[] =>
  r.out
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('note: '));

describe('handoff shell, driven over stdin', () => {
  it('lists the hosts of the default cluster with their roles and addresses', async () => {
    const r = await shell('hosts');
    expect(r.code).to.equal(0);
    expect(outLines(r)).to.include.members([
      'client1    client     eth0 198.51.100.10/24',
      'router     router     eth0 198.51.100.1/24, eth1 192.0.2.1/24',
      'fe         front-end  eth0 192.0.2.10/24 203.0.113.10/32, eth1 203.0.113.130/25',
      'be3        back-end   eth0 192.0.2.13/24, eth1 203.0.113.133/25',
    ]);
  });

  it("says plainly what the build lacks, before anything else", async () => {
    const r = await shell('');
    expect(r.out.split('\n')[0]).to.equal(
      'note: this build has no emulated TCP and sockets yet: hosts have IP only, so no TCP, applications or cluster roles were set up',
    );
  });

  it('pushes and pops modules on a live stack and shows the stack and its queues', async () => {
    const r = await shell(['push fe eth0 counter', 'push fe eth0 passthru bottom', 'stack fe', 'dump fe eth0', 'pop fe eth0', 'stack fe'].join('\n'));
    expect(r.code, r.out).to.equal(0);
    const out = outLines(r);
    expect(out).to.include.ordered.members(['pushed counter at fe eth0: counter', 'pushed passthru at fe eth0: counter > passthru']);
    expect(out).to.include('  eth0       counter > passthru > netdrv');
    expect(out.some((l) => /^ {2}counter +W\[cnt=0 msgs=0 hi=8192 lo=2048 /.test(l))).to.equal(true);
    expect(out).to.include('popped at fe eth0: passthru');
    expect(out.at(-2)).to.equal('  eth0       passthru > netdrv');
  });

  it('sends a packet, runs the clock and watches it cross the router', async () => {
    const r = await shell(['watch pkt.', 'send client1 203.0.113.10 hi', 'run 20ms', 'time'].join('\n'));
    expect(r.code, r.out).to.equal(0);
    expect(outLines(r)).to.include.ordered.members([
      "watching events containing 'pkt.'",
      '0.000000 pkt.tx if=client1.eth0 n=1 len=22  198.51.100.10 > 203.0.113.10: proto 253, length 2',
      'queued 2 bytes from client1 to 203.0.113.10 (run the clock to deliver)',
      '0.010004 pkt.rx if=router.eth0 n=1 len=22  198.51.100.10 > 203.0.113.10: proto 253, length 2',
      '0.010004 pkt.tx if=router.eth1 n=2 len=22  198.51.100.10 > 203.0.113.10: proto 253, length 2',
      '0.010104 pkt.rx if=fe.eth0 n=2 len=22  198.51.100.10 > 203.0.113.10: proto 253, length 2',
      'ran 5 event(s); now 0.020000',
    ]);
  });

  it('steps events one at a time and shows the last trace lines', async () => {
    const r = await shell(['send fe 192.0.2.11', 'step', 'step 20', 'trace 1'].join('\n'));
    const out = outLines(r);
    expect(out[1]).to.equal('ran 1 event(s); now 0.000000');
    // fe -> switch -> be1: 50 us and 200 ns of serialisation per cable; then nothing is left.
    expect(out[2]).to.equal('ran 2 event(s); now 0.000100');
    expect(out[3]).to.equal('{"t":100400,"ev":"streams.drop","host":"be1","q":"s2:netdrv:eth0/ip:R","reason":"ip: inNoProto"}');
  });

  it('cuts and mends a cable and sets faults', async () => {
    const r = await shell(['down be1 lan', 'links be1', 'up be1 lan', 'fault be1 lan in loss=0.25', 'fault be1 lan in clear'].join('\n'));
    expect(r.code, r.out).to.equal(0);
    expect(outLines(r)).to.include.members([
      'cable of be1 on lan is down',
      '  lan:be1:be1>switch               DOWN sent 0 delivered 0 lost 0 drops 0',
      'cable of be1 on lan is up',
      'faults set on lan:be1:switch>be1',
      'faults cleared on lan:be1:switch>be1',
    ]);
  });

  it('answers bad commands with one clear line, goes on, and exits 1', async () => {
    const r = await shell(['pusj fe eth0 counter', 'push fe eth9 counter', 'push fe eth0 countr', 'push fe', 'stack nobody', 'run soon', 'fault be1 lan sideways loss=1', 'echo "unclosed', 'time'].join('\n'));
    expect(r.code).to.equal(1);
    const out = outLines(r).filter((l) => l.startsWith('error:'));
    expect(out).to.deep.equal([
      "error: unknown command 'pusj' (did you mean 'push'?); type 'help' for the list",
      'error: fe has no interface eth9 (places: eth0, eth1)',
      "error: no module 'countr' (did you mean 'counter'?); modules: counter, passthru, qpass, sockmod, tee, upper; a file path starts with ./ or /",
      'error: usage: push HOST PLACE MODULE [top|bottom|above=M|below=M]',
      "error: no host 'nobody'; hosts: client1, router, fe, be1, be2, be3",
      'error: expected a duration like "10ms" or a number of ns, found "soon"',
      'error: expected out, in or both, found "sideways"',
      'error: unclosed " quote',
    ]);
    expect(outLines(r).at(-1)).to.match(/^now 0\.000000/);
  });

  it('explains each command with help', async () => {
    const r = await shell('help push');
    expect(outLines(r).join('\n') + '\n').to.equal('push HOST PLACE MODULE [top|bottom|above=M|below=M]\n  push a module (a name or a ./file.ts) at a place (eth0, tcp-lower, tcp-upper)\n');
  });

  it('stops reading at quit', async () => {
    const r = await shell(['time', 'quit', 'pusj'].join('\n'));
    expect([r.code, outLines(r).filter((l) => l.startsWith('error')).length]).to.deep.equal([0, 0]);
  });

  it('opens a scenario file, pushes from --push, and refuses a bad file with the loader lines', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, 's.json', ipOnlyDoc());
    const ok = await shell('stack fe', [file, '--push', 'fe:eth0:counter']);
    expect(outLines(ok)).to.include('  eth0       counter > netdrv');
    const bad = scenarioFile(dir, 'bad.json', { ...ipOnlyDoc(), seed: -3 });
    const r = await shell('time', [bad]);
    expect([r.code, r.err]).to.deep.equal([1, `${bad}: /seed: expected a seed: an integer >= 0 or a non-empty string, found -3\n`]);
  });

  it('sends an HTTP request and runs the clock until the answer is in', async function () {
    this.timeout(30_000);
    const r = await shell('request client1 /about.txt\ntime', [], { tcp: tcpPlugin, apps: appsPlugin });
    expect(r.code, r.out).to.equal(0);
    expect(outLines(r).find((l) => l.startsWith('200 '))).to.match(/^200 from fe: 600 bytes in [\d.]+ ms of virtual time$/);
  });
});

describe('handoff shell: ioctl', function () {
  this.timeout(30_000);
  const ONE = 'docs/labs/one-connection.json';
  const full = { tcp: tcpPlugin, apps: appsPlugin, cluster: clusterPlugin };

  it("reads a module's counters at an interface and below TCP, as lab 1's script does", async () => {
    const r = await shell(
      ['push fe eth0 ./modules/examples/syncount.ts', 'push fe tcp-lower ./modules/examples/syncount.ts', 'request client1 /index.html', 'ioctl fe eth0 SYNCOUNT_GET', 'ioctl fe tcp+syncount SYNCOUNT_ASK'].join('\n'),
      [ONE],
      full,
    );
    expect(r.code, r.out + r.err).to.equal(0);
    const out = outLines(r);
    // At tcp-lower syncount sits above BTCP and also sees the SYN/ACKs of the FE's three control channels.
    expect(out.slice(-2)).to.deep.equal([
      '{"synIn":1,"synAckIn":0,"rstIn":0,"synOut":0,"synAckOut":1,"rstOut":0}',
      '{"synIn":1,"synAckIn":3,"rstIn":0,"synOut":0,"synAckOut":1,"rstOut":0}',
    ]);
  });

  it('watches the handoff steps inside the hosts as they happen', async () => {
    const r = await shell(['run 100ms', 'watch handoff.dispatch', 'request client1 /docs/page-1.html'].join('\n'), [ONE], full);
    expect(r.code, r.out + r.err).to.equal(0);
    expect(outLines(r)).to.include(
      '0.130348 handoff.dispatch host=fe client=198.51.100.10:42929 policy=url-partition method=GET path=/docs/page-1.html httpHost=203.0.113.10:80 node=be2 excluded=[]',
    );
  });

  it("asks a node's handoff modules for their statistics through a UTCP stream of its own", async () => {
    const r = await shell(['run 100ms', 'request client1 /docs/page-1.html', 'ioctl be2 tcp+utcp HANDOFF_IOC_STATS'].join('\n'), [ONE], full);
    expect(r.code, r.out + r.err).to.equal(0);
    const stats = JSON.parse(outLines(r).at(-1)!) as { btcp: { be: unknown; counters: Record<string, number> } };
    expect(stats.btcp.be).to.deep.equal({ replaying: 0, active: 1, pendingTerminates: 0 });
    expect(stats.btcp.counters).to.deep.include({ replays: 1, takeovers: 1 });
  });

  it("passes a JSON argument and prints IP's and TCP's own answers; refuses bad places, commands and arguments in one line", async () => {
    const r = await shell(
      ['ioctl fe ip IP_IOC_ROUTES', 'ioctl fe tcp TCP_IOC_SYSCTL_GET \'{"name": "net.ipv4.tcp_sack"}\'', 'ioctl fe nowhere 1', 'ioctl fe ip NO_SUCH', 'ioctl fe ip 1 {bad', 'ioctl fe eth0 0x999'].join('\n'),
      [ONE],
      full,
    );
    const out = outLines(r);
    expect(r.code).to.equal(1);
    expect(out[0]).to.match(/^\[\{"family":"ipv4","dst":\d+,"prefixLen":32,/);
    expect(out[1]).to.match(/^(1|true|"1")$/);
    expect(out.slice(2).map((l) => l.replace(/:.*/, ''))).to.deep.equal(['error', 'error', 'error', 'error']);
    expect(r.out).to.contain("error: no place 'nowhere' on fe for an ioctl");
    expect(r.out).to.contain("error: unknown ioctl 'NO_SUCH'");
    expect(r.out).to.contain('error: the argument must be JSON');
    expect(r.out).to.contain('error: 0x999 refused: EINVAL');
  });
});

describe('handoff shell as a process', () => {
  it('reads commands piped on stdin and exits 1 after a failed one', function () {
    this.timeout(30_000);
    const r = spawnSync(process.execPath, ['harness/cli/bin.mjs', 'shell'], { input: 'time\nbogus\n', encoding: 'utf8' });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.contain('now 0.000000');
    expect(r.stdout).to.contain("error: unknown command 'bogus'; type 'help' for the list");
  });
});
