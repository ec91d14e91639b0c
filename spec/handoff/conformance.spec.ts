/**
 * Conformance scripts in packetdrill syntax played as the client against a whole cluster's VIP
 * (harness/packetdrill/cluster.ts): the client must see one ordinary TCP connection, whichever
 * node serves it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { playFile, playScript } from '../../harness/packetdrill/suite.ts';
import { clusterHostFactory, type ClusterModeOptions } from '../../harness/packetdrill/cluster.ts';
import type { Handoffd } from '../../harness/apps/handoffd.ts';

const DIR = 'spec/handoff/conformance';

async function play(file: string, o: ClusterModeOptions = {}): Promise<{ ok: boolean; failure: unknown; daemons: Map<string, Handoffd> }> {
  let daemons = new Map<string, Handoffd>();
  const r = await playFile(`${DIR}/${file}`, clusterHostFactory({ ...o, built: (c) => (daemons = c.daemons) }));
  return { ok: r.ok, failure: r.ok ? null : r.failure, daemons };
}

describe('conformance scripts against a cluster VIP (cluster mode)', function () {
  this.timeout(20_000);

  it('sees one ordinary connection when the request is handed to a back end (handed-off.pkt)', async () => {
    const r = await play('handed-off.pkt');
    expect(r.failure).to.equal(null);
    expect(r.daemons.get('be1')!.stats().btcp!.counters.takeovers).to.equal(1);
    expect(r.daemons.get('fe')!.stats().btcp!.handoffs).to.deep.equal({ be1: 1 });
  });

  it('sees one ordinary connection when the request head arrives out of order (split-request.pkt)', async () => {
    const r = await play('split-request.pkt');
    expect(r.failure).to.equal(null);
    expect(r.daemons.get('be1')!.stats().btcp!.counters.takeovers).to.equal(1);
  });

  it('sees a plain local connection when the FE serves the request (served-locally.pkt)', async () => {
    const r = await play('served-locally.pkt', { clientStream: 'GET /about.txt HTTP/1.1\r\nHost: cluster\r\n\r\n' });
    expect(r.failure).to.equal(null);
    expect(r.daemons.get('fe')!.stats().btcp!.counters.localServes).to.equal(1);
  });

  it("fails a script that expects the back end's own SYN/ACK: the client never sees it", async () => {
    const text = readFileSync(`${DIR}/handed-off.pkt`, 'utf8').replace('+0  > . 1:1(0) ack 49 <...>', '+0  > S. 0:0(0) ack 1 <...>');
    let daemons = new Map<string, Handoffd>();
    const r = await playScript(text, 'visible-handoff.pkt', clusterHostFactory({ built: (c) => (daemons = c.daemons) }));
    expect(r.ok).to.equal(false);
    expect(daemons.get('be1')!.stats().btcp!.counters.takeovers).to.equal(1);
  });
});
