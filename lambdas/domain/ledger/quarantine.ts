import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { tableName } from '../../shared/env';
import { BadRequestError, ConflictError, NotFoundError } from '../../shared/errors';
import { TABLE_KEYS, isConditionFailure, readConsistent } from '../../shared/table';
import { DigestQuarantined } from './errors';
import type { LedgerStoreDeps } from './store';
import type { LedgerOutcome, RollbackLedgerEntry } from './types';

/**
 * Digest quarantine: an image digest rolled back (by ECS, by Shipgate or by hand) in any environment may not
 * be released again for that service until someone lifts the quarantine, with a reason, through the API or
 * `shipgate quarantine lift`. One item per (service, digest): `QUARANTINE#<service>#<digest>` / `QUARANTINE`,
 * listed through gsi1 `QUARANTINES`. Rollbacks are added by ledger entry id (a retried step adds nothing);
 * a new rollback of a lifted digest quarantines it again. Redeliveries and re-runs only read it.
 */

/** A rollback that quarantined the digest. */
export interface QuarantineRollback {
  /** Ledger entry id of the rollback. */
  entryId: string;
  environment: string;
  outcome: LedgerOutcome;
  releaseId?: string;
  at: string;
  by?: string;
  reason?: string;
}

/** A recorded lift. */
export interface QuarantineLift {
  by: string;
  at: string;
  reason: string;
}

/** A quarantine as stored and served (`GET /api/quarantines`). */
export interface QuarantineRecord {
  service: string;
  digest: string;
  status: 'quarantined' | 'lifted';
  rollbacks: QuarantineRollback[];
  lifts: QuarantineLift[];
  quarantinedAt: string;
  updatedAt: string;
}

const quarantineKey = (service: string, digest: string) => ({
  [TABLE_KEYS.partitionKey]: `QUARANTINE#${service}#${digest}`,
  [TABLE_KEYS.sortKey]: 'QUARANTINE',
});

function toRecord(item: Record<string, unknown>): QuarantineRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, rollbackIds: _ids, ...rest } = item;
  return rest as unknown as QuarantineRecord;
}

/**
 * Quarantines `digest` for the rollback's service because of this rollback (idempotent per rollback entry).
 * @returns false when this rollback was already recorded.
 */
export async function quarantineDigest(
  rollback: Pick<
    RollbackLedgerEntry,
    'id' | 'service' | 'environment' | 'outcome' | 'rolledBackReleaseId' | 'at' | 'by' | 'reason'
  >,
  digest: string,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<boolean> {
  const entry: QuarantineRollback = {
    entryId: rollback.id,
    environment: rollback.environment,
    outcome: rollback.outcome,
    ...(rollback.rolledBackReleaseId ? { releaseId: rollback.rolledBackReleaseId } : {}),
    at: rollback.at,
    ...(rollback.by ? { by: rollback.by } : {}),
    ...(rollback.reason ? { reason: rollback.reason } : {}),
  };
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: quarantineKey(rollback.service, digest),
        UpdateExpression:
          'SET #status = :q, #service = :service, #digest = :digest, #g = :g, #gs = :gs, #updatedAt = :now, ' +
          '#quarantinedAt = :now, #rollbacks = list_append(if_not_exists(#rollbacks, :empty), :rb), ' +
          '#ids = list_append(if_not_exists(#ids, :empty), :id), #lifts = if_not_exists(#lifts, :empty)',
        ConditionExpression: 'attribute_not_exists(#ids) OR NOT contains(#ids, :idValue)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#service': 'service',
          '#digest': 'digest',
          '#g': TABLE_KEYS.gsi1.partitionKey,
          '#gs': TABLE_KEYS.gsi1.sortKey,
          '#updatedAt': 'updatedAt',
          '#quarantinedAt': 'quarantinedAt',
          '#rollbacks': 'rollbacks',
          '#ids': 'rollbackIds',
          '#lifts': 'lifts',
        },
        ExpressionAttributeValues: {
          ':q': 'quarantined',
          ':service': rollback.service,
          ':digest': digest,
          ':g': 'QUARANTINES',
          ':gs': `${rollback.service}#${digest}`,
          ':now': rollback.at,
          ':rb': [entry],
          ':id': [rollback.id],
          ':idValue': rollback.id,
          ':empty': [],
        },
      }),
    );
    return true;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return false;
  }
}

/** The quarantine of (service, digest), lifted or not, or `undefined`. */
export async function getQuarantine(
  service: string,
  digest: string,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<QuarantineRecord | undefined> {
  const item = await readConsistent<Record<string, unknown>>({ ddb, table }, quarantineKey(service, digest));
  return item ? toRecord(item) : undefined;
}

/** Every quarantine (lifted ones too), by service and digest. */
export async function listQuarantines({
  ddb = defaultDdb,
  table = tableName(),
}: LedgerStoreDeps = {}): Promise<QuarantineRecord[]> {
  const out: QuarantineRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: '#g = :g',
        ExpressionAttributeNames: { '#g': TABLE_KEYS.gsi1.partitionKey },
        ExpressionAttributeValues: { ':g': 'QUARANTINES' },
        ExclusiveStartKey: startKey,
      }),
    );
    out.push(...(page.Items ?? []).map(toRecord));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/** A one-line description of why a digest is quarantined (the newest rollback). */
export function describeQuarantine(q: QuarantineRecord): string {
  const last = q.rollbacks[q.rollbacks.length - 1];
  const how: Record<string, string> = {
    'rolled-back-by-ecs': 'rolled back by ECS',
    'rolled-back-by-shipgate': 'rolled back by Shipgate',
    'rolled-back-by-hand': 'rolled back by hand',
  };
  return last
    ? `${how[last.outcome] ?? last.outcome} in ${last.environment} at ${last.at}` +
        `${last.releaseId ? ` (release ${last.releaseId})` : ''}${last.by && last.outcome === 'rolled-back-by-hand' ? ` by ${last.by}` : ''}` +
        `${last.reason ? `: ${last.reason}` : ''}`
    : 'rolled back';
}

/**
 * Refuses a quarantined digest ("Resolve release").
 * @throws DigestQuarantined naming the rollback and how to lift it.
 */
export async function assertNotQuarantined(
  service: string,
  digest: string,
  deps: LedgerStoreDeps = {},
): Promise<void> {
  const q = await getQuarantine(service, digest, deps);
  if (!q || q.status !== 'quarantined') return;
  throw new DigestQuarantined(
    `Image ${digest} of "${service}" is quarantined: it was ${describeQuarantine(q)}. ` +
      `A rolled-back image is not released again until someone lifts the quarantine with a reason: ` +
      `npx shipgate quarantine lift --service ${service} --digest ${digest} --reason "…"`,
  );
}

/**
 * Lifts the quarantine of (service, digest), recording who, when and why.
 * @throws BadRequestError without a reason; NotFoundError when never quarantined; ConflictError when already lifted.
 */
export async function liftQuarantine(
  service: string,
  digest: string,
  lift: { by: string; reason: string; at: string },
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<QuarantineRecord> {
  const reason = lift.reason.trim();
  if (!reason) throw new BadRequestError('A reason is required to lift a quarantine');
  if (reason.length > 500) throw new BadRequestError('The reason must be at most 500 characters');
  try {
    const out = await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: quarantineKey(service, digest),
        UpdateExpression: 'SET #status = :lifted, #updatedAt = :at, #lifts = list_append(#lifts, :lift)',
        ConditionExpression: '#status = :q',
        ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#lifts': 'lifts' },
        ExpressionAttributeValues: {
          ':lifted': 'lifted',
          ':q': 'quarantined',
          ':at': lift.at,
          ':lift': [{ by: lift.by, at: lift.at, reason }],
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(out.Attributes ?? {});
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const existing = await getQuarantine(service, digest, { ddb, table });
    if (!existing) {
      throw new NotFoundError(
        `Image ${digest} of "${service}" is not quarantined (it was never rolled back)`,
        {
          cause: err,
        },
      );
    }
    throw new ConflictError(`The quarantine of ${digest} ("${service}") is already lifted`, { cause: err });
  }
}
