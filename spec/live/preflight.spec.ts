import { expect } from 'chai';
import { preflight, type PreflightEnv } from '../../harness/live/preflight.ts';
import { LiveError } from '../../harness/live/sys.ts';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PATH holding only the named tools (links to the real ones, or to /bin/true). */
function pathWith(...tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'live-path-'));
  for (const t of tools) symlinkSync('/bin/true', join(dir, t));
  return dir;
}

function failure(env: PreflightEnv): string {
  try {
    preflight(env);
  } catch (err) {
    expect(err).to.be.instanceOf(LiveError);
    return (err as Error).message;
  }
  return '';
}

const everything = (): PreflightEnv => ({ uid: 0, path: pathWith('ip', 'socat'), exists: () => true });

describe('live: preflight', () => {
  it('passes when root has ip, socat, /dev/net/tun and namespaces', () => {
    expect(failure(everything())).to.equal('');
  });

  it('refuses a user that is not root, in one line that says to use sudo', () => {
    const msg = failure({ ...everything(), uid: 1000 });
    expect(msg).to.match(/needs root/).and.match(/sudo/);
    expect(msg).not.to.include('\n');
  });

  it('names a missing socat with the command that installs it', () => {
    expect(failure({ ...everything(), path: pathWith('ip') })).to.match(/socat is not installed.*apt-get install socat/);
  });

  it('names a missing ip with the package that has it (iproute2)', () => {
    expect(failure({ ...everything(), path: pathWith('socat') })).to.match(/ip is not installed.*apt-get install iproute2/);
  });

  it('says how to get /dev/net/tun when the TUN driver is missing', () => {
    expect(failure({ ...everything(), exists: (p) => p !== '/dev/net/tun' })).to.match(/\/dev\/net\/tun.*modprobe tun/);
  });
});
