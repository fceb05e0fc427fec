import { randomUUID } from 'node:crypto';
import { ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { loadContract } from './contract';
import { forEnvironment, type RolloutDeps } from './deps';
import {
  assertPinned,
  currentTaskDefinition,
  describeService,
  registerPinnedCopy,
  startDeployment,
} from './deploy';
import { PromotionRefused, ReleaseSuperseded, RolloutFailed, RolloutStuck } from './errors';
import { acquireLock, releaseLock } from './lock';
import {
  getDeployed,
  getRecord,
  putRecord,
  registerToken,
  setDeploymentId,
  settleRecord,
  type Settlement,
} from './records';
import { deliver, finish, observe, settlementFor, storedSettlement } from './settle';
import {
  awaitingPause,
  notePause,
  pausedOutput,
  pauseFromHook,
  pauseStageOf,
  resumeWith,
  takePauseWaiter,
} from './pauses';
import { describeServiceDeployment } from './service-deployments';
import { planRollout, type RolloutPlan } from './strategy';
import {
  rolloutTaskInputSchema,
  type CheckRolloutInput,
  type CheckRolloutResult,
  type RolloutRecord,
  type RolloutTaskInput,
} from './types';

/**
 * "Deploy <env>" for one image: start the rollout and park the task token in the rollout record
 * (`start-rollout`), re-park it after a timeout (`await-rollout`), and look once when no event came
 * (`check-rollout`). Completion normally arrives through `rollout-events`.
 */

/** What a waitForTaskToken rollout Lambda did (its return value; Step Functions waits for the token). */
export type RolloutTaskResult =
  | { status: 'STARTED'; deploymentId: string }
  | { status: 'WAITING'; detail: string }
  | { status: 'SETTLED'; outcome: 'COMPLETED' | 'FAILED' }
  | { status: 'FAILED'; error: string }
  | { status: 'PAUSED'; hookId: string; stage: string };

const RECORD_TTL_SECONDS = 90 * 86400;

/** Throws the typed error a stored failure names (`RolloutStuck` or `RolloutFailed`). */
export function throwFailure(failure: { error: string; cause: string }): never {
  if (failure.error === 'RolloutStuck') throw new RolloutStuck(failure.cause);
  throw new RolloutFailed(failure.cause);
}

async function planFor(environment: string, service: string, deps: RolloutDeps): Promise<RolloutPlan> {
  const contract = await loadContract(environment, service, deps);
  return planRollout(contract, deps.config, service, environment);
}

/**
 * Production runs only what passed the environment before it: the previous environment of the release
 * must have this release's entry with the same digest, verified.
 * @throws PromotionRefused saying what the previous environment ran instead.
 */
export async function assertPromotable(input: CheckRolloutInput, deps: RolloutDeps): Promise<void> {
  const { environment, release, image } = input;
  const index = release.environments.indexOf(environment);
  if (index < 0) {
    throw new PromotionRefused(
      `Release ${release.id} does not deploy to "${environment}" (its environments: ${release.environments.join(', ')}).`,
    );
  }
  if (index === 0) return;
  const before = release.environments[index - 1];
  const deployed = await getDeployed(before, image.service, deps);
  const entry = deployed?.history.find((e) => e.releaseId === release.id);
  if (!entry) {
    throw new PromotionRefused(
      `Release ${release.id} never completed a rollout of "${image.service}" to "${before}", so it cannot go to "${environment}". Every environment runs only what passed the one before it.`,
    );
  }
  if (entry.digest !== image.digest) {
    throw new PromotionRefused(
      `"${image.service}" passed "${before}" as ${entry.digest} but release ${release.id} asks "${environment}" for ${image.digest}; only the digest that passed "${before}" may be promoted.`,
    );
  }
  const head = deployed?.history[0];
  if (!entry.verifiedAt && head && head.releaseId !== release.id) {
    // Racing releases: the lock is not held across Verify, so a queued release may roll out in between.
    throw new PromotionRefused(
      `"${image.service}" of release ${release.id} was replaced in "${before}" by release ${head.releaseId} (created ${head.createdAt}) before its smoke checks there were recorded, so it cannot go to "${environment}": only what was verified in "${before}" is promoted. Release ${head.releaseId} now runs there and goes on through its own stages.`,
    );
  }
  if (!entry.verifiedAt) {
    throw new PromotionRefused(
      `"${image.service}" ${image.digest} rolled out to "${before}" but its smoke checks never passed there; it cannot go to "${environment}".`,
    );
  }
}

/**
 * Never deploy an older release over a newer one.
 * @throws ReleaseSuperseded naming both releases and their creation times.
 */
export async function assertNotSuperseded(input: CheckRolloutInput, deps: RolloutDeps): Promise<void> {
  const { environment, release, image } = input;
  const head = (await getDeployed(environment, image.service, deps))?.history[0];
  if (head && head.releaseId !== release.id && Date.parse(head.createdAt) > Date.parse(release.createdAt)) {
    throw new ReleaseSuperseded(
      `"${image.service}" in "${environment}" already runs release ${head.releaseId} (created ${head.createdAt}), which is newer than release ${release.id} (created ${release.createdAt}). ` +
        `Shipgate never deploys an older release over a newer one; release a newer commit instead.`,
    );
  }
}

function isOwnAttempt(record: RolloutRecord | undefined, input: CheckRolloutInput): boolean {
  return (
    !!record &&
    record.releaseId === input.release.id &&
    record.environment === input.environment &&
    record.digest === input.image.digest
  );
}

/**
 * Re-parks a token on an attempt in flight and looks once; settles at once when it already finished, and
 * hands over a PAUSE hook ECS waits at that the workflow has not taken up yet (`{ status: 'PAUSED' }`).
 */
export async function rewait(
  record: RolloutRecord,
  input: RolloutTaskInput,
  deps: RolloutDeps,
): Promise<RolloutTaskResult> {
  const stored = storedSettlement(record);
  if (stored) {
    await deliver(input.taskToken, stored, deps);
    return { status: 'SETTLED', outcome: stored.status };
  }
  if (!(await registerToken(record, input.taskToken, input.executionArn, deps))) {
    const now = await getRecord(record.clusterName, record.serviceName, deps);
    const settled = now && now.attempt === record.attempt ? storedSettlement(now) : undefined;
    if (!settled)
      throw new RolloutFailed(`Rollout record of "${record.service}" changed while re-registering.`);
    await deliver(input.taskToken, settled, deps);
    return { status: 'SETTLED', outcome: settled.status };
  }
  const observation = await observe(record, deps);
  const settlement = settlementFor(record, observation, deps.now().toISOString());
  if (settlement) {
    const held = await finish({ ...record, taskToken: input.taskToken }, settlement, deps, { resume: true });
    return { status: 'SETTLED', outcome: held.status };
  }
  if (record.serviceDeploymentArn) {
    const paused = await handOverPause(record, input.taskToken, deps);
    if (paused) return paused;
  }
  return { status: 'WAITING', detail: observation.state === 'IN_PROGRESS' ? observation.detail : '' };
}

/**
 * A PAUSE hook ECS waits at that no "Paused in <env>" task took up (its event came while nobody waited, or
 * before this waiter registered): resume this waiter with it.
 */
async function handOverPause(
  record: RolloutRecord,
  taskToken: string,
  deps: RolloutDeps,
): Promise<RolloutTaskResult | undefined> {
  const sd = await describeServiceDeployment(record.serviceDeploymentArn!, deps);
  const hook = awaitingPause(sd);
  if (!hook?.hookId) return undefined;
  const now = (await getRecord(record.clusterName, record.serviceName, deps)) ?? record;
  if (now.attempt !== record.attempt) return undefined;
  const known = now.pause?.hookId === hook.hookId;
  // Taken up already (a pause task registered, or people decided): keep waiting for ECS.
  if (known && (now.pause?.pauseId || now.pause?.decision)) return undefined;
  const pause = known ? now.pause! : pauseFromHook(hook, pauseStageOf(now, sd), deps.now());
  if (!known && !(await notePause(now, pause, deps))) return undefined;
  if (known) await takePauseWaiter(now, hook.hookId, deps);
  await resumeWith(taskToken, pausedOutput(now, pause), deps);
  return { status: 'PAUSED', hookId: pause.hookId, stage: pause.stage };
}

/**
 * `start-rollout`: checks the image is pinned and promotable, takes the lock, refuses to go backwards,
 * registers the digest-pinned task definition, writes the rollout record with the task token, and starts
 * the deployment. A repeated call for the same release and digest re-parks the token instead of
 * deploying twice.
 */
export async function startRollout(input: RolloutTaskInput, deps: RolloutDeps): Promise<RolloutTaskResult> {
  const { environment, release, image } = input;
  deps = forEnvironment(deps, environment);
  assertPinned(image);
  const plan = await planFor(environment, image.service, deps);
  await assertPromotable(input, deps);
  await acquireLock(environment, image.service, release.id, input.executionArn, deps);
  let deploymentStarted = false;
  try {
    const existing = await getRecord(plan.clusterName, plan.serviceName, deps);
    if (
      existing &&
      isOwnAttempt(existing, input) &&
      existing.status !== 'FAILED' &&
      existing.status !== 'ROLLED_BACK'
    ) {
      if (existing.status === 'COMPLETED' || existing.deploymentId) {
        deploymentStarted = true;
        return await rewait(existing, input, deps);
      }
    }
    await assertNotSuperseded(input, deps);

    const svc = await describeService(plan, deps);
    const previousTaskDefinitionArn = currentTaskDefinition(svc);
    const taskDefinitionArn = await registerPinnedCopy(
      previousTaskDefinitionArn,
      plan.containerName,
      image.imageUri,
      deps,
    );
    const startedAt = deps.now();
    const record: RolloutRecord = {
      pk: `ROLLOUT#${plan.clusterName}#${plan.serviceName}`,
      sk: 'ROLLOUT',
      attempt: randomUUID(),
      status: 'IN_PROGRESS',
      taskToken: input.taskToken,
      releaseId: release.id,
      releaseCreatedAt: release.createdAt,
      executionArn: input.executionArn,
      environment,
      service: image.service,
      clusterName: plan.clusterName,
      serviceName: plan.serviceName,
      strategy: plan.strategy,
      digest: image.digest,
      imageUri: image.imageUri,
      taskDefinitionArn,
      previousTaskDefinitionArn,
      ...(plan.pauseSeconds ? { pauseSeconds: plan.pauseSeconds } : {}),
      ...(plan.pauses.length ? { pauseStages: plan.pauses.map((p) => p.at) } : {}),
      codeDeployApplication: plan.codeDeploy?.application,
      codeDeployGroup: plan.codeDeploy?.deploymentGroup,
      startedAt: startedAt.toISOString(),
      ttl: Math.floor(startedAt.getTime() / 1000) + RECORD_TTL_SECONDS,
    };
    await putRecord(record, deps);
    let started: Awaited<ReturnType<typeof startDeployment>>;
    try {
      started = await startDeployment(
        plan,
        svc,
        taskDefinitionArn,
        `Shipgate release ${release.id} (${release.project.path}@${release.commit.sha.slice(0, 12)}) to ${environment}`,
        deps,
      );
    } catch (err) {
      const failure: Settlement = {
        status: 'FAILED',
        failure: { error: (err as Error).name, cause: (err as Error).message },
      };
      await settleRecord(record, failure, deps.now().toISOString(), deps);
      throw err;
    }
    deploymentStarted = true;
    const { deploymentId, serviceDeploymentArn } = started;
    await setDeploymentId(record, deploymentId, serviceDeploymentArn, deps);
    logger.info('rollout started', {
      serviceName: image.service,
      environment,
      releaseId: release.id,
      strategy: plan.strategy,
      deploymentId,
      serviceDeploymentArn,
      taskDefinitionArn,
      previousTaskDefinitionArn,
    });
    return { status: 'STARTED', deploymentId };
  } catch (err) {
    if (!deploymentStarted) await releaseLock(environment, image.service, release.id, deps);
    throw err;
  }
}

/** The record of this release's attempt. @throws RolloutFailed naming what the service's record holds instead. */
export function ownRecordOrThrow(record: RolloutRecord | undefined, input: CheckRolloutInput): RolloutRecord {
  if (!record || !isOwnAttempt(record, input)) {
    const found = record
      ? `the service's last rollout is release ${record.releaseId} in "${record.environment}" (${record.digest})`
      : 'there is no rollout record for the service';
    throw new RolloutFailed(
      `No rollout of "${input.image.service}" to "${input.environment}" by release ${input.release.id} (${input.image.digest}) is known: ${found}.`,
    );
  }
  return record;
}

/** `await-rollout`: re-registers the task token for the rollout in flight (settles at once if it finished). */
export async function awaitRollout(input: RolloutTaskInput, deps: RolloutDeps): Promise<RolloutTaskResult> {
  deps = forEnvironment(deps, input.environment);
  const plan = await planFor(input.environment, input.image.service, deps);
  const record = ownRecordOrThrow(await getRecord(plan.clusterName, plan.serviceName, deps), input);
  return rewait(record, input, deps);
}

/**
 * `check-rollout`: after no event arrived in time, looks once (DescribeServices or GetDeployment).
 * @returns settled with the outcome, or not settled with the seconds since the rollout started.
 * @throws RolloutFailed when it failed or rolled back; RolloutStuck once `rollout.timeout` has passed.
 */
export async function checkRollout(input: CheckRolloutInput, deps: RolloutDeps): Promise<CheckRolloutResult> {
  deps = forEnvironment(deps, input.environment);
  const plan = await planFor(input.environment, input.image.service, deps);
  const record = ownRecordOrThrow(await getRecord(plan.clusterName, plan.serviceName, deps), input);
  const settle = (s: Settlement): CheckRolloutResult => {
    if (s.status === 'COMPLETED') return { settled: true, outcome: s.outcome };
    return throwFailure(s.failure);
  };
  const stored = storedSettlement(record);
  if (stored) return settle(stored);

  const observation = await observe(record, deps);
  const now = deps.now();
  const settlement = settlementFor(record, observation, now.toISOString());
  if (settlement) return settle(await finish(record, settlement, deps, { resume: false }));

  const elapsedSeconds = Math.floor((now.getTime() - Date.parse(record.startedAt)) / 1000);
  // Time people may take at the configured pauses does not count against rollout.timeout.
  const limit = deps.config.rollout.timeout + (record.pauseSeconds ?? 0);
  if (elapsedSeconds >= limit) {
    const detail = observation.state === 'IN_PROGRESS' ? observation.detail : observation.state;
    const stuck: Settlement = {
      status: 'FAILED',
      failure: {
        error: 'RolloutStuck',
        cause: `Rollout of "${record.service}" to "${record.environment}" (release ${record.releaseId}, deployment ${record.deploymentId ?? 'not started'}) is still in progress after ${elapsedSeconds} s, over rollout.timeout (${limit} s). Last state: ${detail}. Shipgate rolls it back; raise rollout.timeout if this service legitimately needs longer.`,
      },
    };
    return settle(await finish(record, stuck, deps, { resume: false }));
  }
  return { settled: false, elapsedSeconds };
}

/**
 * Runs a waitForTaskToken step (`start-rollout` / `await-rollout`): validates the payload and turns any
 * Shipgate error into `SendTaskFailure` with the error's name, so the state fails with e.g.
 * `RolloutLocked` and a readable cause. Other errors propagate (the Lambda invocation fails).
 */
export async function runRolloutTask(
  raw: unknown,
  step: (input: RolloutTaskInput, deps: RolloutDeps) => Promise<RolloutTaskResult>,
  deps: RolloutDeps,
): Promise<RolloutTaskResult> {
  const token = (raw as { taskToken?: unknown } | null)?.taskToken;
  try {
    const parsed = rolloutTaskInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new RolloutFailed(
        `Invalid rollout step payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return await step(parsed.data, deps);
  } catch (err) {
    if (!(err instanceof ShipgateError) || typeof token !== 'string') throw err;
    logger.warn('rollout step failed', { error: err.name, message: err.message });
    await deliver(token, { status: 'FAILED', failure: { error: err.name, cause: err.message } }, deps);
    return { status: 'FAILED', error: err.name };
  }
}
