import { Duration } from 'aws-cdk-lib';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { STEPS } from './steps';

/** Inputs of {@link buildRollbackDefinition}. */
export interface RollbackDefinitionProps {
  /** The validated configuration (`rollout.eventGrace` bounds each wait for an event). */
  readonly config: ShipgateConfig;
  /** The `manual-rollback` version the tasks invoke. */
  readonly handler: IVersion;
}

/** State names of the rollback state machine, as the console shows them. */
export const ROLLBACK_STATE_NAMES = {
  start: 'Start manual rollback',
  check: 'Check manual rollback',
  settled: 'Manual rollback settled?',
  await: 'Await manual rollback',
  outcome: 'Rolled back?',
  done: 'Rolled back',
  failed: 'Rollback failed',
} as const;

/** Extra seconds a state waits beyond its Lambda's own timeout. */
const INVOKE_SLACK_SECONDS = 30;

/**
 * Seconds the rollback state machine may run at most: the rollback's `rollout.timeout` (after which "Check
 * manual rollback" records it FAILED), two event waits and slack for the invocations.
 */
export function rollbackMachineTimeoutSeconds(config: ShipgateConfig): number {
  return config.rollout.timeout + 2 * config.rollout.eventGrace + 300;
}

/**
 * The manual rollback (`POST /api/rollbacks`, input `{ rollbackId }`), waited for exactly like the release's
 * "Roll back <env>":
 *
 * ```
 * Start manual rollback (waitForTaskToken) ─▶ Rolled back? ─▶ Rolled back | Rollback failed
 *   └─ no event within rollout.eventGrace ─▶ Check manual rollback ─▶ Manual rollback settled?
 *        ├─ yes ─▶ Rolled back?
 *        └─ no ──▶ Await manual rollback (waitForTaskToken) ─▶ Rolled back?  (timeout ─▶ Check …)
 * ```
 *
 * The Lambda starts the rollback, parks its token and returns; the deployment event that ends the rollback
 * resumes the token (`rollout-events`). No Lambda waits for ECS. The check records the rollback FAILED once
 * `rollout.timeout` has passed, which bounds the loop.
 */
export function buildRollbackDefinition(scope: Construct, props: RollbackDefinitionProps): sfn.IChainable {
  const { config, handler } = props;
  const names = ROLLBACK_STATE_NAMES;
  const rollbackId = sfn.JsonPath.stringAt('$.rollbackId');
  const waitForEvent = (name: string, comment: string) =>
    new tasks.LambdaInvoke(scope, name, {
      lambdaFunction: handler,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        action: 'start',
        rollbackId,
        taskToken: sfn.JsonPath.taskToken,
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      }),
      resultPath: '$.result',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(config.rollout.eventGrace)),
      comment,
    });
  const start = waitForEvent(
    names.start,
    'Starts the rollback (lock, pinned task definition, deployment without pauses or bakes) and waits for the deployment event that ends it',
  );
  const awaitRollback = waitForEvent(
    names.await,
    'Rollback still in progress: waits for the next deployment event',
  );
  const check = new tasks.LambdaInvoke(scope, names.check, {
    lambdaFunction: handler,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject({ action: 'check', rollbackId }),
    resultPath: '$.result',
    taskTimeout: sfn.Timeout.duration(
      Duration.seconds(STEPS['manual-rollback'].timeoutSeconds(config) + INVOKE_SLACK_SECONDS),
    ),
    comment:
      'No event within the grace period: asks ECS once; records the rollback FAILED after rollout.timeout',
  });
  const done = new sfn.Succeed(scope, names.done, { comment: 'The rollback is recorded ROLLED_BACK' });
  const failed = new sfn.Fail(scope, names.failed, {
    comment: 'The rollback is recorded FAILED (GET /api/rollbacks/<id> says why)',
    error: 'RollbackFailed',
    cause: 'The manual rollback failed; its entry (GET /api/rollbacks/<id>) records why.',
  });
  const outcome = new sfn.Choice(scope, names.outcome)
    .when(sfn.Condition.stringEquals('$.result.status', 'ROLLED_BACK'), done)
    .otherwise(failed);
  // A lost event (timeout) or a failed invocation: look once; the check ends the loop after rollout.timeout.
  const lookAgain = { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD };
  start.addCatch(check, lookAgain);
  awaitRollback.addCatch(check, lookAgain);
  start.next(outcome);
  awaitRollback.next(outcome);
  check.next(
    new sfn.Choice(scope, names.settled)
      .when(sfn.Condition.booleanEquals('$.result.settled', true), outcome)
      .otherwise(awaitRollback),
  );
  return start;
}
