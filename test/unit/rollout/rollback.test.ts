import { StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { handleDeploymentEvent } from '../../../lambdas/domain/rollout/events';
import { readLock } from '../../../lambdas/domain/rollout/lock';
import { getDeployed, getRecord } from '../../../lambdas/domain/rollout/records';
import { rollbackRelease } from '../../../lambdas/domain/rollout/rollback';
import { startRollout } from '../../../lambdas/domain/rollout/start';
import type { Release } from '../../../lambdas/shared/release';
import {
  contractFor,
  digest,
  imageOf,
  makeRelease,
  REGISTRY,
  startWorld,
  testConfig,
  token,
  type World,
} from './harness';

const EXEC = 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:x';
const TD = (n: number, service = 'storefront') =>
  `arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-staging-${service}:${n}`;

async function deployAndComplete(world: World, release: Release, service: string, c: string): Promise<void> {
  const started = await startRollout(
    {
      taskToken: token(service),
      executionArn: EXEC,
      environment: 'staging',
      release,
      image: imageOf(service, c),
    },
    world.deps,
  );
  if (started.status !== 'STARTED') throw new Error(`setup: ${service} did not start`);
  world.complete('shop-staging', service);
  await handleDeploymentEvent(
    {
      source: 'aws.ecs',
      'detail-type': 'ECS Deployment State Change',
      resources: [`arn:aws:ecs:eu-west-1:000011112222:service/shop-staging/${service}`],
      detail: { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: started.deploymentId },
    },
    world.deps,
  );
}

describe('rollback (Roll back <env>)', () => {
  let world: World;
  const release = makeRelease({ services: ['storefront', 'cart'] });
  const rollbackInput = (r = release) => ({
    environment: 'staging',
    release: r,
    images: [imageOf('storefront'), imageOf('cart')],
    error: { Error: 'VerifyFailed', Cause: 'storefront: HTTP 503' },
  });

  beforeEach(async () => {
    world = await startWorld();
    for (const service of ['storefront', 'cart']) {
      world.publish('staging', contractFor('staging', service));
      world.addService('shop-staging', service, `${REGISTRY}/${service}@${digest('0')}`);
    }
  });
  afterEach(async () => world.close());

  test('verify failed after the rollouts completed: every service of the release goes back to its previous revision, and Shipgate waits for it', async () => {
    await deployAndComplete(world, release, 'storefront', 'a');
    await deployAndComplete(world, release, 'cart', 'a');
    world.ecs.resetHistory();
    world.onSleep = () => {
      world.complete('shop-staging', 'storefront');
      world.complete('shop-staging', 'cart');
    };

    const result = await rollbackRelease(rollbackInput(), world.deps);

    expect(result.rolledBack).toEqual([
      { service: 'storefront', from: TD(2), to: TD(1), by: 'shipgate' },
      { service: 'cart', from: TD(2, 'cart'), to: TD(1, 'cart'), by: 'shipgate' },
    ]);
    expect(world.ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'shop-staging',
      service: 'storefront',
      taskDefinition: TD(1),
    });
    expect(world.ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'shop-staging',
      service: 'cart',
      taskDefinition: TD(1, 'cart'),
    });
    expect(world.service('shop-staging', 'storefront').taskDefinition).toBe(TD(1));
    // Locks released, history no longer claims the release runs there, records say so.
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
    expect(await readLock('staging', 'cart', world.deps)).toBeUndefined();
    expect(await getDeployed('staging', 'storefront', world.deps)).toMatchObject({ history: [] });
    expect((await getRecord('shop-staging', 'storefront', world.deps))?.status).toBe('ROLLED_BACK');
  });

  test('services ECS already rolled back (circuit breaker) are reported, not redeployed; unchanged services are left alone', async () => {
    const started = await startRollout(
      {
        taskToken: token(1),
        executionArn: EXEC,
        environment: 'staging',
        release,
        image: imageOf('storefront'),
      },
      world.deps,
    );
    expect(started.status).toBe('STARTED');
    world.failAndRollBack(
      'shop-staging',
      'storefront',
      'ECS deployment circuit breaker: tasks failed to start.',
    );
    world.ecs.resetHistory();

    const result = await rollbackRelease(rollbackInput(), world.deps);

    expect(result).toEqual({
      rolledBack: [{ service: 'storefront', from: TD(2), to: TD(1), by: 'ecs-circuit-breaker' }],
      untouched: [{ service: 'cart', reason: 'never rolled out by Shipgate' }],
    });
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  test('a service last changed by another release, or now running a third revision, is not touched', async () => {
    const other = makeRelease({ id: 'shop-storefront-p200-d00d200', createdAt: '2026-11-21T12:00:00.000Z' });
    await deployAndComplete(world, other, 'cart', 'c');
    await deployAndComplete(world, release, 'storefront', 'a');
    // Someone changed storefront by hand after Shipgate's rollout.
    await world.deps.ecs.send(
      new UpdateServiceCommand({ cluster: 'shop-staging', service: 'storefront', taskDefinition: TD(1) }),
    );
    const { RegisterTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    const manual = await world.deps.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'shop-staging-storefront',
        containerDefinitions: [{ name: 'app', image: 'hand-made' }],
      }),
    );
    await world.deps.ecs.send(
      new UpdateServiceCommand({
        cluster: 'shop-staging',
        service: 'storefront',
        taskDefinition: manual.taskDefinition!.taskDefinitionArn,
      }),
    );
    world.ecs.resetHistory();

    const result = await rollbackRelease(rollbackInput(), world.deps);

    expect(result.rolledBack).toEqual([]);
    expect(result.untouched).toEqual([
      {
        service: 'storefront',
        reason:
          "it now runs shop-staging-storefront:3, neither this release's shop-staging-storefront:2 nor the previous shop-staging-storefront:1",
      },
      { service: 'cart', reason: `last changed by release ${other.id}, not ${release.id}` },
    ]);
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  test('a rollback that never finishes fails with RollbackFailed after the limit, with a bounded number of looks', async () => {
    world = await (async () => {
      await world.close();
      const w = await startWorld(
        testConfig({ rollout: { timeout: '2m', eventGrace: '1m', maxConcurrency: 1, lockLease: '1h' } }),
      );
      w.publish('staging', contractFor('staging', 'storefront'));
      w.addService('shop-staging', 'storefront', `${REGISTRY}/storefront@${digest('0')}`);
      return w;
    })();
    await deployAndComplete(world, release, 'storefront', 'a');
    world.ecs.resetHistory();

    await expect(
      rollbackRelease({ ...rollbackInput(), images: [imageOf('storefront')] }, world.deps),
    ).rejects.toMatchObject({
      name: 'RollbackFailed',
      message: expect.stringMatching(
        /storefront.*did not finish before 2026-11-22T01:02:00.000Z; last state: deployment ecs-svc\/\d+ IN_PROGRESS/,
      ),
    });
    // 2 minutes: looks after 1, 2, 3, 4 s, then every 5 s (about 26), plus the one that found the service.
    const looks = world.ecs.commandCalls(DescribeServicesCommand).length;
    expect(looks).toBeGreaterThanOrEqual(20);
    expect(looks).toBeLessThanOrEqual(30);
    // The lock is released even though the rollback failed.
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
  });

  test('CodeDeploy: a deployment still in progress is stopped with automatic rollback', async () => {
    await world.close();
    world = await startWorld();
    world.publish(
      'staging',
      contractFor('staging', 'storefront', {
        strategy: 'CODEDEPLOY',
        codeDeploy: { application: 'shop-staging', deploymentGroup: 'storefront' },
      }),
    );
    world.addService('shop-staging', 'storefront', `${REGISTRY}/storefront@${digest('0')}`);
    const started = await startRollout(
      {
        taskToken: token(1),
        executionArn: EXEC,
        environment: 'staging',
        release,
        image: imageOf('storefront'),
      },
      world.deps,
    );
    expect(started).toMatchObject({ status: 'STARTED' });

    const result = await rollbackRelease({ ...rollbackInput(), images: [imageOf('storefront')] }, world.deps);

    expect(world.codeDeploy).toHaveReceivedCommandWith(StopDeploymentCommand, {
      deploymentId: 'd-FAKE00001',
      autoRollbackEnabled: true,
    });
    expect(result.rolledBack).toEqual([{ service: 'storefront', from: TD(2), to: TD(1), by: 'shipgate' }]);
  });
});
