import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import type { DoraReport } from '../../../lambdas/domain/ledger/dora';
import { loadConfig } from '../../../lambdas/shared/config';
import { allPlanned, planHistory } from '../../../sandbox/history/plan';
import { deriveDora, stats, type ReadExecution, type ReadRollback } from './dora-from-history';
import { SandboxProcess, writeTestConfig } from './sandbox-process';
import { credentials, freePort, tempDir } from './support';
import { chromiumAvailable, launchChromium } from '../../e2e/browser';

const itIfChromium = chromiumAvailable('test/integ/sandbox/history.test.ts') ? it : it.skip;

const ROOT = join(__dirname, '..', '..', '..');
/**
 * Days of history: the 14 days issue 30 asks for (~50 releases, billing-app's canary pauses decided as people
 * would). Measured 128 s for the generation alone on the 2-core machine while other work shared it; the plan
 * puts every kind of event (and a rolled-back and a timed-out pause) in any window of 7 days or more.
 */
const DAYS = 14;
const SEED = 3;
/** Simulated seconds two clocks may disagree by (a Lambda's own time stamp vs the history event's). */
const SLACK_S = 120;

describe('sandbox: demo --history fills a new sandbox, and its DORA figures match the execution histories', () => {
  const tmp = tempDir('shipgate-history-');
  const stateDir = join(tmp.dir, 'state');
  // The example's pauses stay: the generator decides them (billing-app's canary pauses after test traffic).
  const configPath = writeTestConfig(tmp.dir, { keepPauses: true });
  const config = loadConfig(configPath, { ...process.env, SHIPGATE_CONFIG_JSON: undefined });
  const plan = planHistory(config, DAYS, Date.now(), SEED);
  let output = '';
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;

  beforeAll(async () => {
    const run = await promisify(execFile)(
      process.execPath,
      ['bin/shipgate-cli.js', 'demo', '--history', `${DAYS}d`, '--seed', String(SEED)],
      {
        cwd: ROOT,
        timeout: 900_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          SHIPGATE_STATE_DIR: stateDir,
          SHIPGATE_CONFIG: configPath,
          SHIPGATE_LOG_LEVEL: 'ERROR',
          SHIPGATE_SANDBOX_PHASE_MS: '30',
        },
      },
    );
    output = run.stdout;
    const [port, awsPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    endpoint = `http://127.0.0.1:${awsPort}`;
    // What a user does next: npm start on the same state dir.
    sandbox = new SandboxProcess({
      PORT: String(port),
      SHIPGATE_AWS_PORT: String(awsPort),
      SHIPGATE_STATE_DIR: stateDir,
      SHIPGATE_CONFIG: configPath,
    });
    await sandbox.start();
  }, 960_000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  it('plans every kind of event, drives each planned release and reports what happened', () => {
    // A week has every kind of event (the plan makes sure), so the figures below cover each of them.
    const faults = new Set(allPlanned(plan).map((r) => r.fault));
    expect([...faults].sort()).toEqual([
      'manual-rollback',
      'none',
      'production-crash',
      'rejected',
      'staging-crash',
      'staging-unhealthy',
    ]);
    expect(plan.releases.some((r) => r.supersededBy)).toBe(true);
    expect(allPlanned(plan).some((r) => r.hotfix)).toBe(true);
    for (const r of allPlanned(plan)) expect(output).toContain(`${r.project} ${r.sha.slice(0, 8)}`);
    expect(output).toMatch(/Generated \d+ releases and \d+ manual rollbacks in [\d.]+ s/);
    for (const outcome of ['ApprovalSuperseded', 'ApprovalRejected', 'RolloutFailed', 'VerifyFailed'])
      expect(output).toContain(`FAILED ${outcome}`);
    expect(output).toMatch(/rollback by hand of \S+ in production → ROLLED_BACK/);
    // People decided billing-app's pauses: continued ones succeeded, a rollback and a timeout failed it.
    expect(output).toMatch(/root\/billing-app \w{8} → SUCCEEDED/);
    expect(output).toMatch(/root\/billing-app \w{8} \(pause rollback\) → FAILED RolloutFailed/);
    expect(output).toMatch(/root\/billing-app \w{8} \(pause timeout\) → FAILED RolloutFailed/);
  });

  it('billing-app (a canary with a pause) has deployments, a change failure rate below 100 % and recovery figures', async () => {
    const res = await fetch(
      `${url}/api/metrics/dora?environment=production&window=${DAYS + 1}d&service=billing-app`,
    );
    expect(res.status).toBe(200);
    const f = ((await res.json()) as DoraReport).overall.figures;
    expect(f.deploymentFrequency.deployments).toBeGreaterThan(0);
    expect(f.changeFailureRate.rate).toBeGreaterThan(0);
    expect(f.changeFailureRate.rate).toBeLessThan(1);
    expect(f.recoveryTime.count).toBeGreaterThan(0);
    expect(f.recoveryTime.medianSeconds).not.toBeNull();
    // The environment's row no longer says "seeded": billing-app runs a release of the history.
    const running = (await (await fetch(`${url}/_sandbox/api/environments`)).json()) as {
      environments: { environment: string; service: string; digest: string }[];
    };
    const billing = running.environments.find(
      (e) => e.environment === 'production' && e.service === 'billing-app',
    )!;
    const seeded = (await (await fetch(`${url}/_sandbox/ui/environment?name=production`)).text()).match(
      /<tr[^>]*data-service="billing-app"[^>]*>.*?<\/tr>/s,
    )?.[0];
    expect(billing.digest).toMatch(/^sha256:/);
    expect(seeded ?? '').not.toContain('seeded at sandbox start');
  });

  it('GET /api/metrics/dora gives the figures re-derived from the Step Functions histories', async () => {
    const res = await fetch(`${url}/api/metrics/dora?environment=production&window=${DAYS + 1}d`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as DoraReport;

    const sfn = new SFNClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });
    const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-release';
    const executions: ReadExecution[] = [];
    let next: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: next }));
      for (const e of page.executions ?? []) {
        const events: HistoryEvent[] = [];
        let token: string | undefined;
        do {
          const h = await sfn.send(
            new GetExecutionHistoryCommand({ executionArn: e.executionArn, nextToken: token }),
          );
          events.push(...(h.events ?? []));
          token = h.nextToken;
        } while (token);
        const input = events[0].executionStartedEventDetails?.input ?? '{}';
        executions.push({ name: e.name!, status: e.status!, input: JSON.parse(input), events });
      }
      next = page.nextToken;
    } while (next);
    expect(executions.length).toBe(allPlanned(plan).length);
    const rollbacks = (
      (await (await fetch(`${url}/api/rollbacks?limit=50`)).json()) as { rollbacks: ReadRollback[] }
    ).rollbacks;
    expect(rollbacks.length).toBeGreaterThan(0);

    const derived = deriveDora(
      executions,
      rollbacks,
      allPlanned(plan),
      'production',
      Date.parse(report.window.from),
      Date.parse(report.window.to),
    );
    const f = report.overall.figures;
    expect(derived.successfulDeployments).toBeGreaterThan(5);
    expect(f.deploymentFrequency.deployments).toBe(derived.successfulDeployments);
    expect(f.changeFailureRate.deployments).toBe(derived.deployments);
    expect(f.changeFailureRate.failedDeployments).toBe(derived.failedDeployments);
    expect(derived.failedDeployments).toBeGreaterThan(0);

    const lead = stats(derived.leadTimes);
    expect(f.leadTime.count).toBe(derived.leadTimes.length);
    expect(Math.abs(f.leadTime.medianSeconds! - lead.median!)).toBeLessThanOrEqual(SLACK_S);
    expect(Math.abs(f.leadTime.p90Seconds! - lead.p90!)).toBeLessThanOrEqual(SLACK_S);

    const recovery = stats(derived.recoveries);
    expect(f.recoveryTime.count).toBe(derived.recoveries.length);
    expect(Math.abs(f.recoveryTime.medianSeconds! - recovery.median!)).toBeLessThanOrEqual(SLACK_S);
  });

  itIfChromium(
    'the console DORA page draws its three charts and the figure levels, without console errors',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        await page.goto(`${url}/#/dora?environment=production&window=30d`);
        for (const id of ['dora-frequency', 'dora-lead-time', 'dora-failures']) {
          await page.waitForSelector(`canvas#${id}[data-points]`, { timeout: 20_000 });
          // Chart.js drew something: the canvas holds non-transparent pixels, and its chart has data.
          const drawn = await page.$eval(`canvas#${id}`, (c) => {
            const canvas = c as HTMLCanvasElement;
            const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
            return { painted, points: Number(canvas.dataset.points), width: canvas.width };
          });
          expect(drawn.width).toBeGreaterThan(100);
          expect(drawn.points).toBeGreaterThan(0);
          expect(drawn.painted).toBeGreaterThan(500);
        }
        const levels = await page.$$eval('.dora-card [data-level]', (els) =>
          els.map((e) => e.getAttribute('data-level')),
        );
        expect(levels.length).toBeGreaterThanOrEqual(3);
        for (const l of levels) expect(['elite', 'high', 'medium', 'low']).toContain(l);
        expect(await page.textContent('.dora-card[data-figure="change-failure-rate"] .value')).toMatch(/%/);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  itIfChromium(
    'with service=billing-app, every card and chart of the page agrees with GET /api/metrics/dora?service=billing-app',
    async () => {
      const api = (await (
        await fetch(`${url}/api/metrics/dora?environment=production&window=30d&service=billing-app`)
      ).json()) as DoraReport;
      const f = api.overall.figures;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${url}/#/dora?environment=production&window=30d&service=billing-app`);
        for (const id of ['dora-frequency', 'dora-lead-time', 'dora-failures'])
          await page.waitForSelector(`canvas#${id}[data-points]`, { timeout: 20_000 });
        const drawn = await page.evaluate(() => {
          const get = (
            window as unknown as {
              shipgateDrawnChart(id: string): { labels: unknown[]; datasets: { data: unknown[] }[] };
            }
          ).shipgateDrawnChart;
          return {
            frequency: get('dora-frequency'),
            lead: get('dora-lead-time'),
            failures: get('dora-failures'),
          };
        });
        const sum = (xs: unknown[]) => xs.reduce<number>((n, x) => n + Number(x), 0);
        // Per day: each deployment once, successful or failed; the totals are the API's.
        const [ok, failed] = drawn.frequency.datasets.map((d) => sum(d.data));
        expect(ok + failed).toBe(f.changeFailureRate.deployments);
        expect(failed).toBe(f.changeFailureRate.failedDeployments);
        // Lead time: billing-app's commits only.
        expect(sum(drawn.lead.datasets[0].data)).toBe(f.leadTime.count);
        expect(drawn.lead.datasets[0].data).toEqual(api.leadTimeHistogram.map((b) => b.count));
        // Failures: billing-app's only, one bar per failure.
        expect(drawn.failures.labels).toEqual(['billing-app']);
        expect(drawn.failures.datasets[0].data).toHaveLength(f.recoveryTime.failures);
        const card = async (figure: string) =>
          page.textContent(`.dora-card[data-figure="${figure}"]`) as Promise<string>;
        expect(await card('deployment-frequency')).toContain(
          `${f.deploymentFrequency.deployments} successful deployments`,
        );
        expect(await card('lead-time')).toContain(`${f.leadTime.count} commits`);
        expect(await card('change-failure-rate')).toContain(
          `${f.changeFailureRate.failedDeployments} of ${f.changeFailureRate.deployments} deployments failed`,
        );
        expect(await card('recovery-time')).toContain(`${f.recoveryTime.failures} failures`);
        // And the page fits a phone.
        await page.setViewportSize({ width: 390, height: 844 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
