import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type Service } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { RolloutDeps } from '../../../lambdas/domain/rollout/deps';
import { type EventHandling } from '../../../lambdas/domain/rollout/events';
import { readLock } from '../../../lambdas/domain/rollout/lock';
import { getRecord, markVerified } from '../../../lambdas/domain/rollout/records';
import { startRollout } from '../../../lambdas/domain/rollout/start';
import type { RolloutOutcome } from '../../../lambdas/domain/rollout/types';
import { ROLLOUT_ANNOTATION } from '../../../sandbox/aws/ecr';
import { startRolloutBed, type RolloutBed } from './ecs-bed';
import { makeRelease, testConfig, token } from './harness';

/**
 * The rollout domain end to end against the sandbox's emulated ECS (over the AWS JSON protocol, real SDK
 * clients): its deployments move IN_PROGRESS → COMPLETED / FAILED on timers and emit "ECS Deployment State
 * Change" events, which go to `rollout-events` exactly as an EventBridge rule would deliver them. Only Step
 * Functions is mocked, to see what the waiting task would receive.
 */

const EXEC = 'arn:aws:states:us-east-1:000000000000:execution:shipgate-release:sandbox-test';

const startSandbox = (phaseMs = 40) =>
  startRolloutBed({
    config: testConfig(),
    executionArn: EXEC,
    phaseMs,
    table: 'shipgate-rollout-sandbox-test',
  });

/** The reason of an ignored event ('' for anything else). */
function reasonOf(h: EventHandling): string {
  return h.action === 'ignored' ? h.reason : '';
}

async function runningImage(
  deps: RolloutDeps,
  cluster: string,
  service: string,
): Promise<string | undefined> {
  const svc = (await deps.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })))
    .services![0];
  const td = await deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }));
  return td.taskDefinition?.containerDefinitions?.[0].image;
}

describe('rollouts against the sandbox ECS emulator', () => {
  let sandbox: RolloutBed;
  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => sandbox.close());

  test('rolling success: the deployment event resumes the task, the service runs the pinned digest', async () => {
    const image = sandbox.push('storefront', 'good1');
    const release = makeRelease();
    await startRollout(
      { taskToken: token('ok'), executionArn: EXEC, environment: 'staging', release, image },
      sandbox.deps,
    );
    await sandbox.settled();

    expect(sandbox.sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    const outcome = JSON.parse(
      sandbox.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output as string,
    ) as RolloutOutcome;
    expect(outcome).toMatchObject({
      service: 'storefront',
      environment: 'staging',
      status: 'COMPLETED',
      digest: image.digest,
    });
    expect(sandbox.handled).toContainEqual(
      expect.objectContaining({ action: 'settled', status: 'COMPLETED' }),
    );
    expect(await runningImage(sandbox.deps, 'shipgate-staging', 'storefront')).toBe(image.imageUri);
  });

  test('circuit breaker failure: the task fails with RolloutFailed naming the revision ECS rolled back to; the old image keeps running', async () => {
    const before = await runningImage(sandbox.deps, 'shipgate-staging', 'storefront');
    const image = sandbox.push('storefront', 'bad1', { [ROLLOUT_ANNOTATION]: 'fail' });
    await startRollout(
      { taskToken: token('bad'), executionArn: EXEC, environment: 'staging', release: makeRelease(), image },
      sandbox.deps,
    );
    await sandbox.settled();

    expect(sandbox.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    const failure = sandbox.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input;
    expect(failure.error).toBe('RolloutFailed');
    expect(failure.cause).toMatch(
      /circuit breaker.*rolled back to staging-storefront:1 \(the revision it ran before\)/,
    );
    // Give ECS's rollback deployment time to finish, then check what runs.
    await new Promise((r) => setTimeout(r, 300));
    expect(await runningImage(sandbox.deps, 'shipgate-staging', 'storefront')).toBe(before);
  });

  test('verify failure after success: Shipgate rolls the service back to its previous revision; the ending event resumes the token', async () => {
    const before = await runningImage(sandbox.deps, 'shipgate-staging', 'storefront');
    const image = sandbox.push('storefront', 'unhealthy1', { [ROLLOUT_ANNOTATION]: 'unhealthy' });
    const release = makeRelease();
    await startRollout(
      { taskToken: token('uh'), executionArn: EXEC, environment: 'staging', release, image },
      sandbox.deps,
    );
    await sandbox.settled();
    expect(sandbox.sfn).toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(
      await markVerified('staging', 'storefront', release.id, new Date().toISOString(), sandbox.deps),
    ).toBe(true);

    sandbox.sfn.resetHistory();
    const started = await sandbox.rollBack(token('rb-uh'), 'staging', { release, image }, 'VerifyFailed');
    expect(started).toEqual({ status: 'WAITING', detail: 'rollback redeploy under way' });
    await sandbox.settled();

    // The deployment event that ends the rollback resumes the parked token (no Lambda waited for ECS).
    const resumed = sandbox.sfn.commandCalls(SendTaskSuccessCommand);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].args[0].input.taskToken).toBe(token('rb-uh'));
    expect(JSON.parse(resumed[0].args[0].input.output as string)).toMatchObject({
      service: 'storefront',
      rolledBack: {
        service: 'storefront',
        from: expect.stringMatching(/task-definition\/staging-storefront:2$/),
        to: expect.stringMatching(/task-definition\/staging-storefront:1$/),
        by: 'shipgate',
      },
    });
    expect(await runningImage(sandbox.deps, 'shipgate-staging', 'storefront')).toBe(before);
    expect((await getRecord('shipgate-staging', 'storefront', sandbox.deps))?.status).toBe('ROLLED_BACK');
  });

  test('circuit breaker: ECS\'s own rollback ends before "Start rollback" parked its token; the start looks again and resumes the task', async () => {
    // Slow phases (300 ms) so ECS's rollback deployment is still in flight when "Start rollback" decides.
    await sandbox.close();
    sandbox = await startSandbox(300);
    const release = makeRelease();
    const image = sandbox.push('storefront', 'bad2', { [ROLLOUT_ANNOTATION]: 'fail' });
    await startRollout(
      { taskToken: token('bad'), executionArn: EXEC, environment: 'staging', release, image },
      sandbox.deps,
    );
    await sandbox.settled();
    expect(sandbox.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input.error).toBe('RolloutFailed');
    sandbox.sfn.resetHistory();

    // The race: "Start rollback" sees ECS's rollback deployment in progress (its DescribeServices), then
    // the rollback deployment completes and its SERVICE_DEPLOYMENT_COMPLETED event reaches rollout-events
    // (which ignores it: no rollback is recorded yet) before "Start rollback" stores its rollback state.
    const ecs = sandbox.deps.ecs as unknown as { send: (command: unknown) => Promise<unknown> };
    const send = ecs.send.bind(ecs);
    let raced = false;
    ecs.send = async (command: unknown) => {
      const out = await send(command);
      if (!raced && command instanceof DescribeServicesCommand) {
        raced = true;
        const primary = (out as { services: Service[] }).services[0].deployments?.find(
          (d) => d.status === 'PRIMARY',
        );
        expect(primary?.rolloutState).toBe('IN_PROGRESS');
        for (let i = 0; i < 100 && !sandbox.handled.some((h) => /already ended/.test(reasonOf(h))); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(sandbox.handled.map(reasonOf)).toContainEqual(
          expect.stringMatching(/already ended \(FAILED\)/),
        );
      }
      return out;
    };

    const started = await sandbox.rollBack(token('rb'), 'staging', { release, image }, 'RolloutFailed');

    expect(raced).toBe(true);
    // Without a second look the token would wait for an event that already came, until TimeoutSeconds.
    expect(started).toEqual({ status: 'SETTLED', outcome: 'COMPLETED' });
    expect(sandbox.sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    const resumed = sandbox.sfn.commandCalls(SendTaskSuccessCommand);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].args[0].input.taskToken).toBe(token('rb'));
    expect(JSON.parse(resumed[0].args[0].input.output as string)).toMatchObject({
      service: 'storefront',
      rolledBack: { service: 'storefront', by: 'ecs-circuit-breaker' },
    });
    const record = await getRecord('shipgate-staging', 'storefront', sandbox.deps);
    expect(record?.status).toBe('ROLLED_BACK');
    expect(record?.rollback?.status).toBe('COMPLETED');
    expect(await readLock('staging', 'storefront', sandbox.deps)).toBeUndefined();
  });
});
