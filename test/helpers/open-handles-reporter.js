/**
 * Jest reporter: names the suite that left a handle open (a listening server, a socket, a child process, a
 * timer) that would keep jest from exiting. `--detectOpenHandles` names none when the handle was made outside
 * a test's own async context (in a module's scope, in an SDK's connection pool, by a child's stdio), so this
 * looks at the process itself: after each suite it lists the referenced handles and timers
 * (`process.getActiveResourcesInfo()`, `process._getActiveHandles()`), and keeps the new ones with the suite
 * they appeared after. When the run ends with any still open, it prints them.
 *
 * It sees only suites run in this process: in band (`npx jest --runInBand`; `npm test` uses workers,
 * jest.config.js says why). With workers, jest itself names a worker that did not exit.
 */
class OpenHandlesReporter {
  constructor() {
    this.baseline = new Set();
    this.seen = new Map();
  }

  onRunStart() {
    for (const h of refHandles()) this.baseline.add(h);
  }

  onTestResult(test) {
    const suite = test.path.replace(`${process.cwd()}/`, '');
    for (const h of refHandles()) {
      if (!this.baseline.has(h) && !this.seen.has(h)) this.seen.set(h, suite);
    }
    this.timersAfter = timerCount();
    if (this.timersAfter > (this.timerMark ?? 0)) {
      this.timerSuite = suite;
      this.timerMark = this.timersAfter;
    }
  }

  async onRunComplete() {
    // What closes on its own shortly (a socket's end, a timer of a few ms) is not a leak.
    // A referenced timer: with an unreferenced one the process could end here, before jest sets its exit code.
    await require('node:timers/promises').setTimeout(500);
    const open = refHandles().filter((h) => !this.baseline.has(h));
    const lines = open.map((h) => `  ${describe(h)} (open since ${this.seen.get(h) ?? 'the run ended'})`);
    const timers = timerCount();
    if (timers > 0) {
      lines.push(
        `  ${timers} referenced timer(s) (the count first grew after ${this.timerSuite ?? 'no suite'})`,
      );
    }
    if (lines.length === 0) return;
    process.stderr.write(
      `\nOpen handles that keep jest from exiting (test/helpers/open-handles-reporter.js):\n${lines.join('\n')}\n`,
    );
  }
}

/** Referenced handles, without this process's own stdio. */
function refHandles() {
  return process._getActiveHandles().filter((h) => {
    if (h === process.stdout || h === process.stderr || h === process.stdin) return false;
    if (typeof h.fd === 'number' && h.fd >= 0 && h.fd <= 2) return false;
    return typeof h.hasRef === 'function' ? h.hasRef() : true;
  });
}

/** Referenced timers (a timer does not appear among the handles). */
function timerCount() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

function describe(h) {
  const kind = h.constructor?.name ?? typeof h;
  if (kind === 'ChildProcess') return `child process ${h.pid}: ${h.spawnargs?.join(' ')}`;
  if (kind === 'Server' && typeof h.address === 'function') {
    const a = h.address();
    return `server listening on ${typeof a === 'string' ? a : `${a?.address}:${a?.port}`}`;
  }
  if (kind === 'Socket') {
    return `socket ${h.localAddress ?? ''}:${h.localPort ?? ''} → ${h.remoteAddress ?? ''}:${h.remotePort ?? ''}${h._handle?.constructor?.name === 'Pipe' ? ' (pipe)' : ''}`;
  }
  return kind;
}

module.exports = OpenHandlesReporter;
