import { randomBytes } from 'node:crypto';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox } from './sandbox-process';
import { credentials, tempDir, waitFor } from './support';

/**
 * Two releases of one service racing for one environment, in the sandbox (`shipgate dev`, which runs the
 * built Lambda bundles). The second to be approved meets the rollout lock: "Start rollout staging" fails
 * with `RolloutLocked`, as the start-rollout bundle names it, the state machine's `Retry` on that name
 * matches, and the release deploys once the first has settled. Before error names were explicit, the
 * minified bundle sent a renamed class (`wo`), the Retry never matched and the second release failed at once.
 */
describe('sandbox: releases racing for the same service and environment', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  beforeAll(async () => {
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, {
      env: {
        // Rollouts long enough (two phases of 2.5 s) for the second release to arrive while the first holds the lock.
        SHIPGATE_SANDBOX_PHASE_MS: '2500',
      },
    }));
    await sandbox.start();
  }, 90000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  async function release(pipelineId: number, finishedAt: string) {
    const sha = randomBytes(20).toString('hex');
    const put = await new ECRClient(client()).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha, {}),
      }),
    );
    const payload = pipelinePayload({ id: pipelineId, sha, finished_at: finishedAt });
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(gitlabDelivery(payload, { token })));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { executionArn: string };
    return { digest: put.image!.imageId!.imageDigest!, executionArn: body.executionArn };
  }

  async function approveStaging(executionArn: string): Promise<void> {
    const pending = await waitFor('the staging approval link', async () => {
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
        (a) => a.executionArn === executionArn && a.environment === 'staging' && a.reviewUrl,
      );
    });
    expect(await decideAs(pending.reviewUrl!, pending.approvers[0].approver, 'approve', 'ship it')).toBe(200);
  }

  const history = async (executionArn: string) =>
    (await new SFNClient(client()).send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 })))
      .events!;

  async function stagingImage(): Promise<string> {
    const ecs = new ECSClient(client());
    const svc = (
      await ecs.send(
        new DescribeServicesCommand({ cluster: 'shipgate-staging', services: ['inventory-app'] }),
      )
    ).services![0];
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
    return td.taskDefinition!.containerDefinitions![0].image!;
  }

  it('queues the second behind the lock (Retry on RolloutLocked) and then deploys it', async () => {
    const first = await release(7201, '2026-12-01 10:00:00 UTC');
    await approveStaging(first.executionArn);
    // The first holds the lock once its rollout started.
    await waitFor('the first rollout to start', async () =>
      (await history(first.executionArn)).some(
        (e) => e.stateEnteredEventDetails?.name === 'Start rollout staging',
      )
        ? true
        : undefined,
    );
    const second = await release(7202, '2026-12-01 10:05:00 UTC');
    await approveStaging(second.executionArn);

    // The second met the lock: the failure Step Functions saw is named exactly RolloutLocked…
    await waitFor(
      'the second release to meet the lock',
      async () =>
        (await history(second.executionArn)).some((e) => e.taskFailedEventDetails?.error === 'RolloutLocked')
          ? true
          : undefined,
      30000,
    );
    // …and the Retry matched it: the second waits for production approval after deploying staging.
    await waitFor(
      'the second release to deploy staging after the first',
      async () => {
        const d = await new SFNClient(client()).send(
          new DescribeExecutionCommand({ executionArn: second.executionArn }),
        );
        if (d.status !== 'RUNNING')
          throw new Error(`second release ended ${d.status}: ${d.error} ${d.cause}`);
        return (await history(second.executionArn)).some(
          (e) => e.stateEnteredEventDetails?.name === 'Approve production',
        )
          ? true
          : undefined;
      },
      100000,
    );
    const events = await history(second.executionArn);
    const startsOfStaging = events.filter(
      (e) => e.stateEnteredEventDetails?.name === 'Start rollout staging',
    );
    expect(startsOfStaging.length).toBe(1); // one state entered; the retries are within it
    expect(events.filter((e) => e.taskFailedEventDetails?.error === 'RolloutLocked').length).toBeGreaterThan(
      0,
    );
    expect(await stagingImage()).toMatch(new RegExp(`@${second.digest}$`));
    const firstNow = await new SFNClient(client()).send(
      new DescribeExecutionCommand({ executionArn: first.executionArn }),
    );
    expect(firstNow.error ?? 'none').not.toBe('RolloutLocked');

    for (const arn of [first.executionArn, second.executionArn]) {
      await new SFNClient(client())
        .send(
          new StopExecutionCommand({ executionArn: arn, error: 'Test.Done', cause: 'racing test finished' }),
        )
        .catch(() => undefined);
    }
  }, 180000);
});
