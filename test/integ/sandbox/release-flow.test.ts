import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { run as rollbackCli } from '../../../src/cli/rollback';
import {
  deliveryInit,
  gitlabDelivery,
  pipelinePayload,
  type GitlabDelivery,
} from '../../helpers/gitlab-deliveries';
import {
  readTerraformEcsServices,
  requestFields,
  requestViolations,
} from '../../helpers/ecs-service-ownership';
import { SandboxProcess, testSandbox } from './sandbox-process';
import { awsCli, credentials, environmentCredentials, tempDir, waitFor } from './support';

/**
 * The sandbox as a user meets it: `shipgate dev` in its own process on free ports with a temporary state
 * dir, driven only through the AWS SDK, the AWS CLI and plain HTTP.
 */
describe('sandbox: release flow end to end (shipgate dev in a child process)', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  let stateMachineArn: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  // Every request to the emulated services, as CloudTrail would record them (the ownership check reads it).
  const requestLog = join(tmp.dir, 'aws-requests.jsonl');

  beforeAll(async () => {
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, {
      env: { SHIPGATE_SANDBOX_REQUEST_LOG: requestLog },
    }));
    await sandbox.start();
    stateMachineArn = sandbox.stateMachineArn;
  }, 90000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  async function pushImage(
    annotations: Record<string, string> = {},
    repositoryName = 'inventory-app',
  ): Promise<{ sha: string; digest: string }> {
    const sha = randomBytes(20).toString('hex');
    const manifest = demoManifest(repositoryName, sha, annotations);
    const put = await new ECRClient(client()).send(
      new PutImageCommand({ repositoryName, imageTag: sha, imageManifest: manifest }),
    );
    expect(put.image?.imageId?.imageDigest).toBe(
      `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    );
    return { sha, digest: put.image!.imageId!.imageDigest! };
  }

  function delivery(sha: string, pipelineId: number, project?: { id: number; path: string }): GitlabDelivery {
    const payload = pipelinePayload({ id: pipelineId, sha });
    if (project) {
      const p = payload.project as Record<string, unknown>;
      Object.assign(p, {
        id: project.id,
        path_with_namespace: project.path,
        name: project.path.split('/')[1],
      });
    }
    return gitlabDelivery(payload, { token });
  }

  async function send(
    d: GitlabDelivery,
  ): Promise<{ status: number; body: { executionArn?: string; release?: string } }> {
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(d));
    return { status: res.status, body: (await res.json()) as { executionArn?: string } };
  }

  async function settled(executionArn: string, timeoutMs = 60000): Promise<DescribeExecutionCommandOutput> {
    return waitFor(
      `execution ${executionArn} to finish`,
      async () => {
        const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      timeoutMs,
    );
  }

  async function approve(executionArn: string, environment: string, votes: number): Promise<void> {
    const pending = await waitFor(`approval links for ${environment}`, async () => {
      const res = await fetch(`${url}/_sandbox/api/approvals`);
      const { approvals } = (await res.json()) as {
        approvals: {
          executionArn: string;
          environment: string;
          reviewUrl?: string;
          approvers: { approver: string; voted: boolean }[];
        }[];
      };
      return approvals.find(
        (a) =>
          a.executionArn === executionArn &&
          a.environment === environment &&
          a.reviewUrl &&
          a.approvers.filter((p) => !p.voted).length >= votes,
      );
    });
    for (const p of pending.approvers.filter((x) => !x.voted).slice(0, votes)) {
      expect(await decideAs(pending.reviewUrl!, p.approver, 'approve', 'looks good')).toBe(200);
    }
  }

  async function runningImage(environment: string, service = 'inventory-app'): Promise<string> {
    // Read in the environment's own account (production: 222222222222), with that account's keys.
    const ecs = new ECSClient({ ...client(), credentials: environmentCredentials(environment) });
    const svc = (
      await ecs.send(new DescribeServicesCommand({ cluster: `shipgate-${environment}`, services: [service] }))
    ).services![0];
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
    return td.taskDefinition!.containerDefinitions![0].image!;
  }

  async function enteredStates(executionArn: string): Promise<string[]> {
    const h = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    return h.events!.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails!.name!);
  }

  /** The chat sink's messages (text fallback), oldest first. */
  async function chatTexts(): Promise<string[]> {
    const { messages } = (await (await fetch(`${url}/_sandbox/api/chat`)).json()) as {
      messages: { text: string }[];
    };
    return messages.map((m) => m.text).reverse();
  }

  /** Waits for a chat message containing every one of `parts`. */
  function chatMessage(...parts: string[]): Promise<string> {
    return waitFor(`a chat message with ${parts.join(' … ')}`, async () =>
      (await chatTexts()).find((t) => parts.every((p) => t.includes(p))),
    );
  }

  let good: { sha: string; digest: string };
  let firstDelivery: GitlabDelivery;
  let firstArn: string;

  it('takes a passing release through both approvals to production (ECS runs the new digest in both environments)', async () => {
    good = await pushImage();
    firstDelivery = delivery(good.sha, 7001);
    const started = await send(firstDelivery);
    expect(started.status).toBe(202);
    firstArn = started.body.executionArn!;
    await approve(firstArn, 'staging', 1);
    await approve(firstArn, 'production', 2);
    const done = await settled(firstArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(await runningImage('staging')).toMatch(new RegExp(`/inventory-app@${good.digest}$`));
    expect(await runningImage('production')).toMatch(new RegExp(`/inventory-app@${good.digest}$`));
    for (const environment of ['staging', 'production']) {
      const text = await chatMessage(
        `Deployed to ${environment}: root/inventory-app ${good.sha.slice(0, 8)}`,
      );
      expect(text).toContain(`inventory-app @ ${good.digest}`);
      expect(text).toMatch(/rolled out and verified in \d+/);
      expect(text).toContain(`Release: `);
      expect(text).toContain(`Execution: ${url}/#/executions/`);
    }
    const cli = await awsCli(
      endpoint,
      ['ecs', 'describe-services', '--cluster', 'shipgate-production', '--services', 'inventory-app'],
      environmentCredentials('production'),
    );
    expect(
      (cli.services as { deployments: { rolloutState: string }[] }[])[0].deployments[0].rolloutState,
    ).toBe('COMPLETED');
  }, 120000);

  it('answers a redelivered webhook with the same execution and starts nothing new', async () => {
    const before = await new SFNClient(client()).send(new ListExecutionsCommand({ stateMachineArn }));
    const again = await send(firstDelivery);
    expect([200, 202]).toContain(again.status);
    expect(again.body.executionArn).toBe(firstArn);
    const after = await new SFNClient(client()).send(new ListExecutionsCommand({ stateMachineArn }));
    expect(after.executions).toHaveLength(before.executions!.length);
    const cli = await awsCli(endpoint, [
      'stepfunctions',
      'list-executions',
      '--state-machine-arn',
      stateMachineArn,
    ]);
    expect((cli.executions as unknown[]).length).toBe(before.executions!.length);
  }, 60000);

  it('rolls a failing rollout back in staging and leaves production untouched', async () => {
    const bad = await pushImage({ 'org.shipgate.sandbox.rollout': 'fail' });
    const started = await send(delivery(bad.sha, 7002));
    expect(started.status).toBe(202);
    await approve(started.body.executionArn!, 'staging', 1);
    const done = await settled(started.body.executionArn!);
    expect(done.status).toBe('FAILED');
    expect(`${done.error} ${done.cause}`).toMatch(/Rollout|rolled back|circuit breaker/i);
    const states = await enteredStates(started.body.executionArn!);
    expect(states).toContain('Deploy staging');
    expect(states).not.toContain('Approve production');
    expect(await runningImage('staging')).toMatch(new RegExp(`@${good.digest}$`));
    expect(await runningImage('production')).toMatch(new RegExp(`@${good.digest}$`));
    const text = await chatMessage(
      `Failed in staging, rolled back: root/inventory-app ${bad.sha.slice(0, 8)}`,
    );
    expect(text).toMatch(/RolloutFailed: /);
    expect(text).toContain('Rolled back: inventory-app');
  }, 120000);

  it('rolls an unhealthy release back itself when Verify fails after the rollout completed', async () => {
    const sick = await pushImage({ 'org.shipgate.sandbox.rollout': 'unhealthy' });
    const started = await send(delivery(sick.sha, 7006));
    await approve(started.body.executionArn!, 'staging', 1);
    const done = await settled(started.body.executionArn!);
    expect(done.status).toBe('FAILED');
    expect(`${done.error} ${done.cause}`).toMatch(/Verify/);
    const states = await enteredStates(started.body.executionArn!);
    expect(states).toEqual(expect.arrayContaining(['Verify staging', 'Roll back staging']));
    expect(await runningImage('staging')).toMatch(new RegExp(`@${good.digest}$`));
    const readyz = await fetch(`${url}/_sandbox/services/staging/inventory-app/readyz`);
    expect(readyz.status).toBe(200);
    const text = await chatMessage(
      `Failed in staging, rolled back: root/inventory-app ${sick.sha.slice(0, 8)}`,
    );
    expect(text).toContain('VerifyFailed: ');
  }, 120000);

  it('takes billing-app to production as a CANARY: the service deployment passes its stages, bake scaled', async () => {
    const image = await pushImage({}, 'billing-app');
    const started = await send(delivery(image.sha, 7010, { id: 12, path: 'root/billing-app' }));
    expect(started.status).toBe(202);
    const arn = started.body.executionArn!;
    await approve(arn, 'staging', 1);
    await approve(arn, 'production', 2);
    const done = await settled(arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(await runningImage('production', 'billing-app')).toMatch(
      new RegExp(`/billing-app@${image.digest}$`),
    );
    const list = await awsCli(
      endpoint,
      ['ecs', 'list-service-deployments', '--cluster', 'shipgate-production', '--service', 'billing-app'],
      environmentCredentials('production'),
    );
    const newest = (list.serviceDeployments as { serviceDeploymentArn: string; status: string }[])[0];
    expect(newest.status).toBe('SUCCESSFUL');
    const described = await awsCli(
      endpoint,
      ['ecs', 'describe-service-deployments', '--service-deployment-arns', newest.serviceDeploymentArn],
      environmentCredentials('production'),
    );
    const sd = (described.serviceDeployments as Record<string, unknown>[])[0];
    expect(sd).toMatchObject({
      lifecycleStage: 'CLEAN_UP',
      targetServiceRevision: { requestedProductionTrafficWeight: 100 },
      deploymentConfiguration: {
        strategy: 'CANARY',
        bakeTimeInMinutes: 5,
        canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
        lifecycleHooks: [expect.objectContaining({ lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] })],
      },
    });
    // 5 canary-bake + 5 bake minutes at SHIPGATE_SANDBOX_PHASE_MS (150 ms) each.
    const ms = (v: unknown) => (typeof v === 'number' ? v * 1000 : Date.parse(String(v)));
    const seconds = (ms(sd.finishedAt) - ms(sd.startedAt)) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(1);
    const h = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }),
    );
    const entered = h.events!.filter((e) => e.stateEnteredEventDetails).length;
    // The state-transition count of a CANARY release (in the engineer's note): 15 states entered, as for
    // ROLLING — the canary's stages run inside ECS, not as extra Step Functions transitions.
    expect(entered).toBe(15);
  }, 180000);

  it('deploys a CodeDeploy blue/green service through the emulated CodeDeploy', async () => {
    const image = await pushImage({}, 'api-gateway');
    const started = await send(delivery(image.sha, 7007, { id: 11, path: 'root/api-gateway' }));
    expect(started.status).toBe(202);
    await approve(started.body.executionArn!, 'staging', 1);
    await waitFor('the staging rollout', async () =>
      (await enteredStates(started.body.executionArn!)).includes('Approve production') ? true : undefined,
    );
    expect(await runningImage('staging', 'api-gateway')).toMatch(new RegExp(`/api-gateway@${image.digest}$`));
    const svc = await awsCli(endpoint, [
      'ecs',
      'describe-services',
      '--cluster',
      'shipgate-staging',
      '--services',
      'api-gateway',
    ]);
    expect((svc.services as { deploymentController: { type: string } }[])[0].deploymentController.type).toBe(
      'CODE_DEPLOY',
    );
    // Not going to production here: stop it the way an operator would.
    await new SFNClient(client()).send(
      new StopExecutionCommand({
        executionArn: started.body.executionArn!,
        error: 'Test.Done',
        cause: 'staging only',
      }),
    );
    expect((await settled(started.body.executionArn!)).status).toBe('ABORTED');
    // Stopped without its own "Report failure": the status-change event records and announces it.
    const text = await chatMessage(`Aborted in production: root/api-gateway ${image.sha.slice(0, 8)}`);
    expect(text).toContain('The execution was stopped in "Approve production": staging only.');
    const record = await waitFor('the release record to say ABORTED', async () => {
      const body = (await (await fetch(`${url}/api/releases/${started.body.release}`)).json()) as {
        status: string;
        environments: { name: string; status: string }[];
      };
      return body.status === 'ABORTED' ? body : undefined;
    });
    expect(record.environments.map((e) => `${e.name}:${e.status}`)).toEqual([
      'staging:DEPLOYED',
      'production:ABORTED',
    ]);
  }, 120000);

  it('stops a release with a CRITICAL finding at Scan, before any approval is asked', async () => {
    const vulnerable = await pushImage({ 'org.shipgate.sandbox.findings': '{"CRITICAL":1}' });
    const started = await send(delivery(vulnerable.sha, 7003));
    expect(started.status).toBe(202);
    const done = await settled(started.body.executionArn!);
    expect(done.status).toBe('FAILED');
    const states = await enteredStates(started.body.executionArn!);
    expect(states).toContain('Scan');
    expect(states).not.toContain('Approve staging');
    expect(`${done.error} ${done.cause}`).toMatch(/CRITICAL|Scan/);
    const text = await chatMessage(
      `Stopped at the scan gate: root/inventory-app ${vulnerable.sha.slice(0, 8)}`,
    );
    expect(text).toContain('Findings over the policy: CRITICAL 1');
  }, 90000);

  it('rolls production back by hand with `shipgate rollback` (only PORT set): recorded, announced, marked on the release', async () => {
    const next = await pushImage();
    const started = await send(delivery(next.sha, 7008));
    expect(started.status).toBe(202);
    await approve(started.body.executionArn!, 'staging', 1);
    await approve(started.body.executionArn!, 'production', 2);
    expect((await settled(started.body.executionArn!)).status).toBe('SUCCEEDED');
    expect(await runningImage('production')).toMatch(new RegExp(`@${next.digest}$`));

    let out = '';
    let err = '';
    const code = await rollbackCli(['inventory-app', 'production', '--reason', 'p99 latency doubled.'], {
      env: { PORT: new URL(url).port },
      who: 'ada',
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
    });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain(`ada asked to roll "inventory-app" in "production" back from ${next.digest}`);
    expect(out).toContain(`Rolled back "inventory-app" in "production": now ${good.digest}`);
    expect(out).not.toMatch(/^\{/m); // human lines, no JSON log lines
    expect(await runningImage('production')).toMatch(new RegExp(`@${good.digest}$`));

    type Undone = {
      environments: { name: string; status: string; detail?: string }[];
      rollbacks: { by: string; reason: string; from: { digest: string }; to: { digest: string } }[];
    };
    // The rollback is ROLLED_BACK (what the CLI waits for) a moment before the undone release is marked.
    const undone = await waitFor('the undone release to be marked', async () => {
      const r = (await (await fetch(`${url}/api/releases/${started.body.release}`)).json()) as Undone;
      return r.rollbacks?.length ? r : undefined;
    });
    expect(undone.environments.find((e) => e.name === 'production')).toMatchObject({
      status: 'ROLLED_BACK',
      detail: expect.stringContaining('inventory-app rolled back by ada'),
    });
    expect(undone.rollbacks).toEqual([
      expect.objectContaining({
        by: 'ada',
        reason: 'p99 latency doubled.',
        from: expect.objectContaining({ digest: next.digest }),
        to: expect.objectContaining({ digest: good.digest }),
      }),
    ]);
    const text = await chatMessage('Rolled back inventory-app in production by hand');
    expect(text).toContain(`ada rolled inventory-app back from ${next.digest}`);
    expect(text).toContain('Reason: p99 latency doubled.');
  }, 150000);

  it('files a chat message once: the inbox never forwards to itself', async () => {
    const before = (await (await fetch(`${url}/_sandbox/api/chat`)).json()) as { messages: unknown[] };
    const text = `inbox check ${randomBytes(4).toString('hex')}`;
    const posted = await fetch(`${url}/_sandbox/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(posted.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const after = (await (await fetch(`${url}/_sandbox/api/chat`)).json()) as {
      messages: { text: string }[];
    };
    expect(after.messages.filter((m) => m.text === text)).toHaveLength(1);
    // Messages about Shipgate itself (an alarm changing state, issue 31) may arrive at any time: not counted.
    const releaseMessages = (messages: unknown[]) =>
      messages.filter((m) => !(m as { text: string }).text.includes('Shipgate itself')).length;
    expect(releaseMessages(after.messages)).toBe(Math.min(releaseMessages(before.messages) + 1, 300));
  });

  it('survives a restart in the middle: state is kept and the interrupted execution shows ABORTED with the reason', async () => {
    const image = await pushImage();
    const started = await send(delivery(image.sha, 7004));
    const arn = started.body.executionArn!;
    await waitFor('Approve staging to open', async () =>
      (await enteredStates(arn)).includes('Approve staging') ? true : undefined,
    );
    const before = await new SFNClient(client()).send(new ListExecutionsCommand({ stateMachineArn }));

    expect(await sandbox.stop('SIGKILL')).toBeNull();
    await sandbox.start();
    expect(sandbox.output).toMatch(/Aborted\s+1 execution/);

    const interrupted = await new SFNClient(client()).send(
      new DescribeExecutionCommand({ executionArn: arn }),
    );
    expect(interrupted.status).toBe('ABORTED');
    expect(interrupted.cause).toMatch(/sandbox stopped.*"Approve staging"/);
    const after = await new SFNClient(client()).send(new ListExecutionsCommand({ stateMachineArn }));
    expect(after.executions!.map((e) => [e.name, e.status === 'RUNNING' ? 'ABORTED' : e.status])).toEqual(
      before.executions!.map((e) => [e.name, e.status === 'RUNNING' ? 'ABORTED' : e.status]),
    );
    expect(await runningImage('production')).toMatch(new RegExp(`@${good.digest}$`));
    const first = await new SFNClient(client()).send(
      new DescribeExecutionCommand({ executionArn: firstArn }),
    );
    expect(first.status).toBe('SUCCEEDED');
    // The release record says so too (GET /api/releases reads the store, not Step Functions).
    const { releases } = (await (await fetch(`${url}/api/releases?limit=100`)).json()) as {
      releases: { id: string; status: string }[];
    };
    expect(releases.find((r) => r.id === started.body.release)?.status).toBe('ABORTED');

    // A clean stop records the reason too.
    const image2 = await pushImage();
    const second = await send(delivery(image2.sha, 7005));
    await waitFor('Approve staging to open', async () =>
      (await enteredStates(second.body.executionArn!)).includes('Approve staging') ? true : undefined,
    );
    const code = await sandbox.stop('SIGTERM');
    expect({ code, output: code === 0 ? '' : sandbox.output.slice(-3000) }).toEqual({ code: 0, output: '' });
    await sandbox.start();
    const stopped = await new SFNClient(client()).send(
      new DescribeExecutionCommand({ executionArn: second.body.executionArn! }),
    );
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Sandbox.Interrupted' });
    expect(stopped.cause).toMatch(/stopped \(SIGTERM\)/);
  }, 180000);

  // docs/architecture.md, "Who owns each ECS service setting": the other side of
  // test/unit/terraform/ecs-ownership.test.ts, on what the bundles really sent over this file's releases.
  it('sends UpdateService only with the fields Shipgate owns, which Terraform ignores or does not manage', async () => {
    expect(existsSync(requestLog)).toBe(true);
    const updates = readFileSync(requestLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            eventSource: string;
            eventName: string;
            userAgent: string;
            requestParameters: Record<string, unknown>;
          },
      )
      .filter(
        (e) => e.eventSource === 'AmazonEC2ContainerServiceV20141113' && e.eventName === 'UpdateService',
      );
    // Only Shipgate's bundles (AWS SDK for JavaScript) call UpdateService here; nothing else in this file does.
    expect(updates.filter((u) => !/aws-sdk-js/.test(u.userAgent))).toEqual([]);
    const requests = updates.map((u) => u.requestParameters);
    const strategies = requests.map(
      (r) => (r.deploymentConfiguration as { strategy?: string } | undefined)?.strategy ?? '(none)',
    );
    // Rollouts of ROLLING services and billing-app's CANARY to production, Shipgate's rollback after a failed
    // Verify and the manual rollback are all among them.
    expect(strategies).toContain('CANARY');
    expect(strategies).toContain('ROLLING');
    const perService = new Map<string, number>();
    for (const r of requests) perService.set(String(r.service), (perService.get(String(r.service)) ?? 0) + 1);
    expect(perService.get('inventory-app')).toBeGreaterThanOrEqual(4);
    expect([...new Set(requests.flatMap((r) => requestFields(r)))].sort()).toEqual(
      expect.arrayContaining(['cluster', 'deploymentConfiguration.strategy', 'service', 'taskDefinition']),
    );
    expect(requestViolations(requests, await readTerraformEcsServices())).toEqual([]);
  });
});
