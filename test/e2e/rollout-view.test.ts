import { randomBytes } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import type { Browser } from 'playwright-core';
import { renderRollouts, rolloutViews } from '../../sandbox/console/rollouts';
import { CONSOLE_STYLE } from '../../sandbox/console/style';
import { decideAs, demoManifest } from '../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../helpers/gitlab-deliveries';
import { SandboxProcess, writeTestConfig } from '../integ/sandbox/sandbox-process';
import { deployment, ecs, target, VERIFY } from '../helpers/rollout-fixture';
import { credentials, freePort, tempDir, waitFor } from '../integ/sandbox/support';
import { chromiumAvailable, launchChromium } from './browser';

const describeIfChromium = chromiumAvailable('test/e2e/rollout-view.test.ts') ? describe : describe.skip;

/**
 * The live rollout view, read from DescribeServiceDeployments: billing-app's production CANARY (10 %, baked
 * 5 configured minutes) is watched on its execution page while it bakes. Phases of 1.5 s make the canary
 * bake last 7.5 s, long enough for the page (refreshed every 2 s) to show it, with the verify hook's result.
 */
describeIfChromium('sandbox console: live rollout view (headless Chromium)', () => {
  const tmp = tempDir();
  const token = `rollout-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let browser: Browser;
  let url: string;
  let endpoint: string;

  beforeAll(async () => {
    const [port, awsPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    endpoint = `http://127.0.0.1:${awsPort}`;
    sandbox = new SandboxProcess({
      PORT: String(port),
      SHIPGATE_AWS_PORT: String(awsPort),
      SHIPGATE_STATE_DIR: tmp.dir,
      SHIPGATE_CONFIG: writeTestConfig(tmp.dir),
      SHIPGATE_WEBHOOK_TOKEN: token,
      SHIPGATE_SANDBOX_PHASE_MS: '1500',
    });
    await sandbox.start(90000);
    browser = await launchChromium();
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    tmp.cleanup();
  });

  const approve = async (executionArn: string, environment: string, votes: number) => {
    const pending = await waitFor(
      `the ${environment} approval`,
      async () => {
        const { approvals } = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
          approvals: {
            executionArn: string;
            environment: string;
            reviewUrl?: string;
            approvers?: { approver: string }[];
          }[];
        };
        const a = approvals.find((x) => x.executionArn === executionArn && x.environment === environment);
        return a?.reviewUrl && (a.approvers ?? []).length >= votes
          ? { url: a.reviewUrl, approvers: a.approvers!.map((p) => p.approver) }
          : undefined;
      },
      120000,
    );
    // Each vote is a different person, signed in at the sandbox's GitLab.
    for (const who of pending.approvers.slice(0, votes))
      expect(await decideAs(pending.url, who, 'approve', 'Ship it')).toBe(200);
  };

  it("shows a canary's traffic split while it bakes: 10 % on the new revision, 90 % on the old, bake time left", async () => {
    const sha = randomBytes(20).toString('hex');
    await new ECRClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 }).send(
      new PutImageCommand({
        repositoryName: 'billing-app',
        imageTag: sha,
        imageManifest: demoManifest('billing-app', sha, {}),
      }),
    );
    const payload = pipelinePayload({ id: 9301, sha });
    Object.assign(payload.project as Record<string, unknown>, {
      id: 12,
      path_with_namespace: 'root/billing-app',
      name: 'billing-app',
    });
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(gitlabDelivery(payload, { token })));
    expect(res.status).toBe(202);
    const { executionArn } = (await res.json()) as { executionArn: string };
    await approve(executionArn, 'staging', 1);
    await approve(executionArn, 'production', 2);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/#/executions/${encodeURIComponent(executionArn)}`);
    const canary =
      '.rollout[data-environment="production"][data-service="billing-app"][data-stage="PRODUCTION_TRAFFIC_SHIFT"][data-production-weight="10"]';
    await page.waitForSelector(`${canary} .bake`, { timeout: 120000 });
    const shown = await page.locator(canary).evaluate((el) => ({
      facts: el.querySelector('.rollout-facts')!.textContent,
      bakeLeft: Number(el.querySelector('.bake')!.getAttribute('data-bake-left-ms')),
      newWidth: (el.querySelector('.split .new') as HTMLElement).style.width,
      oldWidth: (el.querySelector('.split .old') as HTMLElement).style.width,
      head: el.querySelector('.rollout-head')!.textContent,
      hooks: Array.from(el.querySelectorAll('.hook')).map((h) => ({
        kind: h.getAttribute('data-hook-kind'),
        stage: h.getAttribute('data-stage'),
        status: h.getAttribute('data-status'),
        text: h.textContent,
      })),
    }));
    expect(shown.facts).toContain('10 % new');
    expect(shown.facts).toContain('90 % old');
    expect(shown.facts).toMatch(/canary at 10 %: [\d.]+ s left/);
    expect(shown.bakeLeft).toBeGreaterThan(0);
    expect(shown.bakeLeft).toBeLessThanOrEqual(5 * 1500);
    expect([shown.newWidth, shown.oldWidth]).toEqual(['10%', '90%']);
    expect(shown.head).toContain('IN_PROGRESS');
    // The hook results: Shipgate's verify hook checked the test traffic and answered SUCCEEDED before the
    // canary took production traffic; it is named as Shipgate's, with its stage.
    expect(shown.hooks).toContainEqual({
      kind: 'verify',
      stage: 'POST_TEST_TRAFFIC_SHIFT',
      status: 'SUCCEEDED',
      text: expect.stringMatching(/^Shipgate verify hook at post test traffic shift SUCCEEDED/),
    });
    // Updated in place: the same page then shows the rest of the rollout (all traffic on the new revision).
    await page.waitForSelector(
      '.rollout[data-environment="production"][data-service="billing-app"][data-production-weight="100"], .execution-detail[data-status="SUCCEEDED"]',
      { timeout: 120000 },
    );
    await page.close();
  }, 300000);

  it('fits 390 px with every kind of hook listed (verify, contract hooks with long names, a waiting pause)', async () => {
    const long = {
      ...deployment,
      lifecycleHookDetails: deployment.lifecycleHookDetails.map((h) =>
        h.targetArn && h.targetArn !== VERIFY ? { ...h, targetArn: `${h.targetArn}-${'x'.repeat(60)}` } : h,
      ),
      deploymentConfiguration: {
        ...deployment.deploymentConfiguration,
        lifecycleHooks: deployment.deploymentConfiguration.lifecycleHooks.map((h) =>
          h.hookTargetArn && h.hookTargetArn !== VERIFY
            ? { ...h, hookTargetArn: `${h.hookTargetArn}-${'x'.repeat(60)}` }
            : h,
        ),
      },
    };
    const views = rolloutViews(ecs(long), [target], 60000, 1_000_000, { production: VERIFY });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.setContent(
      `<!doctype html><html><head><meta name="viewport" content="width=device-width"><style>${CONSOLE_STYLE}</style></head><body><main>${renderRollouts(views)}</main></body></html>`,
    );
    expect(await page.locator('.hook').count()).toBe(4);
    const widths = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
    }));
    expect(widths.doc).toBeLessThanOrEqual(390);
    expect(widths.body).toBeLessThanOrEqual(390);
    await page.close();
  });
});
