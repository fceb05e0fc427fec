import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { chromium, type Browser } from 'playwright-core';
import { demoManifest } from '../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../helpers/gitlab-deliveries';
import { SandboxProcess, writeTestConfig } from '../integ/sandbox/sandbox-process';
import { credentials, freePort, tempDir, waitFor } from '../integ/sandbox/support';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether Debian's Chromium is installed. Without it: in CI (`CI=true`, where .ci/run installs it) the run
 * fails; on a workstation the skip is announced with the package to install — never a silent skip.
 */
function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `test/e2e/console.test.ts: ${CHROMIUM} not found. Install it with: apt-get update && apt-get install -y chromium`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true and ${reason}`);
  process.stderr.write(`SKIPPED ${reason}\n`);
  return false;
}
const describeIfChromium = chromiumAvailable() ? describe : describe.skip;

/** The local console in headless Chromium: the graph with the current state and a pending approval. */
describeIfChromium('sandbox console (headless Chromium)', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let browser: Browser;
  let url: string;
  let executionArn: string;

  beforeAll(async () => {
    const [port, awsPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    sandbox = new SandboxProcess({
      PORT: String(port),
      SHIPGATE_AWS_PORT: String(awsPort),
      SHIPGATE_STATE_DIR: tmp.dir,
      SHIPGATE_CONFIG: writeTestConfig(tmp.dir),
      SHIPGATE_WEBHOOK_TOKEN: token,
    });
    await sandbox.start();
    const sha = randomBytes(20).toString('hex');
    await new ECRClient({ endpoint: `http://127.0.0.1:${awsPort}`, region: 'us-east-1', credentials }).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha),
      }),
    );
    const res = await fetch(
      `${url}/webhooks/gitlab`,
      deliveryInit(gitlabDelivery(pipelinePayload({ id: 8101, sha }), { token })),
    );
    expect(res.status).toBe(202);
    executionArn = ((await res.json()) as { executionArn: string }).executionArn;
    await waitFor('the staging approval', async () => {
      const { approvals } = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
        approvals: { links: unknown[] }[];
      };
      return approvals.length && approvals[0].links.length ? true : undefined;
    });
    browser = await chromium.launch({
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
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    tmp.cleanup();
  });

  it("lists the running release with its pending approval and the approvers' links", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    await page.waitForSelector('tr.approval[data-environment="staging"]');
    const links = await page.locator('tr.approval a.approve-link').allTextContents();
    expect(links).toEqual(['Review as Alice', 'Review as Bob', 'Review as Carol']);
    expect(await page.locator('tr.execution[data-status="RUNNING"]').count()).toBe(1);
    expect(await page.locator('tr.running[data-environment="production"]').count()).toBe(3);
    expect(await page.content()).not.toMatch(/AQ[A-Za-z0-9_-]{128}/);
    await page.close();
  }, 60000);

  it('draws the state machine with "Approve staging" highlighted as the current state', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/#/executions/${encodeURIComponent(executionArn)}`);
    await page.waitForSelector('svg.graph');
    const current = page.locator('svg.graph g.node.current');
    await current.first().waitFor();
    expect(await current.getAttribute('data-state')).toBe('Approve staging');
    const done = await page
      .locator('svg.graph g.node.done')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));
    expect(done).toEqual(expect.arrayContaining(['Resolve release', 'Scan']));
    for (const name of [
      'Deploy staging',
      'Verify staging',
      'Approve production',
      'Deploy production',
      'Record release',
    ]) {
      expect(await page.locator(`svg.graph g.node[data-state="${name}"]`).count()).toBe(1);
    }
    expect(await page.locator('table.history tr.event').count()).toBeGreaterThan(5);
    expect(await page.locator('.execution-detail tr.approval a.approve-link').count()).toBe(3);
    expect(await page.content()).not.toMatch(/AQ[A-Za-z0-9_-]{128}/);
    await page.close();
  }, 60000);
});
