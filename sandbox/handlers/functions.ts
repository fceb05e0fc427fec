import type { LambdaBundles } from '../../lib/build/lambda-bundles';
import { LocalLambdas, parseFunctionRef, type LambdaBinding } from '../workflow/lambda';
import type { LocalWorkflow } from '../workflow/release';

const FUNCTION_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:';

/**
 * The verify hook's function ARN of one environment in the sandbox: one function per environment, as the
 * stack creates them (each in its environment's VPC); all run the same bundle.
 */
export function sandboxVerifyHookArn(environment: string): string {
  return `${FUNCTION_ARN_PREFIX}shipgate-verify-hook-${environment}`;
}

/** `SHIPGATE_VERIFY_HOOK_ARNS` of the sandbox: each environment's verify hook. */
export function sandboxVerifyHookArns(environments: readonly string[]): Record<string, string> {
  return Object.fromEntries(environments.map((e) => [e, sandboxVerifyHookArn(e)]));
}

/** ARNs of the functions the sandbox runs besides the state machine's tasks. */
export const FUNCTION_ARNS = {
  rolloutEvents: `${FUNCTION_ARN_PREFIX}shipgate-rollout-events`,
  manualRollback: `${FUNCTION_ARN_PREFIX}shipgate-manual-rollback`,
  executionEvents: `${FUNCTION_ARN_PREFIX}shipgate-execution-events`,
  http: `${FUNCTION_ARN_PREFIX}shipgate-http`,
  reconcile: `${FUNCTION_ARN_PREFIX}shipgate-reconcile`,
  followUp: `${FUNCTION_ARN_PREFIX}shipgate-follow-up`,
  /** Subscribed to the alarm topic (issue 31): SNS invokes it asynchronously. */
  alarmChat: `${FUNCTION_ARN_PREFIX}shipgate-alarm-chat`,
} as const;

/**
 * Asynchronous invocation settings of the functions invoked asynchronously, as the stack's EventInvokeConfig
 * (lib/constructs/failed-events.ts): each gets Lambda's two retries. (The manual rollback is a task of its own
 * state machine, never invoked asynchronously.)
 */
export const ASYNC_CONFIGS = {
  [FUNCTION_ARNS.rolloutEvents]: { maximumRetryAttempts: 2 },
  [FUNCTION_ARNS.executionEvents]: { maximumRetryAttempts: 2 },
  [FUNCTION_ARNS.reconcile]: { maximumRetryAttempts: 2 },
  [FUNCTION_ARNS.followUp]: { maximumRetryAttempts: 2 },
  [FUNCTION_ARNS.alarmChat]: { maximumRetryAttempts: 2 },
};

/**
 * Every Lambda function of the sandbox bound to its built bundle, as version `version` of each (the keys
 * are version ARNs): the state machines' tasks, the EventBridge targets, the manual rollback state machine's
 * step, the hono app and each environment's verify hook (which ECS invokes as a lifecycle hook, not the
 * state machine). A sandbox upgrade publishes the next version of all of them at once, so `live` and
 * `$LATEST` always name the same version here.
 */
export function functionBindings(
  workflow: LocalWorkflow,
  bundles: LambdaBundles,
  environments: readonly string[],
  version: string,
  rolloutEventsEntry?: string,
): Record<string, LambdaBinding> {
  const unversioned: Record<string, LambdaBinding> = {
    ...workflow.tasks,
    ...workflow.rollback?.tasks,
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
    // The HTTP function hands vote and pause follow-ups to it (Invoke, InvocationType Event).
    [FUNCTION_ARNS.followUp]: { step: 'follow-up', entry: bundles.bundles['follow-up'].file },
    // Subscribed to the alarm topic: the sandbox's alarm actions invoke it as SNS would (issue 31).
    [FUNCTION_ARNS.alarmChat]: { step: 'alarm-chat', entry: bundles.bundles['alarm-chat'].file },
    // ECS invokes the verify hooks itself (lifecycle hooks), not the state machine.
    ...Object.fromEntries(
      Object.values(sandboxVerifyHookArns(environments)).map((arn) => [
        arn,
        { step: 'verify-hook' as const, entry: bundles.bundles['verify-hook'].file },
      ]),
    ),
  };
  const bindings: Record<string, LambdaBinding> = {};
  for (const [ref, binding] of Object.entries(unversioned)) {
    // The rendered tasks already name `version` (renderLocalDefinition's functionVersion).
    const qualified = parseFunctionRef(ref).qualifier === undefined ? `${ref}:${version}` : ref;
    bindings[qualified] = binding;
  }
  return bindings;
}

/** The sandbox's functions, each published as version `version` (see {@link functionBindings}). */
export function localFunctions(
  workflow: LocalWorkflow,
  bundles: LambdaBundles,
  rootDir: string,
  environments: readonly string[],
  version: string,
  rolloutEventsEntry?: string,
): LocalLambdas {
  return new LocalLambdas(
    functionBindings(workflow, bundles, environments, version, rolloutEventsEntry),
    rootDir,
  );
}
