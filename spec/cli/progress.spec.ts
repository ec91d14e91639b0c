import { expect } from 'chai';
import { formatProgress, progressLine } from '../../harness/cli/progress.ts';
import { MS, SEC } from '../../lib/sim/time.ts';

const p = { now: 7 * SEC, until: 20 * SEC, events: 1_204_332, requests: { done: 120, total: 400 }, wallMs: 3100 };

describe('the progress line', () => {
  it('shows a bar, the share done, virtual time, events, requests and wall time', () => {
    expect(formatProgress(p)).to.equal('[#######.............]   35%  virtual 7s / 20s  1,204,332 events  requests 120/400  3.1s');
  });

  it('counts the larger of time and requests done', () => {
    expect(formatProgress({ ...p, now: 1 * MS, requests: { done: 300, total: 400 } })).to.match(/^\[###############\.{5}\] {3}75%/);
  });

  it('writes nothing when not on a terminal', () => {
    const written: string[] = [];
    const line = progressLine({ isTTY: false, write: (s) => written.push(s) });
    line.update(p);
    line.done();
    expect(written).to.deep.equal([]);
  });

  it('rewrites one line in place on a terminal, at most ten times a second, and clears it at the end', () => {
    const written: string[] = [];
    let now = 0;
    const line = progressLine({ isTTY: true, columns: 200, write: (s) => written.push(s) }, () => now);
    line.update(p);
    now = 50;
    line.update(p);
    now = 150;
    line.update({ ...p, events: 5 });
    line.done();
    expect(written).to.have.length(3);
    expect(written[0]).to.equal(`\r\x1b[2K${formatProgress(p)}`);
    expect(written[1]).to.contain(' 5 events');
    expect(written[2]).to.equal('\r\x1b[2K');
  });
});
