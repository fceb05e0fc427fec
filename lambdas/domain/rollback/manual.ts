import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import * as z from '../../shared/zod';
import { ConflictError, NotFoundError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { Release } from '../../shared/release';
import type { ReleaseOutcome } from '../chat/outcomes';
import { reportDeployment, type FeedbackDeps } from '../gitlab/feedback';
import { recordManualRollbackInLedger } from '../ledger/record';
import { announceOutcome, type AnnounceDeps } from '../outcomes/announce';
import { getRelease, updateRelease, type ReleaseRecord, type ReleaseRollback } from '../releases/store';
import { loadContract, shortTaskDefinition } from '../rollout/contract';
import { forEnvironment, type RolloutDeps } from '../rollout/deps';
import { originMismatch } from '../rollout/event-origin';
import {
  currentTaskDefinition,
  describeService,
  getCodeDeployDeployment,
  registerPinnedCopy,
  restoreBetweenDeployments,
  startDeployment,
} from '../rollout/deploy';
import { RollbackFailed } from '../rollout/errors';
import { evaluateCodeDeploy, evaluateEcsService } from '../rollout/evaluate';
import { parseServiceArn } from '../rollout/events';
import { acquireLock, releaseLock } from '../rollout/lock';
import { lockOwnerEnded } from '../rollout/lock-owner';
import { getDeployed, restoreEntry } from '../rollout/records';
import { describeServiceDeployment } from '../rollout/service-deployments';
import { planRollout } from '../rollout/strategy';
import { getRollback, updateRollback, type RollbackEntry } from './store';
import { getWaiter, parkToken, putWaiter, takeWaiter } from './waiter';
import { isTaskGone } from '../../shared/task-token';

export { MAX_ROLLBACK_REASON, requestManualRollback, type ManualRollbackRequest } from './request';

/**
 * Manual rollback as a recorded action, the same for `shipgate rollback` and `POST /api/rollbacks`:
 * {@link requestManualRollback} checks and records the request; the rollback state machine then runs it the
 * way the release's "Roll back <env>" runs: {@link startManualRollback} (waitForTaskToken) takes the rollout
 * lock, deploys the previously released digest pinned by digest with the rollback's settings (no pause, no
 * canary or linear bake: `buildRollbackDeploymentConfiguration`), parks its task token and returns; the
 * deployment event that ends it ({@link settleManualRollbackFromEvent}, in `rollout-events`) or the look after
 * `rollout.eventGrace` ({@link checkManualRollback}) settles it: the rollback is recorded on the release it
 * undid (environment ROLLED_BACK, `rollbacks[]`) and in the ledger, chat and GitLab are told, the lock is
 * released and the task resumed. No Lambda waits for ECS.
 */

/** What running a manual rollback needs. */
export interface ManualRollbackDeps {
  rollout: RolloutDeps;
  announce: AnnounceDeps;
  feedback?: FeedbackDeps;
}

/** A rollback's Step Functions task (`waitForTaskToken`). */
export interface RollbackTaskToken {
  taskToken: string;
  executionArn: string;
}

/** What the rollback state machine's task resumes with, and what the steps return. */
export interface ManualRollbackResult {
  rollbackId: string;
  status: RollbackEntry['status'];
  settled: boolean;
}

/** Payload of the `manual-rollback` step: start (or re-park the token of) a rollback, or look once. */
export const manualRollbackPayloadSchema = z.union([
  z.strictObject({
    action: z.literal('start'),
    rollbackId: z.string().check(z.minLength(1), z.maxLength(120)),
    taskToken: z.string().check(z.minLength(1)),
    executionArn: z.string().check(z.minLength(1)),
  }),
  z.strictObject({
    action: z.literal('check'),
    rollbackId: z.string().check(z.minLength(1), z.maxLength(120)),
  }),
]);

type Outcome = { status: 'COMPLETED' } | { status: 'FAILED'; error: string; cause: string };

/** `deps` with the rollout clients of the rollback's environment (its own account's, see forEnvironment). */
const inEnvironment = (deps: ManualRollbackDeps, environment: string): ManualRollbackDeps => ({
  ...deps,
  rollout: forEnvironment(deps.rollout, environment),
});

const tables = (deps: Pick<ManualRollbackDeps, 'rollout'>) => ({
  ddb: deps.rollout.ddb,
  table: deps.rollout.table,
});

const ownerOf = (entry: Pick<RollbackEntry, 'by' | 'id'>) => `manual-rollback:${entry.by}:${entry.id}`;

const resultOf = (entry: RollbackEntry): ManualRollbackResult => ({
  rollbackId: entry.id,
  status: entry.status,
  settled: entry.status === 'ROLLED_BACK' || entry.status === 'FAILED',
});

/** A stand-in for a release whose record is gone (the history still names it). */
function releaseOf(
  record: ReleaseRecord | undefined,
  id: string,
  entry: RollbackEntry,
  deps: ManualRollbackDeps,
): Release {
  if (record) return record.release;
  const project = deps.rollout.config.projects.find((p) => p.services.includes(entry.service));
  return {
    id,
    project: { id: 0, path: project?.path ?? entry.service },
    commit: { sha: '', title: `release ${id}` },
    ref: '',
    tag: false,
    pipeline: { id: 0 },
    triggeredBy: { username: entry.by },
    services: [entry.service],
    environments: deps.rollout.config.environments.map((e) => e.name),
    deliveryId: '',
    createdAt: entry.requestedAt,
  } as Release;
}

/** Resumes the rollback's waiting task; a task that already ended is not an error (the entry has the outcome). */
async function resume(
  taskToken: string | undefined,
  entry: RollbackEntry,
  deps: ManualRollbackDeps,
): Promise<void> {
  if (!taskToken) return;
  try {
    await deps.rollout.sfn.send(
      new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(resultOf(entry)) }),
    );
  } catch (err) {
    if (!isTaskGone(err)) throw err;
    logger.info('manual rollback task already gone; the outcome is on the rollback entry', {
      rollbackId: entry.id,
      error: (err as Error).name,
    });
  }
}

/**
 * `manual-rollback` with `action: 'start'` ("Start manual rollback" / "Await manual rollback"): runs a
 * REQUESTED rollback's first part once (lock, pinned task definition, deployment with the rollback's
 * settings), or parks the new token on the rollback in flight; then looks once, so an ending event that came
 * before the token was parked is not waited for. A rollback that already ended resumes the task at once.
 * @throws NotFoundError for an unknown id.
 */
export async function startManualRollback(
  id: string,
  waiter: RollbackTaskToken | undefined,
  deps: ManualRollbackDeps,
  onProgress: (line: string) => void = () => undefined,
): Promise<ManualRollbackResult> {
  const store = tables(deps);
  let entry = await getRollback(id, store);
  if (!entry) throw new NotFoundError(`No rollback "${id.slice(0, 120)}"; GET /api/rollbacks lists them.`);
  deps = inEnvironment(deps, entry.environment);
  if (entry.status === 'REQUESTED') {
    const line = `Rolling back without pauses or bakes (all traffic at once), pinned by digest; ECS is followed for at most ${deps.rollout.config.rollout.timeout} s.`;
    if (await updateRollback(id, 'REQUESTED', { status: 'ROLLING_BACK' }, store, line)) {
      onProgress(line);
      return begin({ ...entry, status: 'ROLLING_BACK' }, waiter, deps, onProgress);
    }
    entry = (await getRollback(id, store))!;
  }
  if (entry.status !== 'ROLLING_BACK') {
    await resume(waiter?.taskToken, entry, deps);
    return resultOf(entry);
  }
  if (waiter && entry.clusterName && entry.serviceName) {
    if (!(await parkToken(entry.clusterName, entry.serviceName, id, waiter, store))) {
      // Settled between the two reads: report what it became.
      const now = (await getRollback(id, store)) ?? entry;
      await resume(waiter.taskToken, now, deps);
      return resultOf(now);
    }
  }
  return lookOnce(entry, deps, waiter?.taskToken);
}

/** The first part of a rollback: everything up to the deployment ECS runs. Failures are settled, not thrown. */
async function begin(
  entry: RollbackEntry,
  waiter: RollbackTaskToken | undefined,
  deps: ManualRollbackDeps,
  onProgress: (line: string) => void,
): Promise<ManualRollbackResult> {
  const { service, environment } = entry;
  const rollout = deps.rollout;
  const store = tables(deps);
  try {
    const history = (await getDeployed(environment, service, rollout))?.history ?? [];
    const current = history[0];
    const index = history.findIndex((e, i) => i > 0 && e.digest !== current?.digest);
    if (!current || index < 0) {
      throw new RollbackFailed(
        `No earlier release of "${service}" in "${environment}" to go back to: Shipgate's history there has ${history.length} entr${history.length === 1 ? 'y' : 'ies'}${current ? ` (current ${current.digest} from release ${current.releaseId})` : ''}.`,
      );
    }
    const target = history[index];
    const plan = planRollout(
      await loadContract(environment, service, rollout),
      rollout.config,
      service,
      environment,
    );
    // A lock whose execution has ended owns nothing any more: a person may always roll back (issue 27).
    await acquireLock(environment, service, ownerOf(entry), waiter?.executionArn, rollout, {
      takeOver: (held) => lockOwnerEnded(held, rollout),
    });
    const svc = await describeService(plan, rollout);
    const running = currentTaskDefinition(svc);
    const taskDefinitionArn = await registerPinnedCopy(running, plan.containerName, target.imageUri, rollout);
    // The waiter exists before the deployment does, so its ending event always finds it.
    await putWaiter(plan.clusterName, plan.serviceName, { rollbackId: entry.id, ...(waiter ?? {}) }, store);
    const started = await startDeployment(
      plan,
      svc,
      taskDefinitionArn,
      `shipgate rollback by ${entry.by}: ${service} in ${environment} to release ${target.releaseId}`,
      rollout,
      { rollback: true },
    );
    const line = `Rolling "${service}" in "${environment}" back from ${current.digest} (release ${current.releaseId}) to ${target.digest} (release ${target.releaseId}) as ${shortTaskDefinition(taskDefinitionArn)}: deployment ${started.deploymentId}${started.serviceDeploymentArn ? ` (service deployment ${started.serviceDeploymentArn.split('/').pop()})` : ''}.`;
    const fields: Partial<RollbackEntry> = {
      from: { digest: current.digest, releaseId: current.releaseId },
      to: { digest: target.digest, releaseId: target.releaseId },
      taskDefinitionArn,
      deploymentId: started.deploymentId,
      ...(started.serviceDeploymentArn ? { serviceDeploymentArn: started.serviceDeploymentArn } : {}),
      strategy: plan.strategy,
      clusterName: plan.clusterName,
      serviceName: plan.serviceName,
      previousTaskDefinitionArn: running,
      deploymentStartedAt: rollout.now().toISOString(),
    };
    await updateRollback(entry.id, 'ROLLING_BACK', fields, store, line);
    onProgress(line);
    return lookOnce({ ...entry, ...fields }, deps, waiter?.taskToken);
  } catch (err) {
    const error = err as Error;
    logger.warn('Manual rollback could not start', { rollbackId: entry.id, error: error.name });
    const held = await settle(
      entry,
      { status: 'FAILED', error: error.name || 'Error', cause: error.message },
      deps,
      waiter?.taskToken,
    );
    onProgress(held.progress[held.progress.length - 1] ?? '');
    return resultOf(held);
  }
}

/** One look at the deployment a rollback waits on. */
async function observe(
  entry: RollbackEntry,
  deps: ManualRollbackDeps,
): Promise<
  { state: 'IN_PROGRESS'; detail: string } | { state: 'COMPLETED' } | { state: 'FAILED'; reason: string }
> {
  const rollout = deps.rollout;
  if (entry.serviceDeploymentArn) {
    const sd = await describeServiceDeployment(entry.serviceDeploymentArn, rollout);
    const status = sd.status ?? 'UNKNOWN';
    if (status === 'SUCCESSFUL') return { state: 'COMPLETED' };
    if (['STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(status)) {
      return {
        state: 'FAILED',
        reason: `ECS ended the rollback's service deployment ${entry.serviceDeploymentArn.split('/').pop()} ${status}${sd.statusReason ? `: ${sd.statusReason}` : ''}`,
      };
    }
    return { state: 'IN_PROGRESS', detail: `service deployment ${status}` };
  }
  if (!entry.deploymentId || !entry.taskDefinitionArn || !entry.clusterName || !entry.serviceName) {
    return { state: 'IN_PROGRESS', detail: 'the deployment has not started yet' };
  }
  const o =
    entry.strategy === 'CODEDEPLOY'
      ? evaluateCodeDeploy(
          await getCodeDeployDeployment(entry.deploymentId, rollout),
          entry.previousTaskDefinitionArn ?? '',
        )
      : evaluateEcsService(
          await describeService(
            {
              cluster: entry.clusterName,
              ecsService: entry.serviceName,
              service: entry.service,
              environment: entry.environment,
            },
            rollout,
          ),
          { deploymentId: entry.deploymentId, taskDefinitionArn: entry.taskDefinitionArn },
        );
  if (o.state === 'FAILED') return { state: 'FAILED', reason: o.reason };
  return o.state === 'COMPLETED' ? { state: 'COMPLETED' } : { state: 'IN_PROGRESS', detail: o.detail };
}

async function lookOnce(
  entry: RollbackEntry,
  deps: ManualRollbackDeps,
  taskToken?: string,
): Promise<ManualRollbackResult> {
  const seen = await observe(entry, deps);
  if (seen.state === 'IN_PROGRESS') return resultOf(entry);
  return resultOf(await settle(entry, outcomeOf(entry, seen), deps, taskToken));
}

function outcomeOf(
  entry: RollbackEntry,
  seen: { state: 'COMPLETED' } | { state: 'FAILED'; reason: string },
): Outcome {
  if (seen.state === 'COMPLETED') return { status: 'COMPLETED' };
  return {
    status: 'FAILED',
    error: 'RollbackFailed',
    cause: `Rollback of "${entry.service}" in "${entry.environment}" to ${entry.to.digest} (release ${entry.to.releaseId}) failed: ${seen.reason.replace(/[.\s]+$/, '')}. Check the service in the ECS console.`,
  };
}

/**
 * `manual-rollback` with `action: 'check'` ("Check manual rollback", after no event came within
 * `rollout.eventGrace`): looks once; settles the rollback when it ended, or as FAILED once `rollout.timeout`
 * has passed since its deployment started.
 */
export async function checkManualRollback(
  id: string,
  deps: ManualRollbackDeps,
): Promise<ManualRollbackResult> {
  const entry = await getRollback(id, tables(deps));
  if (!entry) throw new NotFoundError(`No rollback "${id.slice(0, 120)}"; GET /api/rollbacks lists them.`);
  if (entry.status === 'ROLLED_BACK' || entry.status === 'FAILED') return resultOf(entry);
  deps = inEnvironment(deps, entry.environment);
  const seen = await observe(entry, deps);
  if (seen.state !== 'IN_PROGRESS') return resultOf(await settle(entry, outcomeOf(entry, seen), deps));
  const since = Date.parse(entry.deploymentStartedAt ?? entry.requestedAt);
  const elapsed = Math.floor((deps.rollout.now().getTime() - since) / 1000);
  const limit = deps.rollout.config.rollout.timeout;
  if (elapsed < limit) return resultOf(entry);
  return resultOf(
    await settle(
      entry,
      {
        status: 'FAILED',
        error: 'RollbackFailed',
        cause: `Rollback of "${entry.service}" in "${entry.environment}" is still in progress after ${elapsed} s, over rollout.timeout (${limit} s); last state: ${seen.detail}. Check the service in the ECS console.`,
      },
      deps,
    ),
  );
}

/** The part of an ECS deployment event the manual rollback needs. */
const ecsEventSchema = z.object({
  account: z.optional(z.string()),
  region: z.optional(z.string()),
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Deployment State Change'),
  resources: z.array(z.string()).check(z.minLength(1)),
  detail: z.looseObject({ eventName: z.string() }),
});

/**
 * In `rollout-events`: a final ECS deployment event of a service with a manual rollback in flight settles
 * that rollback (after one look: the event alone does not say how it ended). `undefined` when the event is
 * not about such a service (the release's rollouts handle it then).
 */
export async function settleManualRollbackFromEvent(
  event: unknown,
  deps: ManualRollbackDeps,
): Promise<{ action: 'ignored' | 'settled'; rollbackId: string; status: string } | undefined> {
  const parsed = ecsEventSchema.safeParse(event);
  if (!parsed.success) return undefined;
  const names = parsed.data.resources.map(parseServiceArn).find(Boolean);
  if (!names) return undefined;
  const waiter = await getWaiter(names.clusterName, names.serviceName, tables(deps));
  if (!waiter) return undefined;
  const { eventName } = parsed.data.detail;
  if (eventName !== 'SERVICE_DEPLOYMENT_COMPLETED' && eventName !== 'SERVICE_DEPLOYMENT_FAILED') {
    return { action: 'ignored', rollbackId: waiter.rollbackId, status: 'ROLLING_BACK' };
  }
  const entry = await getRollback(waiter.rollbackId, tables(deps));
  if (!entry || entry.status !== 'ROLLING_BACK') {
    return { action: 'ignored', rollbackId: waiter.rollbackId, status: entry?.status ?? 'UNKNOWN' };
  }
  const mismatch = originMismatch(parsed.data, entry.environment, deps.rollout.config);
  if (mismatch) {
    logger.info('deployment event ignored', { rollbackId: entry.id, reason: mismatch });
    return { action: 'ignored', rollbackId: entry.id, status: entry.status };
  }
  const result = await lookOnce(entry, inEnvironment(deps, entry.environment), waiter.taskToken);
  return { action: result.settled ? 'settled' : 'ignored', rollbackId: entry.id, status: result.status };
}

/**
 * Ends a rollback once (ROLLING_BACK → ROLLED_BACK | FAILED, a conditional write): on success the restored
 * digest becomes current in the deployed history and the undone release is marked; the ledger, chat and
 * GitLab are told; the service's per-deployment settings are restored; the lock is released and the waiting
 * task resumed. Returns the entry as it ended (someone else's settlement when they came first).
 */
async function settle(
  entry: RollbackEntry,
  outcome: Outcome,
  deps: ManualRollbackDeps,
  taskToken?: string,
): Promise<RollbackEntry> {
  const store = tables(deps);
  const finishedAt = deps.rollout.now().toISOString();
  const done =
    outcome.status === 'COMPLETED'
      ? `Rolled back "${entry.service}" in "${entry.environment}": now ${entry.to.digest} (release ${entry.to.releaseId}) as ${entry.taskDefinitionArn ?? '?'}, deployment ${entry.deploymentId ?? '?'}; was ${entry.from.digest} (release ${entry.from.releaseId}).`
      : `${outcome.error}: ${outcome.cause}`;
  const claimed = await updateRollback(
    entry.id,
    'ROLLING_BACK',
    {
      status: outcome.status === 'COMPLETED' ? 'ROLLED_BACK' : 'FAILED',
      finishedAt,
      ...(outcome.status === 'FAILED' ? { error: { error: outcome.error, cause: outcome.cause } } : {}),
    },
    store,
    done,
  );
  if (!claimed) {
    const now = (await getRollback(entry.id, store)) ?? entry;
    await resume(taskToken, now, deps);
    return now;
  }
  const [undone, restored] = await Promise.all([
    getRelease(entry.from.releaseId, store),
    getRelease(entry.to.releaseId, store),
  ]);
  const undoneRelease = releaseOf(undone, entry.from.releaseId, entry, deps);
  let notified: RollbackEntry['notified'];
  if (outcome.status === 'COMPLETED') {
    const record: ReleaseRollback = {
      id: entry.id,
      environment: entry.environment,
      service: entry.service,
      by: entry.by,
      at: finishedAt,
      reason: entry.reason,
      from: entry.from,
      to: entry.to,
    };
    await restoreHistory(entry, finishedAt, deps);
    await markUndone(record, undone, deps);
    try {
      await recordManualRollbackInLedger(
        {
          ...record,
          requestedAt: entry.requestedAt,
          finishedAt,
          project: undoneRelease.project,
          ...(restored?.release.commit.sha ? { restoredSha: restored.release.commit.sha } : {}),
        },
        { ...store, now: deps.rollout.now },
      );
    } catch (err) {
      logger.error('Manual rollback not written to the ledger; its digest is not quarantined', {
        rollbackId: entry.id,
        error: err as Error,
      });
    }
    const chat = await announce(undoneRelease, { kind: 'rolled-back', ...record }, entry.id, deps);
    const gitlab = restored
      ? await reportDeployment(restored.release, entry.environment, 'success', deps.feedback)
      : false;
    notified = { chat, gitlab };
  } else {
    logger.warn('Manual rollback failed', { rollbackId: entry.id, error: outcome.error });
    const chat = await announce(
      undoneRelease,
      {
        kind: 'rollback-failed',
        environment: entry.environment,
        service: entry.service,
        by: entry.by,
        reason: entry.reason,
        cause: `${outcome.error}: ${outcome.cause}`,
      },
      entry.id,
      deps,
    );
    notified = { chat, gitlab: false };
  }
  let token = taskToken;
  if (entry.clusterName && entry.serviceName) {
    // The rollback's own settings (alarms off) do not stay for the next deployment; still under the lock.
    await restoreBetweenDeployments(
      { cluster: entry.clusterName, service: entry.serviceName, strategy: entry.strategy ?? '' },
      deps.rollout,
    );
    const waiter = await takeWaiter(entry.clusterName, entry.serviceName, entry.id, store);
    token = waiter?.taskToken ?? token;
  }
  await releaseLock(entry.environment, entry.service, ownerOf(entry), deps.rollout);
  const final = outcome.status === 'COMPLETED' ? 'ROLLED_BACK' : 'FAILED';
  await updateRollback(entry.id, final, { notified }, store);
  const ended = (await getRollback(entry.id, store)) ?? entry;
  logger.info('manual rollback settled', { rollbackId: entry.id, status: ended.status });
  await resume(token, ended, deps);
  return ended;
}

/** The restored digest becomes current in the deployed history (`restoredBy` names who). */
async function restoreHistory(entry: RollbackEntry, at: string, deps: ManualRollbackDeps): Promise<void> {
  const history = (await getDeployed(entry.environment, entry.service, deps.rollout))?.history ?? [];
  const index = history.findIndex(
    (e, i) => i > 0 && e.digest === entry.to.digest && e.releaseId === entry.to.releaseId,
  );
  if (index < 0) {
    logger.warn('The restored release is no longer in the deployed history', { rollbackId: entry.id });
    return;
  }
  await restoreEntry(
    entry.environment,
    entry.service,
    index,
    {
      ...history[index],
      taskDefinitionArn: entry.taskDefinitionArn ?? history[index].taskDefinitionArn,
      deployedAt: at,
      restoredBy: ownerOf(entry),
    },
    deps.rollout,
  );
}

/**
 * Runs a requested rollback to its end in this process (`shipgate rollback` with `SHIPGATE_TABLE` set, and
 * tests): the same start and checks the rollback state machine runs, the waiting done here between looks
 * instead of in Step Functions. Never throws for the rollback's own failure (it is recorded and announced).
 * @throws NotFoundError for an unknown id; ConflictError when it already ran or runs elsewhere.
 */
export async function runManualRollback(
  id: string,
  deps: ManualRollbackDeps,
  onProgress: (line: string) => void = () => undefined,
  pollSeconds = 5,
): Promise<RollbackEntry> {
  const store = tables(deps);
  const before = await getRollback(id, store);
  if (before && before.status !== 'REQUESTED') {
    throw new ConflictError(`Rollback ${id} already ran or is running; nothing was changed.`);
  }
  let result = await startManualRollback(id, undefined, deps, onProgress);
  for (let look = 1; !result.settled; look++) {
    await deps.rollout.sleep(Math.min(pollSeconds, look) * 1000);
    result = await checkManualRollback(id, deps);
  }
  const entry = (await getRollback(id, store))!;
  const last = entry.progress[entry.progress.length - 1];
  if (last) onProgress(last);
  return entry;
}

/** The undone release: that environment ROLLED_BACK (who, when, to what, why) and the rollback listed. */
async function markUndone(
  rollback: ReleaseRollback,
  undone: ReleaseRecord | undefined,
  deps: ManualRollbackDeps,
): Promise<void> {
  if (!undone) {
    logger.warn('The rolled-back release has no record to mark', { releaseId: rollback.from.releaseId });
    return;
  }
  const previous = undone.environments?.[rollback.environment];
  try {
    await updateRelease(
      undone.id,
      {
        environments: {
          [rollback.environment]: {
            status: 'ROLLED_BACK',
            ...(previous?.digests ? { digests: previous.digests } : {}),
            at: rollback.at,
            detail: `${rollback.service} rolled back by ${rollback.by} at ${rollback.at} to ${rollback.to.digest} (release ${rollback.to.releaseId}): ${rollback.reason}`,
          },
        },
        rollbacks: [...(undone.rollbacks ?? []), rollback],
      },
      tables(deps),
    );
  } catch (err) {
    logger.warn('Could not mark the release rolled back', {
      releaseId: undone.id,
      error: (err as Error).message,
    });
  }
}

async function announce(
  release: Release,
  outcome: ReleaseOutcome,
  id: string,
  deps: ManualRollbackDeps,
): Promise<string> {
  return announceOutcome(release, outcome, { once: `rollback#${id}` }, deps.announce);
}
