import type { Service } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../shared/logger';
import type { RolloutDeps } from './deps';
import { shortTaskDefinition } from './contract';
import { describeService, getCodeDeployDeployment, restoreBetweenDeployments } from './deploy';
import { evaluateCodeDeploy, evaluateEcsService } from './evaluate';
import { releaseLock } from './lock';
import { describeServiceDeployment, evaluateServiceDeployment } from './service-deployments';
import { verifyHook } from '../../shared/env';
import { passPauseOnEvent } from '../pauses/close';
import { getRecord, recordDeployed, settleRecord, type Settlement } from './records';
import type { Observation, RolloutRecord } from './types';
import { isTaskGone } from '../../shared/task-token';

/**
 * Settling a rollout: turn an observation into a settlement, store it exactly once, record the deployed
 * digest or release the lock, and resume the waiting task.
 */

/**
 * Sends the settlement to a task token. A token whose task already timed out (or ended) is not an error:
 * the outcome is stored on the record and `check-rollout` / `await-rollout` report it.
 * @returns whether the task accepted it.
 */
export async function deliver(
  taskToken: string,
  settlement: Settlement,
  deps: Pick<RolloutDeps, 'sfn'>,
): Promise<boolean> {
  try {
    if (settlement.status === 'COMPLETED') {
      await deps.sfn.send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(settlement.outcome) }),
      );
    } else {
      await deps.sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: settlement.failure.error.slice(0, 256),
          cause: settlement.failure.cause.slice(0, 32768),
        }),
      );
    }
    return true;
  } catch (err) {
    if (isTaskGone(err)) {
      logger.info('waiting task already gone; outcome kept on the rollout record', {
        error: (err as Error).name,
      });
      return false;
    }
    throw err;
  }
}

/** The failure cause users read: what failed, why, and what the service runs now. */
export function failureCause(
  record: Pick<
    RolloutRecord,
    'service' | 'environment' | 'releaseId' | 'digest' | 'taskDefinitionArn' | 'previousTaskDefinitionArn'
  >,
  reason: string,
  rolledBackTo: string | undefined,
): string {
  const head = `Rollout of "${record.service}" to "${record.environment}" (release ${record.releaseId}, ${shortTaskDefinition(record.taskDefinitionArn)}, ${record.digest}) failed: ${reason.replace(/[.\s]+$/, '')}.`;
  const where = rolledBackTo
    ? ` The service rolled back to ${shortTaskDefinition(rolledBackTo)}${rolledBackTo === record.previousTaskDefinitionArn ? ' (the revision it ran before)' : ''}.`
    : ` It was deploying over ${shortTaskDefinition(record.previousTaskDefinitionArn)}.`;
  return head + where;
}

/** The settlement an observation means for a record (`undefined` while in progress). */
export function settlementFor(
  record: RolloutRecord,
  observation: Observation,
  finishedAt: string,
): Settlement | undefined {
  if (observation.state === 'IN_PROGRESS') return undefined;
  if (observation.state === 'FAILED') {
    return {
      status: 'FAILED',
      failure: {
        error: observation.error ?? 'RolloutFailed',
        cause: failureCause(record, observation.reason, observation.rolledBackTo),
        ...(observation.rolledBackTo ? { rolledBackTo: observation.rolledBackTo } : {}),
      },
    };
  }
  return {
    status: 'COMPLETED',
    outcome: {
      service: record.service,
      environment: record.environment,
      status: 'COMPLETED',
      strategy: record.strategy,
      taskDefinitionArn: record.taskDefinitionArn,
      previousTaskDefinitionArn: record.previousTaskDefinitionArn,
      deploymentId: record.deploymentId ?? '',
      digest: record.digest,
      startedAt: record.startedAt,
      finishedAt,
    },
  };
}

/** The settlement stored on a final record (`undefined` while IN_PROGRESS). */
export function storedSettlement(record: RolloutRecord): Settlement | undefined {
  if (record.status === 'COMPLETED' && record.outcome)
    return { status: 'COMPLETED', outcome: record.outcome };
  if (record.status === 'FAILED' && record.failure) return { status: 'FAILED', failure: record.failure };
  if (record.status === 'ROLLED_BACK') {
    return {
      status: 'FAILED',
      failure: {
        error: 'RolloutFailed',
        cause: `Rollout of "${record.service}" to "${record.environment}" (release ${record.releaseId}) was rolled back by Shipgate to ${shortTaskDefinition(record.previousTaskDefinitionArn)}.`,
      },
    };
  }
  return undefined;
}

/** One look at ECS (DescribeServices) or CodeDeploy (GetDeployment) for a record. */
export async function observe(
  record: RolloutRecord,
  deps: Pick<RolloutDeps, 'ecs' | 'codeDeploy'>,
  svc?: Service,
): Promise<Observation> {
  if (record.strategy === 'CODEDEPLOY') {
    if (!record.deploymentId)
      return { state: 'IN_PROGRESS', detail: 'CodeDeploy deployment not recorded yet' };
    const info = await getCodeDeployDeployment(record.deploymentId, deps);
    return evaluateCodeDeploy(info, record.previousTaskDefinitionArn);
  }
  if (record.serviceDeploymentArn) {
    return evaluateServiceDeployment(await describeServiceDeployment(record.serviceDeploymentArn, deps), {
      previousTaskDefinitionArn: record.previousTaskDefinitionArn,
      verifyHookArn: verifyHook(record.environment)?.arn,
      verifyFailure: record.verifyFailure,
      verifyFailureDeployment: record.verifyFailureDeployment,
      pause: record.pause,
    });
  }
  const service =
    svc ??
    (await describeService(
      {
        cluster: record.clusterName,
        ecsService: record.serviceName,
        service: record.service,
        environment: record.environment,
      },
      deps,
    ));
  return evaluateEcsService(service, {
    deploymentId: record.deploymentId,
    taskDefinitionArn: record.taskDefinitionArn,
  });
}

/**
 * Stores a settlement once and does what follows from it: on success the `DEPLOYED#…` history gets this
 * release (written while the lock is still held); either way the (environment, service) lock is then
 * released, so a lock is only ever held for one rollout (never across steps, which could deadlock two
 * multi-service releases). When `resume` is set, the task waiting on the record's token is resumed.
 * @returns the settlement that holds (ours, or the one stored first by someone else).
 */
export async function finish(
  record: RolloutRecord,
  settlement: Settlement,
  deps: Pick<RolloutDeps, 'ddb' | 'table' | 'sfn' | 'now' | 'ecs'>,
  options: { resume: boolean },
): Promise<Settlement> {
  const finishedAt =
    settlement.status === 'COMPLETED' ? settlement.outcome.finishedAt : deps.now().toISOString();
  const previous = await settleRecord(record, settlement, finishedAt, deps);
  if (!previous) {
    const current = await getRecord(record.clusterName, record.serviceName, deps);
    const stored = current && current.attempt === record.attempt ? storedSettlement(current) : undefined;
    return stored ?? settlement;
  }
  if (settlement.status === 'COMPLETED') {
    await recordDeployed(
      record.environment,
      record.service,
      {
        releaseId: record.releaseId,
        createdAt: record.releaseCreatedAt,
        digest: record.digest,
        imageUri: record.imageUri,
        taskDefinitionArn: record.taskDefinitionArn,
        deployedAt: finishedAt,
      },
      deps,
    );
  }
  // The deployment ended: its pauses must not stop the service's next deployment (still under the lock).
  await restoreBetweenDeployments(
    { cluster: record.clusterName, service: record.serviceName, strategy: record.strategy },
    deps,
  );
  await releaseLock(record.environment, record.service, record.releaseId, deps);
  if (previous.pause?.pauseId && !previous.pause.decision) {
    // A pause nobody decided through Shipgate ended with the rollout: past its deadline ECS took the
    // timeout action; before it, the rollout ended some other way.
    const expired = previous.pause.expiresAt && Date.parse(previous.pause.expiresAt) <= deps.now().getTime();
    await passPauseOnEvent(
      previous.pause.pauseId,
      expired
        ? `Nobody decided before ${previous.pause.expiresAt}: ECS took the timeout action ${previous.pause.timeoutAction ?? 'ROLLBACK'}. ${settlement.status === 'COMPLETED' ? 'The rollout completed.' : settlement.failure.cause}`
        : `The rollout ended without a decision at this pause: ${settlement.status === 'COMPLETED' ? 'it completed' : settlement.failure.cause}`,
      deps,
      expired ? 'TIMED_OUT' : 'ENDED',
    );
  }
  logger.info('rollout settled', {
    serviceName: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    status: settlement.status,
    deploymentId: record.deploymentId,
  });
  if (options.resume && previous.taskToken) {
    await deliver(previous.taskToken, settlement, deps);
  }
  return settlement;
}
