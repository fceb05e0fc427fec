import { AwsServiceError } from '../protocol';
/**
 * A stage a lifecycle hook may name (DeploymentLifecycleHook.lifecycleStages): the lifecycle stages plus
 * PRE_PRODUCTION_TRAFFIC_SHIFT, which "occurs before production traffic shift. For linear and canary
 * deployments, this stage is invoked before every traffic shift step". It is not a ServiceDeployment
 * `lifecycleStage` value (ServiceDeploymentLifecycleStage has no such member), so the deployment keeps
 * reporting the stage it was in while those hooks run.
 */
/** Stages a lifecycle hook may name (DeploymentLifecycleHook.lifecycleStages). */
export const HOOK_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/** One of {@link HOOK_STAGES}. */
export type HookStage = (typeof HOOK_STAGES)[number];

/** "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages" (SDK model). */
export const NO_PAUSE_STAGES: readonly HookStage[] = ['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'];

/** Longest PAUSE hook timeout (DeploymentLifecycleHookTimeoutConfiguration.timeoutInMinutes: 1–20160). */
export const MAX_PAUSE_TIMEOUT_MINUTES = 20160;

/**
 * Refuses `deploymentConfiguration.lifecycleHooks` ECS refuses (API reference, DeploymentLifecycleHook and
 * DeploymentLifecycleHookTimeoutConfiguration): `targetType` AWS_LAMBDA (default) or PAUSE; a Lambda hook
 * needs its function and role; a PAUSE hook needs neither but "cannot be configured at TEST_TRAFFIC_SHIFT or
 * PRODUCTION_TRAFFIC_SHIFT stages"; `timeoutInMinutes` 1–20160, `action` ROLLBACK or CONTINUE.
 * @throws AwsServiceError InvalidParameterException naming the field.
 */
export function validateLifecycleHooks(hooks: unknown): void {
  const invalid = (message: string) => new AwsServiceError('InvalidParameterException', message);
  if (hooks !== undefined) {
    if (!Array.isArray(hooks)) throw invalid('lifecycleHooks must be a list.');
    for (const h of hooks as Record<string, unknown>[]) {
      const type = h?.targetType ?? 'AWS_LAMBDA';
      if (type !== 'AWS_LAMBDA' && type !== 'PAUSE') {
        throw invalid(`lifecycleHooks[].targetType must be AWS_LAMBDA or PAUSE; received ${String(type)}.`);
      }
      const timeout = (h.timeoutConfiguration ?? {}) as Record<string, unknown>;
      const m = timeout.timeoutInMinutes;
      if (
        m !== undefined &&
        (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_PAUSE_TIMEOUT_MINUTES)
      ) {
        throw invalid(
          `lifecycleHooks[].timeoutConfiguration.timeoutInMinutes must be a whole number from 1 to ${MAX_PAUSE_TIMEOUT_MINUTES}; received ${String(m)}.`,
        );
      }
      if (timeout.action !== undefined && timeout.action !== 'ROLLBACK' && timeout.action !== 'CONTINUE') {
        throw invalid(
          `lifecycleHooks[].timeoutConfiguration.action must be ROLLBACK or CONTINUE; received ${String(timeout.action)}.`,
        );
      }
      if (type === 'PAUSE') {
        const stages = h.lifecycleStages;
        if (
          !Array.isArray(stages) ||
          stages.length === 0 ||
          stages.some((st) => !(HOOK_STAGES as readonly string[]).includes(st as string))
        ) {
          throw invalid(
            `lifecycleHooks[].lifecycleStages of a PAUSE hook must name at least one of ${HOOK_STAGES.join(', ')}.`,
          );
        }
        const refused = stages.find((st) => NO_PAUSE_STAGES.includes(st as HookStage));
        if (refused) {
          throw invalid(
            `PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages; received ${String(refused)}.`,
          );
        }
        continue;
      }
      if (typeof h?.hookTargetArn !== 'string' || !h.hookTargetArn.startsWith('arn:')) {
        throw invalid('lifecycleHooks[].hookTargetArn must be a Lambda function ARN.');
      }
      if (typeof h.roleArn !== 'string' || !h.roleArn.startsWith('arn:')) {
        throw invalid(`lifecycleHooks[].roleArn is required for hook ${h.hookTargetArn}.`);
      }
      const stages = h.lifecycleStages;
      if (
        !Array.isArray(stages) ||
        stages.length === 0 ||
        stages.some((s) => !(HOOK_STAGES as readonly string[]).includes(s as string))
      ) {
        throw invalid(
          `lifecycleHooks[].lifecycleStages of ${h.hookTargetArn} must name at least one of ${HOOK_STAGES.join(', ')}.`,
        );
      }
    }
  }
}
