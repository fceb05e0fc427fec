import type { DeploymentLifecycleHookDetail, ServiceDeployment } from '@aws-sdk/client-ecs';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../shared/logger';
import { applied, attemptInProgress, attemptWrite, recordBefore } from './attempt-update';
import type { RolloutDeps } from './deps';
import type { RolloutPause, RolloutPausedOutput, RolloutRecord } from './types';
import { isTaskGone } from '../../shared/task-token';

/**
 * The rollout side of ECS PAUSE hooks. ECS pauses a service deployment at a stage with a PAUSE hook and
 * "emits an EventBridge event with the detail-type ECS Hook State Change and the event name
 * HOOK_AWAITING_ACTION"; the hook's id is read with DescribeServiceDeployments (`lifecycleHookDetails`,
 * developer guide "Pause hooks for Amazon ECS service deployments"). The rollout record notes the pause once
 * and hands the waiting task `{ status: 'PAUSED', … }`, which takes the workflow to "Paused in <env>: wait for
 * decision". The stage comes from the event's `detail.lifecycleStage`; the hook's state and deadline from
 * DescribeServiceDeployments.
 */

/** The PAUSE hook a service deployment waits at (status AWAITING_ACTION; the one named, if given), if any. */
export function awaitingPause(
  sd: ServiceDeployment,
  hookId?: string,
): DeploymentLifecycleHookDetail | undefined {
  if (sd.status !== 'IN_PROGRESS') return undefined;
  return sd.lifecycleHookDetails?.find(
    (h) =>
      h.targetType === 'PAUSE' &&
      h.status === 'AWAITING_ACTION' &&
      h.hookId &&
      (hookId === undefined || h.hookId === hookId),
  );
}

/**
 * The stage of a pause found without its hook event (DescribeServiceDeployments names no hook's stage, and
 * its `lifecycleStage` has no PRE_PRODUCTION_TRAFFIC_SHIFT): the configured pause's stage when there is one,
 * the deployment's stage when a pause is configured there, else PRE_PRODUCTION_TRAFFIC_SHIFT when one is
 * configured (its hooks run between the stages the deployment reports), else what the deployment reports.
 */
export function pauseStageOf(record: Pick<RolloutRecord, 'pauseStages'>, sd: ServiceDeployment): string {
  const configured = record.pauseStages ?? [];
  if (configured.length === 1) return configured[0];
  const reported = sd.lifecycleStage ?? 'UNKNOWN';
  if (configured.includes(reported)) return reported;
  if (configured.includes('PRE_PRODUCTION_TRAFFIC_SHIFT')) return 'PRE_PRODUCTION_TRAFFIC_SHIFT';
  return reported;
}

/** The task output telling the workflow the rollout is paused. */
export function pausedOutput(record: RolloutRecord, pause: RolloutPause): RolloutPausedOutput {
  return {
    status: 'PAUSED',
    service: record.service,
    environment: record.environment,
    hookId: pause.hookId,
    stage: pause.stage,
    ...(pause.expiresAt ? { expiresAt: pause.expiresAt } : {}),
  };
}

/** Whether `hook` is news for the record (not the pause it already handed to the workflow). */
export function isNewPause(record: RolloutRecord, hookId: string): boolean {
  return record.pause?.hookId !== hookId;
}

/**
 * Notes a new pause on the record and takes the waiting token (exactly once per hook: the conditional write
 * names the hook). Returns the record as it was (its token is the task to resume), or `undefined` when the
 * pause was already noted or the attempt ended.
 */
export const notePause = attemptWrite(
  (pause: RolloutPause) => ({
    update: 'SET pause = :p REMOVE taskToken',
    ...attemptInProgress(
      { ':p': pause, ':h': pause.hookId },
      '(attribute_not_exists(pause) OR pause.hookId <> :h)',
    ),
  }),
  recordBefore,
);

/** The pause a hook detail describes, seen now at `stage`. */
export function pauseFromHook(hook: DeploymentLifecycleHookDetail, stage: string, now: Date): RolloutPause {
  return {
    hookId: hook.hookId!,
    stage,
    ...(hook.expiresAt ? { expiresAt: new Date(hook.expiresAt).toISOString() } : {}),
    ...(hook.timeoutAction ? { timeoutAction: hook.timeoutAction } : {}),
    seenAt: now.toISOString(),
  };
}

/** Resumes a task with `output`; a task that already ended is not an error. @returns whether it took it. */
export async function resumeWith(
  taskToken: string,
  output: unknown,
  deps: Pick<RolloutDeps, 'sfn'>,
): Promise<boolean> {
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return true;
  } catch (err) {
    if (isTaskGone(err)) {
      logger.info('waiting task already gone; the pause stays on the rollout record', {
        error: (err as Error).name,
      });
      return false;
    }
    throw err;
  }
}

/**
 * Registers the "Paused in <env>" task as the rollout's waiter for hook `hookId` and links the pause item.
 * False when the record moved on (settled, or stopped at another hook).
 */
export const registerPauseWaiter = attemptWrite(
  (hookId: string, pauseId: string, taskToken: string, executionArn: string) => ({
    update: 'SET taskToken = :t, executionArn = :e, pause.pauseId = :p',
    ...attemptInProgress(
      { ':t': taskToken, ':e': executionArn, ':p': pauseId, ':h': hookId },
      'pause.hookId = :h',
    ),
  }),
  applied,
);

/**
 * Records people's decision on the record's pause, before ContinueServiceDeployment is called, so the
 * outcome ECS reports next (a rollback) is told as theirs. False when the record is at another hook.
 */
export const recordPauseDecision = attemptWrite(
  (hookId: string, decision: NonNullable<RolloutPause['decision']>) => ({
    update: 'SET pause.decision = :d',
    condition: 'pause.hookId = :h',
    values: { ':d': decision, ':h': hookId },
  }),
  applied,
);

/**
 * Takes the waiting task's token if the rollout still waits at hook `hookId` (so a decision resumes the
 * task exactly once, and never a waiter of a later step). Returns the token, or `undefined`.
 */
export const takePauseWaiter = attemptWrite(
  (hookId: string) => ({
    update: 'REMOVE taskToken',
    ...attemptInProgress({ ':h': hookId }, 'pause.hookId = :h AND attribute_exists(taskToken)'),
  }),
  (answer) => answer?.old?.taskToken,
);
