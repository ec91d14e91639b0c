import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReport } from '../../harness/report/index.ts';
import type { TraceRecord } from '../../harness/report/packets.ts';
import { OutputDir } from '../../harness/scenario/output.ts';
import { runScenario, type RunOutcome } from '../../harness/scenario/run.ts';
import { appsPlugin } from '../../harness/scenario/installers/apps.ts';
import { clusterPlugin } from '../../harness/scenario/installers/cluster.ts';
import { tcpPlugin } from '../../harness/scenario/installers/tcp.ts';
import { loaded, smallDoc } from '../scenario/support.ts';

/** The small scenario with the real cluster: /img/ goes to be1, the rest stays on fe; one request per connection. */
async function clusterRun(): Promise<{ dir: string; r: RunOutcome }> {
  const d = smallDoc();
  d.cluster!.policy = { policy: 'url-partition', rules: [{ prefix: '/img/', nodes: ['be1'] }], defaultNodes: ['fe'] };
  d.apps!.clients = [{ host: 'client1', target: '203.0.113.10:80', count: 1, requests: 4, keepAlive: false, urls: ['/img/photo-1.jpg', '/about.txt'] }];
  const dir = join(mkdtempSync(join(tmpdir(), 'handoff-cluster-')), 'out');
  const out = new OutputDir(dir);
  const r = await runScenario(loaded(d), { out, plugins: { tcp: tcpPlugin, cluster: clusterPlugin, apps: appsPlugin } });
  out.commit();
  return { dir, r };
}

describe('a run with the handoff cluster, and its report', function () {
  this.timeout(60_000);
  let dir = '';
  let run: RunOutcome;
  before(async () => {
    ({ dir, r: run } = await clusterRun());
  });

  it("serves each request where the policy says, and counts the handoffs from the front end's BTCP", () => {
    const w = run.summary.workload!;
    const c = run.summary.cluster!;
    expect([w.requestsDone, w.requestsFailed]).to.deep.equal([4, 0]);
    expect(c.handoffs.be1).to.equal(w.served.be1 ?? 0);
    expect(c.localServes).to.equal(w.served.fe ?? 0);
    expect(c.handoffs.be1 + c.localServes).to.equal(4);
    expect(c.handoffs.be1).to.be.greaterThan(0);
    expect(c.failedHandoffs).to.equal(0);
  });

  it('draws a handed-off connection with the control frames read from the captures and the rewriting at the front end', () => {
    const events = readFileSync(join(dir, 'trace.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as TraceRecord);
    const pcaps = new Map(readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => [f.slice(0, -5), new Uint8Array(readFileSync(join(dir, f)))] as const));
    const rep = makeReport({ summary: run.summary, events, pcaps });
    expect(rep.connections.filter((x) => x.control).map((x) => x.clientHost)).to.deep.equal(['fe']);
    const flow = rep.flow!;
    expect(flow.lanes.map((l) => l.host)).to.deep.equal(['client1', 'fe', 'be1']);
    const control = flow.arrows.filter((a) => a.kind === 'control').map((a) => `${a.from}>${a.to} ${a.label[0]!.split(' (')[0]}`);
    expect(control.slice(0, 2)).to.deep.equal(['fe>be1 HANDOFF_REQ conn 1', 'be1>fe HANDOFF_ACK conn 1']);
    const request = flow.arrows.find((a) => a.label[1] === 'GET /img/photo-1.jpg HTTP/1.1')!;
    expect([request.from, request.to]).to.deep.equal(['client1', 'fe']);
    const forwarded = flow.arrows.find((a) => a.kind === 'packet' && a.from === 'fe' && a.to === 'be1')!;
    expect(forwarded.rewrite).to.match(/^rewritten at fe: dst 203\.0\.113\.10 → 192\.0\.2\.11, ack [+-]\d+/);
    const answer = flow.arrows.find((a) => a.label[1] === 'HTTP/1.1 200 OK')!;
    expect([answer.from, answer.to, answer.label.at(-1)]).to.deep.equal(['be1', 'client1', "sent by be1 as 203.0.113.10 (fe's address)"]);
  });
});
