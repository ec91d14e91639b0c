/**
 * Issue 7's end-to-end proof in emulation: 10,000 requests with mixed keep-alive over 1% loss
 * on the client's link, against a front end and three back ends. The same run is printed by
 * `handoff bench --area handoff-e2e`; here it is asserted.
 */
import { expect } from 'chai';
import { mixedOverLoss, type MixedOverLossResult } from '../../harness/bench/handoff-cluster.ts';

describe('handoff end to end: 10,000 requests, mixed keep-alive, 1% loss on the client link', function () {
  this.timeout(600_000);
  let r: MixedOverLossResult;

  before(async () => {
    r = await mixedOverLoss(10_000, 'spec-10k');
  });

  it('answers every request with the exact bytes of the document', () => {
    expect(r.bad, JSON.stringify(r)).to.equal(0);
    expect(r.ok).to.equal(10_000);
  });

  it('hands every connection to the back end its first request names (URL partition, claims 3, 11, 25)', () => {
    // The run's policy: /img/ on be1, /docs/ on be2, everything else on be3 — nothing local.
    for (const be of ['be1', 'be2', 'be3']) expect(r.by[be] ?? 0, be).to.be.greaterThan(0);
    expect(r.by.fe ?? 0).to.equal(0);
    expect(r.handoffAcks).to.be.greaterThan(1000);
    expect(r.local).to.equal(0);
  });

  it('frees every handed-off connection on a TERMINATE (claims 10, 19, 37)', () => {
    expect(r.terminated).to.equal(r.handoffAcks);
    expect(r.openEntries).to.equal(0);
  });

  it("never carries response payload on the FE's LAN interface: back ends answer the client directly (claims 9, 11k)", () => {
    expect(r.feLanResponseBytes).to.equal(0);
  });
});
