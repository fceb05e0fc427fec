import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../protocol';
import type { EcsContext } from './context';
import type { LifecycleStage, StoredServiceDeployment } from './service-deployment-model';

/**
 * THE place where a stage's lifecycle hooks run. The service-deployment engine (`service-deployments.ts`)
 * reaches a `hooks` step of its plan, calls {@link runStageHooks} once, and acts on the {@link HookVerdict}:
 * `continue` schedules the next step, `rollback` starts a rollback (cause LIFECYCLE_HOOK), `halted` does
 * nothing (the deployment was stopped or the emulator closed while a hook ran).
 *
 * To add a new kind of hook outcome (e.g. a hook that pauses the deployment until it is continued), give
 * {@link HookVerdict} a new variant here and handle it in the engine's `hooks` case; the invocation payload
 * and the record of each run (`sd.hookRuns`) stay here. An API call that resumes a held deployment belongs
 * in `service-deployments-api.ts` (routed in `emulator.ts`) and carries on with `scheduleStep`.
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
function hookPayload(sd: StoredServiceDeployment, stage: LifecycleStage, hookDetails: unknown) {
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
  stage: LifecycleStage,
): Promise<HookVerdict> {
  for (const hook of sd.hooks.filter((h) => h.lifecycleStages.includes(stage))) {
    for (let invocation = 1; ; invocation++) {
      const payload = hookPayload(sd, stage, hook.hookDetails);
      let status = 'NO_HOOK_STATUS';
      let delaySeconds = 30;
      try {
        if (!ctx.invokeHook) throw new Error('no Lambda runtime for lifecycle hooks');
        const answer = (await ctx.invokeHook(hook.hookTargetArn, payload)) as {
          hookStatus?: unknown;
          callBackDelay?: unknown;
        } | null;
        if (typeof answer?.hookStatus === 'string') status = answer.hookStatus;
        if (typeof answer?.callBackDelay === 'number') delaySeconds = answer.callBackDelay;
      } catch (err) {
        status = `INVOCATION_FAILED (${(err as Error).message.slice(0, 200)})`;
      }
      if (sd.status !== 'IN_PROGRESS' || ctx.timers.closed) return { kind: 'halted' };
      sd.hookRuns.push({ stage, hookTargetArn: hook.hookTargetArn, at: epochSeconds(), status });
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
