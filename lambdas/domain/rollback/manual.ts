import { BadRequestError, ConflictError, NotFoundError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { Release } from '../../shared/release';
import type { ReleaseOutcome } from '../chat/outcomes';
import { reportDeployment, type FeedbackDeps } from '../gitlab/feedback';
import { announceOutcome, type AnnounceDeps } from '../outcomes/announce';
import { getRelease, updateRelease, type ReleaseRecord, type ReleaseRollback } from '../releases/store';
import type { RolloutDeps } from '../rollout/deps';
import { RollbackFailed, RolloutLocked } from '../rollout/errors';
import { readLock } from '../rollout/lock';
import { getDeployed } from '../rollout/records';
import { manualRollback } from '../rollout/rollback';
import { getRollback, newRollbackId, putRollback, updateRollback, type RollbackEntry } from './store';

/**
 * Manual rollback as a recorded action, the same for `shipgate rollback` and `POST /api/rollbacks`:
 * {@link requestManualRollback} checks and records the request; {@link runManualRollback} deploys the
 * previously released digest (pinned, under the rollout lock, waiting for ECS), then records the rollback on
 * the release it undid (environment ROLLED_BACK, `rollbacks[]`), posts to chat and reports a GitLab
 * deployment of the restored commit.
 */

/** Longest reason kept. */
export const MAX_ROLLBACK_REASON = 500;

/** What a manual rollback needs. */
export interface ManualRollbackDeps {
  rollout: RolloutDeps;
  announce: AnnounceDeps;
  feedback?: FeedbackDeps;
}

/** A rollback request as the edges hand it over. */
export interface ManualRollbackRequest {
  service: string;
  environment: string;
  by: string;
  reason?: string;
}

const tables = (deps: ManualRollbackDeps) => ({ ddb: deps.rollout.ddb, table: deps.rollout.table });

/**
 * Validates and records a rollback request (status REQUESTED), naming what runs now and what it goes back to.
 * Changes nothing when it refuses.
 * @throws BadRequestError for an unknown service or environment, or no `by`.
 * @throws RollbackFailed (409) when Shipgate's history has nothing earlier to go back to.
 * @throws RolloutLocked (409) while a release or another rollback holds the rollout lock.
 */
export async function requestManualRollback(
  request: ManualRollbackRequest,
  deps: ManualRollbackDeps,
): Promise<RollbackEntry> {
  const { config } = deps.rollout;
  const { service, environment } = request;
  if (!(service in config.services)) {
    throw new BadRequestError(
      `unknown service "${service}"; configured: ${Object.keys(config.services).join(', ')}`,
    );
  }
  if (!config.environments.some((e) => e.name === environment)) {
    throw new BadRequestError(
      `unknown environment "${environment}"; configured: ${config.environments.map((e) => e.name).join(', ')}`,
    );
  }
  const by = request.by.trim();
  if (!by) throw new BadRequestError('Who asks for the rollback is missing ("by").');
  const history = (await getDeployed(environment, service, deps.rollout))?.history ?? [];
  const current = history[0];
  const target = history.find((e, i) => i > 0 && e.digest !== current?.digest);
  if (!current || !target) {
    throw new RollbackFailed(
      `No earlier release of "${service}" in "${environment}" to go back to: Shipgate's history there has ${history.length} entr${history.length === 1 ? 'y' : 'ies'}${current ? ` (current ${current.digest} from release ${current.releaseId})` : ''}.`,
    );
  }
  const now = deps.rollout.now();
  const lock = await readLock(environment, service, deps.rollout);
  if (lock && lock.expiresAt * 1000 > now.getTime()) {
    throw new RolloutLocked(
      `"${service}" in "${environment}" is being rolled out by ${
        lock.owner.startsWith('manual-rollback:')
          ? `a manual rollback (${lock.owner.split(':')[1]})`
          : `release ${lock.owner}`
      } (lock until ${new Date(lock.expiresAt * 1000).toISOString()}); nothing was changed. Try again once it settled.`,
    );
  }
  const entry: RollbackEntry = {
    id: newRollbackId(environment, service, now),
    service,
    environment,
    by,
    reason: request.reason?.trim().slice(0, MAX_ROLLBACK_REASON) || '(no reason given)',
    status: 'REQUESTED',
    requestedAt: now.toISOString(),
    from: { digest: current.digest, releaseId: current.releaseId },
    to: { digest: target.digest, releaseId: target.releaseId },
    progress: [
      `${by} asked to roll "${service}" in "${environment}" back from ${current.digest} (release ${current.releaseId}) to ${target.digest} (release ${target.releaseId}).`,
    ],
  };
  await putRollback(entry, tables(deps));
  logger.info('Manual rollback requested', { rollbackId: entry.id, service, environment, by });
  return entry;
}

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

/**
 * Runs a requested rollback once (REQUESTED → ROLLING_BACK → ROLLED_BACK / FAILED) and records it
 * everywhere. Never throws for the rollback's own failure (it is recorded, announced and returned).
 * @throws NotFoundError for an unknown id.
 */
export async function runManualRollback(
  id: string,
  deps: ManualRollbackDeps,
  onProgress: (line: string) => void = () => undefined,
): Promise<RollbackEntry> {
  const store = tables(deps);
  const entry = await getRollback(id, store);
  if (!entry) throw new NotFoundError(`No rollback "${id.slice(0, 120)}"; GET /api/rollbacks lists them.`);
  const line = `Rolling back with the service's configured strategy, pinned by digest; waiting for ECS (at most ${deps.rollout.config.rollout.timeout} s).`;
  if (!(await updateRollback(id, 'REQUESTED', { status: 'ROLLING_BACK' }, store, line))) {
    throw new ConflictError(`Rollback ${id} already ran or is running; nothing was changed.`);
  }
  onProgress(line);
  const [undone, restored] = await Promise.all([
    getRelease(entry.from.releaseId, store),
    getRelease(entry.to.releaseId, store),
  ]);
  const undoneRelease = releaseOf(undone, entry.from.releaseId, entry, deps);
  try {
    const result = await manualRollback(
      entry.service,
      entry.environment,
      `manual-rollback:${entry.by}:${entry.id}`,
      deps.rollout,
      (progress) => {
        onProgress(progress);
        void updateRollback(id, 'ROLLING_BACK', {}, store, progress).catch(() => undefined);
      },
    );
    const finishedAt = deps.rollout.now().toISOString();
    // What actually ran and what it went back to (the history may have moved since the request).
    const from = { digest: result.from.digest, releaseId: result.from.releaseId };
    const to = { digest: result.to.digest, releaseId: result.to.releaseId };
    const record: ReleaseRollback = {
      id,
      environment: entry.environment,
      service: entry.service,
      by: entry.by,
      at: finishedAt,
      reason: entry.reason,
      from,
      to,
    };
    await markUndone(record, undone, deps);
    const chat = await announce(undoneRelease, { kind: 'rolled-back', ...record }, id, deps);
    const gitlab = restored
      ? await reportDeployment(restored.release, entry.environment, 'success', deps.feedback)
      : false;
    const done = `Rolled back "${entry.service}" in "${entry.environment}": now ${to.digest} (release ${to.releaseId}) as ${result.taskDefinitionArn}, deployment ${result.deploymentId}; was ${from.digest} (release ${from.releaseId}).`;
    await updateRollback(
      id,
      'ROLLING_BACK',
      {
        status: 'ROLLED_BACK',
        finishedAt,
        from,
        to,
        taskDefinitionArn: result.taskDefinitionArn,
        deploymentId: result.deploymentId,
        notified: { chat, gitlab },
      },
      store,
      done,
    );
    onProgress(done);
  } catch (err) {
    const error = err as Error;
    const cause = error.message;
    const name =
      error instanceof RollbackFailed || error instanceof RolloutLocked ? error.name : error.name || 'Error';
    logger.warn('Manual rollback failed', { rollbackId: id, error: name });
    const chat = await announce(
      undoneRelease,
      {
        kind: 'rollback-failed',
        environment: entry.environment,
        service: entry.service,
        by: entry.by,
        reason: entry.reason,
        cause: `${name}: ${cause}`,
      },
      id,
      deps,
    );
    await updateRollback(
      id,
      'ROLLING_BACK',
      {
        status: 'FAILED',
        finishedAt: deps.rollout.now().toISOString(),
        error: { error: name, cause },
        notified: { chat, gitlab: false },
      },
      store,
      `${name}: ${cause}`,
    );
  }
  return (await getRollback(id, store)) ?? entry;
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
