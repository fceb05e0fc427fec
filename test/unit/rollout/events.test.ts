import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { handleDeploymentEvent, parseServiceArn } from '../../../lambdas/domain/rollout/events';
import { readLock } from '../../../lambdas/domain/rollout/lock';
import { getDeployed, getRecord } from '../../../lambdas/domain/rollout/records';
import { startRollout } from '../../../lambdas/domain/rollout/start';
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

const FIXTURES = join(__dirname, '../../fixtures/events');
const EXEC = 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:shop-storefront-p101-c0ffee1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fixture(name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
}

function ecsEvent(name: string, deploymentId: string, service = 'storefront', cluster = 'shop-staging') {
  const e = fixture(name);
  e.detail.deploymentId = deploymentId;
  e.resources = [`arn:aws:ecs:eu-west-1:000011112222:service/${cluster}/${service}`];
  return e;
}

describe('rollout-events: ECS', () => {
  let world: World;
  let deploymentId: string;
  let baseArn: string;
  const release = makeRelease();

  beforeEach(async () => {
    world = await startWorld();
    world.publish('staging', contractFor('staging', 'storefront'));
    baseArn = world.addService('shop-staging', 'storefront', `${REGISTRY}/storefront@${digest('0')}`);
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
    if (started.status !== 'STARTED') throw new Error('setup: rollout did not start');
    deploymentId = started.deploymentId;
  });
  afterEach(async () => world.close());

  test('SERVICE_DEPLOYMENT_COMPLETED for our deployment resumes the task with the outcome and records the digest', async () => {
    world.complete('shop-staging', 'storefront');
    const result = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-completed', deploymentId),
      world.deps,
    );

    expect(result).toEqual({
      action: 'settled',
      service: 'storefront',
      environment: 'staging',
      releaseId: release.id,
      status: 'COMPLETED',
    });
    expect(world.ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 2); // once at start, once for the event
    const sent = world.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input;
    expect(sent.taskToken).toBe(token(1));
    expect(JSON.parse(sent.output!)).toEqual({
      service: 'storefront',
      environment: 'staging',
      status: 'COMPLETED',
      strategy: 'ROLLING',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-staging-storefront:2',
      previousTaskDefinitionArn: baseArn,
      deploymentId,
      digest: digest('a'),
      startedAt: '2026-11-22T01:00:00.000Z',
      finishedAt: '2026-11-22T01:00:00.000Z',
    });
    const deployed = await getDeployed('staging', 'storefront', world.deps);
    expect(deployed?.history[0]).toMatchObject({ releaseId: release.id, digest: digest('a') });
    const record = await getRecord('shop-staging', 'storefront', world.deps);
    expect(record?.status).toBe('COMPLETED');
    expect(record).not.toHaveProperty('taskToken');
    // The lock is only held for the rollout itself.
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
  });

  test('a duplicate COMPLETED event resumes the task only once', async () => {
    world.complete('shop-staging', 'storefront');
    await handleDeploymentEvent(ecsEvent('ecs-deployment-completed', deploymentId), world.deps);
    const again = await handleDeploymentEvent(ecsEvent('ecs-deployment-completed', deploymentId), world.deps);
    expect(again).toMatchObject({
      action: 'ignored',
      reason: expect.stringContaining('already ended (COMPLETED)'),
    });
    expect(world.sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
  });

  test('circuit breaker FAILED: the task fails with RolloutFailed naming the revision it rolled back to', async () => {
    world.failAndRollBack(
      'shop-staging',
      'storefront',
      'ECS deployment circuit breaker: tasks failed to start.',
    );
    const result = await handleDeploymentEvent(ecsEvent('ecs-deployment-failed', deploymentId), world.deps);

    expect(result).toMatchObject({ action: 'settled', status: 'FAILED' });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    const failure = world.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input;
    expect(failure.error).toBe('RolloutFailed');
    expect(failure.cause).toContain('tasks failed to start');
    expect(failure.cause).toContain('rolled back to shop-staging-storefront:1 (the revision it ran before)');
    // Failure releases the lock at once.
    expect(await readLock('staging', 'storefront', world.deps)).toBeUndefined();
    expect(await getDeployed('staging', 'storefront', world.deps)).toBeUndefined();
  });

  test('COMPLETED while the service is stable on the OLD revision is a failure, never a success', async () => {
    // ECS rolled back and the event that arrives says "completed": the truth is in DescribeServices.
    world.failAndRollBack('shop-staging', 'storefront', 'Alarm storefront-5xx in ALARM state.');
    const result = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-completed', deploymentId),
      world.deps,
    );
    expect(result).toMatchObject({ status: 'FAILED' });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token(1),
      error: 'RolloutFailed',
      cause: expect.stringMatching(
        /FAILED: Alarm storefront-5xx in ALARM state.*rolled back to shop-staging-storefront:1/,
      ),
    });
  });

  test('IN_PROGRESS events are ignored', async () => {
    const result = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-in-progress', deploymentId),
      world.deps,
    );
    expect(result).toEqual({
      action: 'ignored',
      reason: 'SERVICE_DEPLOYMENT_IN_PROGRESS is not a final deployment state',
    });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  test('events for another deployment of the same service are ignored', async () => {
    world.complete('shop-staging', 'storefront');
    const result = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-completed', 'ecs-svc/999999'),
      world.deps,
    );
    expect(result).toMatchObject({
      action: 'ignored',
      reason: expect.stringContaining(`waits on ${deploymentId}`),
    });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect((await getRecord('shop-staging', 'storefront', world.deps))?.status).toBe('IN_PROGRESS');
  });

  test('events for another service (or cluster) are ignored', async () => {
    const other = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-completed', deploymentId, 'cart'),
      world.deps,
    );
    expect(other).toMatchObject({ action: 'ignored', reason: 'no rollout record for shop-staging/cart' });
    const otherCluster = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-completed', deploymentId, 'storefront', 'shop-production'),
      world.deps,
    );
    expect(otherCluster).toMatchObject({ action: 'ignored' });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  test('an event that beats the deployment id write is matched by the revision it runs', async () => {
    // Simulate the race: the record has no deployment id yet.
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await world.deps.ddb.send(
      new UpdateCommand({
        TableName: world.deps.table,
        Key: { pk: 'ROLLOUT#shop-staging#storefront', sk: 'ROLLOUT' },
        UpdateExpression: 'REMOVE deploymentId',
      }),
    );
    world.complete('shop-staging', 'storefront');
    const foreign = await handleDeploymentEvent(
      ecsEvent('ecs-deployment-completed', 'ecs-svc/1001'),
      world.deps,
    );
    expect(foreign).toMatchObject({
      action: 'ignored',
      reason: expect.stringContaining('does not run the revision'),
    });
    const ours = await handleDeploymentEvent(ecsEvent('ecs-deployment-completed', deploymentId), world.deps);
    expect(ours).toMatchObject({ action: 'settled', status: 'COMPLETED' });
    const output = JSON.parse(world.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!);
    expect(output.deploymentId).toBe(deploymentId);
  });

  test('a task that already timed out does not break the handler; the outcome stays on the record', async () => {
    world.sfn
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    world.complete('shop-staging', 'storefront');
    await expect(
      handleDeploymentEvent(ecsEvent('ecs-deployment-completed', deploymentId), world.deps),
    ).resolves.toMatchObject({ status: 'COMPLETED' });
    expect((await getRecord('shop-staging', 'storefront', world.deps))?.outcome?.deploymentId).toBe(
      deploymentId,
    );
  });

  test('unrelated events are ignored with the reason', async () => {
    await expect(
      handleDeploymentEvent(
        { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' },
        world.deps,
      ),
    ).resolves.toEqual({
      action: 'ignored',
      reason:
        'not an ECS or CodeDeploy deployment state event (source aws.ec2, detail-type EC2 Instance State-change Notification)',
    });
  });

  test('service ARNs parse to cluster and service; old-format ARNs do not', () => {
    expect(parseServiceArn('arn:aws:ecs:eu-west-1:000011112222:service/shop-staging/storefront')).toEqual({
      clusterName: 'shop-staging',
      serviceName: 'storefront',
    });
    expect(parseServiceArn('arn:aws:ecs:eu-west-1:000011112222:service/storefront')).toBeUndefined();
  });
});

describe('rollout-events: CodeDeploy', () => {
  let world: World;
  let deploymentId: string;
  const release = makeRelease({ environments: ['production'] });

  beforeEach(async () => {
    world = await startWorld();
    world.publish(
      'production',
      contractFor('production', 'storefront', {
        strategy: 'CODEDEPLOY',
        codeDeploy: { application: 'shop-production', deploymentGroup: 'storefront' },
      }),
    );
    world.addService('shop-production', 'storefront', `${REGISTRY}/storefront@${digest('0')}`);
    const started = await startRollout(
      {
        taskToken: token(7),
        executionArn: EXEC,
        environment: 'production',
        release,
        image: imageOf('storefront'),
      },
      world.deps,
    );
    if (started.status !== 'STARTED') throw new Error('setup: rollout did not start');
    deploymentId = started.deploymentId;
  });
  afterEach(async () => world.close());

  function cdEvent(name: string, id = deploymentId) {
    const e = fixture(name);
    e.detail.deploymentId = id;
    return e;
  }

  test('SUCCESS for our deployment (and GetDeployment Succeeded) resumes the task', async () => {
    world.codeDeployments.get(deploymentId)!.status = 'Succeeded';
    const result = await handleDeploymentEvent(cdEvent('codedeploy-deployment-success'), world.deps);
    expect(result).toMatchObject({ action: 'settled', status: 'COMPLETED', environment: 'production' });
    const output = JSON.parse(world.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!);
    expect(output).toMatchObject({ strategy: 'CODEDEPLOY', deploymentId, digest: digest('a') });
  });

  test('FAILURE with a CodeDeploy rollback fails the task and names the revision traffic went back to', async () => {
    Object.assign(world.codeDeployments.get(deploymentId)!, {
      status: 'Failed',
      errorInformation: { code: 'ECS_UPDATE_ERROR', message: 'Replacement task set never became healthy' },
      rollbackInfo: {
        rollbackDeploymentId: 'd-FAKERB001',
        rollbackMessage: 'Deployment failed, rolled back',
      },
    });
    const result = await handleDeploymentEvent(cdEvent('codedeploy-deployment-failure'), world.deps);
    expect(result).toMatchObject({ status: 'FAILED' });
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token(7),
      error: 'RolloutFailed',
      cause: expect.stringMatching(
        /ECS_UPDATE_ERROR: Replacement task set never became healthy.*d-FAKERB001.*rolled back to shop-production-storefront:1/,
      ),
    });
  });

  test('events for another deployment of the group are ignored, and non-final states too', async () => {
    const other = await handleDeploymentEvent(
      cdEvent('codedeploy-deployment-success', 'd-OTHER0001'),
      world.deps,
    );
    expect(other).toMatchObject({
      action: 'ignored',
      reason: expect.stringContaining(`waits on ${deploymentId}`),
    });
    const start = cdEvent('codedeploy-deployment-success');
    start.detail.state = 'START';
    await expect(handleDeploymentEvent(start, world.deps)).resolves.toMatchObject({ action: 'ignored' });
    expect(world.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });
});
