import { mockClient } from 'aws-sdk-client-mock';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../../lambdas/shared/config';
import { announceDeps } from '../../../lambdas/domain/outcomes/announce';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { recordAfterRelease } from '../../../lambdas/domain/reconcile/after-release';
import { reconcile, type ReconcileDeps } from '../../../lambdas/domain/reconcile/reconcile';
import { createRelease, getRelease } from '../../../lambdas/domain/releases/store';
import { requestManualRollback } from '../../../lambdas/domain/rollback/request';
import { rolloutDeps, type RolloutDeps } from '../../../lambdas/domain/rollout/deps';
import { RolloutLocked } from '../../../lambdas/domain/rollout/errors';
import { acquireLock, readLock } from '../../../lambdas/domain/rollout/lock';
import { lockOwnerEnded } from '../../../lambdas/domain/rollout/lock-owner';
import { recordDeployed, putRecord } from '../../../lambdas/domain/rollout/records';
import type { RolloutRecord } from '../../../lambdas/domain/rollout/types';
import type { Release } from '../../../lambdas/shared/release';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';

/**
 * Issue 27: what ECS did is recorded when the release's execution has ended (ledger entry noted "finished
 * after the release ended", rollback entry, quarantine, release record), a lock of an ended execution is taken
 * over by a rollback and released by the reconciler, and a second reconciler run repairs nothing twice. Real
 * DynamoDB semantics (dynalite); Step Functions mocked.
 */
const config = loadConfig('shipgate.config.yaml');
const sfn = mockClient(SFNClient);
const ecs = mockClient(ECSClient);
let t: LocalTable;
let deps: RolloutDeps;
const status = new Map<string, string>();
const arn = (id: string) => `arn:aws:states:us-east-1:000000000000:execution:shipgate-release:${id}`;

beforeAll(async () => {
  t = await startLocalTable('shipgate-reconcile-test');
});
afterAll(async () => t.close());
beforeEach(() => {
  sfn.reset();
  ecs.reset();
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({
    status: status.get(input.executionArn) ?? 'RUNNING',
  }));
  deps = rolloutDeps({
    ddb: t.ddb as never,
    table: t.table,
    config,
    sfn: new SFNClient({ region: 'us-east-1' }),
    ecs: new ECSClient({ region: 'us-east-1' }),
    now: () => new Date(),
  });
});

let n = 0;
async function aRelease(): Promise<Release> {
  n++;
  const sha = `${n}`.padStart(40, 'a');
  const release: Release = {
    id: `inventory-app-p${2700 + n}-${sha.slice(0, 12)}`,
    project: { id: 11, path: 'root/inventory-app', webUrl: 'https://gitlab.example.test/root/inventory-app' },
    commit: { sha, title: 'Faster search', url: 'https://gitlab.example.test/c' },
    ref: 'main',
    tag: false,
    pipeline: { id: 2700 + n, url: 'https://gitlab.example.test/p' },
    triggeredBy: { username: 'erin', name: 'Erin', email: 'erin@example.com' },
    services: ['inventory-app'],
    environments: ['staging', 'production'],
    deliveryId: `gitlab:11:pipeline:${2700 + n}:success`,
    createdAt: new Date(Date.UTC(2026, 11, 1, 10, n)).toISOString(),
  } as Release;
  await createRelease({ release, executionArn: arn(release.id) }, { ddb: t.ddb as never, table: t.table });
  return release;
}

function rolloutRecord(release: Release, over: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    pk: `ROLLOUT#shipgate-staging#inventory-app-${release.id}`,
    sk: 'ROLLOUT',
    attempt: `att-${release.id}`,
    status: 'COMPLETED',
    releaseId: release.id,
    releaseCreatedAt: release.createdAt,
    executionArn: arn(release.id),
    environment: 'staging',
    service: 'inventory-app',
    clusterName: 'shipgate-staging',
    serviceName: `inventory-app-${release.id}`,
    strategy: 'CANARY',
    digest: `sha256:${'d'.repeat(63)}${n % 10}`,
    imageUri: 'repo@sha256:x',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/inventory-app:8',
    previousTaskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/inventory-app:7',
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    finishedAt: new Date().toISOString(),
    ...over,
  };
}

const quiet = () =>
  announceDeps({ config, ddb: t.ddb as never, table: t.table, getSecret: async () => undefined });
const entry = async (id: string) =>
  (await t.ddb.send(new GetCommand({ TableName: t.table, Key: { pk: `LEDGER#${id}`, sk: 'ENTRY' } }))).Item;

describe('recording what ECS did after the release ended', () => {
  it('records a completed rollout as deployed, "finished after the release ended", once; nothing while the execution runs', async () => {
    const release = await aRelease();
    const record = rolloutRecord(release);
    const d = { ...deps, announce: quiet() };
    expect(await recordAfterRelease(record, d)).toMatchObject({
      recorded: false,
      reason: expect.stringContaining('still runs'),
    });
    status.set(arn(release.id), 'ABORTED');
    const first = await recordAfterRelease(record, d);
    expect(first).toMatchObject({ recorded: true, result: 'deployed' });
    expect(await entry(`release#${release.id}#staging#inventory-app`)).toMatchObject({
      outcome: 'deployed',
      deployment: true,
      digest: record.digest,
      note: 'finished after the release ended',
    });
    const stored = await getRelease(release.id, { ddb: t.ddb as never, table: t.table });
    expect(stored?.environments.staging).toMatchObject({ status: 'DEPLOYED', afterRelease: true });
    const second = await recordAfterRelease(record, d);
    expect(second.recorded ? second.written : []).toEqual([]);
  });

  it('records a canary rolled back at its pause by Shipgate: rollback entry and quarantine', async () => {
    const release = await aRelease();
    status.set(arn(release.id), 'ABORTED');
    const record = rolloutRecord(release, {
      status: 'FAILED',
      failure: {
        error: 'RolloutFailed',
        cause: 'rolled back',
        rolledBackTo: 'arn:aws:ecs:us-east-1:000000000000:task-definition/inventory-app:7',
      },
      pause: {
        hookId: 'h',
        stage: 'POST_TEST_TRAFFIC_SHIFT',
        seenAt: 'x',
        decision: { action: 'ROLLBACK', by: ['Shipgate'], at: new Date().toISOString() },
      },
    });
    expect(await recordAfterRelease(record, { ...deps, announce: quiet() })).toMatchObject({
      recorded: true,
      result: 'rolled-back',
    });
    expect(await entry(`release#${release.id}#staging#inventory-app`)).toMatchObject({
      outcome: 'rolled-back-by-shipgate',
      note: 'finished after the release ended',
    });
    expect(await entry(`rollback#${release.id}#staging#inventory-app`)).toMatchObject({ kind: 'rollback' });
    const q = await t.ddb.send(
      new GetCommand({
        TableName: t.table,
        Key: { pk: `QUARANTINE#inventory-app#${record.digest}`, sk: 'QUARANTINE' },
      }),
    );
    expect(q.Item).toBeDefined();
  });
});

describe('locks of ended executions', () => {
  it('a rollback takes over a lock whose execution ended, never one whose execution runs', async () => {
    const running = await aRelease();
    await acquireLock('production', 'billing-app', running.id, arn(running.id), deps);
    const takeOver = { takeOver: (held: { executionArn?: string }) => lockOwnerEnded(held, deps) };
    await expect(
      acquireLock('production', 'billing-app', 'manual-rollback:carol:1', undefined, deps, takeOver),
    ).rejects.toBeInstanceOf(RolloutLocked);
    status.set(arn(running.id), 'TIMED_OUT');
    await acquireLock('production', 'billing-app', 'manual-rollback:carol:1', undefined, deps, takeOver);
    expect((await readLock('production', 'billing-app', deps))?.owner).toBe('manual-rollback:carol:1');
  });

  it('POST /api/rollbacks (requestManualRollback) is accepted when the lock belongs to an ended execution', async () => {
    const older = await aRelease();
    const newer = await aRelease();
    for (const r of [older, newer]) {
      await recordDeployed(
        'production',
        'inventory-app',
        {
          releaseId: r.id,
          createdAt: r.createdAt,
          digest: `sha256:${(r === older ? 'e' : 'f').repeat(64)}`,
          imageUri: `repo@${r.id}`,
          taskDefinitionArn: 'td',
          deployedAt: new Date().toISOString(),
        },
        deps,
      );
    }
    await acquireLock('production', 'inventory-app', newer.id, arn(newer.id), deps);
    const request = { service: 'inventory-app', environment: 'production', by: 'carol', reason: 'crash' };
    await expect(requestManualRollback(request, { rollout: deps })).rejects.toBeInstanceOf(RolloutLocked);
    status.set(arn(newer.id), 'ABORTED');
    await expect(requestManualRollback(request, { rollout: deps })).resolves.toMatchObject({
      status: 'REQUESTED',
    });
  });
});

describe('the reconciler', () => {
  it('releases locks of ended executions, records settled rollouts without a ledger entry, and repairs nothing twice', async () => {
    status.clear(); // earlier tests' releases run again, as far as Step Functions is concerned
    const ended = await aRelease();
    const alive = await aRelease();
    status.set(arn(ended.id), 'ABORTED');
    await acquireLock('staging', 'api-gateway', ended.id, arn(ended.id), deps);
    await acquireLock('staging', 'billing-app', alive.id, arn(alive.id), deps);
    await putRecord(rolloutRecord(ended, { pk: `ROLLOUT#shipgate-staging#inv-${ended.id}` }), deps);
    const d: ReconcileDeps = {
      ...deps,
      status: { sfn: deps.sfn, ddb: t.ddb as never, table: t.table },
      approvals: approvalDeps({
        ddb: t.ddb as never,
        table: t.table,
        config,
        sfn: deps.sfn,
        getSecret: async () => undefined,
      }),
      announce: quiet(),
    };
    // The release list is served from gsi1; both are RUNNING in the store, the ended one gets the stop path,
    // which needs the approval deps: keep its record final so only the locks and the rollout are looked at.
    await t.ddb.send(
      new PutCommand({
        TableName: t.table,
        Item: {
          ...(
            await t.ddb.send(
              new GetCommand({ TableName: t.table, Key: { pk: `RELEASE#${ended.id}`, sk: 'RELEASE' } }),
            )
          ).Item,
          status: 'ABORTED',
        },
      }),
    );
    const first = await reconcile(d);
    expect(first.errors).toEqual([]);
    expect(first.repaired).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'lock', what: 'api-gateway in staging' }),
        expect.objectContaining({ kind: 'ledger', action: 'recorded deployed from ECS' }),
      ]),
    );
    expect(await readLock('staging', 'api-gateway', deps)).toBeUndefined();
    expect((await readLock('staging', 'billing-app', deps))?.owner).toBe(alive.id);
    const second = await reconcile(d);
    expect(
      second.repaired.filter((r) => r.what.includes(ended.id) || r.what === 'api-gateway in staging'),
    ).toEqual([]);
  });
});
