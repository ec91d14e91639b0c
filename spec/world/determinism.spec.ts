import { expect } from 'chai';
import { parsePcap } from '../../lib/wire/pcap.ts';
import { runScenario } from './scenario.ts';

describe('world: determinism', () => {
  it('gives byte-identical pcaps and trace for the same seed', () => {
    const a = runScenario({ seed: 'same', corrupt: 0.05 });
    const b = runScenario({ seed: 'same', corrupt: 0.05 });
    const ca = a.captures();
    const cb = b.captures();
    expect(ca.map((c) => c.name)).to.deep.equal(cb.map((c) => c.name));
    expect(ca.length).to.equal(6);
    for (let i = 0; i < ca.length; i++) {
      expect(ca[i]!.packets, ca[i]!.name).to.be.greaterThan(0);
      expect(Buffer.compare(ca[i]!.pcap, cb[i]!.pcap), ca[i]!.name).to.equal(0);
    }
    expect(a.jsonl.text()).to.equal(b.jsonl.text());
    expect(a.jsonl.lineCount).to.be.greaterThan(500);
  });

  it('changes what the faults do when the seed changes', () => {
    const a = runScenario({ seed: 1 });
    const b = runScenario({ seed: 2 });
    expect(a.jsonl.text()).to.not.equal(b.jsonl.text());
  });

  it('writes pcaps that the pcap reader parses back, with virtual-time nanosecond stamps', () => {
    const w = runScenario({ seed: 3 });
    for (const c of w.captures()) {
      const r = parsePcap(c.pcap);
      expect(r.ok, c.name).to.equal(true);
      if (!r.ok) continue;
      expect(r.value.header.resolution).to.equal('ns');
      expect(r.value.records).to.have.length(c.packets);
      const times = r.value.records.map((x) => x.time);
      expect(times).to.deep.equal([...times].sort((x, y) => x - y));
    }
  });

  it('stamps every trace line with virtual time, in order', () => {
    const w = runScenario({ seed: 4 });
    const ev = w.jsonl.events();
    const kinds = new Set(ev.map((e) => e.ev));
    for (const k of ['pkt.tx', 'pkt.rx', 'pkt.drop', 'pkt.fault']) expect(kinds.has(k), k).to.equal(true);
    for (let i = 1; i < ev.length; i++) expect(ev[i]!.t).to.be.at.least(ev[i - 1]!.t);
  });
});
