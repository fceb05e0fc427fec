import { getLedgerEntry, getLedgerHead } from '../../../lambdas/domain/ledger/store';
import { getQuarantine } from '../../../lambdas/domain/ledger/quarantine';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import { announceDeps } from '../../../lambdas/domain/outcomes/announce';
import { createRelease, getRelease } from '../../../lambdas/domain/releases/store';
import {
  requestManualRollback,
  runManualRollback,
  type ManualRollbackDeps,
} from '../../../lambdas/domain/rollback/manual';
import { getRollback } from '../../../lambdas/domain/rollback/store';
import { acquireLock, readLock } from '../../../lambdas/domain/rollout/lock';
import { getDeployed, recordDeployed } from '../../../lambdas/domain/rollout/records';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { pipelineRelease } from '../../helpers/release';
import { contractFor, digest, REGISTRY, startWorld, type World } from './harness';

const EXECUTIONS = 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release';

const release = (id: string, n: number) =>
  pipelineRelease({
    id,
    project: { id: 7, path: 'shop/storefront' },
    pipeline: 800 + n,
    commit: { sha: `${String(n).repeat(8)}${'0'.repeat(32)}`, title: `Change ${n}` },
    by: 'erin',
    createdAt: `2026-11-2${n}T10:00:00.000Z`,
  });

describe('manual rollback, a recorded action', () => {
  let world: World;
  let gitlab: FakeGitlab;
  let chat: { text: string }[];
  let deps: ManualRollbackDeps;

  beforeEach(async () => {
    world = await startWorld();
    gitlab = await startFakeGitlab();
    chat = [];
    world.publish('production', contractFor('production', 'storefront'));
    const current = world.addService(
      'shop-production',
      'storefront',
      `${REGISTRY}/storefront@${digest('b')}`,
    );
    const tables = { ddb: world.deps.ddb, table: world.deps.table };
    for (const [r, n, c, td] of [
      ['r1', 1, 'a', 'td:r1'],
      ['r2', 2, 'b', current],
    ] as const) {
      await createRelease({ release: release(r, n), executionArn: `${EXECUTIONS}:${r}` }, tables);
      await recordDeployed(
        'production',
        'storefront',
        {
          releaseId: r,
          createdAt: release(r, n).createdAt,
          digest: digest(c),
          imageUri: `${REGISTRY}/storefront@${digest(c)}`,
          taskDefinitionArn: td,
          deployedAt: release(r, n).createdAt,
          verifiedAt: release(r, n).createdAt,
        },
        world.deps,
      );
    }
    deps = {
      rollout: world.deps,
      announce: announceDeps({
        config: world.deps.config,
        ddb: world.deps.ddb,
        table: world.deps.table,
        now: world.deps.now,
        getSecret: async (name) => (name === 'chatWebhookUrl' ? 'https://chat.example.test/hook' : undefined),
        fetch: (async (_url: string, init: { body: string }) => {
          chat.push(JSON.parse(init.body) as { text: string });
          return new Response('ok');
        }) as unknown as typeof fetch,
        env: { SHIPGATE_PUBLIC_URL: 'https://shipgate.example.test' },
      }),
      feedback: {
        api: gitlabClient({ url: gitlab.url, token: gitlab.token }, 500),
        retry: { attempts: 1, timeoutMs: 500, backoffMs: 10 },
      },
    };
  });
  afterEach(async () => {
    await gitlab.stop();
    await world.close();
  });

  test('records who, when, from, to and why; marks the undone release; tells chat and GitLab', async () => {
    world.onSleep = () => world.complete('shop-production', 'storefront');
    const requested = await requestManualRollback(
      { service: 'storefront', environment: 'production', by: 'ada', reason: 'p99 latency doubled.' },
      deps,
    );
    expect(requested).toMatchObject({
      status: 'REQUESTED',
      by: 'ada',
      reason: 'p99 latency doubled.',
      from: { digest: digest('b'), releaseId: 'r2' },
      to: { digest: digest('a'), releaseId: 'r1' },
    });
    const done = await runManualRollback(requested.id, deps);
    expect(done).toMatchObject({ status: 'ROLLED_BACK', notified: { chat: 'sent', gitlab: true } });
    expect(done.progress.at(-1)).toContain(`Rolled back "storefront" in "production": now ${digest('a')}`);
    expect(await getRollback(requested.id, world.deps)).toMatchObject({ status: 'ROLLED_BACK' });

    const undone = await getRelease('r2', world.deps);
    expect(undone?.environments.production).toMatchObject({
      status: 'ROLLED_BACK',
      detail: expect.stringContaining(`storefront rolled back by ada at`),
    });
    expect(undone?.environments.production.detail).toContain(
      `to ${digest('a')} (release r1): p99 latency doubled.`,
    );
    expect(undone?.rollbacks).toEqual([
      expect.objectContaining({
        id: requested.id,
        by: 'ada',
        environment: 'production',
        service: 'storefront',
      }),
    ]);

    // Ledger (issue 20): a rolled-back-by-hand entry, and the digest taken out is quarantined.
    const entry = await getLedgerEntry(`rollback#${requested.id}#production#storefront`, world.deps);
    expect(entry).toMatchObject({
      kind: 'rollback',
      id: `rollback#${requested.id}#production#storefront`,
      outcome: 'rolled-back-by-hand',
      rolledBackReleaseId: 'r2',
      rolledBackDigest: digest('b'),
      restored: { releaseId: 'r1', digest: digest('a') },
      by: 'ada',
      reason: 'p99 latency doubled.',
      detectedAt: requested.requestedAt,
    });
    expect(await getQuarantine('storefront', digest('b'), world.deps)).toMatchObject({
      status: 'quarantined',
      rollbacks: [expect.objectContaining({ outcome: 'rolled-back-by-hand', by: 'ada', releaseId: 'r2' })],
    });
    expect(await getLedgerHead('production', 'storefront', world.deps)).toMatchObject({ releaseId: 'r1' });

    expect(chat).toHaveLength(1);
    expect(chat[0].text).toContain('Rolled back storefront in production by hand: shop/storefront 22222222');
    expect(chat[0].text).toContain(
      `ada rolled storefront back from ${digest('b')} (release r2) to ${digest('a')} (release r1)`,
    );
    expect(chat[0].text).toContain('Reason: p99 latency doubled.');
    expect(chat[0].text).toContain('Release: https://shipgate.example.test/api/releases/r2');

    expect(gitlab.deployments).toEqual([
      expect.objectContaining({
        project_id: 7,
        sha: release('r1', 1).commit.sha,
        status: 'success',
        environment: { name: 'production' },
      }),
    ]);
    expect(await readLock('production', 'storefront', world.deps)).toBeUndefined();
    expect((await getDeployed('production', 'storefront', world.deps))!.history[0].releaseId).toBe('r1');
  });

  test('a held rollout lock refuses the request and nothing is recorded or deployed', async () => {
    await acquireLock('production', 'storefront', 'r3', undefined, world.deps);
    await expect(
      requestManualRollback({ service: 'storefront', environment: 'production', by: 'ada' }, deps),
    ).rejects.toMatchObject({ name: 'RolloutLocked', message: expect.stringContaining('by release r3') });
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect((await getRelease('r2', world.deps))?.environments.production).toBeUndefined();
  });

  test('a rollback ECS undoes is recorded FAILED and announced; the release keeps its state', async () => {
    world.onSleep = () => world.failAndRollBack('shop-production', 'storefront', 'tasks failed to start');
    const requested = await requestManualRollback(
      { service: 'storefront', environment: 'production', by: 'ada', reason: 'bad deploy' },
      deps,
    );
    const done = await runManualRollback(requested.id, deps);
    expect(done).toMatchObject({ status: 'FAILED', error: { error: 'RollbackFailed' } });
    expect(chat[0].text).toContain('Manual rollback of storefront in production failed');
    expect(chat[0].text).toContain('tasks failed to start');
    expect((await getRelease('r2', world.deps))?.environments.production).toBeUndefined();
    await expect(runManualRollback(requested.id, deps)).rejects.toMatchObject({ status: 409 });
  });
});
