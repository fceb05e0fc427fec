import { StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { loadContract, shortTaskDefinition } from './contract';
import { forEnvironment, type RolloutDeps } from './deps';
import {
  currentTaskDefinition,
  describeService,
  getCodeDeployDeployment,
  restoreBetweenDeployments,
  startDeployment,
} from './deploy';
import { RollbackFailed, RolloutLocked } from './errors';
import { evaluateCodeDeploy, evaluateEcsService } from './evaluate';
import { acquireLock, releaseLock } from './lock';
import {
  forgetRelease,
  getRecord,
  putRollback,
  registerRollbackToken,
  setRollbackTarget,
  settleRollback,
} from './records';
import {
  STOPPABLE_STATUSES,
  describeServiceDeployment,
  rollBackServiceDeployment,
} from './service-deployments';
import { planRollout, type RolloutPlan } from './strategy';
import {
  rollbackTaskInputSchema,
  type CheckRollbackResult,
  type CheckRolloutInput,
  type EventHandling,
  type RollbackState,
  type RollbackTaskInput,
  type RolloutRecord,
  type ServiceRollbackResult,
} from './types';
import { isTaskGone } from '../../shared/task-token';

/**
 * "Roll back <env>" for one service, waited for the way "Start rollout" waits: the `rollback` Lambda starts
 * the rollback (StopServiceDeployment ROLLBACK for a blue/green-family deployment still in flight,
 * CodeDeploy StopDeployment with auto-rollback, or a deployment of the previous revision for a finished one),
 * parks its task token on the rollout record and returns. The deployment event that ends the rollback
 * resumes the token (`rollout-events`); "Check rollback <env>" looks once when no event came within
 * `rollout.eventGrace`. Whenever it parks a token on a rollback it did not start itself (ECS's circuit
 * breaker, CodeDeploy's automatic rollback, or a re-park), it then looks once, because the ending event may
 * have arrived before the token was parked. No Lambda run waits for ECS. The (environment, service) lock is held until the
 * rollback has settled, and the deployed history then drops the release.
 */

/** What `rollback` did (its return value; Step Functions waits for the token). */
export type RollbackTaskResult =
  | { status: 'WAITING'; detail: string }
  | { status: 'SETTLED'; outcome: 'COMPLETED' | 'FAILED' | 'UNTOUCHED' }
  | { status: 'FAILED'; error: string };

type RollbackOutcome =
  { status: 'COMPLETED' } | { status: 'FAILED'; failure: { error: string; cause: string } };

/** Resumes a rollback's waiting task (an expired token is not an error: the outcome is on the record). */
async function deliverRollback(
  taskToken: string,
  outcome:
    { status: 'COMPLETED'; result: ServiceRollbackResult } | Extract<RollbackOutcome, { status: 'FAILED' }>,
  deps: Pick<RolloutDeps, 'sfn'>,
): Promise<void> {
  try {
    if (outcome.status === 'COMPLETED') {
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(outcome.result) }));
    } else {
      await deps.sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: outcome.failure.error.slice(0, 256),
          cause: outcome.failure.cause.slice(0, 32768),
        }),
      );
    }
  } catch (err) {
    if (!isTaskGone(err)) throw err;
    logger.info('rollback task already gone; outcome kept on the rollout record', {
      error: (err as Error).name,
    });
  }
}

/** The result a settled rollback reports. */
function resultOf(record: RolloutRecord, rollback: RollbackState, now?: string): ServiceRollbackResult {
  const finishedAt = rollback.finishedAt ?? now;
  return {
    service: record.service,
    rolledBack: {
      service: record.service,
      from: rollback.from,
      to: rollback.to,
      by: rollback.by,
      startedAt: rollback.startedAt,
      ...(finishedAt ? { finishedAt } : {}),
    },
  };
}

/** One look at what a rollback waits on. */
export async function observeRollback(
  record: RolloutRecord,
  deps: Pick<RolloutDeps, 'ecs' | 'codeDeploy'>,
): Promise<
  { state: 'IN_PROGRESS'; detail: string } | { state: 'COMPLETED' } | { state: 'FAILED'; reason: string }
> {
  const rb = record.rollback!;
  if (rb.serviceDeploymentArn) {
    const sd = await describeServiceDeployment(rb.serviceDeploymentArn, deps);
    const ours = rb.serviceDeploymentArn === record.serviceDeploymentArn;
    const status = sd.status ?? 'UNKNOWN';
    const done = ours ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL';
    if (status === done) return { state: 'COMPLETED' };
    if (['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(status)) {
      return {
        state: 'FAILED',
        reason: `service deployment ${rb.serviceDeploymentArn.split('/').pop()} ended ${status} at ${sd.lifecycleStage ?? '?'}: ${sd.rollback?.reason ?? sd.statusReason ?? 'no reason given'}`,
      };
    }
    return { state: 'IN_PROGRESS', detail: `service deployment ${status} at ${sd.lifecycleStage ?? '?'}` };
  }
  if (record.strategy === 'CODEDEPLOY' && rb.deploymentId) {
    const o = evaluateCodeDeploy(await getCodeDeployDeployment(rb.deploymentId, deps), rb.from);
    if (o.state === 'FAILED') return { state: 'FAILED', reason: o.reason };
    return o.state === 'COMPLETED' ? { state: 'COMPLETED' } : { state: 'IN_PROGRESS', detail: o.detail };
  }
  const svc = await describeService(
    {
      cluster: record.clusterName,
      ecsService: record.serviceName,
      service: record.service,
      environment: record.environment,
    },
    deps,
  );
  const o = evaluateEcsService(svc, { deploymentId: rb.deploymentId, taskDefinitionArn: rb.to });
  if (o.state === 'FAILED') return { state: 'FAILED', reason: o.reason };
  return o.state === 'COMPLETED' ? { state: 'COMPLETED' } : { state: 'IN_PROGRESS', detail: o.detail };
}

/**
 * Ends a rollback once: COMPLETED drops the release from the deployed history (what runs is the previous
 * release again), then the lock is released and, with `resume`, the waiting task resumed.
 */
export async function completeRollback(
  record: RolloutRecord,
  outcome: RollbackOutcome,
  deps: RolloutDeps,
  options: { resume: boolean },
): Promise<RollbackOutcome> {
  const now = deps.now().toISOString();
  const previous = await settleRollback(record, outcome, now, deps);
  if (!previous?.rollback) {
    const current = await getRecord(record.clusterName, record.serviceName, deps);
    const rb = current?.attempt === record.attempt ? current.rollback : undefined;
    if (rb?.status === 'COMPLETED') return { status: 'COMPLETED' };
    if (rb?.status === 'FAILED' && rb.failure) return { status: 'FAILED', failure: rb.failure };
    return outcome;
  }
  if (outcome.status === 'COMPLETED') {
    await forgetRelease(record.environment, record.service, record.releaseId, now, deps);
  }
  // Neither the release's pauses nor the rollback's settings (alarms off) stay for the next deployment.
  await restoreBetweenDeployments(
    { cluster: record.clusterName, service: record.serviceName, strategy: record.strategy },
    deps,
  );
  await releaseLock(record.environment, record.service, record.releaseId, deps);
  logger.info('rollback settled', {
    serviceName: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    status: outcome.status,
    by: previous.rollback.by,
  });
  const token = previous.rollback.taskToken;
  if (options.resume && token) {
    await deliverRollback(
      token,
      outcome.status === 'COMPLETED'
        ? { status: 'COMPLETED', result: resultOf(record, previous.rollback, now) }
        : outcome,
      deps,
    );
  }
  return outcome;
}

function rollbackFailure(record: RolloutRecord, reason: string): RollbackOutcome {
  const rb = record.rollback!;
  return {
    status: 'FAILED',
    failure: {
      error: 'RollbackFailed',
      cause: `Rollback of "${record.service}" in "${record.environment}" (release ${record.releaseId}) from ${shortTaskDefinition(rb.from)} to ${shortTaskDefinition(rb.to)} failed: ${reason.replace(/[.\s]+$/, '')}. Fix the service by hand (ECS console) and re-run the release.`,
    },
  };
}

/** Settles a rollback from a deployment event (called by `rollout-events`). */
export async function settleRollbackFromEvent(
  record: RolloutRecord,
  deps: RolloutDeps,
): Promise<EventHandling> {
  deps = forEnvironment(deps, record.environment);
  const seen = await observeRollback(record, deps);
  if (seen.state === 'IN_PROGRESS') {
    logger.info('deployment event ignored', { reason: `rollback still in progress: ${seen.detail}` });
    return { action: 'ignored', reason: `rollback still in progress: ${seen.detail}` };
  }
  const outcome =
    seen.state === 'COMPLETED' ? ({ status: 'COMPLETED' } as const) : rollbackFailure(record, seen.reason);
  const held = await completeRollback(record, outcome, deps, { resume: true });
  return {
    action: 'settled',
    service: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    status: held.status,
  };
}

/** How to put a service back, decided from what ECS says now. */
interface Decision {
  by: RollbackState['by'];
  /** Done already (ECS went back by itself and settled). */
  done?: boolean;
  /** Wait on this service deployment (blue/green family). */
  serviceDeploymentArn?: string;
  /** Wait on this deployment id. */
  deploymentId?: string;
  /** What to ask ECS / CodeDeploy once the rollback state is stored. */
  act?: 'stop-service-deployment' | 'stop-codedeploy' | 'redeploy';
}

async function decide(
  record: RolloutRecord,
  plan: RolloutPlan,
  deps: RolloutDeps,
): Promise<Decision | string> {
  const from = record.taskDefinitionArn;
  const to = record.previousTaskDefinitionArn;
  if (record.strategy === 'CODEDEPLOY' && record.deploymentId) {
    const info = await getCodeDeployDeployment(record.deploymentId, deps);
    const o = evaluateCodeDeploy(info, to);
    const rollbackId = info.rollbackInfo?.rollbackDeploymentId;
    if (o.state === 'FAILED') {
      return rollbackId ? { by: 'codedeploy', deploymentId: rollbackId } : { by: 'codedeploy', done: true };
    }
    if (o.state === 'IN_PROGRESS') return { by: 'shipgate', act: 'stop-codedeploy' };
    return { by: 'shipgate', act: 'redeploy' };
  }
  if (record.serviceDeploymentArn) {
    const sd = await describeServiceDeployment(record.serviceDeploymentArn, deps);
    const status = sd.status ?? 'UNKNOWN';
    if (status === 'ROLLBACK_SUCCESSFUL') return { by: 'ecs-circuit-breaker', done: true };
    if (status === 'ROLLBACK_REQUESTED' || status === 'ROLLBACK_IN_PROGRESS') {
      return { by: 'ecs-circuit-breaker', serviceDeploymentArn: record.serviceDeploymentArn };
    }
    if (STOPPABLE_STATUSES.has(status)) {
      return {
        by: 'shipgate',
        serviceDeploymentArn: record.serviceDeploymentArn,
        act: 'stop-service-deployment',
      };
    }
  }
  const svc = await describeService(plan, deps);
  const running = currentTaskDefinition(svc);
  if (running === to) {
    const o = evaluateEcsService(svc, { taskDefinitionArn: to });
    return o.state === 'COMPLETED'
      ? { by: 'ecs-circuit-breaker', done: true }
      : { by: 'ecs-circuit-breaker' };
  }
  if (running !== from) {
    return `it now runs ${shortTaskDefinition(running)}, neither this release's ${shortTaskDefinition(from)} nor the previous ${shortTaskDefinition(to)}`;
  }
  return { by: 'shipgate', act: 'redeploy' };
}

async function act(
  record: RolloutRecord,
  plan: RolloutPlan,
  decision: Decision,
  deps: RolloutDeps,
): Promise<void> {
  const to = record.previousTaskDefinitionArn;
  if (decision.act === 'stop-service-deployment') {
    await rollBackServiceDeployment(decision.serviceDeploymentArn!, deps);
    return;
  }
  if (decision.act === 'stop-codedeploy') {
    await deps.codeDeploy.send(
      new StopDeploymentCommand({ deploymentId: record.deploymentId!, autoRollbackEnabled: true }),
    );
    const stopped = await getCodeDeployDeployment(record.deploymentId!, deps);
    await setRollbackTarget(record, { deploymentId: stopped.rollbackInfo?.rollbackDeploymentId }, deps);
    return;
  }
  if (decision.act === 'redeploy') {
    // A deployment of the previous revision with the rollback's settings: no pause, no canary or linear bake,
    // no verify hook (see buildRollbackDeploymentConfiguration).
    const svc = await describeService(plan, deps);
    const description = `Shipgate rollback of release ${record.releaseId} in ${record.environment}`;
    const started = await startDeployment(plan, svc, to, description, deps, { rollback: true });
    await setRollbackTarget(record, started, deps);
  }
}

/**
 * `rollback` ("Start rollback <env>" / "Await rollback <env>", waitForTaskToken): starts the rollback of one
 * service of the release, or re-parks the new token on the rollback in flight. A service this release did
 * not change, or one another release holds, is reported `untouched` at once.
 */
export async function startRollback(
  input: RollbackTaskInput,
  deps: RolloutDeps,
): Promise<RollbackTaskResult> {
  const { environment, release, image } = input;
  deps = forEnvironment(deps, environment);
  const service = image.service;
  const untouched = async (reason: string): Promise<RollbackTaskResult> => {
    await deliverRollback(
      input.taskToken,
      { status: 'COMPLETED', result: { service, untouched: { service, reason } } },
      deps,
    );
    return { status: 'SETTLED', outcome: 'UNTOUCHED' };
  };
  const contract = await loadContract(environment, service, deps);
  const plan = planRollout(contract, deps.config, service, environment);
  let record = await getRecord(plan.clusterName, plan.serviceName, deps);
  if (!record || record.releaseId !== release.id || record.environment !== environment) {
    return untouched(
      record
        ? `last changed by release ${record.releaseId}, not ${release.id}`
        : 'never rolled out by Shipgate',
    );
  }
  if (!record.rollback) {
    if (!record.deploymentId && record.status === 'FAILED') {
      return untouched('its rollout never started (ECS or CodeDeploy refused it)');
    }
    try {
      await acquireLock(environment, service, release.id, input.executionArn, deps);
    } catch (err) {
      if (err instanceof RolloutLocked) return untouched(err.message);
      throw err;
    }
    let decision: Decision | string;
    try {
      decision = await decide(record, plan, deps);
    } catch (err) {
      await releaseLock(environment, service, release.id, deps);
      throw err;
    }
    if (typeof decision === 'string') {
      await releaseLock(environment, service, release.id, deps);
      return untouched(decision);
    }
    const state: RollbackState = {
      status: 'IN_PROGRESS',
      taskToken: input.taskToken,
      executionArn: input.executionArn,
      from: record.taskDefinitionArn,
      to: record.previousTaskDefinitionArn,
      by: decision.by,
      startedAt: deps.now().toISOString(),
      ...(decision.deploymentId ? { deploymentId: decision.deploymentId } : {}),
      ...(decision.serviceDeploymentArn ? { serviceDeploymentArn: decision.serviceDeploymentArn } : {}),
    };
    if (await putRollback(record, state, deps)) {
      record = { ...record, rollback: state };
      if (decision.done) {
        const held = await completeRollback(record, { status: 'COMPLETED' }, deps, { resume: true });
        return { status: 'SETTLED', outcome: held.status };
      }
      try {
        await act(record, plan, decision, deps);
      } catch (err) {
        const outcome = rollbackFailure(
          record,
          `${decision.act ?? 'the rollback'} was refused: ${(err as Error).message}`,
        );
        const held = await completeRollback(record, outcome, deps, { resume: true });
        return { status: 'SETTLED', outcome: held.status };
      }
      logger.info('rollback started', {
        serviceName: service,
        environment,
        releaseId: release.id,
        by: decision.by,
        action: decision.act ?? 'wait',
      });
      if (!decision.act) {
        // Waiting on a rollback ECS / CodeDeploy started by itself: its ending event may have come between
        // decide() and putRollback(), when rollout-events found no rollback on the record and ignored it.
        // Nothing would look again before TimeoutSeconds (rollout.eventGrace), so look once now, as the
        // re-park below does. (When Shipgate acts, the rollback state is stored before it asks anything.)
        return settleIfEnded(record, deps);
      }
      return { status: 'WAITING', detail: `rollback ${decision.act} under way` };
    }
    record = (await getRecord(plan.clusterName, plan.serviceName, deps))!;
  }
  // Re-park: "Await rollback <env>", or a retried start.
  const rb = record.rollback!;
  if (rb.status !== 'IN_PROGRESS') {
    await deliverRollback(
      input.taskToken,
      rb.status === 'COMPLETED'
        ? { status: 'COMPLETED', result: resultOf(record, rb) }
        : { status: 'FAILED', failure: rb.failure ?? { error: 'RollbackFailed', cause: 'Rollback failed.' } },
      deps,
    );
    return { status: 'SETTLED', outcome: rb.status };
  }
  if (!(await registerRollbackToken(record, input.taskToken, input.executionArn, deps))) {
    return startRollback(input, deps);
  }
  return settleIfEnded({ ...record, rollback: { ...rb, taskToken: input.taskToken } }, deps);
}

/**
 * One look after a token was parked on a rollback in flight: settles it (resuming the parked token) when it
 * already ended, so an ending event that came before the token was parked is not waited for.
 */
async function settleIfEnded(record: RolloutRecord, deps: RolloutDeps): Promise<RollbackTaskResult> {
  const seen = await observeRollback(record, deps);
  if (seen.state === 'IN_PROGRESS') return { status: 'WAITING', detail: seen.detail };
  const outcome =
    seen.state === 'COMPLETED' ? ({ status: 'COMPLETED' } as const) : rollbackFailure(record, seen.reason);
  const held = await completeRollback(record, outcome, deps, { resume: true });
  return { status: 'SETTLED', outcome: held.status };
}

/**
 * `check-rollback`: after no event arrived in time, looks once.
 * @returns settled with the result, or not settled with the seconds since the rollback started.
 * @throws RollbackFailed when it failed, or once `rollout.timeout` has passed.
 */
export async function checkRollback(
  input: CheckRolloutInput,
  deps: RolloutDeps,
): Promise<CheckRollbackResult> {
  deps = forEnvironment(deps, input.environment);
  const contract = await loadContract(input.environment, input.image.service, deps);
  const plan = planRollout(contract, deps.config, input.image.service, input.environment);
  const record = await getRecord(plan.clusterName, plan.serviceName, deps);
  const rb = record?.releaseId === input.release.id ? record.rollback : undefined;
  if (!record || !rb) {
    throw new RollbackFailed(
      `No rollback of "${input.image.service}" in "${input.environment}" by release ${input.release.id} is known.`,
    );
  }
  const settled = (outcome: RollbackOutcome): CheckRollbackResult => {
    if (outcome.status === 'FAILED') throw new RollbackFailed(outcome.failure.cause);
    return { settled: true, result: resultOf(record, rb) };
  };
  if (rb.status === 'COMPLETED') return settled({ status: 'COMPLETED' });
  if (rb.status === 'FAILED')
    return settled({
      status: 'FAILED',
      failure: rb.failure ?? { error: 'RollbackFailed', cause: 'Rollback failed.' },
    });
  const seen = await observeRollback(record, deps);
  if (seen.state !== 'IN_PROGRESS') {
    const outcome =
      seen.state === 'COMPLETED' ? ({ status: 'COMPLETED' } as const) : rollbackFailure(record, seen.reason);
    return settled(await completeRollback(record, outcome, deps, { resume: false }));
  }
  const elapsedSeconds = Math.floor((deps.now().getTime() - Date.parse(rb.startedAt)) / 1000);
  if (elapsedSeconds >= deps.config.rollout.timeout) {
    const outcome = rollbackFailure(
      record,
      `still in progress after ${elapsedSeconds} s, over rollout.timeout (${deps.config.rollout.timeout} s); last state: ${seen.detail}`,
    );
    return settled(await completeRollback(record, outcome, deps, { resume: false }));
  }
  return { settled: false, elapsedSeconds };
}

/**
 * Runs `rollback`: validates the payload and turns a Shipgate error into `SendTaskFailure` with its name.
 */
export async function runRollbackTask(raw: unknown, deps: RolloutDeps): Promise<RollbackTaskResult> {
  const token = (raw as { taskToken?: unknown } | null)?.taskToken;
  try {
    const parsed = rollbackTaskInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new RollbackFailed(
        `Invalid rollback payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return await startRollback(parsed.data, deps);
  } catch (err) {
    if (!(err instanceof ShipgateError) || typeof token !== 'string') throw err;
    logger.warn('rollback step failed', { error: err.name, message: err.message });
    await deliverRollback(
      token,
      { status: 'FAILED', failure: { error: err.name, cause: err.message } },
      deps,
    );
    return { status: 'FAILED', error: err.name };
  }
}
