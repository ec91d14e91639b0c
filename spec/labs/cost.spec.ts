/**
 * Lab 5 (docs/labs/05-cost): the same workload handed off to the back ends or served by the
 * front end alone; what the front end's interface and stack carry in each case.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { RunSummary } from '../../harness/scenario/summary.ts';
import { handoffRun, LABS, tempOut } from './support.ts';

describe('lab 5: what the front end pays, handing off or serving', function () {
  this.timeout(60_000);
  let ho: RunSummary;
  let fe: RunSummary;
  const iface = (s: RunSummary, n: string) => s.interfaces.find((i) => i.name === n)!;
  const mod = (s: RunSummary, m: string) => s.modules.find((r) => r.host === 'fe' && r.module === m);

  before(async () => {
    ho = await handoffRun(join(LABS, '05-cost', 'handoff.json'), tempOut('cost-handoff'));
    fe = await handoffRun(join(LABS, '05-cost', 'fe-only.json'), tempOut('cost-fe-only'));
  });

  it('gives the client the same bytes either way', () => {
    expect(ho.workload).to.deep.include({ requestsDone: 60, requestsFailed: 0 });
    expect(fe.workload).to.deep.include({ requestsDone: 60, requestsFailed: 0 });
    expect(ho.workload!.bytes).to.equal(fe.workload!.bytes);
    expect(ho.workload!.served.fe ?? 0).to.equal(0);
    expect(fe.workload!.served).to.deep.equal({ fe: 60 });
  });

  it("sends the responses past the front end: its LAN interface transmits 40 times fewer bytes", () => {
    const hoTx = iface(ho, 'fe.eth0').txBytes;
    const feTx = iface(fe, 'fe.eth0').txBytes;
    expect(feTx).to.be.greaterThan(3_000_000);
    expect(feTx / hoTx).to.be.greaterThan(40);
    // What the FE still sends on the LAN is the client's packets, forwarded: about what it receives.
    expect(iface(ho, 'fe.eth0').txPackets).to.be.within(0.9 * iface(ho, 'fe.eth0').rxPackets, iface(ho, 'fe.eth0').rxPackets);
  });

  it("moves the work off the front end's TCP and application", () => {
    expect(mod(ho, 'tcp')!.read).to.be.lessThan(mod(fe, 'tcp')!.read / 4);
    expect(mod(ho, 'sockmod')!.write).to.be.lessThan(mod(fe, 'sockmod')!.write / 10);
    expect(mod(fe, 'btcp')).to.equal(undefined);
    expect(mod(ho, 'btcp')!.read).to.be.greaterThan(iface(ho, 'fe.eth0').rxPackets);
  });

  it('pays for it with a control channel and with client packets crossing the LAN twice', () => {
    expect(iface(ho, 'fe.eth1').txBytes).to.be.greaterThan(0);
    expect(iface(fe, 'fe.eth1').txBytes).to.equal(0);
    const lanIn = iface(ho, 'router.eth1').txPackets;
    expect(iface(ho, 'fe.eth0').txPackets + lanIn).to.be.greaterThan(1.9 * lanIn);
  });
});
