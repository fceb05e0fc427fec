import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { DoraReport } from '../../../lambdas/domain/ledger/dora';
import type { QuarantineRecord } from '../../../lambdas/domain/ledger/quarantine';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { run as doraCli } from '../../../src/cli/dora';
import { run as quarantineCli } from '../../../src/cli/quarantine';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox } from './sandbox-process';
import { credentials, tempDir, waitFor } from './support';

/**
 * Issue 20 through the sandbox (`shipgate dev` in a child process, the built step bundles, local Step
 * Functions): a release whose rollout fails is rolled back and its digest quarantined; a later release of the
 * same digest stops at "Resolve release" with the rollback named, and chat says so; lifting the quarantine
 * (CLI → API) is recorded and the same digest then releases; the ledger feeds `GET /api/metrics/dora`.
 */
describe('sandbox: digest quarantine and the ledger end to end', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  beforeAll(async () => {
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token));
    await sandbox.start();
  }, 90000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  async function pushImage(annotations: Record<string, string>): Promise<{ sha: string; digest: string }> {
    const sha = randomBytes(20).toString('hex');
    const manifest = demoManifest('inventory-app', sha, annotations);
    await new ECRClient(client()).send(
      new PutImageCommand({ repositoryName: 'inventory-app', imageTag: sha, imageManifest: manifest }),
    );
    return { sha, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` };
  }

  async function release(sha: string, pipelineId: number): Promise<string> {
    const res = await fetch(
      `${url}/webhooks/gitlab`,
      deliveryInit(gitlabDelivery(pipelinePayload({ id: pipelineId, sha }), { token })),
    );
    expect(res.status).toBe(202);
    return ((await res.json()) as { executionArn: string }).executionArn;
  }

  async function settled(executionArn: string) {
    return waitFor(
      `execution ${executionArn} to finish`,
      async () => {
        const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      60000,
    );
  }

  async function approveStaging(executionArn: string): Promise<void> {
    const pending = await waitFor('approval links for staging', async () => {
      const { approvals } = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
        approvals: {
          executionArn: string;
          environment: string;
          reviewUrl?: string;
          approvers: { approver: string; voted: boolean }[];
        }[];
      };
      return approvals.find(
        (a) => a.executionArn === executionArn && a.environment === 'staging' && a.reviewUrl,
      );
    });
    expect(await decideAs(pending.reviewUrl!, pending.approvers[0].approver, 'approve', 'ok')).toBe(200);
  }

  async function entered(executionArn: string): Promise<string[]> {
    const h = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    return h.events!.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails!.name!);
  }

  const chat = async () =>
    (
      (await (await fetch(`${url}/_sandbox/api/chat`)).json()) as { messages: { text: string }[] }
    ).messages.map((m) => m.text);

  const quarantines = async () =>
    ((await (await fetch(`${url}/api/quarantines`)).json()) as { quarantines: QuarantineRecord[] })
      .quarantines;

  let bad: { sha: string; digest: string };

  it('quarantines the digest of a release rolled back in staging', async () => {
    bad = await pushImage({ 'org.shipgate.sandbox.rollout': 'fail' });
    const arn = await release(bad.sha, 9101);
    await approveStaging(arn);
    expect((await settled(arn)).status).toBe('FAILED');
    const [q] = await waitFor('the quarantine', async () => {
      const list = await quarantines();
      return list.length ? list : undefined;
    });
    expect(q).toMatchObject({ service: 'inventory-app', digest: bad.digest, status: 'quarantined' });
    expect(q.rollbacks).toEqual([
      expect.objectContaining({
        environment: 'staging',
        outcome: expect.stringMatching(/^rolled-back-by-(ecs|shipgate)$/),
      }),
    ]);
  }, 120000);

  it('stops a later release of the same digest at "Resolve release", naming the rollback, and tells chat', async () => {
    const arn = await release(bad.sha, 9102);
    const done = await settled(arn);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('DigestQuarantined');
    // Lambda errors reach Step Functions as {"errorType","errorMessage","trace"}.
    const cause = (JSON.parse(done.cause!) as { errorMessage: string }).errorMessage;
    expect(cause).toMatch(
      new RegExp(
        `^Image ${bad.digest} of "inventory-app" is quarantined: it was rolled back by (ECS|Shipgate) in staging at \\S+ \\(release inventory-app-p9101-[0-9a-f]+\\): RolloutFailed\\.`,
      ),
    );
    expect(cause).toContain(`npx shipgate quarantine lift --service inventory-app --digest ${bad.digest}`);
    const states = await entered(arn);
    expect(states).toContain('Resolve release');
    expect(states).not.toContain('Scan');
    const text = await waitFor('the chat message', async () =>
      (await chat()).find((t) => t.includes('DigestQuarantined') && t.includes(bad.sha.slice(0, 8))),
    );
    expect(text).toContain('is quarantined');
  }, 120000);

  it('lifts the quarantine by a recorded action; the same digest then gets past "Resolve release"', async () => {
    const out: string[] = [];
    const code = await quarantineCli(
      [
        'lift',
        '--service',
        'inventory-app',
        '--digest',
        bad.digest,
        '--reason',
        'rollout config fixed',
        '--by',
        'dana',
        '--url',
        url,
      ],
      { stdout: (s) => void out.push(s), stderr: (s) => void out.push(s), env: {} },
    );
    expect(out.join('')).toContain('Lifted: inventory-app');
    expect(code).toBe(0);
    const [q] = await quarantines();
    expect(q).toMatchObject({
      status: 'lifted',
      lifts: [expect.objectContaining({ by: 'dana', reason: 'rollout config fixed' })],
    });
    // Redelivering the refused event changes nothing; a new pipeline of the same commit now passes Resolve.
    const arn = await release(bad.sha, 9103);
    await waitFor('the release to ask for staging approval', async () =>
      (await entered(arn)).includes('Approve staging') ? true : undefined,
    );
    expect(await entered(arn)).toEqual(expect.arrayContaining(['Resolve release', 'Scan']));
    // It is still a bad image: rolled back again, and quarantined again by this new rollback.
    await approveStaging(arn);
    expect((await settled(arn)).status).toBe('FAILED');
    const again = await waitFor('the new quarantine', async () => {
      const [x] = await quarantines();
      return x?.status === 'quarantined' ? x : undefined;
    });
    expect(again.rollbacks).toHaveLength(2);
    expect(again.lifts).toHaveLength(1);
  }, 120000);

  it('PORT is all the CLI needs: npx shipgate releases, dora and quarantine list find the sandbox on it', async () => {
    const port = new URL(url).port;
    for (const command of [['releases'], ['dora'], ['quarantine', 'list']]) {
      const { stdout } = await promisify(execFile)('npx', ['shipgate', ...command], {
        cwd: join(__dirname, '..', '..', '..'),
        timeout: 60_000,
        // No SHIPGATE_API_URL, no --url: only PORT says where the sandbox is.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: port },
      });
      expect(stdout.length).toBeGreaterThan(0);
      expect(stdout).not.toMatch(/fetch failed|nothing answers/);
    }
    const { stdout: listed } = await promisify(execFile)('npx', ['shipgate', 'quarantine', 'list'], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: port },
    });
    expect(listed).toMatch(/inventory-app {2}sha256:[0-9a-f]{64} {2}(QUARANTINED|LIFTED)/);
  }, 120000);

  it('serves the ledger as DORA figures through the API and the CLI', async () => {
    const res = await fetch(`${url}/api/metrics/dora?environment=staging&window=1d`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as DoraReport;
    // Two rolled-back deployments in staging; the refused release was no deployment.
    expect(report.overall.figures.changeFailureRate).toMatchObject({
      failedDeployments: 2,
      deployments: 2,
      rate: 1,
    });
    expect(report.overall.figures.recoveryTime.count).toBe(2);
    expect(report.services['inventory-app']).toBeDefined();
    const out: string[] = [];
    expect(
      await doraCli(['--url', url, '--environment', 'staging', '--window', '1d'], {
        stdout: (s) => void out.push(s),
        env: {},
      }),
    ).toBe(0);
    expect(out.join('')).toMatch(/Change failure rate\s+│ 100\.0% \(2 of 2\)/);
  }, 60000);
});
