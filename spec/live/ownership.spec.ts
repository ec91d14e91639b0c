import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markerForSelf, ownerAlive, readMarker, removeMarker, writeMarker } from '../../harness/live/netns.ts';
import { namespaceName, ownerPid } from '../../harness/live/plan.ts';
import { processStartTime } from '../../harness/live/sys.ts';

describe('live: which namespaces are ours, and whose', () => {
  it('names a namespace after the supervisor pid and reads the pid back', () => {
    expect(ownerPid(namespaceName(4242))).to.equal(4242);
  });

  it('does not claim namespaces that only look like ours', () => {
    for (const n of ['handoff-live-', 'handoff-live-0', 'handoff-live-12x', 'handoff-lives-12', 'other-12', 'handoff-live-1-2']) {
      expect(ownerPid(n), n).to.equal(null);
    }
  });

  it('round-trips a marker and removes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-marker-'));
    const m = markerForSelf('handoff-live-1');
    writeMarker(m, dir);
    expect(readMarker('handoff-live-1', dir)).to.deep.equal(m);
    removeMarker('handoff-live-1', dir);
    expect(readMarker('handoff-live-1', dir)).to.equal(null);
  });

  it('sees the running process as a live owner', () => {
    expect(ownerAlive(markerForSelf('handoff-live-1'))).to.equal(true);
  });

  it('sees an owner that exited as gone', () => {
    const pid = spawnSync('true').pid!;
    expect(ownerAlive({ ns: 'x', pid, start: 1, created: '' })).to.equal(false);
  });

  it('sees a process that reused the owner pid as not the owner (start times differ)', () => {
    const start = processStartTime(process.pid)!;
    expect(ownerAlive({ ns: 'x', pid: process.pid, start: start + 1, created: '' })).to.equal(false);
  });

  it('treats a missing marker as no owner', () => {
    expect(ownerAlive(null)).to.equal(false);
  });
});
