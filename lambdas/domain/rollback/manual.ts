import { ConflictError, NotFoundError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { Release } from '../../shared/release';
import type { ReleaseOutcome } from '../chat/outcomes';
import { reportDeployment, type FeedbackDeps } from '../gitlab/feedback';
import { announceOutcome, type AnnounceDeps } from '../outcomes/announce';
import { getRelease, updateRelease, type ReleaseRecord, type ReleaseRollback } from '../releases/store';
import type { RolloutDeps } from '../rollout/deps';
import { RollbackFailed, RolloutLocked } from '../rollout/errors';
import { manualRollback } from '../rollout/rollback';
import { getRollback, updateRollback, type RollbackEntry } from './store';
import { recordManualRollbackInLedger } from '../ledger/record';

export { MAX_ROLLBACK_REASON, requestManualRollback, type ManualRollbackRequest } from './request';

/**
 * Manual rollback as a recorded action, the same for `shipgate rollback` and `POST /api/rollbacks`:
 * {@link requestManualRollback} checks and records the request; {@link runManualRollback} deploys the
 * previously released digest (pinned, under the rollout lock, waiting for ECS), then records the rollback on
 * the release it undid (environment ROLLED_BACK, `rollbacks[]`), posts to chat and reports a GitLab
 * deployment of the restored commit.
 */

/** What running a manual rollback needs. */
export interface ManualRollbackDeps {
  rollout: RolloutDeps;
  announce: AnnounceDeps;
  feedback?: FeedbackDeps;
}

const tables = (deps: Pick<ManualRollbackDeps, 'rollout'>) => ({
  ddb: deps.rollout.ddb,
  table: deps.rollout.table,
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
    // Ledger: the rollback (DORA recovery, failed deployment) and the quarantine of the digest taken out.
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
        rollbackId: id,
        error: err as Error,
      });
    }
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
