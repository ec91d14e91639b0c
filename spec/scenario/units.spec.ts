import { expect } from 'chai';
import { formatDuration, parseBandwidth, parseDuration, parseSize } from '../../harness/scenario/units.ts';

describe('scenario units', () => {
  it('reads durations in ns, us, ms, s and min, and numbers as nanoseconds', () => {
    expect(['250ns', '12us', '1.5ms', '2s', '1min', 42].map(parseDuration)).to.deep.equal([250, 12_000, 1_500_000, 2e9, 60e9, 42]);
  });

  it('rounds a fraction of a nanosecond up', () => {
    expect(parseDuration('0.0001us')).to.equal(1);
  });

  it('reads bandwidths in bit/s with SI prefixes, and unlimited', () => {
    expect(['100Mbit', '1Gbps', '64kbit/s', 'unlimited', 5e6].map(parseBandwidth)).to.deep.equal([100e6, 1e9, 64e3, Infinity, 5e6]);
  });

  it('reads sizes with binary and decimal prefixes', () => {
    expect(['64KiB', '4MiB', '1kB', '10B', 99].map(parseSize)).to.deep.equal([65536, 4194304, 1000, 10, 99]);
  });

  it('prints a time the way a person writes it', () => {
    expect([0, 999, 12_000, 1_500_000, 1_500_000_000, 60e9].map(formatDuration)).to.deep.equal(['0s', '999ns', '12us', '1.5ms', '1.5s', '60s']);
  });
});
