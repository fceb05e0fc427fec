import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../protocol';
import type { EcsContext } from './context';
import type { HookStage, StoredServiceDeployment } from './service-deployment-model';

/**
 * THE place where a stage's lifecycle hooks run. The service-deployment engine (`service-deployments.ts`)
 * reaches a `hooks` step of its plan, calls {@link runStageHooks} once, and acts on the {@link HookVerdict}:
 * `continue` schedules the next step, `rollback` starts a rollback (cause LIFECYCLE_HOOK), `halted` does
 * nothing (the deployment was stopped or the emulator closed while a hook ran).
 *
 * PAUSE hooks are not run here: once the Lambda hooks of a stage succeeded, the engine hands the stage to
 * `pause-hooks.ts`, which holds the deployment until ContinueServiceDeployment or the hook's timeout.
 *
 * AWS: "If your function doesn't return a valid hookStatus, or if it fails, Amazon ECS rolls back the
 * deployment"; IN_PROGRESS means "invoke again after callBackDelay seconds (default 30)" (developer guide,
 * Lifecycle hooks for Amazon ECS service deployments).
 */

/** What the hooks of one stage decided. */
export type HookVerdict =
  /** Every hook of the stage answered SUCCEEDED (or none is configured): go on. */
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

/**
 * Runs the hooks configured for `stage`, one after the other, each until it answers something other than
 * IN_PROGRESS (at most 1000 invocations), recording every answer in `sd.hookRuns`.
 */
export async function runStageHooks(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  stage: HookStage,
): Promise<HookVerdict> {
  // Lambda hooks here; a stage's PAUSE hooks wait afterwards (pause-hooks.ts). ECS: "You can configure both
  // Lambda hooks and pause hooks at the same lifecycle stage. Both hooks must complete before the deployment
  // proceeds to the next stage." (The order between them is not documented; the emulator runs Lambda hooks
  // first, so a pause after test traffic comes after Shipgate's smoke check there.)
  for (const hook of sd.hooks.filter(
    (h) =>
      h.lifecycleStages.includes(stage) && (h.targetType ?? 'AWS_LAMBDA') === 'AWS_LAMBDA' && h.hookTargetArn,
  )) {
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
      ctx.store.changed();
      if (status === 'SUCCEEDED') break;
      if (status === 'IN_PROGRESS' && invocation < 1000) {
        await new Promise<void>((r) => setTimeout(r, Math.max(1, (delaySeconds / 60) * ctx.phaseMs)).unref());
        if (sd.status !== 'IN_PROGRESS' || ctx.timers.closed) return { kind: 'halted' };
        continue;
      }
      return {
        kind: 'rollback',
        reason: `Lifecycle hook ${hook.hookTargetArn} at ${stage} returned ${status}: rolling back.`,
      };
    }
  }
  return { kind: 'continue' };
}
