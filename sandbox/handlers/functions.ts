import type { LambdaBundles } from '../../lib/build/lambda-bundles';
import { LocalLambdas } from '../workflow/lambda';
import type { LocalWorkflow } from '../workflow/release';

const FUNCTION_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:';

/** The verify hook's function ARN in the sandbox (what the stack passes as SHIPGATE_VERIFY_HOOK_ARN). */
export const SANDBOX_VERIFY_HOOK_ARN = `${FUNCTION_ARN_PREFIX}shipgate-verify-hook`;

/** Name of the local manual-rollback function (`SHIPGATE_MANUAL_ROLLBACK_FUNCTION` of the HTTP app). */
export const MANUAL_ROLLBACK_FUNCTION = 'shipgate-manual-rollback';

/** ARNs of the functions the sandbox runs besides the state machine's tasks. */
export const FUNCTION_ARNS = {
  rolloutEvents: `${FUNCTION_ARN_PREFIX}shipgate-rollout-events`,
  manualRollback: `${FUNCTION_ARN_PREFIX}${MANUAL_ROLLBACK_FUNCTION}`,
  executionEvents: `${FUNCTION_ARN_PREFIX}shipgate-execution-events`,
  http: `${FUNCTION_ARN_PREFIX}shipgate-http`,
  reconcile: `${FUNCTION_ARN_PREFIX}shipgate-reconcile`,
  verifyHook: SANDBOX_VERIFY_HOOK_ARN,
} as const;

/**
 * Asynchronous invocation settings of the functions invoked asynchronously, as the stack's EventInvokeConfig
 * (lib/constructs/failed-events.ts): manual-rollback runs once, the others get Lambda's two retries.
 */
export const ASYNC_CONFIGS = {
  [FUNCTION_ARNS.manualRollback]: { maximumRetryAttempts: 0 },
  [FUNCTION_ARNS.rolloutEvents]: { maximumRetryAttempts: 2 },
  [FUNCTION_ARNS.executionEvents]: { maximumRetryAttempts: 2 },
  [FUNCTION_ARNS.reconcile]: { maximumRetryAttempts: 2 },
};

/**
 * Every Lambda function of the sandbox, bound to its built bundle: the state machine's tasks, the
 * EventBridge targets, the manual rollback, the hono app and the verify hook (which ECS invokes as a
 * lifecycle hook, not the state machine).
 */
export function localFunctions(
  workflow: LocalWorkflow,
  bundles: LambdaBundles,
  rootDir: string,
  rolloutEventsEntry?: string,
): LocalLambdas {
  return new LocalLambdas(
    {
      ...workflow.tasks,
      [FUNCTION_ARNS.rolloutEvents]: {
        step: 'rollout-events',
        entry: rolloutEventsEntry ?? bundles.bundles['rollout-events'].file,
      },
      [FUNCTION_ARNS.manualRollback]: {
        step: 'manual-rollback',
        entry: bundles.bundles['manual-rollback'].file,
      },
      [FUNCTION_ARNS.executionEvents]: {
        step: 'execution-events',
        entry: bundles.bundles['execution-events'].file,
      },
      [FUNCTION_ARNS.http]: { step: 'http', entry: bundles.bundles.http.file },
      [FUNCTION_ARNS.reconcile]: { step: 'reconcile', entry: bundles.bundles.reconcile.file },
      // ECS invokes the verify hook itself (a lifecycle hook), not the state machine.
      [FUNCTION_ARNS.verifyHook]: { step: 'verify-hook', entry: bundles.bundles['verify-hook'].file },
    },
    rootDir,
  );
}
