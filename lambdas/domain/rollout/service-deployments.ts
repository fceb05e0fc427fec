import {
  DescribeServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { NotFoundError } from '../../shared/errors';
import type { RolloutDeps } from './deps';
import { stageWords } from '../pauses/messages';
import type { Observation, RolloutPause } from './types';

/**
 * ECS service deployments (BLUE_GREEN, LINEAR, CANARY): find the one an UpdateService started, read it, stop
 * it with a rollback, and turn it into the truth about a rollout. A service deployment is final only when
 * its status is SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED (ECS developer guide, "View
 * service history using Amazon ECS service deployments"); until then a rollback is still moving traffic and
 * tasks, so Shipgate keeps waiting (and keeps its lock).
 */

/** Statuses from which StopServiceDeployment is accepted (ECS developer guide, Stopping service deployments). */
export const STOPPABLE_STATUSES = new Set([
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
]);

/** One DescribeServiceDeployments. @throws NotFoundError when ECS does not know the ARN. */
export async function describeServiceDeployment(
  arn: string,
  deps: Pick<RolloutDeps, 'ecs'>,
): Promise<ServiceDeployment> {
  const out = await deps.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  const found = out.serviceDeployments?.[0];
  if (!found) {
    throw new NotFoundError(
      `ECS service deployment ${arn} was not found: ${out.failures?.[0]?.reason ?? 'not returned'}.`,
    );
  }
  return found;
}

/** StopServiceDeployment with `stopType: ROLLBACK`. */
export async function rollBackServiceDeployment(arn: string, deps: Pick<RolloutDeps, 'ecs'>): Promise<void> {
  await deps.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }));
}

/** What a rollout knows when it reads its service deployment. */
export interface ServiceDeploymentContext {
  /** Task definition the service ran before (what a rollback returns to). */
  previousTaskDefinitionArn: string;
  /** Shipgate's verify hook (POST_TEST_TRAFFIC_SHIFT), when configured. */
  verifyHookArn?: string;
  /** What the verify hook recorded when its smoke check failed (it answered FAILED, so ECS rolls back). */
  verifyFailure?: string;
  /** The service deployment the verify hook recorded its failure for, when it said. */
  verifyFailureDeployment?: string;
  /** The PAUSE hook the rollout stopped at last, with people's decision when they made one. */
  pause?: RolloutPause;
}

/** Why a rollback came from a pause: people's decision, or ECS's timeout action; `undefined` otherwise. */
function pauseRollback(sd: ServiceDeployment, ctx: ServiceDeploymentContext): string | undefined {
  const pause = ctx.pause;
  if (pause?.decision?.action === 'ROLLBACK') {
    return `rolled back at the pause ${stageWords(pause.stage)} by ${pause.decision.by.join(', ')}: ${pause.decision.reason ?? 'no reason given'}`;
  }
  // A PAUSE hook ECS timed out (even one whose event Shipgate never saw: the hook may time out first).
  const timedOut = sd.lifecycleHookDetails?.find(
    (h) => h.targetType === 'PAUSE' && h.status === 'TIMED_OUT' && (!pause || h.hookId === pause.hookId),
  );
  if (timedOut && !pause?.decision) {
    const where = stageWords(pause?.stage ?? sd.lifecycleStage ?? 'UNKNOWN');
    const deadline = timedOut.expiresAt ? new Date(timedOut.expiresAt).toISOString() : 'its timeout';
    return `nobody decided at the pause ${where} before ${deadline}, so ECS took the timeout action ${timedOut.timeoutAction ?? 'ROLLBACK'} and rolled back`;
  }
  return undefined;
}

/** The ARN of a Lambda hook other than Shipgate's verify hook that failed or timed out (lifecycleHookDetails). */
function failedLambdaHook(sd: ServiceDeployment, verifyHookArn: string | undefined): string | undefined {
  return sd.lifecycleHookDetails?.find(
    (h) =>
      h.targetType === 'AWS_LAMBDA' &&
      (h.status === 'FAILED' || h.status === 'TIMED_OUT') &&
      h.targetArn !== verifyHookArn,
  )?.targetArn;
}

/**
 * Evaluates a service deployment against the rollout that started it:
 * - SUCCESSFUL → COMPLETED;
 * - ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED / STOPPED → FAILED, named by what rolled it back: Shipgate's verify
 *   hook (`VerifyFailed`), another lifecycle hook, the circuit breaker, an alarm, or an operator
 *   ("rolled back outside Shipgate");
 * - anything else (including ROLLBACK_REQUESTED / ROLLBACK_IN_PROGRESS) → IN_PROGRESS.
 */
export function evaluateServiceDeployment(sd: ServiceDeployment, ctx: ServiceDeploymentContext): Observation {
  const id = sd.serviceDeploymentArn?.split('/').pop() ?? '(unknown)';
  const where = `at ${sd.lifecycleStage ?? 'an unknown stage'}`;
  const status = sd.status ?? 'UNKNOWN';
  if (status === 'SUCCESSFUL') {
    return { state: 'COMPLETED', detail: `service deployment ${id} SUCCESSFUL` };
  }
  if (status === 'ROLLBACK_SUCCESSFUL' || status === 'ROLLBACK_FAILED' || status === 'STOPPED') {
    const reason = sd.rollback?.reason ?? sd.statusReason ?? 'no reason given';
    const rolledBackTo = status === 'ROLLBACK_SUCCESSFUL' ? ctx.previousTaskDefinitionArn : undefined;
    const tail =
      status === 'ROLLBACK_FAILED'
        ? ' The rollback itself FAILED: check the service in the ECS console.'
        : '';
    // Decided from the verify hook's own record, never from ECS's reason text (undocumented wording).
    const verifyFailed =
      !!ctx.verifyFailure &&
      (!ctx.verifyFailureDeployment || ctx.verifyFailureDeployment === sd.serviceDeploymentArn);
    if (verifyFailed) {
      return {
        state: 'FAILED',
        error: 'VerifyFailed',
        reason: `the smoke check on test traffic failed ${where}, so ECS rolled back before production traffic moved (service deployment ${id} ${status})${ctx.verifyFailure ? `: ${ctx.verifyFailure}` : ''}.${tail}`,
        rolledBackTo,
      };
    }
    const triggered = sd.alarms?.triggeredAlarmNames ?? [];
    const paused = pauseRollback(sd, ctx);
    let by: string;
    if (paused) {
      by = paused;
    } else if (sd.deploymentCircuitBreaker?.status === 'TRIGGERED') {
      by = `the ECS deployment circuit breaker rolled it back ${where} (${sd.deploymentCircuitBreaker.failureCount ?? 0} failed tasks): ${reason}`;
    } else if (sd.alarms?.status === 'TRIGGERED' || triggered.length > 0) {
      by = `rolled back outside Shipgate: CloudWatch alarm ${triggered.join(', ') || '(unnamed)'} made ECS roll back ${where}: ${reason}`;
    } else if (failedLambdaHook(sd, ctx.verifyHookArn)) {
      by = `a lifecycle hook of the infrastructure (${failedLambdaHook(sd, ctx.verifyHookArn)}) failed ${where}: ${reason}`;
    } else if (status === 'STOPPED') {
      by = `stopped outside Shipgate ${where} (service deployment ${id} STOPPED): ${reason}`;
    } else {
      by = `rolled back outside Shipgate ${where} (StopServiceDeployment by an operator or another tool): ${reason}`;
    }
    return { state: 'FAILED', reason: `service deployment ${id} ${status}: ${by}${tail}`, rolledBackTo };
  }
  const weight = sd.targetServiceRevision?.requestedProductionTrafficWeight;
  return {
    state: 'IN_PROGRESS',
    detail: `service deployment ${id} ${status} ${where}${weight === undefined ? '' : `, ${weight}% of production traffic on the new revision`}`,
  };
}
