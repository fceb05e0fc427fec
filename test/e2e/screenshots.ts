/**
 * `npm run screenshots`: starts a sandbox, runs a passing, a rejected, a scan-stopped, a rollout-failed and
 * a verify-failed release, and writes the README's console screenshots (docs/images/console-*.png) from
 * headless Chromium: an execution page (the verify-failed release, state panel open), the staging
 * environment page, and the DORA page over 30 days of history from `npm run demo -- --history 30d`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from './browser';
import { doraScreenshot } from './dora-screenshot';
import { startConsoleSandbox } from './scenarios';

const OUT = resolve(__dirname, '..', '..', 'docs', 'images');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-screenshots-'));
  const sandbox = await startConsoleSandbox(dir);
  const browser = await launchChromium();
  try {
    await sandbox.run('passed');
    await sandbox.run('rejected');
    await sandbox.run('scanStopped');
    await sandbox.run('rolloutFailed');
    const failed = await sandbox.run('verifyFailed');
    mkdirSync(OUT, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(
      `${sandbox.url}/#/executions/${encodeURIComponent(failed)}?state=Verify%20staging&expand=Deploy%20staging`,
    );
    await page.waitForSelector('svg.graph g.node.failed');
    await page.waitForSelector('svg.graph .svg-pan-zoom_viewport');
    await page.waitForSelector('#state-panel[data-state="Verify staging"]');
    await page.screenshot({ path: join(OUT, 'console-execution.png'), fullPage: false });
    await page.goto(`${sandbox.url}/#/environments/staging`);
    await page.waitForSelector('table.deployments tr.deployment');
    await page.screenshot({ path: join(OUT, 'console-environment.png'), fullPage: true });
    await doraScreenshot(browser, dir, join(OUT, 'console-dora.png'));
    process.stdout.write(
      `Wrote ${join(OUT, 'console-execution.png')}, ${join(OUT, 'console-environment.png')} and ${join(OUT, 'console-dora.png')}\n`,
    );
  } finally {
    await browser.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
