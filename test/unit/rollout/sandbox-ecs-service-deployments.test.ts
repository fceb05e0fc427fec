import { REASONS } from '../../../sandbox/aws/ecs/reasons';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { FAIL_AT_ANNOTATION } from '../../../sandbox/aws/ecr';
import { startEcsBed, type EcsBed } from './ecs-bed';

/**
 * The emulated ECS runs BLUE_GREEN / LINEAR / CANARY as service deployments (ECS API reference,
 * ServiceDeployment): lifecycle stages, traffic weights, bake time scaled by phaseMs, lifecycle hooks,
 * ListServiceDeployments / DescribeServiceDeployments / StopServiceDeployment over the AWS JSON protocol
 * (real SDK client, and the AWS CLI when installed), and the deployment state-change events.
 */

const PHASE_MS = 25;
const CLUSTER = 'shipgate-production';

let bed: EcsBed;

beforeEach(async () => {
  bed = await startEcsBed({
    phaseMs: PHASE_MS,
    deploymentConfiguration: {
      strategy: 'CANARY',
      bakeTimeInMinutes: 2,
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
    },
  });
});

afterEach(() => bed.close());

async function deploy(taskDefinition: string, extra: Record<string, unknown> = {}): Promise<string> {
  await bed.ecs.send(
    new UpdateServiceCommand({ cluster: CLUSTER, service: 'billing-app', taskDefinition, ...extra }),
  );
  const list = await bed.ecs.send(
    new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: 'billing-app', status: ['IN_PROGRESS'] }),
  );
  expect(list.serviceDeployments).toHaveLength(1);
  return list.serviceDeployments![0].serviceDeploymentArn!;
}

async function describe1(arn: string): Promise<ServiceDeployment> {
  const out = await bed.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  return out.serviceDeployments![0];
}

/** Polls DescribeServiceDeployments every few ms, recording each (status, stage, production weight). */
async function watch(arn: string, until: (d: ServiceDeployment) => boolean, limitMs = 8000) {
  const seen: string[] = [];
  const started = Date.now();
  for (;;) {
    const d = await describe1(arn);
    const line = `${d.status} ${d.lifecycleStage} ${d.targetServiceRevision?.requestedProductionTrafficWeight}`;
    if (seen.at(-1) !== line) seen.push(line);
    if (until(d)) return { d, seen, ms: Date.now() - started };
    if (Date.now() - started > limitMs) throw new Error(`not settled: ${seen.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

const eventNames = () => bed.events.map((e) => `${e.detail.eventName as string}`);

test('a CANARY moves through its stages: canary weight, canary bake, 100 %, bake time, SUCCESSFUL', async () => {
  const arn = await deploy(await bed.revision());
  const { d, seen, ms } = await watch(arn, (x) => x.status === 'SUCCESSFUL');
  const stages = [...new Set(seen.map((l) => l.split(' ')[1]))];
  expect(stages).toEqual(
    expect.arrayContaining([
      'SCALE_UP',
      'TEST_TRAFFIC_SHIFT',
      'PRODUCTION_TRAFFIC_SHIFT',
      'BAKE_TIME',
      'CLEAN_UP',
    ]),
  );
  expect(stages.indexOf('TEST_TRAFFIC_SHIFT')).toBeLessThan(stages.indexOf('PRODUCTION_TRAFFIC_SHIFT'));
  expect(stages.indexOf('PRODUCTION_TRAFFIC_SHIFT')).toBeLessThan(stages.indexOf('BAKE_TIME'));
  expect(seen).toContain('IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT 10');
  expect(seen).toContain('IN_PROGRESS BAKE_TIME 100');
  // 5 canary-bake minutes + 2 bake minutes, each lasting PHASE_MS, plus the stage steps.
  expect(ms).toBeGreaterThanOrEqual(7 * PHASE_MS);
  expect(d.targetServiceRevision?.requestedProductionTrafficWeight).toBe(100);
  expect(d.finishedAt).toBeInstanceOf(Date);
  expect(eventNames()).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED']);
  const svc = bed.emulators.ecs.findService(CLUSTER, 'billing-app')!;
  expect(svc.deployments).toHaveLength(1);
  expect(svc.stableTaskDefinition).toBe(svc.taskDefinition);
});

test('a LINEAR deployment moves production traffic step by step', async () => {
  const arn = await deploy(await bed.revision(), {
    deploymentConfiguration: {
      strategy: 'LINEAR',
      bakeTimeInMinutes: 0,
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
    },
  });
  const { seen } = await watch(arn, (x) => x.status === 'SUCCESSFUL');
  const weights = seen
    .filter((l) => l.includes('PRODUCTION_TRAFFIC_SHIFT'))
    .map((l) => Number(l.split(' ')[2]));
  expect([...new Set(weights)]).toEqual([0, 25, 50, 75, 100].filter((w) => weights.includes(w)));
  expect(weights).toEqual(expect.arrayContaining([25, 50, 75, 100]));
});

test('StopServiceDeployment ROLLBACK mid-bake: ROLLBACK_REQUESTED → ROLLBACK_SUCCESSFUL, old revision back', async () => {
  const before = bed.emulators.ecs.findService(CLUSTER, 'billing-app')!.taskDefinition;
  const arn = await deploy(await bed.revision());
  await watch(
    arn,
    (x) =>
      x.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT' &&
      x.targetServiceRevision?.requestedProductionTrafficWeight === 10,
  );
  // In process, so the next phase (25 ms) cannot pass between the stop and the read on a loaded machine.
  const ecs = bed.emulators.ecs.operations;
  const out = ecs.StopServiceDeployment({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }) as {
    serviceDeploymentArn?: string;
  };
  expect(out.serviceDeploymentArn).toBe(arn);
  const requested = ecs.DescribeServiceDeployments({ serviceDeploymentArns: [arn] }) as {
    serviceDeployments: ServiceDeployment[];
  };
  expect(requested.serviceDeployments[0].status).toBe('ROLLBACK_REQUESTED');
  const { d, seen } = await watch(arn, (x) => x.status === 'ROLLBACK_SUCCESSFUL');
  expect(seen.some((l) => l.startsWith('ROLLBACK_IN_PROGRESS'))).toBe(true);
  // Undocumented wording: one of a few phrasings, never an ARN.
  expect(REASONS.stopRollback).toContain(d.rollback?.reason);
  expect(d.rollback?.serviceRevisionArn).toBe(d.sourceServiceRevisions?.[0].arn);
  expect(d.targetServiceRevision?.requestedProductionTrafficWeight).toBe(0);
  const svc = bed.emulators.ecs.findService(CLUSTER, 'billing-app')!;
  expect(svc.taskDefinition).toBe(before);
  expect(svc.deployments.map((x) => [x.taskDefinition, x.rolloutState])).toEqual([[before, 'COMPLETED']]);
  expect(eventNames()).toEqual([
    'SERVICE_DEPLOYMENT_IN_PROGRESS',
    'SERVICE_DEPLOYMENT_FAILED',
    'SERVICE_DEPLOYMENT_IN_PROGRESS',
    'SERVICE_DEPLOYMENT_COMPLETED',
  ]);
  // A finished deployment cannot be stopped.
  await expect(
    bed.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })),
  ).rejects.toMatchObject({ name: 'ConflictException' });
});

test('StopServiceDeployment ABORT stops where it is (STOPPED); unknown ARNs and stop types are refused', async () => {
  const arn = await deploy(await bed.revision());
  await watch(arn, (x) => x.lifecycleStage === 'POST_SCALE_UP');
  // In process, so the next phase (25 ms) cannot pass between the stop and the read on a loaded machine.
  const ecs = bed.emulators.ecs.operations;
  ecs.StopServiceDeployment({ serviceDeploymentArn: arn, stopType: 'ABORT' });
  const requested = ecs.DescribeServiceDeployments({ serviceDeploymentArns: [arn] }) as {
    serviceDeployments: ServiceDeployment[];
  };
  expect(requested.serviceDeployments[0].status).toBe('STOP_REQUESTED');
  await watch(arn, (x) => x.status === 'STOPPED');
  await expect(
    bed.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: `${arn}x` })),
  ).rejects.toMatchObject({ name: 'ServiceDeploymentNotFoundException' });
  await expect(
    bed.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'PAUSE' as never })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
});

test('an image annotated fail-at BAKE_TIME@production fails there, and rolls back by the circuit breaker', async () => {
  const arn = await deploy(await bed.revision({ [FAIL_AT_ANNOTATION]: 'BAKE_TIME@production' }));
  const { d, seen } = await watch(arn, (x) => x.status === 'ROLLBACK_SUCCESSFUL');
  expect(seen).toContain('ROLLBACK_REQUESTED BAKE_TIME 100');
  expect(seen).toContain('IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT 100');
  expect(d.lifecycleStage).toBe('BAKE_TIME');
  expect(REASONS.circuitBreaker).toContain(d.rollback?.reason);
  expect(d.deploymentCircuitBreaker?.status).toBe('TRIGGERED');
});

test('the same annotation for another environment does not fail here', async () => {
  const arn = await deploy(await bed.revision({ [FAIL_AT_ANNOTATION]: 'SCALE_UP@staging' }));
  await watch(arn, (x) => x.status === 'SUCCESSFUL');
});

test('a malformed fail-at annotation is refused by PutImage', () => {
  expect(() =>
    bed.emulators.ecr.putImage({
      repositoryName: 'billing-app',
      imageTag: 'bad',
      imageManifest: JSON.stringify({ schemaVersion: 2, annotations: { [FAIL_AT_ANNOTATION]: 'LATER' } }),
    }),
  ).toThrow(/fail-at.*expected <STAGE>/);
});

test('lifecycle hooks run at their stage with ECS payload; IN_PROGRESS re-invokes; FAILED rolls back before production traffic', async () => {
  const hook = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook';
  let calls = 0;
  bed.hookAnswer = () =>
    ++calls === 1 ? { hookStatus: 'IN_PROGRESS', callBackDelay: 1 } : { hookStatus: 'FAILED' };
  const arn = await deploy(await bed.revision(), {
    deploymentConfiguration: {
      lifecycleHooks: [
        {
          hookTargetArn: hook,
          roleArn: 'arn:aws:iam::000000000000:role/hook',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        },
      ],
    },
  });
  const { d, seen } = await watch(arn, (x) => x.status === 'ROLLBACK_SUCCESSFUL');
  expect(bed.hookCalls).toHaveLength(2);
  const payload = bed.hookCalls[0].payload as {
    lifecycleStage: string;
    resourceArn: string;
    executionDetails: { testTrafficWeights: Record<string, number>; targetServiceRevisionArn: string };
  };
  expect(payload.lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
  expect(payload.resourceArn).toBe(arn);
  expect(payload.executionDetails.testTrafficWeights[payload.executionDetails.targetServiceRevisionArn]).toBe(
    100,
  );
  expect(seen.filter((l) => l.includes('PRODUCTION_TRAFFIC_SHIFT'))).toEqual([]);
  // Which hook failed is in lifecycleHookDetails (its targetArn), not in the reason's undocumented text.
  expect(REASONS.lambdaHook).toContain(d.rollback?.reason);
  expect(d.rollback?.reason).not.toContain('arn:');
  expect(d.lifecycleHookDetails).toEqual([
    expect.objectContaining({ targetType: 'AWS_LAMBDA', targetArn: hook, status: 'FAILED' }),
  ]);
});

test('UpdateService refuses what ECS refuses (canaryPercent 12.25 or 0.05, stepPercent 2 or 33.33, bake 1441) with InvalidParameterException and changes nothing', async () => {
  const td = await bed.revision();
  for (const [cfg, message] of [
    [
      { canaryConfiguration: { canaryPercent: 12.25, canaryBakeTimeInMinutes: 5 } },
      /canaryPercent.*0\.1 to 100 in increments of 0\.1.*12\.25/,
    ],
    [
      { strategy: 'LINEAR', linearConfiguration: { stepPercent: 2, stepBakeTimeInMinutes: 1 } },
      /stepPercent must be from 3 to 100 in increments of 0\.1; received 2/,
    ],
    // Off the 0.1 grid ("multiples of 0.1 from 3.0 to 100.0", LinearConfiguration.stepPercent).
    [
      { strategy: 'LINEAR', linearConfiguration: { stepPercent: 33.33, stepBakeTimeInMinutes: 1 } },
      /stepPercent must be from 3 to 100 in increments of 0\.1; received 33\.33/,
    ],
    [
      { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 0.05, canaryBakeTimeInMinutes: 1 } },
      /canaryPercent.*0\.1 to 100 in increments of 0\.1.*0\.05/,
    ],
    [
      { bakeTimeInMinutes: 1441 },
      /bakeTimeInMinutes must be a whole number of minutes from 0 to 1440; received 1441/,
    ],
  ] as const) {
    await expect(
      bed.ecs.send(
        new UpdateServiceCommand({
          cluster: CLUSTER,
          service: 'billing-app',
          taskDefinition: td,
          deploymentConfiguration: cfg as never,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(message) });
  }
  expect(bed.emulators.ecs.serviceDeployments()).toHaveLength(0);
  expect(bed.events).toHaveLength(0);
});

const exec = promisify(execFile);
const cli = (() => {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(cli ? test : test.skip)(
  'the AWS CLI lists and describes service deployments with their stages',
  async () => {
    const arn = await deploy(await bed.revision());
    await watch(arn, (x) => x.status === 'SUCCESSFUL');
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIATEST',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const list = await exec(
      'aws',
      [
        '--endpoint-url',
        bed.endpoint,
        'ecs',
        'list-service-deployments',
        '--cluster',
        CLUSTER,
        '--service',
        'billing-app',
      ],
      { env },
    );
    expect(JSON.parse(list.stdout).serviceDeployments[0]).toMatchObject({
      serviceDeploymentArn: arn,
      status: 'SUCCESSFUL',
    });
    const described = await exec(
      'aws',
      [
        '--endpoint-url',
        bed.endpoint,
        'ecs',
        'describe-service-deployments',
        '--service-deployment-arns',
        arn,
      ],
      { env },
    );
    expect(JSON.parse(described.stdout).serviceDeployments[0]).toMatchObject({
      status: 'SUCCESSFUL',
      lifecycleStage: 'CLEAN_UP',
      targetServiceRevision: { requestedProductionTrafficWeight: 100 },
    });
  },
  30000,
);
