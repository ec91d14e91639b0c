import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputDir } from '../../harness/scenario/output.ts';
import { runScenario } from '../../harness/scenario/run.ts';
import { requireTool } from '../support/tools.ts';
import { checkPage } from './support/chromium.ts';
import { scriptedPlugins, scriptedScenario } from './support/scripted-handoff.ts';

interface DiagramFacts {
  svg: boolean;
  width: number;
  height: number;
  arrows: number;
  control: number;
  lanes: string[];
  text: string;
}

const FACTS = `(() => {
  const svg = document.querySelector('svg#sequence-diagram');
  const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
  return {
    svg: svg !== null,
    width: box.width,
    height: box.height,
    arrows: document.querySelectorAll('svg#sequence-diagram g.arrow').length,
    control: document.querySelectorAll('svg#sequence-diagram g.kind-control').length,
    lanes: [...document.querySelectorAll('svg#sequence-diagram text.host')].map((t) => t.textContent),
    text: svg ? svg.textContent : '',
  };
})()`;

describe('the HTML report in headless Chromium', function () {
  this.timeout(90_000);
  let report = '';

  before(async function () {
    requireTool(this, 'chromium', 'apt-get install chromium, as .ci/install-tools does');
    const dir = join(mkdtempSync(join(tmpdir(), 'handoff-report-')), 'out');
    const out = new OutputDir(dir);
    await runScenario(scriptedScenario(), { out, plugins: scriptedPlugins() });
    out.commit();
    report = join(dir, 'report.html');
  });

  it('loads with no console error and draws the sequence diagram of the handed-off connection', async () => {
    const r = await checkPage<DiagramFacts>(report, FACTS);
    expect(r.errors).to.deep.equal([]);
    expect(r.value.svg).to.equal(true);
    expect(r.value.width).to.be.greaterThan(500);
    expect(r.value.height).to.be.greaterThan(500);
    expect(r.value.lanes).to.deep.equal(['client1', 'fe', 'be1']);
    // Handshake 3, request, 2 control messages, a note, response, ACK, FIN, the lost ACK, 3 forwards by fe, be1's FIN, the last ACK.
    expect(r.value.arrows).to.equal(16);
    expect(r.value.control).to.equal(2);
    expect(r.value.text).to.contain('rewritten at fe: dst 203.0.113.10 → 192.0.2.11, ack +85000');
  });

  it('notices a page that does log an error (the check can fail)', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'handoff-bad-')), 'bad.html');
    writeFileSync(bad, '<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>');
    const r = await checkPage<boolean>(bad, "document.querySelector('svg#sequence-diagram') !== null");
    expect(r.errors).to.deep.equal(['console.error: boom']);
    expect(r.value).to.equal(false);
  });
});
