import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which playwright-core drives (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether Debian's Chromium is installed. Without it: in CI (`CI=true`, where .ci/run installs it) the run
 * fails; on a workstation the skip is announced with the package to install — never a silent skip.
 */
export function chromiumAvailable(file: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `${file}: ${CHROMIUM} not found. Install it with: apt-get update && apt-get install -y chromium`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true and ${reason}`);
  process.stderr.write(`SKIPPED ${reason}\n`);
  return false;
}

/** Launches headless Chromium with the flags a container needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
