import { StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { logger } from '../../shared/logger';
import { loadContract, shortTaskDefinition, type RolloutDeps } from './deps';
import {
  currentTaskDefinition,
  describeService,
  getCodeDeployDeployment,
  registerPinnedCopy,
  startDeployment,
} from './deploy';
import { RollbackFailed, RolloutLocked } from './errors';
import { evaluateCodeDeploy, evaluateEcsService } from './evaluate';
import { acquireLock, releaseLock } from './lock';
import { lockOwnerEnded } from './lock-owner';
import { forgetRelease, getDeployed, getRecord, markRolledBack, restoreEntry } from './records';
import { planRollout, type RolloutPlan } from './strategy';
import type {
  DeployedEntry,
  EnvironmentImagesInput,
  RollbackResult,
  RolledBackService,
  RolloutRecord,
} from './types';

/**
 * "Roll back <env>" and `shipgate rollback`: put services back on the revision they ran before, and wait
 * (bounded) until ECS or CodeDeploy says they are there.
 */

/** Seconds between two looks while waiting for a rollback. */
export const ROLLBACK_POLL_SECONDS = 5;

/** What to wait for: the service runs `taskDefinitionArn`, through `deploymentId` when known. */
export interface WaitTarget {
  plan: Pick<RolloutPlan, 'cluster' | 'ecsService' | 'service' | 'environment' | 'strategy'>;
  taskDefinitionArn: string;
  deploymentId?: string;
  /** CodeDeploy only: the revision a failure leaves traffic on. */
  previousTaskDefinitionArn?: string;
}

/**
 * Waits until the service runs `taskDefinitionArn` (ECS: PRIMARY deployment COMPLETED on it; CodeDeploy:
 * deployment Succeeded), looking after 1, 2, 3… seconds and then every `pollSeconds`, never past `deadline`.
 * @throws RollbackFailed when it fails or the deadline passes (with the last state seen).
 */
export async function waitUntilRunning(
  target: WaitTarget,
  deadline: Date,
  deps: Pick<RolloutDeps, 'ecs' | 'codeDeploy' | 'now' | 'sleep'>,
  pollSeconds = ROLLBACK_POLL_SECONDS,
): Promise<void> {
  const { plan } = target;
  const label = `"${plan.service}" in "${plan.environment}" → ${shortTaskDefinition(target.taskDefinitionArn)}`;
  // Hard cap besides the deadline: the looks the schedule below fits in the window, plus the first.
  const maxLooks = Math.max(
    1,
    Math.ceil((deadline.getTime() - deps.now().getTime()) / (pollSeconds * 1000)) + pollSeconds + 1,
  );
  let last = 'not looked yet';
  for (let look = 0; look < maxLooks; look++) {
    const observation =
      plan.strategy === 'CODEDEPLOY' && target.deploymentId
        ? evaluateCodeDeploy(
            await getCodeDeployDeployment(target.deploymentId, deps),
            target.previousTaskDefinitionArn ?? '',
          )
        : evaluateEcsService(await describeService(plan, deps), {
            deploymentId: target.deploymentId,
            taskDefinitionArn: target.taskDefinitionArn,
          });
    if (observation.state === 'COMPLETED') return;
    if (observation.state === 'FAILED') {
      throw new RollbackFailed(
        `Rollback of ${label} failed: ${observation.reason}. Fix the service by hand (ECS console) and re-run the release.`,
      );
    }
    last = observation.detail;
    // Quick first looks (ECS often finishes a rollback within seconds), then every `pollSeconds`.
    const pause = Math.min(pollSeconds, look + 1);
    if (deps.now().getTime() + pause * 1000 > deadline.getTime()) break;
    await deps.sleep(pause * 1000);
  }
  throw new RollbackFailed(
    `Rollback of ${label} did not finish before ${deadline.toISOString()}; last state: ${last}. Check the service's deployments in the ECS console.`,
  );
}

type ServiceRollback = { rolledBack: RolledBackService } | { untouched: { service: string; reason: string } };

/** Puts one service of the release back on its previous revision, if this release changed it. */
async function rollbackService(
  input: EnvironmentImagesInput,
  service: string,
  deadline: Date,
  deps: RolloutDeps,
): Promise<ServiceRollback> {
  const { environment, release } = input;
  const contract = await loadContract(environment, service, deps);
  const plan = planRollout(contract, deps.config, service, environment);
  const record = await getRecord(plan.clusterName, plan.serviceName, deps);
  if (!record || record.releaseId !== release.id || record.environment !== environment) {
    return {
      untouched: {
        service,
        reason: record
          ? `last changed by release ${record.releaseId}, not ${release.id}`
          : 'never rolled out by Shipgate',
      },
    };
  }
  if (!record.deploymentId && record.status === 'FAILED') {
    return { untouched: { service, reason: 'its rollout never started (ECS or CodeDeploy refused it)' } };
  }
  try {
    await acquireLock(environment, service, release.id, record.executionArn, deps);
  } catch (err) {
    if (err instanceof RolloutLocked) return { untouched: { service, reason: err.message } };
    throw err;
  }
  try {
    const result = await putBack(record, plan, deadline, deps);
    await markRolledBack(record, deps.now().toISOString(), deps);
    await forgetRelease(environment, service, release.id, deps.now().toISOString(), deps);
    return result;
  } finally {
    await releaseLock(environment, service, release.id, deps);
  }
}

async function putBack(
  record: RolloutRecord,
  plan: RolloutPlan,
  deadline: Date,
  deps: RolloutDeps,
): Promise<ServiceRollback> {
  const from = record.taskDefinitionArn;
  const to = record.previousTaskDefinitionArn;
  const service = record.service;
  if (plan.strategy === 'CODEDEPLOY') {
    if (record.deploymentId) {
      const info = await getCodeDeployDeployment(record.deploymentId, deps);
      const observation = evaluateCodeDeploy(info, to);
      if (observation.state === 'FAILED') {
        const rollbackId = info.rollbackInfo?.rollbackDeploymentId;
        if (rollbackId) {
          await waitUntilRunning(
            { plan, taskDefinitionArn: to, deploymentId: rollbackId, previousTaskDefinitionArn: from },
            deadline,
            deps,
          );
        }
        return { rolledBack: { service, from, to, by: 'codedeploy' } };
      }
      if (observation.state === 'IN_PROGRESS') {
        await deps.codeDeploy.send(
          new StopDeploymentCommand({ deploymentId: record.deploymentId, autoRollbackEnabled: true }),
        );
        const stopped = await getCodeDeployDeployment(record.deploymentId, deps);
        const rollbackId = stopped.rollbackInfo?.rollbackDeploymentId;
        if (rollbackId) {
          await waitUntilRunning(
            { plan, taskDefinitionArn: to, deploymentId: rollbackId, previousTaskDefinitionArn: from },
            deadline,
            deps,
          );
        }
        return { rolledBack: { service, from, to, by: 'shipgate' } };
      }
    }
    const svc = await describeService(plan, deps);
    if (currentTaskDefinition(svc) === to) return { rolledBack: { service, from, to, by: 'codedeploy' } };
    const deploymentId = await startDeployment(
      plan,
      svc,
      to,
      `Shipgate rollback of release ${record.releaseId} in ${record.environment}`,
      deps,
    );
    await waitUntilRunning(
      { plan, taskDefinitionArn: to, deploymentId, previousTaskDefinitionArn: from },
      deadline,
      deps,
    );
    return { rolledBack: { service, from, to, by: 'shipgate' } };
  }

  const svc = await describeService(plan, deps);
  const running = currentTaskDefinition(svc);
  if (running === to) {
    // ECS (circuit breaker or alarm) already went back; wait for that deployment to finish.
    await waitUntilRunning({ plan, taskDefinitionArn: to }, deadline, deps);
    return { rolledBack: { service, from, to, by: 'ecs-circuit-breaker' } };
  }
  if (running !== from) {
    return {
      untouched: {
        service,
        reason: `it now runs ${shortTaskDefinition(running)}, neither this release's ${shortTaskDefinition(from)} nor the previous ${shortTaskDefinition(to)}`,
      },
    };
  }
  const out = await deps.ecs.send(
    new UpdateServiceCommand({ cluster: plan.cluster, service: plan.ecsService, taskDefinition: to }),
  );
  const deploymentId = out.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
  logger.info('rollback started', {
    serviceName: service,
    environment: record.environment,
    from,
    to,
    deploymentId,
  });
  await waitUntilRunning({ plan, taskDefinitionArn: to, deploymentId }, deadline, deps);
  return { rolledBack: { service, from, to, by: 'shipgate' } };
}

/**
 * `rollback`: every service of the release that this release changed in the environment goes back to
 * its previous task-definition revision (services already put back by ECS are waited for, services a
 * newer release owns are left alone). Runs the services in parallel and waits for all of them.
 * @throws RollbackFailed listing every service that could not be put back by `deadline`.
 */
export async function rollbackRelease(
  input: EnvironmentImagesInput,
  deps: RolloutDeps,
  deadline: Date = new Date(deps.now().getTime() + deps.config.rollout.timeout * 1000),
): Promise<RollbackResult> {
  const services = [...new Set(input.images.map((i) => i.service))];
  const results = await Promise.allSettled(services.map((s) => rollbackService(input, s, deadline, deps)));
  const result: RollbackResult = { rolledBack: [], untouched: [] };
  const failures: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') failures.push(`${services[i]}: ${(r.reason as Error).message}`);
    else if ('rolledBack' in r.value) result.rolledBack.push(r.value.rolledBack);
    else result.untouched.push(r.value.untouched);
  });
  logger.info('rollback finished', {
    releaseId: input.release.id,
    environment: input.environment,
    rolledBack: result.rolledBack.map((r) => r.service),
    failed: failures.length,
  });
  if (failures.length > 0) {
    throw new RollbackFailed(
      `Rolling back release ${input.release.id} in "${input.environment}" failed for ${failures.length} of ${services.length} services: ${failures.join(' | ')}` +
        (result.rolledBack.length
          ? ` (rolled back: ${result.rolledBack.map((r) => r.service).join(', ')})`
          : ''),
    );
  }
  return result;
}

/** Result of `shipgate rollback`. */
export interface ManualRollbackResult {
  service: string;
  environment: string;
  from: DeployedEntry;
  to: DeployedEntry;
  taskDefinitionArn: string;
  deploymentId: string;
}

/**
 * `shipgate rollback <service> <environment>`: deploys the previously released digest (from the
 * `DEPLOYED#…` history) over the current one, pinned by digest, and waits for it (bounded by
 * `rollout.timeout`). Takes the rollout lock as `owner`, so it never races a release.
 * @throws RollbackFailed when there is nothing to go back to, or the rollout fails or times out.
 */
export async function manualRollback(
  service: string,
  environment: string,
  owner: string,
  deps: RolloutDeps,
  onProgress: (line: string) => void = () => undefined,
): Promise<ManualRollbackResult> {
  const history = (await getDeployed(environment, service, deps))?.history ?? [];
  const current = history[0];
  const index = history.findIndex((e, i) => i > 0 && e.digest !== current?.digest);
  if (!current || index < 0) {
    throw new RollbackFailed(
      `No earlier release of "${service}" in "${environment}" to go back to: Shipgate's history there has ${history.length} entr${history.length === 1 ? 'y' : 'ies'}${current ? ` (current ${current.digest} from release ${current.releaseId})` : ''}.`,
    );
  }
  const target = history[index];
  const contract = await loadContract(environment, service, deps);
  const plan = planRollout(contract, deps.config, service, environment);
  // A lock whose execution has ended owns nothing any more: a person may always roll back (issue 27).
  await acquireLock(environment, service, owner, undefined, deps, {
    takeOver: (held) => lockOwnerEnded(held, deps),
  });
  try {
    const svc = await describeService(plan, deps);
    const running = currentTaskDefinition(svc);
    const taskDefinitionArn = await registerPinnedCopy(running, plan.containerName, target.imageUri, deps);
    onProgress(
      `Rolling "${service}" in "${environment}" back from ${current.digest} (release ${current.releaseId}) to ${target.digest} (release ${target.releaseId}) as ${shortTaskDefinition(taskDefinitionArn)} with ${plan.strategy}…`,
    );
    const deploymentId = await startDeployment(
      plan,
      svc,
      taskDefinitionArn,
      `shipgate rollback by ${owner}: ${service} in ${environment} to release ${target.releaseId}`,
      deps,
    );
    const deadline = new Date(deps.now().getTime() + deps.config.rollout.timeout * 1000);
    await waitUntilRunning(
      { plan, taskDefinitionArn, deploymentId, previousTaskDefinitionArn: running },
      deadline,
      deps,
    );
    const now = deps.now().toISOString();
    await restoreEntry(
      environment,
      service,
      index,
      { ...target, taskDefinitionArn, deployedAt: now, restoredBy: owner },
      deps,
    );
    return { service, environment, from: current, to: target, taskDefinitionArn, deploymentId };
  } finally {
    await releaseLock(environment, service, owner, deps);
  }
}
