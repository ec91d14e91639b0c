import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { makeConformanceCommand } from '../../harness/cli/conformance.ts';
import { schedulerDriver } from '../../harness/packetdrill/driver.ts';
import { worldHostFactory } from '../../harness/packetdrill/hosts.ts';
import type { HostFactory } from '../../harness/packetdrill/suite.ts';
import { CliError } from '../../harness/cli/command.ts';
import { ToyHost } from './support/toy-host.ts';
import { clusterHostFactory, type ClusterModeOptions } from '../../harness/packetdrill/cluster.ts';

const FIX = 'spec/packetdrill/fixtures';

const toyFactory: HostFactory = () => {
  const sched = new Scheduler();
  const host = new ToyHost(sched);
  return { driver: schedulerDriver(sched), wire: host, syscalls: host, host };
};

async function cli(
  argv: string[],
  factory: (dir: string | undefined) => HostFactory = () => toyFactory,
  clusterFactory: (o: ClusterModeOptions) => HostFactory = clusterHostFactory,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = makeConformanceCommand({ factory, clusterFactory, out: (t) => (out += t), err: (t) => (err += t) });
  const code = await cmd.run(argv);
  return { code, out, err };
}

describe('handoff conformance', () => {
  it('prints one line per script and the totals, exiting 1 when one fails', async () => {
    const r = await cli([FIX]);
    expect(r.out).to.equal(
      `FAIL ${FIX}/fail-window.pkt:6: outbound packet mismatch in win: expected 29200, got 65535\n` + `PASS ${FIX}/pass-open.pkt\n` + '1 passed, 1 failed\n',
    );
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('  expected: > S. 0:0(0) ack 1 win 29200 <mss 1460>');
    expect(r.err).to.contain('  got:      > S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.1');
  });

  it('exits 0 when every script passes', async () => {
    const r = await cli([`${FIX}/pass-open.pkt`, '--profile', 'freebsd']);
    expect([r.code, r.out]).to.deep.equal([0, `PASS ${FIX}/pass-open.pkt\n1 passed, 0 failed\n`]);
  });

  it('only parses and validates with --check, which needs no host', async () => {
    const r = await cli([FIX, '--check'], () => expect.fail('--check built a host'));
    expect([r.code, r.out]).to.deep.equal([0, `PASS ${FIX}/fail-window.pkt\nPASS ${FIX}/pass-open.pkt\n2 passed, 0 failed\n`]);
  });

  it('plays scripts under linux/ or freebsd/ with that profile, and leaves the other out with --profile', async () => {
    const dirs = ['spec/conformance/linux/tools', 'spec/conformance/freebsd/tools'];
    const all = await cli([...dirs, '--check']);
    expect(all.out.split('\n').filter((l) => l.startsWith('PASS')).length).to.equal(4);
    const linux = await cli([...dirs, '--check', '--profile', 'linux']);
    expect(linux.out).to.equal('PASS spec/conformance/linux/tools/ss-follows-states.pkt\n1 passed, 0 failed\n');
    expect(linux.err).to.equal('skipped 3 scripts written for freebsd (run them with --profile freebsd)\n');
  });

  it('refuses bad arguments with one clear line', async () => {
    await cli(['--profile', 'solaris', FIX]).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.equal('--profile must be linux or freebsd, not solaris'),
    );
    await cli([`${FIX}/nope`]).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.match(/no such file or directory/),
    );
    await cli([FIX, '--bogus_option']).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.equal('unknown option --bogus_option'),
    );
    await cli([FIX, '--pcap']).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.equal('--pcap needs a directory'),
    );
  });

  it('plays scripts through a world of IP, links and the TCP driver, and writes their pcaps with --pcap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-'));
    try {
      const script = 'spec/conformance/common/handshake/passive-open.pkt';
      const world = (d: string | undefined): HostFactory => worldHostFactory(d === undefined ? {} : { captureDir: d });
      const r = await cli([script, '--pcap', dir], world);
      expect([r.code, r.out]).to.deep.equal([0, `PASS ${script}\n1 passed, 0 failed\n`]);
      const files = readdirSync(join(dir, 'passive-open')).sort();
      expect(files).to.deep.equal(['dut.eth0.pcap', 'peer.eth0.pcap']);
      const pcap = readFileSync(join(dir, 'passive-open', 'dut.eth0.pcap'));
      // pcap (nanosecond) magic, then the handshake's three packets and nothing else.
      expect(pcap.readUInt32LE(0)).to.equal(0xa1b23c4d);
      expect(pcap.length).to.be.greaterThan(24 + 3 * (16 + 40));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('cluster mode (--cluster): the script plays the client against a whole cluster VIP', function () {
    this.timeout(30_000);
    const DIR = 'spec/handoff/conformance';

    it('passes the cluster scripts, each with the client bytes its client-stream line declares', async () => {
      const seen: ClusterModeOptions[] = [];
      const r = await cli([DIR, '--cluster'], undefined, (o) => (seen.push(o), clusterHostFactory(o)));
      expect(r.out).to.match(/^3 passed, 0 failed$/m);
      expect(r.code).to.equal(0);
      expect(seen.map((o) => o.clientStream)).to.include('GET /about.txt HTTP/1.1\r\nHost: cluster\r\n\r\n');
    });

    it("fails, with the script line, a script that expects to see the back end's own SYN/ACK", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cluster-cli-'));
      try {
        const text = readFileSync(`${DIR}/handed-off.pkt`, 'utf8').replace('+0  > . 1:1(0) ack 49 <...>', '+0  > S. 0:0(0) ack 1 <...>');
        writeFileSync(join(dir, 'visible-handoff.pkt'), text);
        const r = await cli([join(dir, 'visible-handoff.pkt'), '--cluster', '--backends', '3']);
        expect(r.code).to.equal(1);
        expect(r.out).to.match(/^FAIL .*visible-handoff\.pkt:\d+: /m);
        expect(r.out).to.match(/^0 passed, 1 failed$/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('rejects a client stream that is not a JSON string, naming the option', async () => {
      try {
        await cli([`${DIR}/handed-off.pkt`, '--client-stream', 'GET /']);
        expect.fail('no error');
      } catch (e) {
        expect(e).to.be.instanceOf(CliError);
        expect((e as CliError).message).to.match(/^--client-stream: expected a JSON string/);
      }
    });
  });
});
