import { REASONS } from '../../../sandbox/aws/ecs/reasons';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
  type DeploymentLifecycleHook,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import type { Emulators } from '../../../sandbox/aws/emulators';
import type { EventBridgeEvent } from '../../../sandbox/aws/ecs';
import { startEcsBed, type EcsBed } from './ecs-bed';
import { HAS_AWS_CLI } from '../../integ/sandbox/support';

/**
 * The emulated ECS honours PAUSE lifecycle hooks as the developer guide describes them ("Pause hooks for
 * Amazon ECS service deployments", "Continuing service deployments"): the deployment waits at the stage with
 * a hook in AWAITING_ACTION (DescribeServiceDeployments `lifecycleHookDetails`) after an "ECS Hook State
 * Change" HOOK_AWAITING_ACTION event, until ContinueServiceDeployment (CONTINUE / ROLLBACK) or the timeout
 * (scaled like bake times) and its action; it refuses what ECS refuses.
 */

const PHASE_MS = 25;
const CLUSTER = 'shipgate-production';
const exec = promisify(execFile);

/** A CANARY with one-minute bakes (scaled to PHASE_MS each). */
const CANARY = {
  strategy: 'CANARY',
  bakeTimeInMinutes: 1,
  canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 },
} as const;

let bed: EcsBed;
let ecs: ECSClient;
let emulators: Emulators;
let events: EventBridgeEvent[];
let endpoint: string;

beforeEach(async () => {
  bed = await startEcsBed({ phaseMs: PHASE_MS, deploymentConfiguration: CANARY });
  ({ ecs, emulators, events, endpoint } = bed);
});

afterEach(() => bed.close());

const pause = (stage: string, timeoutInMinutes = 600, action: 'ROLLBACK' | 'CONTINUE' = 'ROLLBACK') =>
  ({
    targetType: 'PAUSE',
    lifecycleStages: [stage],
    timeoutConfiguration: { timeoutInMinutes, action },
  }) as DeploymentLifecycleHook;

async function deploy(hooks: DeploymentLifecycleHook[]): Promise<string> {
  await ecs.send(
    new UpdateServiceCommand({
      cluster: CLUSTER,
      service: 'billing-app',
      taskDefinition: bed.revision(),
      deploymentConfiguration: {
        ...CANARY,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        lifecycleHooks: hooks,
      },
    }),
  );
  const list = await ecs.send(
    new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: 'billing-app', status: ['IN_PROGRESS'] }),
  );
  return list.serviceDeployments![0].serviceDeploymentArn!;
}

async function until(
  arn: string,
  ok: (d: ServiceDeployment) => boolean,
  limitMs = 5000,
): Promise<ServiceDeployment> {
  const started = Date.now();
  for (;;) {
    const d = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })))
      .serviceDeployments![0];
    if (ok(d)) return d;
    if (Date.now() - started > limitMs) throw new Error(`not reached: ${d.status} ${d.lifecycleStage}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const awaiting = (d: ServiceDeployment) =>
  d.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION');

test('waits at POST_TEST_TRAFFIC_SHIFT with a hook AWAITING_ACTION and an "ECS Hook State Change" event, until continued', async () => {
  const arn = await deploy([pause('POST_TEST_TRAFFIC_SHIFT')]);
  const d = await until(arn, (x) => Boolean(awaiting(x)));
  expect(d.status).toBe('IN_PROGRESS');
  expect(d.lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
  expect(d.targetServiceRevision).toMatchObject({
    requestedTestTrafficWeight: 100,
    requestedProductionTrafficWeight: 0,
  });
  const hook = awaiting(d)!;
  expect(hook).toMatchObject({ targetType: 'PAUSE', status: 'AWAITING_ACTION', timeoutAction: 'ROLLBACK' });
  expect(hook.hookId).toMatch(/^ecs-pause-[\w-]{43}$/);
  expect(hook.expiresAt).toBeInstanceOf(Date);
  const event = events.find((e) => e['detail-type'] === 'ECS Hook State Change')!;
  expect(event).toMatchObject({
    source: 'aws.ecs',
    detail: { eventName: 'HOOK_AWAITING_ACTION', hookId: hook.hookId },
  });
  expect(event.resources).toEqual([expect.stringContaining(':service/shipgate-production/billing-app'), arn]);
  // It stays paused (well past every other phase), then continues to SUCCESSFUL.
  await new Promise((r) => setTimeout(r, 20 * PHASE_MS));
  expect((await until(arn, () => true)).lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
  const out = await ecs.send(
    new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: hook.hookId }),
  );
  expect(out.serviceDeploymentArn).toBe(arn);
  const done = await until(arn, (x) => x.status === 'SUCCESSFUL');
  expect(done.lifecycleHookDetails).toEqual([
    expect.objectContaining({ hookId: hook.hookId, status: 'SUCCEEDED' }),
  ]);
  // The hook passed: a second decision is refused and changes nothing.
  await expect(
    ecs.send(
      new ContinueServiceDeploymentCommand({
        serviceDeploymentArn: arn,
        hookId: hook.hookId,
        action: 'ROLLBACK',
      }),
    ),
  ).rejects.toMatchObject({ name: 'ClientException' });
  expect((await until(arn, () => true)).status).toBe('SUCCESSFUL');
});

test('ROLLBACK rolls the deployment back to the source revision', async () => {
  const before = emulators.ecs.runningTaskDefinition(CLUSTER, 'billing-app')!.arn;
  const arn = await deploy([pause('POST_TEST_TRAFFIC_SHIFT')]);
  const hook = awaiting(await until(arn, (x) => Boolean(awaiting(x))))!;
  await ecs.send(
    new ContinueServiceDeploymentCommand({
      serviceDeploymentArn: arn,
      hookId: hook.hookId,
      action: 'ROLLBACK',
    }),
  );
  const d = await until(arn, (x) => x.status === 'ROLLBACK_SUCCESSFUL');
  expect(REASONS.pauseRolledBack).toContain(d.rollback?.reason);
  expect(d.rollback?.reason).not.toContain(hook.hookId!);
  expect(emulators.ecs.runningTaskDefinition(CLUSTER, 'billing-app')!.arn).toBe(before);
  expect(events.map((e) => e.detail.eventName)).toContain('SERVICE_DEPLOYMENT_FAILED');
});

test('the timeout takes its action: ROLLBACK by default, CONTINUE when configured (each minute lasts a phase)', async () => {
  const a = await deploy([pause('POST_TEST_TRAFFIC_SHIFT', 2)]);
  const rolled = await until(a, (x) => x.status === 'ROLLBACK_SUCCESSFUL');
  expect(rolled.lifecycleHookDetails![0]).toMatchObject({ status: 'TIMED_OUT', timeoutAction: 'ROLLBACK' });
  expect(REASONS.pauseTimedOut).toContain(rolled.rollback?.reason);
  const b = await deploy([pause('POST_TEST_TRAFFIC_SHIFT', 2, 'CONTINUE')]);
  const continued = await until(b, (x) => x.status === 'SUCCESSFUL');
  expect(continued.lifecycleHookDetails![0]).toMatchObject({
    status: 'TIMED_OUT',
    timeoutAction: 'CONTINUE',
  });
});

test('PRE_PRODUCTION_TRAFFIC_SHIFT pauses before every production traffic step (CANARY: 10 %, then 100 %)', async () => {
  const arn = await deploy([pause('PRE_PRODUCTION_TRAFFIC_SHIFT')]);
  const weights: number[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await until(arn, (x) => Boolean(awaiting(x)));
    weights.push(d.targetServiceRevision!.requestedProductionTrafficWeight!);
    await ecs.send(
      new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: awaiting(d)!.hookId }),
    );
  }
  expect(weights).toEqual([0, 10]);
  const done = await until(arn, (x) => x.status === 'SUCCESSFUL');
  expect(done.lifecycleHookDetails!.map((h) => h.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
});

test('hooks at one stage run in parallel: the PAUSE hook waits while the Lambda hook of its stage still runs, and the stage ends when both are done', async () => {
  // GIVEN a Lambda hook at POST_SCALE_UP that answers only when released, and a PAUSE hook at the same stage
  let release: (answer: unknown) => void = () => undefined;
  emulators.ecs.setHookInvoker(() => new Promise((r) => (release = r)));
  const arn = await deploy([
    {
      hookTargetArn: 'arn:aws:lambda:us-east-1:000000000000:function:slow-check',
      roleArn: 'arn:aws:iam::000000000000:role/hook',
      lifecycleStages: ['POST_SCALE_UP'],
    },
    pause('POST_SCALE_UP'),
  ]);
  // THEN ECS asks for the pause while the Lambda hook has not answered
  const waiting = await until(arn, (x) => (x.lifecycleHookDetails ?? []).length === 2);
  expect(waiting.lifecycleHookDetails).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ targetType: 'PAUSE', status: 'AWAITING_ACTION' }),
      expect.objectContaining({
        targetType: 'AWS_LAMBDA',
        targetArn: 'arn:aws:lambda:us-east-1:000000000000:function:slow-check',
        status: 'IN_PROGRESS',
      }),
    ]),
  );
  expect(events.map((e) => e.detail.eventName)).toContain('HOOK_AWAITING_ACTION');
  // WHEN the pause is continued first, the stage still waits for the Lambda hook
  const hookId = waiting.lifecycleHookDetails!.find((h) => h.targetType === 'PAUSE')!.hookId!;
  await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId }));
  expect((await until(arn, () => true)).lifecycleStage).toBe('POST_SCALE_UP');
  // AND once it answers, the deployment goes on to the end
  release({ hookStatus: 'SUCCEEDED' });
  const done = await until(arn, (x) => x.status === 'SUCCESSFUL');
  expect(done.lifecycleHookDetails?.map((h) => h.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
});

test('refuses what ECS refuses: PAUSE at TEST_TRAFFIC_SHIFT / PRODUCTION_TRAFFIC_SHIFT, timeouts outside 1–20160, unknown deployments and hooks', async () => {
  for (const stage of ['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT']) {
    await expect(deploy([pause(stage)])).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(
        'PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT',
      ),
    });
  }
  await expect(deploy([pause('POST_TEST_TRAFFIC_SHIFT', 0)])).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  await expect(deploy([pause('POST_TEST_TRAFFIC_SHIFT', 20161)])).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  const missing = `arn:aws:ecs:us-east-1:000000000000:service-deployment/${CLUSTER}/billing-app/nope`;
  await expect(
    ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: missing, hookId: 'ecs-pause-x' })),
  ).rejects.toMatchObject({ name: 'ServiceDeploymentNotFoundException' });
  const arn = await deploy([pause('POST_TEST_TRAFFIC_SHIFT')]);
  await until(arn, (x) => Boolean(awaiting(x)));
  await expect(
    ecs.send(
      new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: 'ecs-pause-unknown' }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  expect((await until(arn, () => true)).status).toBe('IN_PROGRESS');
});

(HAS_AWS_CLI ? test : test.skip)(
  'aws ecs continue-service-deployment works against the sandbox endpoint',
  async () => {
    const arn = await deploy([pause('POST_TEST_TRAFFIC_SHIFT')]);
    const hook = awaiting(await until(arn, (x) => Boolean(awaiting(x))))!;
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    const described = await exec(
      'aws',
      ['--endpoint-url', endpoint, 'ecs', 'describe-service-deployments', '--service-deployment-arns', arn],
      { env },
    );
    expect(JSON.parse(described.stdout).serviceDeployments[0].lifecycleHookDetails[0]).toMatchObject({
      hookId: hook.hookId,
      targetType: 'PAUSE',
      status: 'AWAITING_ACTION',
    });
    const out = await exec(
      'aws',
      [
        '--endpoint-url',
        endpoint,
        'ecs',
        'continue-service-deployment',
        '--service-deployment-arn',
        arn,
        '--hook-id',
        hook.hookId!,
        '--action',
        'CONTINUE',
      ],
      { env },
    );
    expect(JSON.parse(out.stdout)).toEqual({ serviceDeploymentArn: arn });
    await until(arn, (x) => x.status === 'SUCCESSFUL');
  },
  30000,
);

test('people get at least the human floor (humanWaitMs) to decide, however short the scaled timeout', async () => {
  const floored = await startEcsBed({
    phaseMs: PHASE_MS,
    humanWaitMs: 120_000,
    deploymentConfiguration: CANARY,
  });
  try {
    const started = Date.now();
    // A one-minute pause: scaled, it would last PHASE_MS (25 ms); the floor gives people two minutes.
    floored.emulators.ecs.operations.UpdateService({
      cluster: CLUSTER,
      service: 'billing-app',
      taskDefinition: floored.revision(),
      deploymentConfiguration: {
        ...CANARY,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        lifecycleHooks: [pause('POST_TEST_TRAFFIC_SHIFT', 1)],
      },
    });
    let hook: { status: string; expiresAt: number } | undefined;
    while (!hook) {
      const list = floored.emulators.ecs.operations.ListServiceDeployments({
        cluster: CLUSTER,
        service: 'billing-app',
      }) as { serviceDeployments: { serviceDeploymentArn: string }[] };
      const described = floored.emulators.ecs.operations.DescribeServiceDeployments({
        serviceDeploymentArns: list.serviceDeployments.map((d) => d.serviceDeploymentArn),
      }) as { serviceDeployments: { lifecycleHookDetails?: { status: string; expiresAt: number }[] }[] };
      hook = described.serviceDeployments
        .flatMap((d) => d.lifecycleHookDetails ?? [])
        .find((h) => h.status === 'AWAITING_ACTION');
      if (!hook) await new Promise((r) => setTimeout(r, 5));
    }
    expect(hook.expiresAt * 1000 - started).toBeGreaterThanOrEqual(119_000);
  } finally {
    await floored.close();
  }
});
