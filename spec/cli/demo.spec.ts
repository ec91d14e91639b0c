import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeDemoCommand, summaryTable } from '../../harness/cli/demo.ts';
import type { ScenarioPlugins } from '../../harness/scenario/plugins.ts';
import { tcpPlugin } from '../../harness/scenario/installers/tcp.ts';
import { appsPlugin } from '../../harness/scenario/installers/apps.ts';
import type { RunSummary } from '../../harness/scenario/summary.ts';
import { capture, runCommand, tempDir, type CliResult } from './support.ts';

async function demo(argv: string[], plugins: ScenarioPlugins): Promise<CliResult> {
  const io = capture();
  return runCommand(makeDemoCommand({ ...io, plugins }), argv, io);
}

const summary = (over: Partial<RunSummary>): RunSummary =>
  ({
    end: 'done',
    virtualTimeText: '1.2s',
    events: 1000,
    cpuMs: 1500,
    hosts: [{ name: 'fe', role: 'front-end' }],
    workload: { requestsStarted: 10, requestsDone: 9, requestsFailed: 1, bytes: 2048, served: { fe: 4, be1: 5 } },
    cluster: null,
    ...over,
  }) as RunSummary;

describe('handoff demo', () => {
  it('refuses to show a workload it cannot run, and says why', async () => {
    const dir = tempDir();
    const r = await demo(['--out', join(dir, 'out')], {});
    expect(r.code).to.equal(1);
    expect(r.err.split('\n')[0]).to.equal(
      'handoff demo: this build has no emulated TCP and sockets yet: hosts have IP only, so no TCP, applications or cluster roles were set up.',
    );
    expect(existsSync(join(dir, 'out'))).to.equal(false);
  });

  it('runs the default workload over the emulated TCP and writes out/, the front end serving everything without a cluster plug-in', async function () {
    this.timeout(120_000);
    const dir = tempDir();
    const r = await demo(['--out', join(dir, 'out')], { tcp: tcpPlugin, apps: appsPlugin });
    expect(r.code, r.err).to.equal(0);
    const lines = r.out.split('\n');
    expect(lines[0]).to.equal('handoff demo: the default cluster (client1, router, fe owning 203.0.113.10, be1-be3), seed 1');
    expect(lines).to.include('  requests      100 (100 done, 0 failed)');
    expect(lines).to.include('  handoffs      none: the handoff cluster is not set up in this build');
    expect(lines).to.include('  local serves  100 (every request the front end answered)');
    expect(readdirSync(join(dir, 'out'))).to.include.members(['report.html', 'trace.jsonl', 'client1.eth0.pcap', 'fe.eth0.pcap', 'be3.eth1.pcap']);
  });

  it("shows handoffs only from the cluster plug-in's counters", () => {
    const withCluster = summaryTable(summary({ cluster: { handoffs: { be1: 5, be2: 0 }, localServes: 4, failedHandoffs: 0 } }));
    expect(withCluster).to.contain('  handoffs      be1 5, be2 0\n  local serves  4\n');
    const without = summaryTable(summary({}));
    expect(without).to.contain('  handoffs      none: the handoff cluster is not set up in this build\n  local serves  4 (every request the front end answered)\n');
    expect(without).to.contain('  requests      10 (9 done, 1 failed)\n');
  });

  it('exits 2 for an unknown option', async () => {
    expect((await demo(['--fast'], {})).code).to.equal(2);
  });
});
