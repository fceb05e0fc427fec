import { randomUUID } from 'node:crypto';
import { epochSeconds, randomHex } from '../protocol';
import type { EcsContext } from './context';
import { reason } from './reasons';
import type { HookStage, StoredHookDetail, StoredServiceDeployment } from './service-deployment-model';

/**
 * THE place where a stage's Lambda hooks run. The service-deployment engine (`service-deployments.ts`)
 * reaches a `hooks` step of its plan, arms the stage's PAUSE hooks (`pause-hooks.ts`) and calls
 * {@link runStageHooks} at the same time: "All hooks configured at the same lifecycle stage run in parallel"
 * (developer guide, "Pause hooks for Amazon ECS service deployments"). It acts on the {@link HookVerdict}:
 * `continue` ends the stage once no PAUSE hook of it waits, `rollback` starts a rollback (cause
 * LIFECYCLE_HOOK), `halted` does nothing (the deployment was stopped or the emulator closed while a hook ran).
 *
 * AWS: "If your function doesn't return a valid hookStatus, or if it fails, Amazon ECS rolls back the
 * deployment"; IN_PROGRESS means "invoke again after callBackDelay seconds (default 30)" (developer guide,
 * Lifecycle hooks for Amazon ECS service deployments). Each hook shows in `lifecycleHookDetails` (AWS_LAMBDA:
 * IN_PROGRESS, then SUCCEEDED or FAILED, with its `targetArn`).
 */

/** What the hooks of one stage decided. */
export type HookVerdict =
  /** Every Lambda hook of the stage answered SUCCEEDED (or none is configured). */
  | { kind: 'continue' }
  /** The deployment left IN_PROGRESS, or the emulator closed, while a hook ran: do nothing more. */
  | { kind: 'halted' }
  /** A hook failed or answered no valid hookStatus: ECS rolls the deployment back. */
  | { kind: 'rollback'; reason: string };

/** The payload ECS sends a hook's Lambda function. */
function hookPayload(sd: StoredServiceDeployment, stage: HookStage, hookDetails: unknown) {
  return {
    executionDetails: {
      testTrafficWeights: { [sd.source.arn]: 100 - sd.testWeight, [sd.target.arn]: sd.testWeight },
      productionTrafficWeights: {
        [sd.source.arn]: 100 - sd.productionWeight,
        [sd.target.arn]: sd.productionWeight,
      },
      serviceArn: sd.serviceArn,
      targetServiceRevisionArn: sd.target.arn,
    },
    executionId: randomUUID(),
    lifecycleStage: stage,
    resourceArn: sd.arn,
    ...(hookDetails !== undefined ? { hookDetails } : {}),
  };
}

/** Runs one Lambda hook until it answers something other than IN_PROGRESS (at most 1000 invocations). */
async function runHook(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  stage: HookStage,
  hookIndex: number,
): Promise<HookVerdict> {
  const hook = sd.hooks[hookIndex];
  const detail: StoredHookDetail = {
    hookId: `ecs-hook-${randomHex(16)}`,
    targetType: 'AWS_LAMBDA',
    targetArn: hook.hookTargetArn,
    status: 'IN_PROGRESS',
    stage,
    hookIndex,
  };
  (sd.hookDetails ??= []).push(detail);
  ctx.store.changed();
  for (let invocation = 1; ; invocation++) {
    const payload = hookPayload(sd, stage, hook.hookDetails);
    let status = 'NO_HOOK_STATUS';
    let delaySeconds = 30;
    try {
      if (!ctx.invokeHook) throw new Error('no Lambda runtime for lifecycle hooks');
      const answer = (await ctx.invokeHook(hook.hookTargetArn!, payload)) as {
        hookStatus?: unknown;
        callBackDelay?: unknown;
      } | null;
      if (typeof answer?.hookStatus === 'string') status = answer.hookStatus;
      if (typeof answer?.callBackDelay === 'number') delaySeconds = answer.callBackDelay;
    } catch (err) {
      status = `INVOCATION_FAILED (${(err as Error).message.slice(0, 200)})`;
    }
    if (sd.status !== 'IN_PROGRESS' || ctx.timers.closed) return { kind: 'halted' };
    sd.hookRuns.push({ stage, hookTargetArn: hook.hookTargetArn!, at: epochSeconds(), status });
    sd.updatedAt = epochSeconds();
    if (status === 'SUCCEEDED') {
      detail.status = 'SUCCEEDED';
      ctx.store.changed();
      return { kind: 'continue' };
    }
    if (status === 'IN_PROGRESS' && invocation < 1000) {
      ctx.store.changed();
      await new Promise<void>((r) => setTimeout(r, Math.max(1, (delaySeconds / 60) * ctx.phaseMs)).unref());
      if (sd.status !== 'IN_PROGRESS' || ctx.timers.closed) return { kind: 'halted' };
      continue;
    }
    detail.status = 'FAILED';
    ctx.store.changed();
    return { kind: 'rollback', reason: reason('lambdaHook') };
  }
}

/**
 * Runs the Lambda hooks configured for `stage`, all at once, each until it answers something other than
 * IN_PROGRESS, recording every answer in `sd.hookRuns` and `sd.hookDetails`. The first hook that fails
 * decides (`rollback`); otherwise the verdict comes once all answered.
 */
export function runStageHooks(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  stage: HookStage,
): Promise<HookVerdict> {
  const indexes = sd.hooks
    .map((h, i) => ({ h, i }))
    .filter(
      ({ h }) =>
        h.lifecycleStages.includes(stage) &&
        (h.targetType ?? 'AWS_LAMBDA') === 'AWS_LAMBDA' &&
        h.hookTargetArn,
    )
    .map(({ i }) => i);
  if (indexes.length === 0) return Promise.resolve({ kind: 'continue' });
  return new Promise((resolve) => {
    let left = indexes.length;
    for (const i of indexes) {
      runHook(ctx, sd, stage, i).then(
        (verdict) => {
          if (verdict.kind !== 'continue') resolve(verdict);
          else if (--left === 0) resolve(verdict);
        },
        () => resolve({ kind: 'halted' }),
      );
    }
  });
}
