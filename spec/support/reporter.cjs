// Mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped", alone on
// its line, so that CI and people reading a log see the totals in the usual form.
'use strict';
const Mocha = require('mocha');

class SpecWithTotals extends Mocha.reporters.Spec {
  epilogue() {
    super.epilogue();
    const s = this.stats;
    process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
  }
}

module.exports = SpecWithTotals;
