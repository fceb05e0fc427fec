/**
 * The README's DORA page screenshot (docs/images/console-dora.png): `npm run demo -- --history` fills a new
 * sandbox (a child process, as a user runs it), `shipgate dev` serves it, and headless Chromium shows
 * `#/dora` once its three charts are drawn.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { SandboxProcess, writeTestConfig } from '../integ/sandbox/sandbox-process';
import { freePort } from '../integ/sandbox/support';

const ROOT = resolve(__dirname, '..', '..');

/** Generates `days` of history in `dir` and writes the DORA page's screenshot to `file`. */
export async function doraScreenshot(browser: Browser, dir: string, file: string, days = 30): Promise<void> {
  const stateDir = join(dir, 'history-state');
  const config = writeTestConfig(dir);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    SHIPGATE_STATE_DIR: stateDir,
    SHIPGATE_CONFIG: config,
    SHIPGATE_LOG_LEVEL: 'ERROR',
  };
  await promisify(execFile)(process.execPath, ['bin/shipgate-cli.js', 'demo', '--history', `${days}d`], {
    cwd: ROOT,
    env: { ...env, SHIPGATE_SANDBOX_PHASE_MS: '30' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const port = await freePort();
  const sandbox = new SandboxProcess({
    ...env,
    PORT: String(port),
    SHIPGATE_AWS_PORT: String(await freePort()),
  });
  await sandbox.start();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`http://127.0.0.1:${port}/#/dora?environment=production&window=${days}d`);
    for (const id of ['dora-frequency', 'dora-lead-time', 'dora-failures'])
      await page.waitForSelector(`canvas#${id}[data-points]`);
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await sandbox.stop();
  }
}
