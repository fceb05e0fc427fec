import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../../shared/logger';
import { isConditionFailure, readConsistent } from '../../shared/table';
import type { RolloutDeps } from './deps';
import { RolloutLocked } from './errors';

/**
 * The per-(environment, service) rollout lock: `LOCK#<env>#<service>` / `LOCK`, taken with a conditional
 * put and a lease (`rollout.lockLease`). The owner is a release id. The same owner may take it again
 * (Step Functions retries, the rollback of its own release); anyone else only after the lease expired.
 */

/** Item of a held lock. */
export interface LockItem {
  pk: string;
  sk: 'LOCK';
  owner: string;
  executionArn?: string;
  acquiredAt: string;
  /** Epoch seconds after which the lock may be taken by someone else. */
  expiresAt: number;
  /** DynamoDB TTL: cleans up locks nobody released, well after the lease. */
  ttl: number;
  /** gsi1 (`LOCKS` / `<env>#<service>`): the reconciler lists held locks. */
  gsi1pk?: string;
  gsi1sk?: string;
}

/** gsi1 partition listing every held lock. */
export const LOCKS_INDEX = 'LOCKS';

/** Table key of a lock. */
export function lockKey(environment: string, service: string): { pk: string; sk: 'LOCK' } {
  return { pk: `LOCK#${environment}#${service}`, sk: 'LOCK' };
}

/**
 * Takes (or renews) the lock for `owner`.
 * @throws RolloutLocked naming the holder and when its lease ends.
 * @example await acquireLock('staging', 'api-gateway', release.id, executionArn, deps);
 */
export async function acquireLock(
  environment: string,
  service: string,
  owner: string,
  executionArn: string | undefined,
  deps: Pick<RolloutDeps, 'ddb' | 'table' | 'config' | 'now'>,
  options: {
    /** Whether a lock held by someone else may be taken over (e.g. its execution has ended: lock-owner.ts). */
    takeOver?: (held: LockItem) => Promise<boolean>;
  } = {},
): Promise<LockItem> {
  const nowSec = Math.floor(deps.now().getTime() / 1000);
  const item: LockItem = {
    ...lockKey(environment, service),
    gsi1pk: LOCKS_INDEX,
    gsi1sk: `${environment}#${service}`,
    owner,
    executionArn,
    acquiredAt: deps.now().toISOString(),
    expiresAt: nowSec + deps.config.rollout.lockLease,
    ttl: nowSec + deps.config.rollout.lockLease + 7 * 86400,
  };
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR expiresAt < :now',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner, ':now': nowSec },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const held = await readLock(environment, service, deps);
    if (options.takeOver && held && (await options.takeOver(held))) {
      if (await replaceLock(held, item, deps)) {
        logger.info('rollout lock taken over', {
          environment,
          serviceName: service,
          owner,
          previousOwner: held.owner,
        });
        return item;
      }
    }
    const until = held ? new Date(held.expiresAt * 1000).toISOString() : 'unknown';
    throw new RolloutLocked(
      `"${service}" in "${environment}" is being rolled out by release ${held?.owner ?? '(unknown)'} (lock lease until ${until}); ` +
        `release ${owner} waits for it to finish. One rollout per service and environment at a time.`,
    );
  }
  logger.info('rollout lock acquired', { environment, serviceName: service, owner });
  return item;
}

/** Replaces exactly `held` (same owner, same acquisition) with `item`; false when it changed meanwhile. */
async function replaceLock(
  held: LockItem,
  item: LockItem,
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: item,
        ConditionExpression: '#owner = :prev AND acquiredAt = :at',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':prev': held.owner, ':at': held.acquiredAt },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** The lock item, if any. */
export async function readLock(
  environment: string,
  service: string,
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
): Promise<LockItem | undefined> {
  return readConsistent<LockItem>(deps, lockKey(environment, service));
}

/**
 * Releases the lock if `owner` holds it; a lock held by someone else is left alone. Returns whether it
 * released one.
 */
export async function releaseLock(
  environment: string,
  service: string,
  owner: string,
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new DeleteCommand({
        TableName: deps.table,
        Key: lockKey(environment, service),
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
    logger.info('rollout lock released', { environment, serviceName: service, owner });
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * Releases every lock a release may hold (each of its services in the given environments, default all of
 * the release's environments). For "Report failure" and other exit paths; safe to call twice.
 * @example await releaseRolloutLocks({ release }, rolloutDeps());
 */
export async function releaseRolloutLocks(
  input: { release: { id: string; services: string[]; environments: string[] }; environments?: string[] },
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
): Promise<{ released: { environment: string; service: string }[] }> {
  const environments = input.environments ?? input.release.environments;
  const released: { environment: string; service: string }[] = [];
  for (const environment of environments) {
    for (const service of input.release.services) {
      if (await releaseLock(environment, service, input.release.id, deps)) {
        released.push({ environment, service });
      }
    }
  }
  return { released };
}
