import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { mockClient } from 'aws-sdk-client-mock';
import { recordRelease } from '../../../lambdas/steps/record-release';
import {
  failurePatch,
  readableCause,
  reportFailure,
  timedOutApproval,
} from '../../../lambdas/steps/report-failure';
import { testConfig, testImages, testRelease } from '../../helpers/local-workflow';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const now = () => new Date('2026-01-02T05:00:00.000Z');
const deps = { ddb, table: 'shipgate-test', now };
const input = testRelease();

const approval = (by: string[]) => ({ approvalId: 'a1', approvedBy: by, decidedAt: '2026-01-02T03:30:00Z' });
const verify = { passed: true, checks: [{ service: 'web' }, { service: 'orders' }, { service: 'billing' }] };

/** The document at "Record release" after a full run. */
const finished = () => ({
  ...input,
  resolved: { images: testImages() },
  scan: { passed: true, text: 'ok' },
  approvals: { staging: approval(['ann']), production: approval(['ann', 'ben']) },
  deployments: { staging: [], production: [] },
  verify: { staging: verify, production: verify },
  freeze: { frozen: false },
});

const sentUpdate = () => ddbMock.commandCalls(UpdateCommand)[0].args[0].input;

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(UpdateCommand).resolves({ Attributes: { id: input.release.id, status: 'SUCCEEDED' } });
  // No rollout lock held by default: each conditional delete fails its condition.
  ddbMock
    .on(DeleteCommand)
    .rejects(new ConditionalCheckFailedException({ message: 'condition', $metadata: {} }));
});

describe('Record release', () => {
  it('marks the release SUCCEEDED with each environment deployed, its digests, approvers and checks', async () => {
    const out = await recordRelease(finished(), deps);
    expect(out).toEqual({ recordedAt: '2026-01-02T05:00:00.000Z', recorded: true });
    const update = sentUpdate();
    expect(update.Key).toEqual({ pk: `RELEASE#${input.release.id}`, sk: 'RELEASE' });
    expect(update.ConditionExpression).toContain('#status IN (:if0)');
    const values = update.ExpressionAttributeValues as Record<string, unknown>;
    expect(values[':status']).toBe('SUCCEEDED');
    expect(values[':if0']).toBe('RUNNING');
    expect(Object.values(values)).toContainEqual({
      status: 'DEPLOYED',
      digests: {
        web: testImages()[0].digest,
        orders: testImages()[1].digest,
        billing: testImages()[2].digest,
      },
      at: '2026-01-02T05:00:00.000Z',
      detail: 'approved by ann, ben; 3 smoke checks passed',
    });
  });

  it('leaves a release that was superseded meanwhile as it is', async () => {
    ddbMock
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'condition', $metadata: {} }));
    ddbMock.on(GetCommand).resolves({ Item: { id: input.release.id, status: 'SUPERSEDED' } });
    await expect(recordRelease(finished(), deps)).resolves.toMatchObject({ recorded: false });
  });

  it('rejects a document without a valid release, naming the path', async () => {
    await expect(recordRelease({ release: { id: '' } }, deps)).rejects.toThrow(
      /Record release input is invalid:\nrelease\./,
    );
  });
});

describe('Report failure', () => {
  it('records FAILED with the error, a readable cause, the rolled-back environment and the skipped ones', async () => {
    const doc = {
      ...input,
      resolved: { images: testImages() },
      scan: { passed: true },
      approvals: { staging: approval(['ann']) },
      rollback: { rolledBack: [{ service: 'orders', from: 'orders:2', to: 'orders:1' }] },
      error: {
        Error: 'RolloutFailed',
        Cause: JSON.stringify({
          errorType: 'RolloutFailed',
          errorMessage: 'orders: deployment failed, ECS rolled back to orders:1',
          trace: ['RolloutFailed: …', '    at secret/internal/path.js:1'],
        }),
      },
    };
    const out = await reportFailure(doc, deps);
    expect(out).toEqual({ reportedAt: '2026-01-02T05:00:00.000Z', recorded: true, locksReleased: [] });
    const values = sentUpdate().ExpressionAttributeValues as Record<string, unknown>;
    expect(values[':status']).toBe('FAILED');
    expect(values[':error']).toEqual({
      error: 'RolloutFailed',
      cause: 'orders: deployment failed, ECS rolled back to orders:1',
    });
    expect(JSON.stringify(values)).not.toContain('internal/path.js');
    expect(Object.values(values)).toContainEqual(
      expect.objectContaining({
        status: 'ROLLED_BACK',
        detail: 'RolloutFailed; rolled back orders to orders:1',
      }),
    );
    expect(Object.values(values)).toContainEqual({ status: 'SKIPPED', at: '2026-01-02T05:00:00.000Z' });
  });

  it('keeps staging DEPLOYED when production fails, and says why production failed', () => {
    const patch = failurePatch(
      {
        ...input,
        scan: { passed: true },
        resolved: { images: testImages() },
        approvals: { staging: approval(['ann']) },
        verify: { staging: verify },
        error: { Error: 'States.Timeout', Cause: '' },
      } as never,
      now(),
    );
    expect(patch.environments!.staging.status).toBe('DEPLOYED');
    expect(patch.environments!.production).toEqual({
      status: 'FAILED',
      at: now().toISOString(),
      detail: 'timed out',
    });
  });

  it('marks an environment REJECTED when its approval was rejected, and every environment SKIPPED after a failed scan', () => {
    const rejected = failurePatch(
      {
        ...input,
        scan: { passed: true },
        error: { Error: 'ApprovalRejected', Cause: 'Ben: wrong build' },
      } as never,
      now(),
    );
    expect(rejected.environments!.staging.status).toBe('REJECTED');
    expect(rejected.environments!.production.status).toBe('SKIPPED');
    const scanFailed = failurePatch(
      { ...input, error: { Error: 'ScanGateFailed', Cause: '2 CRITICAL' } } as never,
      now(),
    );
    expect(Object.values(scanFailed.environments!).map((e) => e.status)).toEqual(['SKIPPED', 'SKIPPED']);
    expect(scanFailed.error).toEqual({ error: 'ScanGateFailed', cause: '2 CRITICAL' });
  });

  it('records a superseded release as SUPERSEDED', () => {
    const patch = failurePatch(
      { ...input, scan: { passed: true }, error: { Error: 'ApprovalSuperseded' } } as never,
      now(),
    );
    expect(patch.status).toBe('SUPERSEDED');
    expect(patch.environments!.staging).toMatchObject({
      status: 'FAILED',
      detail: 'superseded by a newer release',
    });
  });

  it('records a release refused for deploying over a newer one as SUPERSEDED, not FAILED', () => {
    const patch = failurePatch(
      {
        ...input,
        scan: { passed: true },
        approvals: { staging: { approved: true } },
        error: { Error: 'ReleaseSuperseded', Cause: 'already runs release r-newer' },
      } as never,
      now(),
    );
    expect(patch.status).toBe('SUPERSEDED');
    expect(patch.error).toEqual({ error: 'ReleaseSuperseded', cause: 'already runs release r-newer' });
    expect(patch.environments!.staging).toMatchObject({
      status: 'FAILED',
      detail: 'a newer release already runs here',
    });
    expect(patch.environments!.production.status).toBe('SKIPPED');
  });

  it('closes the approval request whose wait timed out', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    const doc = {
      ...input,
      scan: { passed: true },
      error: { Error: 'ApprovalExpired', Cause: 'No decision' },
    };
    expect(timedOutApproval(doc as never)).toBe('staging');
    // executions started before the "Approval of <env> expired" state fail with a bare States.Timeout
    expect(timedOutApproval({ ...doc, error: { Error: 'States.Timeout' } } as never)).toBe('staging');
    expect(failurePatch(doc as never, now()).environments!.staging).toMatchObject({
      status: 'FAILED',
      detail: 'approval expired (nobody decided in time)',
    });
    const approvals = () =>
      approvalDeps({
        ddb,
        sfn: new SFNClient({}),
        table: 'shipgate-test',
        config: testConfig(),
        now,
        env: {},
      });
    await reportFailure(doc, { ...deps, approvals });
    // It looks up the project's pending approvals to close this release's open one.
    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'gsi1',
      ExpressionAttributeValues: { ':p': expect.stringContaining('7') },
    });
    // A timeout elsewhere (a rollout) leaves approvals alone.
    expect(timedOutApproval({ ...doc, approvals: { staging: approval(['ann']) } } as never)).toBeUndefined();
  });

  it('releases the rollout locks the failed release still holds, and only its own', async () => {
    // GIVEN the release still holds the staging lock of "orders" (its execution failed mid-rollout)
    ddbMock.on(DeleteCommand, { Key: { pk: 'LOCK#staging#orders', sk: 'LOCK' } }).resolves({});
    const doc = {
      ...input,
      scan: { passed: true },
      error: { Error: 'RolloutFailed', Cause: 'orders failed' },
    };
    const out = await reportFailure(doc, deps);

    expect(out.locksReleased).toEqual([{ environment: 'staging', service: 'orders' }]);
    // Every (environment, service) of the release is tried, each delete conditional on this release owning it.
    const deletes = ddbMock.commandCalls(DeleteCommand).map((c) => c.args[0].input);
    expect(deletes.map((d) => d.Key!.pk).sort()).toEqual(
      ['staging', 'production']
        .flatMap((e) => ['web', 'orders', 'billing'].map((s) => `LOCK#${e}#${s}`))
        .sort(),
    );
    for (const d of deletes) {
      expect(d).toMatchObject({
        TableName: 'shipgate-test',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeValues: { ':owner': input.release.id },
      });
    }
  });

  it('still reports the failure when releasing the locks fails (the lease frees them later)', async () => {
    ddbMock
      .on(DeleteCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const doc = {
      ...input,
      scan: { passed: true },
      error: { Error: 'RolloutFailed', Cause: 'orders failed' },
    };
    await expect(reportFailure(doc, deps)).resolves.toEqual({
      reportedAt: '2026-01-02T05:00:00.000Z',
      recorded: true,
      locksReleased: [],
    });
    expect(sentUpdate().ExpressionAttributeValues).toMatchObject({ ':status': 'FAILED' });
  });

  it('keeps plain causes as they are', () => {
    expect(readableCause('staging is frozen')).toBe('staging is frozen');
    expect(readableCause(undefined)).toBeUndefined();
  });
});
