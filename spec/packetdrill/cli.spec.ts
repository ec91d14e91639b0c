import { expect } from 'chai';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { makeConformanceCommand } from '../../harness/cli/conformance.ts';
import { schedulerDriver } from '../../harness/packetdrill/driver.ts';
import type { HostFactory } from '../../harness/packetdrill/suite.ts';
import { CliError } from '../../harness/cli/command.ts';
import { ToyHost } from './support/toy-host.ts';

const FIX = 'spec/packetdrill/fixtures';

const toyFactory: HostFactory = () => {
  const sched = new Scheduler();
  const host = new ToyHost(sched);
  return { driver: schedulerDriver(sched), wire: host, syscalls: host, host };
};

async function cli(argv: string[], factory: HostFactory | null = toyFactory): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = makeConformanceCommand({ factory, out: (t) => (out += t), err: (t) => (err += t) });
  const code = await cmd.run(argv);
  return { code, out, err };
}

describe('handoff conformance', () => {
  it('prints one line per script and the totals, exiting 1 when one fails', async () => {
    const r = await cli([FIX]);
    expect(r.out).to.equal(
      `FAIL ${FIX}/fail-window.pkt:6: outbound packet mismatch in win: expected 29200, got 65535\n` + `PASS ${FIX}/pass-open.pkt\n` + '1 passed, 1 failed\n',
    );
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('  expected: > S. 0:0(0) ack 1 win 29200 <mss 1460>');
    expect(r.err).to.contain('  got:      > S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.1');
  });

  it('exits 0 when every script passes', async () => {
    const r = await cli([`${FIX}/pass-open.pkt`, '--profile', 'freebsd']);
    expect([r.code, r.out]).to.deep.equal([0, `PASS ${FIX}/pass-open.pkt\n1 passed, 0 failed\n`]);
  });

  it('only parses and validates with --check, which needs no host', async () => {
    const r = await cli([FIX, '--check'], null);
    expect([r.code, r.out]).to.deep.equal([0, `PASS ${FIX}/fail-window.pkt\nPASS ${FIX}/pass-open.pkt\n2 passed, 0 failed\n`]);
  });

  it('refuses bad arguments with one clear line', async () => {
    await cli(['--profile', 'solaris', FIX]).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.equal('--profile must be linux or freebsd, not solaris'),
    );
    await cli([`${FIX}/nope`]).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.match(/no such file or directory/),
    );
    await cli([FIX, '--bogus_option']).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.equal('unknown option --bogus_option'),
    );
    await cli([FIX], null).then(
      () => expect.fail('should throw'),
      (e: CliError) => expect(e.message).to.match(/no emulated host/),
    );
  });
});
