import { randomBytes } from 'node:crypto';
import { eventEnvelope } from '../eventbridge';
import { AwsServiceError, epochSeconds } from '../protocol';
import type { EcsContext } from './context';
import { addEvent } from './events';
import { serviceDeploymentStore, serviceOf, type StoredService } from './model';
import { beginRollback } from './rollback';
import { reason } from './reasons';
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
 * Hooks of one stage run in parallel ("All hooks configured at the same lifecycle stage run in parallel"): every
 * PAUSE hook of a stage waits at once, while the stage's Lambda hooks run (`lifecycle-hooks.ts`); the stage
 * ends when the last of them is done ({@link stageHooksDone}).
 *
 * Not documented, so chosen here and said so: the hook status after a ROLLBACK action (FAILED), which
 * exception refuses a hook that no longer waits (ClientException; the API lists AccessDenied, Client,
 * InvalidParameter, Server, ServiceDeploymentNotFound, UnsupportedFeature), and the `detail` of the hook event
 * beyond its event name (we send eventName, hookId, lifecycleStage, serviceDeploymentArn, targetType,
 * expiresAt; Shipgate itself reads only the event name and the ARNs, then asks DescribeServiceDeployments).
 */

const timerKey = (sd: StoredServiceDeployment, hookId: string) => `${sd.arn}#pause#${hookId}`;

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
 * Holds the deployment at every PAUSE hook of `stage` at once (each gets its hookId, its
 * HOOK_AWAITING_ACTION event and its timeout). Returns how many it armed.
 */
export function pauseAll(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  s: StoredService,
  stage: HookStage,
  scheduleStep: ScheduleStep,
): number {
  const indexes = pauseHooksAt(sd, stage);
  for (const index of indexes) {
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
    addEvent(s, `service deployment paused at ${stage}: waiting for ContinueServiceDeployment.`);
    ctx.store.changed();
    armTimeout(ctx, sd, detail, waitMs, scheduleStep);
    ctx.sink(
      eventEnvelope(ctx.account, 'ECS Hook State Change', 'aws.ecs', [s.arn, sd.arn], {
        eventName: 'HOOK_AWAITING_ACTION',
        eventType: 'INFO',
        hookId: detail.hookId,
        targetType: 'PAUSE',
        lifecycleStage: stage,
        serviceDeploymentArn: sd.arn,
        expiresAt: new Date(detail.expiresAt! * 1000).toISOString(),
      }),
    );
  }
  return indexes.length;
}

/** Cancels the timeouts of every PAUSE hook of `sd` (it is rolling back or stopped). */
export function cancelPauses(ctx: EcsContext, sd: StoredServiceDeployment): void {
  for (const h of sd.hookDetails ?? [])
    if (h.targetType === 'PAUSE') ctx.timers.cancel(timerKey(sd, h.hookId));
}

/**
 * Ends the stage whose hooks run, once its Lambda hooks answered and none of its PAUSE hooks waits: the
 * engine goes on with the next step. Otherwise does nothing (the last hook to finish calls it again).
 */
export function stageHooksDone(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  scheduleStep: ScheduleStep,
): void {
  const running = sd.stageHooks;
  if (!running || !running.lambdasDone || sd.status !== 'IN_PROGRESS') return;
  const waiting = sd.hookDetails?.some((h) => h.stage === running.stage && h.status === 'AWAITING_ACTION');
  if (waiting) return;
  sd.stageHooks = undefined;
  sd.updatedAt = epochSeconds();
  ctx.store.changed();
  scheduleStep(ctx, sd, 1);
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
  ctx.timers.start(
    timerKey(sd, detail.hookId),
    Math.max(1, Math.round(Math.min(ms, DEADLINE_LOOK_MS))),
    () => {
      const now = serviceDeploymentStore(ctx.store.data)[sd.arn];
      const s = now && serviceOf(ctx.store.data, now);
      const waiting = now?.hookDetails?.find(
        (h) => h.hookId === detail.hookId && h.status === 'AWAITING_ACTION',
      );
      if (!now || !s || !waiting || now.status !== 'IN_PROGRESS') return;
      const left = (waiting.deadlineMs ?? (waiting.expiresAt ?? 0) * 1000) - Date.now();
      if (left > 0) return armTimeout(ctx, sd, detail, left, scheduleStep);
      onTimeout(ctx, now, s, waiting, scheduleStep);
    },
  );
}

/** ECS takes the hook's timeout action: CONTINUE goes on with the stage, ROLLBACK rolls the deployment back. */
function onTimeout(
  ctx: EcsContext,
  now: StoredServiceDeployment,
  s: StoredService,
  waiting: StoredHookDetail,
  scheduleStep: ScheduleStep,
): void {
  {
    waiting.status = 'TIMED_OUT';
    const minutes = now.hooks[waiting.hookIndex]?.timeoutConfiguration?.timeoutInMinutes ?? 1440;
    if (waiting.timeoutAction === 'CONTINUE') {
      addEvent(s, `a pause hook at ${waiting.stage} timed out after ${minutes} minutes: continuing.`);
      ctx.store.changed();
      stageHooksDone(ctx, now, scheduleStep);
    } else {
      cancelPauses(ctx, now);
      beginRollback(ctx, now, s, 'LIFECYCLE_HOOK', reason('pauseTimedOut'));
      scheduleStep(ctx, now, ctx.phaseMs);
    }
  }
}

/** After a restart: every PAUSE hook that waited keeps waiting until its deadline. */
export function rearmPause(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  scheduleStep: ScheduleStep,
): boolean {
  if (sd.status !== 'IN_PROGRESS' || !sd.stageHooks) return false;
  // Lambda hooks that ran when the sandbox stopped are not invoked again (their invocation was lost).
  sd.stageHooks.lambdasDone = true;
  const waiting = (sd.hookDetails ?? []).filter((h) => h.status === 'AWAITING_ACTION');
  for (const h of waiting) {
    armTimeout(
      ctx,
      sd,
      h,
      Math.max(1, (h.deadlineMs ?? (h.expiresAt ?? 0) * 1000) - Date.now()),
      scheduleStep,
    );
  }
  if (waiting.length === 0) stageHooksDone(ctx, sd, scheduleStep);
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
  const hook = sd.hookDetails?.find((h) => h.hookId === input.hookId && h.targetType === 'PAUSE');
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
  ctx.timers.cancel(timerKey(sd, hook.hookId));
  if (action === 'ROLLBACK') {
    hook.status = 'FAILED';
    cancelPauses(ctx, sd);
    beginRollback(ctx, sd, s, 'USER', reason('pauseRolledBack'));
    scheduleStep(ctx, sd, ctx.phaseMs);
  } else {
    hook.status = 'SUCCEEDED';
    addEvent(s, `a pause hook at ${hook.stage} was continued with ContinueServiceDeployment.`);
    sd.updatedAt = epochSeconds();
    ctx.store.changed();
    stageHooksDone(ctx, sd, scheduleStep);
  }
  return { serviceDeploymentArn: sd.arn };
}
