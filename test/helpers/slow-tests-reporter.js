/**
 * Jest reporter: at the end of a run, names the slowest tests with their durations, and every test that took
 * longer than {@link LIMIT_MS}. The limit is a promise of the test suite (issue 32): no single test runs longer
 * than 60 s unless a comment above it says why. Nothing fails on a duration (a loaded machine would make that
 * a flaky test); the list makes a test that grew past the limit visible in every CI log.
 */
const LIMIT_MS = 60_000;
const SHOWN = 5;

class SlowTestsReporter {
  constructor() {
    this.tests = [];
  }

  onTestResult(_test, result) {
    const file = result.testFilePath.replace(`${process.cwd()}/`, '');
    for (const t of result.testResults) {
      if (typeof t.duration === 'number') this.tests.push({ file, title: t.fullName, ms: t.duration });
    }
  }

  onRunComplete() {
    if (this.tests.length === 0) return;
    const sorted = [...this.tests].sort((a, b) => b.ms - a.ms);
    const line = (t) => `  ${(t.ms / 1000).toFixed(1)} s  ${t.file} › ${t.title}`;
    const over = sorted.filter((t) => t.ms > LIMIT_MS);
    const lines = [
      `\nSlowest tests (of ${this.tests.length}):`,
      ...sorted.slice(0, SHOWN).map(line),
      over.length === 0
        ? `None took longer than ${LIMIT_MS / 1000} s.`
        : `Longer than ${LIMIT_MS / 1000} s (a comment above each must say why):\n${over.map(line).join('\n')}`,
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

module.exports = SlowTestsReporter;
