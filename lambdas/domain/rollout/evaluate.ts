import type { DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { Service } from '@aws-sdk/client-ecs';
import { shortTaskDefinition } from './contract';
import type { Observation } from './types';

/**
 * Turns one DescribeServices / GetDeployment answer into the truth about a rollout. The rule that matters:
 * a deployment that leaves the service stable on another revision (circuit breaker or alarm rollback) is
 * FAILED, whatever "steady state" ECS reports.
 */

/** What is being rolled out: our deployment id (when known) and our task definition. */
export interface RolloutTarget {
  deploymentId?: string;
  taskDefinitionArn: string;
}

/**
 * Evaluates an ECS service against our rollout.
 * - our deployment `rolloutState` FAILED → FAILED (with the revision the PRIMARY deployment runs now);
 * - the PRIMARY deployment runs another task definition → FAILED (rolled back or replaced);
 * - the PRIMARY deployment is ours and COMPLETED (or, without a rollout state, alone and at desired count) → COMPLETED;
 * - otherwise IN_PROGRESS.
 */
export function evaluateEcsService(svc: Service, target: RolloutTarget): Observation {
  const deployments = svc.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const ours = target.deploymentId
    ? deployments.find((d) => d.id === target.deploymentId)
    : deployments.find((d) => d.taskDefinition === target.taskDefinitionArn);
  const wanted = shortTaskDefinition(target.taskDefinitionArn);

  if (ours?.rolloutState === 'FAILED') {
    const rolledBackTo =
      primary?.taskDefinition && primary.taskDefinition !== target.taskDefinitionArn
        ? primary.taskDefinition
        : undefined;
    return {
      state: 'FAILED',
      reason:
        `ECS deployment ${ours.id ?? ''} FAILED: ${ours.rolloutStateReason ?? 'no reason given'}`.trim(),
      rolledBackTo,
    };
  }
  if (primary?.taskDefinition && primary.taskDefinition !== target.taskDefinitionArn) {
    const state = primary.rolloutState ? ` (${primary.rolloutState})` : '';
    return {
      state: 'FAILED',
      reason:
        `the service's PRIMARY deployment ${primary.id ?? ''}${state} runs ${shortTaskDefinition(primary.taskDefinition)}, not ${wanted}` +
        (primary.rolloutStateReason ? `: ${primary.rolloutStateReason}` : '') +
        (ours ? '' : `; deployment ${target.deploymentId ?? wanted} is gone`),
      rolledBackTo: primary.taskDefinition,
    };
  }
  if (!primary) {
    return { state: 'IN_PROGRESS', detail: 'the service has no PRIMARY deployment yet' };
  }
  if (primary.rolloutState === 'COMPLETED') {
    return { state: 'COMPLETED', detail: `deployment ${primary.id} COMPLETED on ${wanted}` };
  }
  if (primary.rolloutState === undefined) {
    const alone = deployments.length === 1;
    const atCount = (primary.runningCount ?? 0) === (primary.desiredCount ?? svc.desiredCount ?? 0);
    if (alone && atCount) {
      return { state: 'COMPLETED', detail: `deployment ${primary.id} steady on ${wanted}` };
    }
  }
  return {
    state: 'IN_PROGRESS',
    detail: `deployment ${primary.id} ${primary.rolloutState ?? 'IN_PROGRESS'}: ${primary.runningCount ?? 0}/${primary.desiredCount ?? 0} tasks running${primary.rolloutStateReason ? ` (${primary.rolloutStateReason})` : ''}`,
  };
}

/**
 * Evaluates a CodeDeploy deployment: Succeeded → COMPLETED; Failed / Stopped → FAILED (traffic stays on,
 * or is rolled back to, the previous revision); anything else → IN_PROGRESS.
 */
export function evaluateCodeDeploy(info: DeploymentInfo, previousTaskDefinitionArn: string): Observation {
  const id = info.deploymentId ?? '(unknown)';
  switch (info.status) {
    case 'Succeeded':
      return { state: 'COMPLETED', detail: `CodeDeploy deployment ${id} Succeeded` };
    case 'Failed':
    case 'Stopped': {
      const error = info.errorInformation
        ? `${info.errorInformation.code ?? 'ERROR'}: ${info.errorInformation.message ?? ''}`.trim()
        : 'no error information';
      const rollback = info.rollbackInfo?.rollbackDeploymentId
        ? ` (rollback deployment ${info.rollbackInfo.rollbackDeploymentId}${info.rollbackInfo.rollbackMessage ? `: ${info.rollbackInfo.rollbackMessage}` : ''})`
        : '';
      return {
        state: 'FAILED',
        reason: `CodeDeploy deployment ${id} ${info.status}: ${error}${rollback}`,
        rolledBackTo: previousTaskDefinitionArn,
      };
    }
    default:
      return {
        state: 'IN_PROGRESS',
        detail: `CodeDeploy deployment ${id} ${info.status ?? 'unknown status'}`,
      };
  }
}
