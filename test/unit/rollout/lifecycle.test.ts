import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import {
  acquireLock,
  readLock,
  releaseLock,
  releaseRolloutLocks,
} from '../../../lambdas/domain/rollout/lock';
import {
  getDeployed,
  getRecord,
  markVerified,
  recordDeployed,
} from '../../../lambdas/domain/rollout/records';
import {
  awaitRollout,
  checkRollout,
  runRolloutTask,
  startRollout,
} from '../../../lambdas/domain/rollout/start';
import {
  contractFor,
  digest,
  imageOf,
  makeRelease,
  REGISTRY,
  startWorld,
  token,
  type World,
} from './harness';

const EXEC = 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:x';

describe('rollout lock', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => world.close());

  test('a second release cannot take a held lock; the message names the holder and the lease end', async () => {
    await acquireLock('staging', 'storefront', 'release-a', EXEC, world.deps);
    await expect(acquireLock('staging', 'storefront', 'release-b', EXEC, world.deps)).rejects.toMatchObject({
      name: 'RolloutLocked',
      message: expect.stringContaining(
        'being rolled out by release release-a (lock lease until 2026-11-22T02:00:00.000Z)',
      ),
    });
    // Other services and environments are independent.
    await expect(
      acquireLock('production', 'storefront', 'release-b', EXEC, world.deps),
    ).resolves.toBeDefined();
    await expect(acquireLock('staging', 'cart', 'release-b', EXEC, world.deps)).resolves.toBeDefined();
  });

  test('the same owner may take it again (retries), renewing the lease', async () => {
    await acquireLock('staging', 'storefront', 'release-a', EXEC, world.deps);
    world.clock.advance(1800);
    const again = await acquireLock('staging', 'storefront', 'release-a', EXEC, world.deps);
    expect(again.expiresAt).toBe(Math.floor(world.clock.now.getTime() / 1000) + 3600);
  });

  test('it is stolen only after the lease expired', async () => {
    await acquireLock('staging', 'storefront', 'release-a', EXEC, world.deps);
    world.clock.advance(3599);
    await expect(acquireLock('staging', 'storefront', 'release-b', EXEC, world.deps)).rejects.toMatchObject({
      name: 'RolloutLocked',
    });
    world.clock.advance(2);
    await expect(acquireLock('staging', 'storefront', 'release-b', EXEC, world.deps)).resolves.toMatchObject({
      owner: 'release-b',
    });
    // The old owner cannot release the new owner's lock.
    expect(await releaseLock('staging', 'storefront', 'release-a', world.deps)).toBe(false);
    expect((await readLock('staging', 'storefront', world.deps))?.owner).toBe('release-b');
  });

  test('releaseRolloutLocks frees every lock of a release and nothing else', async () => {
    await acquireLock('staging', 'storefront', 'release-a', EXEC, world.deps);
    await acquireLock('production', 'cart', 'release-a', EXEC, world.deps);
    await acquireLock('staging', 'cart', 'release-z', EXEC, world.deps);
    const { released } = await releaseRolloutLocks(
      {
        release: {
          id: 'release-a',
          services: ['storefront', 'cart'],
          environments: ['staging', 'production'],
        },
      },
      world.deps,
    );
    expect(released).toEqual([
      { environment: 'staging', service: 'storefront' },
      { environment: 'production', service: 'cart' },
    ]);
    expect((await readLock('staging', 'cart', world.deps))?.owner).toBe('release-z');
  });
});

describe('deployed history', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => world.close());

  test("concurrent writers (rollouts settling, Verify marking) never lose each other's change", async () => {
    const entry = (n: number) => ({
      releaseId: `release-${n}`,
      createdAt: `2026-11-21T0${n}:00:00.000Z`,
      digest: digest(String(n)),
      imageUri: `${REGISTRY}/storefront@${digest(String(n))}`,
      taskDefinitionArn: `td:${n}`,
      deployedAt: `2026-11-21T0${n}:30:00.000Z`,
    });
    await recordDeployed('staging', 'storefront', entry(1), world.deps);
    await Promise.all([
      recordDeployed('staging', 'storefront', entry(2), world.deps),
      recordDeployed('staging', 'storefront', entry(3), world.deps),
      recordDeployed('staging', 'storefront', entry(4), world.deps),
      markVerified('staging', 'storefront', 'release-1', '2026-11-21T05:00:00.000Z', world.deps),
    ]);
    const history = (await getDeployed('staging', 'storefront', world.deps))!.history;
    expect(history.map((e) => e.releaseId).sort()).toEqual([
      'release-1',
      'release-2',
      'release-3',
      'release-4',
    ]);
    expect(history).toHaveLength(4);
  });
});

describe('rollout lifecycle: contention, superseding, fallback checks', () => {
  let world: World;
  let baseArn: string;
  const releaseA = makeRelease({ id: 'shop-storefront-p101-aaaa001', createdAt: '2026-11-21T10:00:00.000Z' });
  const releaseB = makeRelease({ id: 'shop-storefront-p102-bbbb002', createdAt: '2026-11-21T11:00:00.000Z' });
  const input = (release = releaseA, c = 'a', n = 1) => ({
    taskToken: token(n),
    executionArn: EXEC,
    environment: 'staging',
    release,
    image: imageOf('storefront', c),
  });
  const checkInput = (release = releaseA, c = 'a') => ({
    environment: 'staging',
    release,
    image: imageOf('storefront', c),
  });

  beforeEach(async () => {
    world = await startWorld();
    world.publish('staging', contractFor('staging', 'storefront'));
    baseArn = world.addService('shop-staging', 'storefront', `${REGISTRY}/storefront@${digest('0')}`);
  });
  afterEach(async () => world.close());

  test('two releases racing: the second fails RolloutLocked and ECS sees one deployment', async () => {
    await startRollout(input(releaseA, 'a', 1), world.deps);
    const second = await runRolloutTask(input(releaseB, 'b', 2), startRollout, world.deps);
    expect(second).toEqual({ status: 'FAILED', error: 'RolloutLocked' });
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token(2),
      error: 'RolloutLocked',
      cause: expect.stringContaining(releaseA.id),
    });
    expect(world.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  test('an older release is never deployed over a newer one (ReleaseSuperseded), and its lock is released', async () => {
    await recordDeployed(
      'staging',
      'storefront',
      {
        releaseId: releaseB.id,
        createdAt: releaseB.createdAt,
        digest: digest('b'),
        imageUri: `${REGISTRY}/storefront@${digest('b')}`,
        taskDefinitionArn: baseArn,
        deployedAt: '2026-11-21T11:30:00.000Z',
      },
      world.deps,
    );
    const result = await runRolloutTask(input(releaseA), startRollout, world.deps);
    expect(result).toEqual({ status: 'FAILED', error: 'ReleaseSuperseded' });
    const failure = world.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input;
    expect(failure.cause).toContain(`already runs release ${releaseB.id} (created ${releaseB.createdAt})`);
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
    // A newer release still goes through.
    const releaseC = makeRelease({
      id: 'shop-storefront-p103-cccc003',
      createdAt: '2026-11-21T12:00:00.000Z',
    });
    await expect(startRollout(input(releaseC, 'c'), world.deps)).resolves.toMatchObject({
      status: 'STARTED',
    });
  });

  test('a repeated start for the same release re-parks the token instead of deploying twice', async () => {
    await startRollout(input(releaseA, 'a', 1), world.deps);
    const again = await startRollout(input(releaseA, 'a', 2), world.deps);
    expect(again).toMatchObject({ status: 'WAITING' });
    expect(world.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect((await getRecord('shop-staging', 'storefront', world.deps))?.taskToken).toBe(token(2));
  });

  test('check-rollout: unsettled returns the elapsed time after exactly one describe', async () => {
    await startRollout(input(), world.deps);
    world.ecs.resetHistory();
    world.clock.advance(300);
    await expect(checkRollout(checkInput(), world.deps)).resolves.toEqual({
      settled: false,
      elapsedSeconds: 300,
    });
    expect(world.ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1);
  });

  test('check-rollout: a lost COMPLETED event is settled by the describe (no task resumed, lock released)', async () => {
    await startRollout(input(), world.deps);
    world.complete('shop-staging', 'storefront');
    world.clock.advance(300);
    const result = await checkRollout(checkInput(), world.deps);
    expect(result).toMatchObject({
      settled: true,
      outcome: { service: 'storefront', status: 'COMPLETED', previousTaskDefinitionArn: baseArn },
    });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
  });

  test('check-rollout: a lost FAILED event throws RolloutFailed and releases the lock', async () => {
    await startRollout(input(), world.deps);
    world.failAndRollBack(
      'shop-staging',
      'storefront',
      'ECS deployment circuit breaker: tasks failed to start.',
    );
    await expect(checkRollout(checkInput(), world.deps)).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: expect.stringContaining('rolled back to shop-staging-storefront:1'),
    });
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
  });

  test('check-rollout: RolloutStuck once rollout.timeout has passed; the lock is released', async () => {
    await startRollout(input(), world.deps);
    world.clock.advance(1799);
    await expect(checkRollout(checkInput(), world.deps)).resolves.toMatchObject({ settled: false });
    world.clock.advance(1);
    await expect(checkRollout(checkInput(), world.deps)).rejects.toMatchObject({
      name: 'RolloutStuck',
      message: expect.stringContaining('still in progress after 1800 s, over rollout.timeout (1800 s)'),
    });
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
    // Once stuck, it stays failed (a later check does not flip it).
    world.complete('shop-staging', 'storefront');
    await expect(checkRollout(checkInput(), world.deps)).rejects.toMatchObject({ name: 'RolloutStuck' });
  });

  test('check-rollout for a release that never started here is a clear failure', async () => {
    await startRollout(input(), world.deps);
    await expect(checkRollout(checkInput(releaseB, 'b'), world.deps)).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: expect.stringContaining(`last rollout is release ${releaseA.id}`),
    });
  });

  test('await-rollout re-registers the token while in progress, and the next event resumes the new token', async () => {
    const { handleDeploymentEvent } = await import('../../../lambdas/domain/rollout/events');
    const started = await startRollout(input(releaseA, 'a', 1), world.deps);
    const waiting = await awaitRollout(input(releaseA, 'a', 2), world.deps);
    expect(waiting).toMatchObject({ status: 'WAITING' });
    world.complete('shop-staging', 'storefront');
    await handleDeploymentEvent(
      {
        source: 'aws.ecs',
        'detail-type': 'ECS Deployment State Change',
        resources: ['arn:aws:ecs:eu-west-1:000011112222:service/shop-staging/storefront'],
        detail: {
          eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
          deploymentId: started.status === 'STARTED' ? started.deploymentId : '',
        },
      },
      world.deps,
    );
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token(2) });
    expect(world.sfn).not.toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token(1) });
  });

  test('await-rollout settles at once when the rollout already finished', async () => {
    await startRollout(input(releaseA, 'a', 1), world.deps);
    world.complete('shop-staging', 'storefront');
    const result = await awaitRollout(input(releaseA, 'a', 3), world.deps);
    expect(result).toEqual({ status: 'SETTLED', outcome: 'COMPLETED' });
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token(3) });
  });

  test('await-rollout after a stored failure fails the new token with the stored cause', async () => {
    await startRollout(input(releaseA, 'a', 1), world.deps);
    world.failAndRollBack(
      'shop-staging',
      'storefront',
      'ECS deployment circuit breaker: tasks failed to start.',
    );
    await expect(checkRollout(checkInput(), world.deps)).rejects.toMatchObject({ name: 'RolloutFailed' });
    await awaitRollout(input(releaseA, 'a', 4), world.deps);
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token(4),
      error: 'RolloutFailed',
      cause: expect.stringContaining('tasks failed to start'),
    });
  });
});
