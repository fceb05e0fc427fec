/**
 * Jest reporter: names the SHIPGATE_SANDBOX_SEED a failing suite ran with, and the command that replays it
 * (the seed is set once per run by sandbox-seed.js).
 */
class SandboxSeedReporter {
  constructor() {
    this.failed = [];
  }

  onTestResult(_test, result) {
    if (result.numFailingTests > 0 || result.testExecError) this.failed.push(result.testFilePath);
  }

  onRunComplete() {
    if (this.failed.length === 0) return;
    const seed = process.env.SHIPGATE_SANDBOX_SEED;
    const files = this.failed.map((f) => f.replace(`${process.cwd()}/`, '')).join(' ');
    process.stderr.write(
      `\nThe failing suites ran with SHIPGATE_SANDBOX_SEED=${seed}. Replay: SHIPGATE_SANDBOX_SEED=${seed} npx jest ${files}\n`,
    );
  }
}

module.exports = SandboxSeedReporter;
