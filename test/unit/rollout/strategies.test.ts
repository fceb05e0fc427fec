import { CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand } from '@aws-sdk/client-sfn';
import { getRecord, markVerified, recordDeployed } from '../../../lambdas/domain/rollout/records';
import { runRolloutTask, startRollout } from '../../../lambdas/domain/rollout/start';
import { planRollout } from '../../../lambdas/domain/rollout/strategy';
import type { DeployContract } from '../../../lambdas/shared/contract';
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

const EXEC = 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:shop-storefront-p101-c0ffee1';

async function setup(
  world: World,
  environment: string,
  contract: Partial<DeployContract> = {},
): Promise<{ baseArn: string }> {
  const c = contractFor(environment, 'storefront', contract);
  world.publish(environment, c);
  const baseArn = world.addService(c.cluster, 'storefront', `${REGISTRY}/storefront@${digest('0')}`);
  return { baseArn };
}

async function passStaging(world: World, releaseId: string, createdAt: string, c = 'a'): Promise<void> {
  const img = imageOf('storefront', c);
  await recordDeployed(
    'staging',
    'storefront',
    {
      releaseId,
      createdAt,
      digest: img.digest,
      imageUri: img.imageUri,
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-staging-storefront:2',
      deployedAt: '2026-11-22T00:30:00.000Z',
    },
    world.deps,
  );
  await markVerified('staging', 'storefront', releaseId, '2026-11-22T00:35:00.000Z', world.deps);
}

function input(environment: string, image = imageOf('storefront'), release = makeRelease()) {
  return { taskToken: token(1), executionArn: EXEC, environment, release, image };
}

describe('start-rollout strategies', () => {
  let world: World;
  afterEach(async () => world.close());

  test('ROLLING: registers a digest-pinned copy of the current task definition and updates the service with circuit breaker and alarms', async () => {
    world = await startWorld();
    const { baseArn } = await setup(world, 'staging', { alarms: ['storefront-5xx', 'storefront-latency'] });

    const result = await startRollout(input('staging'), world.deps);

    expect(result).toEqual({ status: 'STARTED', deploymentId: 'ecs-svc/1002' });
    expect(world.ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
      taskDefinition: baseArn,
      include: ['TAGS'],
    });
    const registered = world.ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    // Only the target container's image changes, pinned by digest; read-only fields are stripped.
    expect(registered.containerDefinitions).toEqual([
      expect.objectContaining({ name: 'app', image: `${REGISTRY}/storefront@${digest('a')}` }),
      expect.objectContaining({
        name: 'log-router',
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      }),
    ]);
    expect(registered).toMatchObject({ family: 'shop-staging-storefront', cpu: '256', memory: '512' });
    expect(registered.tags).toEqual([{ key: 'team', value: 'shop' }]);
    for (const readOnly of [
      'taskDefinitionArn',
      'revision',
      'status',
      'compatibilities',
      'requiresAttributes',
      'registeredAt',
    ]) {
      expect(registered).not.toHaveProperty(readOnly);
    }
    expect(world.ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'shop-staging',
      service: 'storefront',
      taskDefinition: 'arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-staging-storefront:2',
      deploymentConfiguration: {
        strategy: 'ROLLING',
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: { alarmNames: ['storefront-5xx', 'storefront-latency'], enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
    });
    const record = await getRecord('shop-staging', 'storefront', world.deps);
    expect(record).toMatchObject({
      status: 'IN_PROGRESS',
      deploymentId: 'ecs-svc/1002',
      taskToken: token(1),
      previousTaskDefinitionArn: baseArn,
      digest: digest('a'),
    });
  });

  test('ROLLING without alarms in the contract turns alarm rollback explicitly off', async () => {
    world = await startWorld();
    await setup(world, 'staging');
    await startRollout(input('staging'), world.deps);
    const update = world.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input;
    expect(update.deploymentConfiguration?.alarms).toEqual({
      alarmNames: [],
      enable: false,
      rollback: false,
    });
    expect(update.deploymentConfiguration?.deploymentCircuitBreaker).toEqual({
      enable: true,
      rollback: true,
    });
  });

  test('ECS BLUE_GREEN sets the strategy and bake time from the config', async () => {
    world = await startWorld(
      testConfig({
        services: {
          storefront: { repository: 'storefront', rollout: { bakeTime: '3m' } },
          cart: { repository: 'cart' },
        },
      }),
    );
    await setup(world, 'staging', { strategy: 'BLUE_GREEN' });
    await startRollout(input('staging'), world.deps);
    const cfg = world.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input.deploymentConfiguration;
    expect(cfg).toMatchObject({
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 3,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    });
    expect(cfg).not.toHaveProperty('canaryConfiguration');
    expect(cfg).not.toHaveProperty('linearConfiguration');
  });

  test('ECS CANARY uses canaryPercent and bake time (config refines the contract per environment)', async () => {
    world = await startWorld(
      testConfig({
        services: {
          storefront: {
            repository: 'storefront',
            environments: { staging: { strategy: 'CANARY', canaryPercent: 10, bakeTime: '5m' } },
          },
          cart: { repository: 'cart' },
        },
      }),
    );
    await setup(world, 'staging', { strategy: 'BLUE_GREEN' });
    await startRollout(input('staging'), world.deps);
    const cfg = world.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input.deploymentConfiguration;
    expect(cfg).toMatchObject({
      strategy: 'CANARY',
      bakeTimeInMinutes: 5,
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
    });
  });

  test('ECS LINEAR uses stepPercent and step bake time', async () => {
    world = await startWorld(
      testConfig({
        services: {
          storefront: {
            repository: 'storefront',
            rollout: { strategy: 'LINEAR', linearStepPercent: 25, bakeTime: '2m' },
          },
          cart: { repository: 'cart' },
        },
      }),
    );
    await setup(world, 'staging', { strategy: 'LINEAR' });
    await startRollout(input('staging'), world.deps);
    const cfg = world.ecs.commandCalls(UpdateServiceCommand)[0].args[0].input.deploymentConfiguration;
    expect(cfg).toMatchObject({
      strategy: 'LINEAR',
      bakeTimeInMinutes: 2,
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 },
    });
  });

  test('CodeDeploy blue/green: CreateDeployment with an ECS AppSpec, the chosen config, hooks and auto-rollback; no UpdateService', async () => {
    world = await startWorld(
      testConfig({
        services: {
          storefront: {
            repository: 'storefront',
            environments: {
              production: { codeDeployConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes' },
            },
          },
          cart: { repository: 'cart' },
        },
      }),
    );
    await setup(world, 'production', {
      strategy: 'CODEDEPLOY',
      alarms: ['storefront-5xx'],
      codeDeploy: {
        application: 'shop-production',
        deploymentGroup: 'storefront',
        deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
        hooks: { AfterAllowTestTraffic: 'arn:aws:lambda:eu-west-1:000011112222:function:storefront-smoke' },
      },
    });
    const release = makeRelease();
    await passStaging(world, release.id, release.createdAt);

    const result = await startRollout(input('production', imageOf('storefront'), release), world.deps);

    expect(result).toEqual({ status: 'STARTED', deploymentId: 'd-FAKE00001' });
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    const call = world.codeDeploy.commandCalls(CreateDeploymentCommand)[0].args[0].input;
    expect(call).toMatchObject({
      applicationName: 'shop-production',
      deploymentGroupName: 'storefront',
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
      },
    });
    // The group's alarms (set by Terraform) apply; no per-deployment override that needs extra permissions.
    expect(call).not.toHaveProperty('overrideAlarmConfiguration');
    expect(call.revision?.revisionType).toBe('AppSpecContent');
    expect(JSON.parse(call.revision!.appSpecContent!.content!)).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition:
                'arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-production-storefront:2',
              LoadBalancerInfo: { ContainerName: 'app', ContainerPort: 8080 },
            },
          },
        },
      ],
      Hooks: [{ AfterAllowTestTraffic: 'arn:aws:lambda:eu-west-1:000011112222:function:storefront-smoke' }],
    });
    const registered = world.ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    expect(registered.containerDefinitions?.[0].image).toBe(`${REGISTRY}/storefront@${digest('a')}`);
  });

  test('a tag instead of a digest never reaches ECS', async () => {
    world = await startWorld();
    await setup(world, 'staging');
    const tagged = { ...imageOf('storefront'), imageUri: `${REGISTRY}/storefront:c0ffee1` };
    await expect(startRollout(input('staging', tagged), world.deps)).rejects.toMatchObject({
      name: 'ImageNotPinned',
      message: expect.stringContaining(`${REGISTRY}/storefront:c0ffee1`),
    });
    const notADigest = { ...imageOf('storefront'), digest: 'latest' };
    await expect(startRollout(input('staging', notADigest), world.deps)).rejects.toMatchObject({
      name: 'ImageNotPinned',
    });
    expect(world.ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  test('production takes only the digest that passed staging for this release', async () => {
    world = await startWorld();
    await setup(world, 'production');
    const release = makeRelease();

    // Never deployed to staging.
    await expect(
      startRollout(input('production', imageOf('storefront'), release), world.deps),
    ).rejects.toMatchObject({
      name: 'PromotionRefused',
      message: expect.stringContaining('never completed a rollout of "storefront" to "staging"'),
    });
    // Staging ran another digest.
    await passStaging(world, release.id, release.createdAt, 'b');
    await expect(
      startRollout(input('production', imageOf('storefront', 'a'), release), world.deps),
    ).rejects.toMatchObject({
      name: 'PromotionRefused',
      message: expect.stringContaining(digest('b')),
    });
    expect(world.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    // The digest that passed staging goes through.
    await expect(
      startRollout(input('production', imageOf('storefront', 'b'), release), world.deps),
    ).resolves.toMatchObject({ status: 'STARTED' });
  });

  test('an ECS refusal fails the task with RolloutFailed, releases the lock and leaves the service alone', async () => {
    world = await startWorld();
    await setup(world, 'staging');
    world.ecs.on(UpdateServiceCommand).rejects(
      Object.assign(new Error('Unable to assume the service linked role.'), {
        name: 'InvalidParameterException',
      }),
    );
    const result = await runRolloutTask(input('staging'), startRollout, world.deps);
    expect(result).toEqual({ status: 'FAILED', error: 'RolloutFailed' });
    expect(world.sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token(1),
      error: 'RolloutFailed',
      cause: expect.stringContaining('Unable to assume the service linked role'),
    });
    // The lock is free again: a second start by another release gets past the lock to ECS.
    world.ecs.on(UpdateServiceCommand).rejects(new Error('still refused'));
    const other = makeRelease({ id: 'shop-storefront-p102-beef002', createdAt: '2026-11-21T11:00:00.000Z' });
    await expect(
      startRollout(input('staging', imageOf('storefront', 'c'), other), world.deps),
    ).rejects.toMatchObject({
      name: 'RolloutFailed',
    });
  });

  test('config and contract disagreeing on the deployment controller is a clear contract error', () => {
    const config = testConfig({
      services: {
        storefront: { repository: 'storefront', rollout: { strategy: 'CODEDEPLOY' } },
        cart: { repository: 'cart' },
      },
    });
    expect(() => planRollout(contractFor('staging', 'storefront'), config, 'storefront', 'staging')).toThrow(
      /config asks for CODEDEPLOY but the deploy contract says the service is built for ROLLING/,
    );
  });

  test('a strategy that cannot finish within rollout.timeout is refused before deploying', () => {
    const config = testConfig({
      services: {
        storefront: {
          repository: 'storefront',
          rollout: { strategy: 'LINEAR', linearStepPercent: 10, bakeTime: '6m' },
        },
        cart: { repository: 'cart' },
      },
    });
    expect(() =>
      planRollout(
        contractFor('staging', 'storefront', { strategy: 'LINEAR' }),
        config,
        'storefront',
        'staging',
      ),
    ).toThrow(/waits at least 3600 s .* rollout.timeout is 1800 s/);
  });
});
