import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
} from '@aws-sdk/client-sfn';
import { InvokeCommand as LambdaInvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox } from './sandbox-process';
import { credentials, tempDir, waitFor } from './support';

/**
 * Issue 31, "Done when": an upgrade in the sandbox. A release waits at "Approve production"; the sandbox is
 * upgraded to a build whose "Record release" output differs (the TEST-ONLY build mark,
 * SHIPGATE_TEST_BUILD_MARK_FILE, read at each build); the waiting release is approved and finishes with the
 * code it started with, and a release started after the upgrade runs the new code.
 */
describe('sandbox: upgrading while a release waits (issue 31)', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  const markFile = join(tmp.dir, 'build-mark');
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  beforeAll(async () => {
    // The first build carries no mark: "Record release" returns today's shape.
    writeFileSync(markFile, '');
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, {
      env: { SHIPGATE_TEST_BUILD_MARK_FILE: markFile },
    }));
    await sandbox.start(120000);
  }, 150000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  async function release(pipelineId: number): Promise<string> {
    const sha = randomBytes(20).toString('hex');
    const repositoryName = 'inventory-app';
    const manifest = demoManifest(repositoryName, sha);
    const put = await new ECRClient(client()).send(
      new PutImageCommand({ repositoryName, imageTag: sha, imageManifest: manifest }),
    );
    expect(put.image?.imageId?.imageDigest).toBe(
      `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    );
    const res = await fetch(
      `${url}/webhooks/gitlab`,
      deliveryInit(gitlabDelivery(pipelinePayload({ id: pipelineId, sha }), { token })),
    );
    expect(res.status).toBe(202);
    return ((await res.json()) as { executionArn: string }).executionArn;
  }

  async function approve(executionArn: string, environment: string, votes: number): Promise<void> {
    const pending = await waitFor(
      `approval links for ${environment}`,
      async () => {
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
      },
      60000,
    );
    for (const p of pending.approvers.filter((x) => !x.voted).slice(0, votes)) {
      expect(await decideAs(pending.reviewUrl!, p.approver, 'approve', 'looks good')).toBe(200);
    }
  }

  const describe_ = (executionArn: string) =>
    new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));

  async function settled(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    return waitFor(
      `execution ${executionArn} to finish`,
      async () => {
        const d = await describe_(executionArn);
        return d.status === 'RUNNING' ? undefined : d;
      },
      90000,
    );
  }

  /** The output of "Record release" (its `$.record`) and the function version that ran it. */
  async function recordOutput(
    executionArn: string,
  ): Promise<{ record: Record<string, unknown>; version: string }> {
    const done = await settled(executionArn);
    expect({ status: done.status, error: done.error, cause: done.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    const history = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const scheduled = history.events!.filter((e) => e.taskScheduledEventDetails);
    const recordTask = scheduled.find((e) =>
      /:function:shipgate-record-release:\d+$/.test(e.taskScheduledEventDetails!.resource ?? ''),
    );
    expect(recordTask).toBeDefined();
    const version = /:(\d+)$/.exec(recordTask!.taskScheduledEventDetails!.resource!)![1];
    return { record: (JSON.parse(done.output!) as { record: Record<string, unknown> }).record, version };
  }

  it('finishes the waiting release on its old code and runs a new release on the new code', async () => {
    // GIVEN a release waiting at "Approve production", started on the first build
    const oldArn = await release(9101);
    await approve(oldArn, 'staging', 1);
    await waitFor(
      'the release to wait at "Approve production"',
      async () => {
        const h = await new SFNClient(client()).send(
          new GetExecutionHistoryCommand({ executionArn: oldArn, maxResults: 1000 }),
        );
        return h.events!.some((e) => e.stateEnteredEventDetails?.name === 'Approve production')
          ? true
          : undefined;
      },
      60000,
    );
    const before = await describe_(oldArn);
    expect(before.stateMachineAliasArn).toMatch(/:stateMachine:shipgate-release:live$/);
    expect(before.stateMachineVersionArn).toMatch(/:stateMachine:shipgate-release:1$/);

    // WHEN the sandbox is upgraded to a build whose "Record release" output differs
    writeFileSync(markFile, 'new-build\n');
    const res = await fetch(`${url}/_sandbox/upgrade`, { method: 'POST' });
    const upgraded = (await res.json()) as {
      changed: boolean;
      functionVersion: string;
      stateMachineVersions: string[];
      runningOnOlderVersions: number;
    };
    expect(res.status).toBe(200);
    expect(upgraded).toMatchObject({ changed: true, functionVersion: '2', runningOnOlderVersions: 1 });
    expect(upgraded.stateMachineVersions).toEqual(
      expect.arrayContaining([expect.stringMatching(/:stateMachine:shipgate-release:2$/)]),
    );
    // The alias now runs the new definition, whose tasks name the new function versions.
    const live = await new SFNClient(client()).send(
      new DescribeStateMachineCommand({ stateMachineArn: `${before.stateMachineArn}:live` }),
    );
    expect(live.definition).toContain(':function:shipgate-record-release:2"');
    // Lambda Invoke accepts qualified names, as Lambda does: an unknown version is not found.
    await expect(
      new LambdaClient(client()).send(
        new LambdaInvokeCommand({ FunctionName: 'shipgate-reconcile', Qualifier: '9', Payload: '{}' }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    // AND the waiting release is approved, and a new release starts after the upgrade
    await approve(oldArn, 'production', 2);
    const newArn = await release(9102);
    await approve(newArn, 'staging', 1);
    await approve(newArn, 'production', 2);

    // THEN the old release finished on the code it started with (no build mark: the old output shape)…
    const old = await recordOutput(oldArn);
    expect(old.version).toBe('1');
    expect(Object.keys(old.record).sort()).toEqual(['recorded', 'recordedAt']);
    // …and the new one ran the new build.
    const fresh = await recordOutput(newArn);
    expect(fresh.version).toBe('2');
    expect(fresh.record).toMatchObject({ build: 'new-build', recorded: true });
    expect((await describe_(newArn)).stateMachineVersionArn).toMatch(/:shipgate-release:2$/);

    // AND a second upgrade by SIGHUP (`shipgate dev`) with nothing changed publishes nothing.
    sandbox.signal('SIGHUP');
    await waitFor(
      'the SIGHUP upgrade to report',
      async () => (sandbox.output.includes('Nothing changed: still function version 2') ? true : undefined),
      60000,
    );
  }, 300000);
});
