import { BadRequestError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { RolloutDeps } from '../rollout/deps';
import { RollbackFailed, RolloutLocked } from '../rollout/errors';
import { readLock } from '../rollout/lock';
import { lockOwnerEnded } from '../rollout/lock-owner';
import { getDeployed } from '../rollout/records';
import { newRollbackId, putRollback, type RollbackEntry } from './store';

/**
 * Accepting a manual rollback request: checks it and records it (status REQUESTED). Kept apart from running
 * it so the HTTP Lambda, which only accepts requests, carries no ECS or CodeDeploy code.
 */

/** What accepting a request needs (DynamoDB and the config only). */
export interface RequestDeps {
  rollout: Pick<RolloutDeps, 'config' | 'ddb' | 'table' | 'now'> & Partial<Pick<RolloutDeps, 'sfn'>>;
}

/** Longest reason kept. */
export const MAX_ROLLBACK_REASON = 500;

/** A rollback request as the edges hand it over. */
export interface ManualRollbackRequest {
  service: string;
  environment: string;
  by: string;
  reason?: string;
}

/**
 * Validates and records a rollback request (status REQUESTED), naming what runs now and what it goes back to.
 * Changes nothing when it refuses.
 * @throws BadRequestError for an unknown service or environment, or no `by`.
 * @throws RollbackFailed (409) when Shipgate's history has nothing earlier to go back to.
 * @throws RolloutLocked (409) while a release or another rollback holds the rollout lock.
 */
export async function requestManualRollback(
  request: ManualRollbackRequest,
  deps: RequestDeps,
): Promise<RollbackEntry> {
  const { config } = deps.rollout;
  const { service, environment } = request;
  if (!Object.hasOwn(config.services, service)) {
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
  // A release's lock whose execution has ended is taken over by the rollback (issue 27); it never blocks it.
  const ownerEnded = lock && deps.rollout.sfn ? await lockOwnerEnded(lock, { sfn: deps.rollout.sfn }) : false;
  if (lock && lock.expiresAt * 1000 > now.getTime() && !ownerEnded) {
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
  await putRollback(entry, { ddb: deps.rollout.ddb, table: deps.rollout.table });
  logger.info('Manual rollback requested', {
    rollbackId: entry.id,
    serviceName: service,
    environment,
    by,
  });
  return entry;
}
