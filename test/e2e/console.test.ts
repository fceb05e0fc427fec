import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from './browser';
import { startConsoleSandbox, type ConsoleSandbox } from './scenarios';
import { tempDir } from '../integ/sandbox/support';

const describeIfChromium = chromiumAvailable('test/e2e/console.test.ts') ? describe : describe.skip;

/** Fill colours of the state nodes, by status (sandbox/console/style.ts). */
const FILL: Record<string, string> = {
  succeeded: 'rgb(227, 245, 233)',
  failed: 'rgb(253, 230, 230)',
  caught: 'rgb(255, 241, 220)',
  current: 'rgb(219, 233, 255)',
  aborted: 'rgb(236, 232, 243)',
  idle: 'rgb(255, 255, 255)',
};

/**
 * The console in headless Chromium against `shipgate dev`, for the releases the sandbox runs: one waiting for
 * its staging approval, one passing, one rejected, one stopped by the scan gate, one whose rollout failed and
 * one whose Verify failed.
 */
describeIfChromium('sandbox console (headless Chromium)', () => {
  const tmp = tempDir();
  let sandbox: ConsoleSandbox;
  let browser: Browser;
  const arns: Record<string, string> = {};

  beforeAll(async () => {
    sandbox = await startConsoleSandbox(tmp.dir);
    for (const s of [
      'passed',
      'rejected',
      'scanStopped',
      'rolloutFailed',
      'verifyFailed',
      'waiting',
    ] as const) {
      arns[s] = await sandbox.run(s);
    }
    browser = await launchChromium();
  }, 240000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    tmp.cleanup();
  });

  const execution = async (
    name: string,
    query = '',
    viewport = { width: 1400, height: 1000 },
  ): Promise<Page> => {
    const page = await browser.newPage({ viewport });
    await page.goto(`${sandbox.url}/#/executions/${encodeURIComponent(arns[name])}${query}`);
    await page.waitForSelector('svg.graph g.node');
    return page;
  };
  const statusesOf = (page: Page) =>
    page
      .locator('svg.graph g.node')
      .evaluateAll((nodes) =>
        Object.fromEntries(
          nodes.map((n) => [
            n.getAttribute('data-state'),
            { status: n.getAttribute('data-status'), fill: getComputedStyle(n.querySelector('rect')!).fill },
          ]),
        ),
      );

  it('lists the waiting release with its one review link, and draws Approve staging as current', async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/`);
    await page.waitForSelector('tr.approval[data-environment="staging"]');
    expect(await page.locator('tr.approval a.approve-link').allTextContents()).toEqual(['Review and decide']);
    expect(await page.content()).not.toMatch(/AQ[A-Za-z0-9_-]{128}/);
    await page.close();
    const exec = await execution('waiting');
    const s = await statusesOf(exec);
    expect(s['Approve staging']).toEqual({ status: 'current', fill: FILL.current });
    expect(s['Resolve release']).toEqual({ status: 'succeeded', fill: FILL.succeeded });
    expect(s['Deploy production']).toEqual({ status: 'idle', fill: FILL.idle });
    expect(await exec.locator('.execution-detail tr.approval a.approve-link').count()).toBe(1);
    await exec.close();
  }, 60000);

  it('colours every state of a passing release green, the path taken from start to end', async () => {
    const page = await execution('passed');
    const s = await statusesOf(page);
    for (const name of [
      'Resolve release',
      'Scan',
      'Approve staging',
      'Deploy staging',
      'Verify production',
      'Record release',
    ]) {
      expect(s[name]).toEqual({ status: 'succeeded', fill: FILL.succeeded });
    }
    expect(s['Report failure']).toEqual({ status: 'idle', fill: FILL.idle });
    expect(await page.locator('g.terminal.end.reached').count()).toBe(1);
    expect(
      await page.locator('path.edge.taken[data-from="Verify production"][data-to="Record release"]').count(),
    ).toBe(1);
    await page.close();
  }, 60000);

  it.each([
    ['rejected', 'Approve staging', 'ApprovalRejected', /Rejected by Alice/],
    ['scanStopped', 'Scan', 'ScanGateFailed', /CRITICAL/],
    ['rolloutFailed', 'Deploy staging', 'RolloutFailed', /Rollout of "inventory-app" to "staging"/],
    ['verifyFailed', 'Verify staging', 'VerifyFailed', /Verify staging failed/],
  ])(
    'draws the state that failed a %s release in red, with a readable error header',
    async (name, state, error, message) => {
      const page = await execution(name);
      const s = await statusesOf(page);
      expect(s[state]).toEqual({ status: 'failed', fill: FILL.failed });
      expect(s['Release failed']).toEqual({ status: 'failed', fill: FILL.failed });
      expect(s['Report failure'].status).toBe('succeeded');
      expect(await page.locator('.error-header .error-name').textContent()).toBe(error);
      const text = (await page.locator('.error-header .error-message').textContent()) ?? '';
      expect(text).toMatch(message);
      expect(text).not.toMatch(/errorType|trace|\.ts:\d+/);
      // The catch edge taken is drawn; the others are quiet until asked for.
      const catches = await page.locator('path.edge.catch').count();
      expect(catches).toBeGreaterThanOrEqual(1);
      await page.click('a.catch-toggle');
      await page.waitForFunction((n) => document.querySelectorAll('path.edge.catch').length > n, catches);
      await page.close();
    },
    60000,
  );

  it('opens a Map with its inner states and shows a state panel with input, output, error and events', async () => {
    const page = await execution('rolloutFailed');
    await page.click('g.node[data-state="Deploy staging"] text.type');
    await page.waitForSelector('g.node.open[data-state="Deploy staging"]');
    const s = await statusesOf(page);
    expect(s['Start rollout staging']).toEqual({ status: 'failed', fill: FILL.failed });
    await page.click('g.node[data-state="Start rollout staging"] text.name');
    const panel = page.locator('#state-panel[data-state="Start rollout staging"]');
    await panel.waitFor();
    expect(await panel.locator('.state-error b').textContent()).toBe('RolloutFailed');
    const summaries = await panel.locator('summary').allTextContents();
    expect(summaries[0]).toBe('Input');
    expect(summaries[summaries.length - 1]).toMatch(/^Events \(\d+\)$/);
    expect(
      await page.locator('table.states tr.state-row[data-state="Deploy staging"] .badge').textContent(),
    ).toBe('Failed');
    await page.close();
  }, 60000);

  it('at 1280 px every state label of the largest graph (every Map open) is at least 10 px high, with pan and zoom', async () => {
    const maps = await (async () => {
      const page = await execution('rolloutFailed', '', { width: 1280, height: 900 });
      const names = await page
        .locator('svg.graph g.node[data-map="true"]')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')!));
      await page.close();
      return names;
    })();
    expect(maps.length).toBeGreaterThan(0);
    const page = await execution('rolloutFailed', `?expand=${encodeURIComponent(maps.join(','))}`, {
      width: 1280,
      height: 900,
    });
    await page.waitForSelector('svg.graph .svg-pan-zoom_viewport');
    await page.waitForSelector(`g.node.open[data-state="${maps[0]}"]`);
    const heights = () =>
      page
        .locator('svg.graph g.node text')
        .evaluateAll((texts) => texts.map((t) => t.getBoundingClientRect().height));
    const before = await heights();
    expect(before.length).toBeGreaterThan(20);
    expect(Math.min(...before)).toBeGreaterThanOrEqual(10);
    // The graph opens at its start, and zooms with svg-pan-zoom's controls.
    const start = await page.locator('svg.graph [data-terminal="start"][data-first]').boundingBox();
    const frame = await page.locator('svg.graph').boundingBox();
    expect(start!.y).toBeGreaterThanOrEqual(frame!.y);
    expect(start!.x).toBeGreaterThanOrEqual(frame!.x);
    expect(start!.x + start!.width).toBeLessThanOrEqual(frame!.x + frame!.width);
    await page.click('#svg-pan-zoom-zoom-in');
    // svg-pan-zoom applies the zoom on a later frame: wait for it (the assertion below says if it never came).
    await page
      .waitForFunction(
        (h) => (document.querySelector('svg.graph g.node text')?.getBoundingClientRect().height ?? 0) > h,
        before[0],
        { timeout: 5000 },
      )
      .catch(() => undefined);
    const after = await heights();
    expect(after[0]).toBeGreaterThan(before[0]);
    await page.close();
  }, 60000);

  it('lays one state machine out once: two executions draw every state in the same place', async () => {
    const place = async (name: string) => {
      const page = await execution(name, '', { width: 1280, height: 900 });
      const where = await page
        .locator('svg.graph g.node rect')
        .evaluateAll((rects) =>
          Object.fromEntries(
            rects.map((r) => [
              r.parentElement!.getAttribute('data-state'),
              `${r.getAttribute('x')},${r.getAttribute('y')}`,
            ]),
          ),
        );
      await page.close();
      return where;
    };
    expect(await place('passed')).toEqual(await place('verifyFailed'));
  }, 60000);

  it('keeps what the user opened open across refreshes of a running execution', async () => {
    const page = await execution('waiting', '?state=Scan');
    await page.locator('#state-panel details.io summary', { hasText: 'Output' }).click();
    await page.locator('details.event[data-type="TaskStateEntered"] summary').first().click();
    const refreshes = Number(await page.getAttribute('body', 'data-refreshes'));
    await page.waitForFunction((n) => Number(document.body.dataset.refreshes) >= n + 2, refreshes, {
      timeout: 15000,
    });
    expect(
      await page
        .locator('#state-panel details.io[data-key="output-0"]')
        .evaluate((d) => (d as HTMLDetailsElement).open),
    ).toBe(true);
    expect(
      await page
        .locator('details.event[data-type="TaskStateEntered"]')
        .first()
        .evaluate((d) => (d as HTMLDetailsElement).open),
    ).toBe(true);
    expect(await page.locator('#state-panel').getAttribute('data-state')).toBe('Scan');
    await page.close();
  }, 60000);

  it('shows environment pages with what runs, the deployment history and URLs', async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/#/environments/staging`);
    await page.waitForSelector('table.deployments tr.deployment');
    const outcomes = await page
      .locator('tr.deployment')
      .evaluateAll((rows) =>
        Object.fromEntries(rows.map((r) => [r.getAttribute('data-release'), r.getAttribute('data-outcome')])),
      );
    const release = (arn: string) => arn.split(':').pop()!;
    expect(outcomes[release(arns.passed)]).toBe('success');
    expect(outcomes[release(arns.rejected)]).toBe('rejected');
    expect(outcomes[release(arns.rolloutFailed)]).toBe('rolled back');
    expect(outcomes[release(arns.verifyFailed)]).toBe('rolled back');
    expect(outcomes[release(arns.waiting)]).toBe('waiting for approval');
    const approvers = await page
      .locator(`tr.deployment[data-release="${release(arns.passed)}"] td`)
      .nth(2)
      .textContent();
    expect(approvers).toMatch(/alice/);
    const inventory = page.locator('tr.running[data-service="inventory-app"]');
    expect(await inventory.locator('a.release-link').textContent()).toBe(release(arns.passed));
    expect(await page.locator('a.env-url').count()).toBeGreaterThan(0);
    await page.close();
  }, 60000);

  it.each([
    ['the overview', () => '/'],
    [
      'an execution page',
      () => `/#/executions/${encodeURIComponent(arns.verifyFailed)}?state=Verify%20staging`,
    ],
    ['an environment page', () => '/#/environments/production'],
    ['the DORA page', () => '/#/dora?environment=staging&window=7d'],
  ])(
    'has no horizontal overflow at 390 px: %s',
    async (_name, path) => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(`${sandbox.url}${path()}`);
      await page.waitForFunction(() => Number(document.body.dataset.refreshes) >= 1);
      const widths = await page.evaluate(() => ({
        doc: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
      }));
      expect(widths.doc).toBeLessThanOrEqual(390);
      expect(widths.body).toBeLessThanOrEqual(390);
      await page.close();
    },
    60000,
  );

  it('shows the chat as compact cards, newest first, paged', async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/`);
    await page.waitForSelector('.chat-card');
    expect(await page.locator('.chat-card').count()).toBe(8);
    const times = await page
      .locator('.chat-card time')
      .evaluateAll((t) => t.map((x) => x.getAttribute('datetime')!));
    expect([...times].sort().reverse()).toEqual(times);
    // Links show their labels: no signed approval link and no execution link is printed as a URL (a failure
    // cause may quote the URL a smoke check requested; that is the message's content, not a link).
    const chatText = await page.locator('.chat-panel').innerText();
    expect(chatText).not.toMatch(/https?:\/\/\S*\/approvals\//);
    expect(chatText).not.toMatch(/https?:\/\/\S*#\/executions\//);
    await page.click('.pager a[data-page="2"]');
    await page.waitForSelector('ul.chat[data-page="2"]');
    await page.close();
  }, 60000);
});
