import { randomBytes } from 'node:crypto';
import { eventEnvelope } from '../eventbridge';
import { AwsServiceError, epochSeconds } from '../protocol';
import type { EcsContext } from './context';
import { addEvent } from './events';
import { serviceDeploymentStore, serviceOf, type StoredService } from './model';
import { beginRollback } from './rollback';
import type { HookStage, StoredHookDetail, StoredServiceDeployment } from './service-deployment-model';

/**
 * PAUSE lifecycle hooks (developer guide, "Pause hooks for Amazon ECS service deployments"): "When a
 * deployment reaches a lifecycle stage that has a pause hook configured … Amazon ECS generates a unique
 * hookId for the pause hook … emits an EventBridge event with the detail-type ECS Hook State Change and the
 * event name HOOK_AWAITING_ACTION … The deployment remains paused until you call ContinueServiceDeployment
 * with the hookId and an action of CONTINUE or ROLLBACK, or until the configured timeout is reached."
 * ContinueServiceDeployment: "You can continue a deployment that has a pause hook in AWAITING_ACTION status.
 * The deployment must be in the IN_PROGRESS state." Timeout: `timeoutInMinutes` (default 1440) and `action`
 * (default ROLLBACK); in the sandbox each configured minute lasts SHIPGATE_SANDBOX_PHASE_MS, like bake times,
 * but a pause waits at least SHIPGATE_SANDBOX_HUMAN_WAIT_MS (two real minutes unless a test sets less).
 *
 * Not documented, so chosen here and said so: the hook status after a ROLLBACK action (FAILED), which
 * exception refuses a hook that no longer waits (ClientException; the API lists AccessDenied, Client,
 * InvalidParameter, Server, ServiceDeploymentNotFound, UnsupportedFeature), and the `detail` of the hook event
 * beyond its event name (we send eventName, hookId, lifecycleStage, serviceDeploymentArn, targetType,
 * expiresAt; Shipgate itself reads only the event name and the ARNs, then asks DescribeServiceDeployments).
 */

const timerKey = (sd: StoredServiceDeployment) => `${sd.arn}#pause`;

/**
 * Runs the next step of a deployment after `ms` (the engine's `scheduleStep`, passed in so this module and
 * the engine do not import each other).
 */
export type ScheduleStep = (ctx: EcsContext, sd: StoredServiceDeployment, ms: number) => void;

/** An id shaped like the documented example (`ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw`). */
function newHookId(): string {
  return `ecs-pause-${randomBytes(32).toString('base64url').slice(0, 43)}`;
}

/** The PAUSE hooks configured at `stage`, with their index in `sd.hooks`. */
function pauseHooksAt(sd: StoredServiceDeployment, stage: HookStage): number[] {
  return sd.hooks
    .map((h, i) => ({ h, i }))
    .filter(({ h }) => h.targetType === 'PAUSE' && h.lifecycleStages.includes(stage))
    .map(({ i }) => i);
}

/** The hook the deployment waits at, if any. */
export function awaitingHook(sd: StoredServiceDeployment): StoredHookDetail | undefined {
  return sd.hookDetails?.find((h) => h.status === 'AWAITING_ACTION');
}

/**
 * Holds the deployment at the next PAUSE hook of `stage` after hook index `after` (-1: the first). Returns
 * false when no PAUSE hook is left at this stage (the engine goes on).
 */
export function pauseAt(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  s: StoredService,
  stage: HookStage,
  scheduleStep: ScheduleStep,
  after = -1,
): boolean {
  const index = pauseHooksAt(sd, stage).find((i) => i > after);
  if (index === undefined) return false;
  const hook = sd.hooks[index];
  const minutes = hook.timeoutConfiguration?.timeoutInMinutes ?? 1440;
  // Scaled like the machine's waits, but people get at least `humanWaitMs` of real time to decide.
  const waitMs = Math.max(1, minutes * ctx.phaseMs, ctx.humanWaitMs ?? 0);
  const detail: StoredHookDetail = {
    hookId: newHookId(),
    targetType: 'PAUSE',
    status: 'AWAITING_ACTION',
    expiresAt: Math.floor((Date.now() + waitMs) / 1000),
    deadlineMs: Date.now() + waitMs,
    timeoutAction: hook.timeoutConfiguration?.action ?? 'ROLLBACK',
    stage,
    hookIndex: index,
  };
  (sd.hookDetails ??= []).push(detail);
  sd.updatedAt = epochSeconds();
  addEvent(
    s,
    `service deployment paused at ${stage} (hook ${detail.hookId}): waiting for ContinueServiceDeployment.`,
  );
  ctx.store.changed();
  armTimeout(ctx, sd, detail, waitMs, scheduleStep);
  ctx.sink(
    eventEnvelope('ECS Hook State Change', 'aws.ecs', [s.arn, sd.arn], {
      eventName: 'HOOK_AWAITING_ACTION',
      eventType: 'INFO',
      hookId: detail.hookId,
      targetType: 'PAUSE',
      lifecycleStage: stage,
      serviceDeploymentArn: sd.arn,
      expiresAt: new Date(detail.expiresAt * 1000).toISOString(),
    }),
  );
  return true;
}

/** Longest real time between two looks at a pause's deadline. */
const DEADLINE_LOOK_MS = 1000;

/**
 * Takes the hook's timeout action once the process clock reaches its deadline. The deadline is read from the
 * clock, not counted by one timer, so a clock that moves on its own (the history generator's simulated
 * clock, which jumps ahead while people "think") times the pause out as it would the approval links.
 */
function armTimeout(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  detail: StoredHookDetail,
  ms: number,
  scheduleStep: ScheduleStep,
): void {
  if (ctx.timers.closed) return;
  ctx.timers.start(timerKey(sd), Math.max(1, Math.round(Math.min(ms, DEADLINE_LOOK_MS))), () => {
    const now = serviceDeploymentStore(ctx.store.data)[sd.arn];
    const s = now && serviceOf(ctx.store.data, now);
    const waiting = now && awaitingHook(now);
    if (!now || !s || !waiting || waiting.hookId !== detail.hookId || now.status !== 'IN_PROGRESS') return;
    const left = (waiting.deadlineMs ?? waiting.expiresAt * 1000) - Date.now();
    if (left > 0) return armTimeout(ctx, sd, detail, left, scheduleStep);
    waiting.status = 'TIMED_OUT';
    const minutes = now.hooks[waiting.hookIndex]?.timeoutConfiguration?.timeoutInMinutes ?? 1440;
    if (waiting.timeoutAction === 'CONTINUE') {
      addEvent(
        s,
        `PAUSE hook ${waiting.hookId} at ${waiting.stage} timed out after ${minutes} minutes: continuing.`,
      );
      resume(ctx, now, s, waiting, scheduleStep);
    } else {
      beginRollback(
        ctx,
        now,
        s,
        'LIFECYCLE_HOOK',
        `PAUSE hook ${waiting.hookId} at ${waiting.stage} timed out after ${minutes} minutes (timeout action ROLLBACK).`,
      );
      scheduleStep(ctx, now, ctx.phaseMs);
    }
  });
}

/** Goes on after a PAUSE hook: the next PAUSE hook of the same stage, else the next step of the plan. */
function resume(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  s: StoredService,
  passed: StoredHookDetail,
  scheduleStep: ScheduleStep,
): void {
  sd.updatedAt = epochSeconds();
  ctx.store.changed();
  if (!pauseAt(ctx, sd, s, passed.stage, scheduleStep, passed.hookIndex)) scheduleStep(ctx, sd, 1);
}

/** After a restart: a deployment that waited at a PAUSE hook keeps waiting until the hook's deadline. */
export function rearmPause(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  scheduleStep: ScheduleStep,
): boolean {
  const waiting = awaitingHook(sd);
  if (!waiting || sd.status !== 'IN_PROGRESS') return false;
  armTimeout(
    ctx,
    sd,
    waiting,
    Math.max(1, (waiting.deadlineMs ?? waiting.expiresAt * 1000) - Date.now()),
    scheduleStep,
  );
  return true;
}

/**
 * ContinueServiceDeployment `{ serviceDeploymentArn, hookId, action? }` (action CONTINUE by default).
 * @throws ServiceDeploymentNotFoundException for an unknown deployment; InvalidParameterException for a
 *   missing/unknown hook id or action; ClientException when the deployment is not IN_PROGRESS or the hook
 *   is not AWAITING_ACTION.
 */
export function continueServiceDeployment(
  ctx: EcsContext,
  input: Record<string, unknown>,
  scheduleStep: ScheduleStep,
) {
  const arn = input.serviceDeploymentArn;
  const sd = typeof arn === 'string' ? serviceDeploymentStore(ctx.store.data)[arn] : undefined;
  if (!sd) {
    throw new AwsServiceError(
      'ServiceDeploymentNotFoundException',
      `The service deployment ${String(arn)} does not exist.`,
    );
  }
  const action = input.action ?? 'CONTINUE';
  if (action !== 'CONTINUE' && action !== 'ROLLBACK') {
    throw new AwsServiceError(
      'InvalidParameterException',
      `action must be CONTINUE or ROLLBACK; received ${String(action)}.`,
    );
  }
  if (typeof input.hookId !== 'string' || input.hookId === '') {
    throw new AwsServiceError('InvalidParameterException', 'hookId is required.');
  }
  const hook = sd.hookDetails?.find((h) => h.hookId === input.hookId);
  if (!hook) {
    throw new AwsServiceError(
      'InvalidParameterException',
      `The service deployment ${sd.arn} has no lifecycle hook ${input.hookId}.`,
    );
  }
  if (sd.status !== 'IN_PROGRESS' || hook.status !== 'AWAITING_ACTION') {
    throw new AwsServiceError(
      'ClientException',
      `The pause hook ${hook.hookId} is ${hook.status} and the service deployment is ${sd.status}: only a hook in AWAITING_ACTION of an IN_PROGRESS deployment can be continued or rolled back.`,
    );
  }
  const s = serviceOf(ctx.store.data, sd);
  if (!s) throw new AwsServiceError('ServerException', `The service of ${sd.arn} is gone.`);
  ctx.timers.cancel(timerKey(sd));
  if (action === 'ROLLBACK') {
    hook.status = 'FAILED';
    beginRollback(
      ctx,
      sd,
      s,
      'USER',
      `Rollback requested with ContinueServiceDeployment at PAUSE hook ${hook.hookId} (${hook.stage}).`,
    );
    scheduleStep(ctx, sd, ctx.phaseMs);
  } else {
    hook.status = 'SUCCEEDED';
    addEvent(s, `PAUSE hook ${hook.hookId} at ${hook.stage} continued with ContinueServiceDeployment.`);
    resume(ctx, sd, s, hook, scheduleStep);
  }
  return { serviceDeploymentArn: sd.arn };
}
