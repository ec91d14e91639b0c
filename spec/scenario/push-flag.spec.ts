import { expect } from 'chai';
import { parsePushFlag } from '../../harness/scenario/push-flag.ts';

describe('--push HOST:PLACE:MODULE[@TIME]', () => {
  it('reads a file module, resolved from the working directory', () => {
    const r = parsePushFlag('fe:tcp-lower:./my-module.ts', '/work');
    expect(r.ok && r.action).to.deep.include({ host: 'fe', at: 'tcp-lower', module: '/work/my-module.ts', isFile: true, where: 'top', time: null, action: 'push' });
  });

  it('reads a position after the place and a time after the module', () => {
    const r = parsePushFlag('be1:eth0/above=counter:passthru@2.5ms');
    expect(r.ok && r.action).to.deep.include({ host: 'be1', at: 'eth0', module: 'passthru', isFile: false, where: { above: 'counter' }, time: 2_500_000 });
  });

  it('keeps an @ that is not a time as part of the path', () => {
    const r = parsePushFlag('fe:eth0:./mods/v@2/m.ts', '/w');
    expect(r.ok && r.action.module).to.equal('/w/mods/v@2/m.ts');
  });

  it('refuses a value without host, place and module', () => {
    const r = parsePushFlag('fe:counter');
    expect(!r.ok && r.error).to.equal('--push fe:counter: expected HOST:PLACE:MODULE[@TIME], e.g. fe:tcp-lower:./my-module.ts or be1:eth0/bottom:counter@2s');
  });

  it('refuses an unknown position', () => {
    const r = parsePushFlag('fe:eth0/middle:counter');
    expect(!r.ok && r.error).to.equal('--push fe:eth0/middle:counter: unknown position "middle" (top, bottom, above=NAME, below=NAME)');
  });
});
