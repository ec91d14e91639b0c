import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeDemoCommand, summaryTable } from '../../harness/cli/demo.ts';
import type { ScenarioPlugins } from '../../harness/scenario/plugins.ts';
import { tcpPlugin } from '../../harness/scenario/installers/tcp.ts';
import { appsPlugin } from '../../harness/scenario/installers/apps.ts';
import { clusterPlugin } from '../../harness/scenario/installers/cluster.ts';
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
    expect(lines).to.include('  requests      80 (80 done, 0 failed)');
    expect(lines).to.include('  handoffs      none: the handoff cluster is not set up in this build');
    expect(lines).to.include('  local serves  80 (every request the front end answered)');
    expect(lines).to.include('  answered by   fe 80 (requests)');
    expect(readdirSync(join(dir, 'out'))).to.include.members(['report.html', 'trace.jsonl', 'client1.eth0.pcap', 'fe.eth0.pcap', 'be3.eth1.pcap']);
  });

  it('hands connections off to the back ends with the cluster plug-in: every connection is handed off or kept, every request answered', async function () {
    this.timeout(120_000);
    const dir = tempDir();
    const r = await demo(['--out', join(dir, 'out')], { tcp: tcpPlugin, cluster: clusterPlugin, apps: appsPlugin });
    expect(r.code, r.err).to.equal(0);
    const row = (name: string): string => r.out.split('\n').find((l) => l.startsWith(`  ${name} `))!.slice(2 + name.length).trim();
    expect(row('requests')).to.equal('80 (80 done, 0 failed)');
    const handed = [...row('handoffs').matchAll(/be\d (\d+)/g)].map((m) => Number(m[1]));
    const kept = Number(/^(\d+)/.exec(row('local serves'))![1]);
    // 4 keep-alive clients (one connection each) and 4 clients with a connection per request (10 each).
    expect(handed.reduce((a, b) => a + b, 0) + kept).to.equal(44);
    expect(handed.filter((n) => n > 0).length).to.be.greaterThan(1);
    const answered = [...row('answered by').matchAll(/(?:be\d|fe) (\d+)/g)].map((m) => Number(m[1]));
    expect(answered.reduce((a, b) => a + b, 0)).to.equal(80);
  });

  it("shows handoffs only from the cluster plug-in's counters", () => {
    const withCluster = summaryTable(summary({ cluster: { handoffs: { be1: 5, be2: 0 }, localServes: 4, failedHandoffs: 0 } }));
    expect(withCluster).to.contain('  handoffs      be1 5, be2 0 (connections)\n  local serves  4 (connections the front end kept)\n');
    const without = summaryTable(summary({}));
    expect(without).to.contain('  handoffs      none: the handoff cluster is not set up in this build\n  local serves  4 (every request the front end answered)\n');
    expect(without).to.contain('  requests      10 (9 done, 1 failed)\n');
  });

  it('exits 2 for an unknown option', async () => {
    expect((await demo(['--fast'], {})).code).to.equal(2);
  });
});
