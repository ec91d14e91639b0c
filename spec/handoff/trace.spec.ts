/**
 * The handoff modules' steps in the run's trace: BTCP and UTCP emit them through the STREAMS
 * framework's trace (`note` events, only while someone listens), the world writes them into
 * trace.jsonl under the module's kind (`handoff.*`, `ctl.*`) with the host and virtual time.
 * Run through `handoff run` on the walkthrough's scenario (one connection handed to be2, one
 * served by the FE).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRunCommand } from '../../harness/cli/run.ts';
import { checkControlMessage } from '../../modules/control/schema.ts';
import { capture, runCommand } from '../cli/support.ts';
import type { Mblk } from '../../lib/streams/index.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import type { HandoffReq } from '../../modules/control/frame.ts';
import { ctlMsg, rig } from './support/rig.ts';

interface Line {
  t: number;
  ev: string;
  host?: string;
  client?: string;
  peer?: string | null;
  msg?: Record<string, unknown>;
  [k: string]: unknown;
}

const SCENARIO = join(import.meta.dirname, '..', '..', 'docs', 'labs', 'one-connection.json');
const HANDED = '198.51.100.10:42929';
const LOCAL = '198.51.100.10:42930';

describe('handoff steps in the trace', function () {
  this.timeout(30_000);
  let lines: Line[];

  before(async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ho-trace-')), 'out');
    const io = capture();
    const r = await runCommand(makeRunCommand(io), [SCENARIO, '--out', out], io);
    if (r.code !== 0) throw new Error(r.err);
    lines = readFileSync(join(out, 'trace.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
  });

  const steps = (client: string): string[] =>
    lines.filter((l) => l.ev.startsWith('handoff.') && l.client === client).map((l) => `${l.host} ${l.ev}`);

  it('records, holds, dispatches, replays, forwards and frees a handed-off connection, in that order', () => {
    expect(steps(HANDED)).to.deep.equal([
      'fe handoff.record-syn',
      'fe handoff.record-ack',
      'fe handoff.hold',
      'fe handoff.dispatch',
      'fe handoff.request',
      'be2 handoff.replay-syn',
      'be2 handoff.swallow',
      'be2 handoff.replay',
      'fe handoff.forwarding',
      'fe handoff.rst-up',
      'fe handoff.discard',
      'be2 handoff.terminate',
      'be2 handoff.free',
      'fe handoff.terminated',
      'fe handoff.free',
    ]);
  });

  it('names the policy and the node it chose, and the local choice for content the FE keeps', () => {
    const d = lines.filter((l) => l.ev === 'handoff.dispatch');
    expect(d.map((l) => [l.client, l.policy, l.path, l.node])).to.deep.equal([
      [HANDED, 'url-partition', '/docs/page-1.html', 'be2'],
      [LOCAL, 'url-partition', '/index.html', 'fe'],
    ]);
    expect(steps(LOCAL)).to.deep.equal([
      'fe handoff.record-syn',
      'fe handoff.record-ack',
      'fe handoff.hold',
      'fe handoff.dispatch',
      'fe handoff.local',
      'fe handoff.release',
      'fe handoff.free',
    ]);
  });

  it('stamps the steps with the virtual time of the packets that caused them', () => {
    const i = lines.findIndex((l) => l.ev === 'handoff.record-syn' && l.client === HANDED);
    const before = lines[i - 1]!;
    expect([before.ev, before.if, before.t]).to.deep.equal(['pkt.rx', 'fe.eth0', lines[i]!.t]);
    expect(String(before.pkt)).to.match(new RegExp(`^${HANDED} > .* Flags \\[S\\]`));
    const ts = lines.filter((l) => l.client === HANDED && l.ev.startsWith('handoff.')).map((l) => l.t);
    expect(ts).to.deep.equal([...ts].sort((a, b) => a - b));
  });

  it('traces each control message sent and received, with bodies that match the control-message schemas', () => {
    const ctl = lines.filter((l) => l.ev === 'ctl.tx' || l.ev === 'ctl.rx');
    const types = new Set(ctl.map((l) => l.msg!.type));
    expect([...types].sort()).to.deep.equal(['HANDOFF_ACK', 'HANDOFF_REQ', 'HEARTBEAT', 'HELLO', 'TERMINATE']);
    for (const l of ctl) {
      const c = checkControlMessage(l.msg);
      expect(c, `${l.ev} ${JSON.stringify(l.msg).slice(0, 80)}`).to.deep.equal({ ok: true });
    }
  });

  it("names the peer of every control message but the opening HELLO each side sends before it hears the other's", () => {
    const unnamed = lines.filter((l) => (l.ev === 'ctl.tx' || l.ev === 'ctl.rx') && l.peer === null);
    expect(unnamed.length).to.be.greaterThan(0);
    expect(unnamed.every((l) => l.ev === 'ctl.tx' && l.msg!.type === 'HELLO' && l.flags === 0)).to.equal(true);
  });

  it('pairs every handoff message sent with its arrival at the peer, later', () => {
    const tx = lines.filter((l) => l.ev === 'ctl.tx' && l.msg!.type !== 'HELLO' && l.msg!.type !== 'HEARTBEAT');
    expect(tx.map((l) => `${l.host}>${l.peer} ${String(l.msg!.type)}`)).to.deep.equal(['fe>be2 HANDOFF_REQ', 'be2>fe HANDOFF_ACK', 'be2>fe TERMINATE']);
    for (const s of tx) {
      const r = lines.find((l) => l.ev === 'ctl.rx' && l.host === s.peer && l.peer === s.host && l.id === s.id && l.msg!.type === s.msg!.type);
      expect(r, String(s.msg!.type)).to.not.equal(undefined);
      expect(r!.t).to.be.greaterThan(s.t);
    }
  });
});

describe('handoff trace events cost nothing unheard', () => {
  it('builds and emits no note while nobody listens to the STREAMS trace, and emits them to a listener', () => {
    const r = rig('btcp', { nodeId: 'be1', lanAddr: 0xc000020b, services: [], nodes: [], policy: null, draining: false, limits: {} });
    const emitted: string[] = [];
    const emit = r.env.trace.emit.bind(r.env.trace);
    r.env.trace.emit = ((name: 'note', e: { ev: string }) => {
      emitted.push(`${name} ${e.ev}`);
      return emit(name, e as never);
    }) as typeof r.env.trace.emit;
    // A request for another node's address: refused (handoff.nak) before anything is parsed.
    const refused = (connId: number): Mblk =>
      ctlMsg({ ho: 'recv', peer: 'fe', id: connId, msg: { type: 'HANDOFF_REQ', connId, target: { addr: 1, port: 80 } } as unknown as HandoffReq });
    r.fromAbove(ctlMsg({ ho: 'peer-up', peer: 'fe', addr: ipv4('192.0.2.10'), maxBody: 65536 }));
    r.fromAbove(refused(1));
    r.takeUp();
    expect(emitted).to.deep.equal([]);
    const heard: unknown[] = [];
    r.env.trace.on('note', (e) => heard.push({ ev: e.ev, ...e.fields }));
    r.fromAbove(refused(2));
    r.takeUp();
    expect(heard).to.deep.equal([{ ev: 'handoff.nak', peer: 'fe', connId: 2, reason: 'bad-request' }]);
  });
});
