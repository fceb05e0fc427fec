import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, readConsistent, TABLE_KEYS } from '../../shared/table';

/**
 * Manual rollback entries (`ROLLBACK#<id>` / `ROLLBACK`, listed newest first through `gsi1` = `ROLLBACKS`):
 * who asked, when, for which service and environment, why, from which digest and release to which, and how
 * it ended. Written when the rollback is requested, moved REQUESTED → ROLLING_BACK by whoever runs it (once),
 * then to ROLLED_BACK or FAILED.
 */

/** States of a manual rollback. */
export type RollbackStatus = 'REQUESTED' | 'ROLLING_BACK' | 'ROLLED_BACK' | 'FAILED';

/** A digest and the release that shipped it. */
export interface ReleasedDigest {
  digest: string;
  releaseId: string;
}

/** One manual rollback as stored and served by `GET /api/rollbacks/<id>`. */
export interface RollbackEntry {
  id: string;
  service: string;
  environment: string;
  /** Who asked (IAM caller, or the CLI user). */
  by: string;
  reason: string;
  status: RollbackStatus;
  requestedAt: string;
  finishedAt?: string;
  /** What ran when it was requested, and what it goes back to. */
  from: ReleasedDigest;
  to: ReleasedDigest;
  /** The pinned task definition and deployment of the rollback, once started. */
  taskDefinitionArn?: string;
  deploymentId?: string;
  /** Blue/green family: the service deployment of the rollback (what `describe-service-deployments` shows). */
  serviceDeploymentArn?: string;
  /** The strategy the service is rolled out with (the rollback itself: see docs/architecture.md). */
  strategy?: string;
  /** ECS cluster and service (plain names) the rollback deploys to, once started. */
  clusterName?: string;
  serviceName?: string;
  /** What the service ran when the rollback started. */
  previousTaskDefinitionArn?: string;
  /** When the rollback's deployment started (its `rollout.timeout` counts from here). */
  deploymentStartedAt?: string;
  /** Human progress lines, oldest first. */
  progress: string[];
  error?: { error: string; cause: string };
  /** Whether the chat message and the GitLab deployment went out. */
  notified?: { chat: string; gitlab: boolean };
}

/** What the store needs. */
export interface RollbackStoreDeps {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  table: string;
}

const key = (id: string) => ({
  [TABLE_KEYS.partitionKey]: `ROLLBACK#${id}`,
  [TABLE_KEYS.sortKey]: 'ROLLBACK',
});
const strip = (item: Record<string, unknown>): RollbackEntry => {
  const { pk: _a, sk: _b, gsi1pk: _c, gsi1sk: _d, ...rest } = item;
  return rest as unknown as RollbackEntry;
};

/** A new, unique, readable rollback id: `rb-<env>-<service>-<yyyymmddThhmmss>-<4 hex>`. */
export function newRollbackId(environment: string, service: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `rb-${environment}-${service}-${stamp}-${randomBytes(2).toString('hex')}`.slice(0, 120);
}

/** Stores a new entry (status REQUESTED). */
export async function putRollback(entry: RollbackEntry, deps: RollbackStoreDeps): Promise<void> {
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.table,
      Item: {
        ...key(entry.id),
        [TABLE_KEYS.gsi1.partitionKey]: 'ROLLBACKS',
        [TABLE_KEYS.gsi1.sortKey]: `${entry.requestedAt}#${entry.id}`,
        ...entry,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
    }),
  );
}

/** The entry with this id, or `undefined`. */
export async function getRollback(id: string, deps: RollbackStoreDeps): Promise<RollbackEntry | undefined> {
  const item = await readConsistent<Record<string, unknown>>(deps, key(id));
  return item ? strip(item) : undefined;
}

/** Newest first. */
export async function listRollbacks(limit: number, deps: RollbackStoreDeps): Promise<RollbackEntry[]> {
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.table,
      IndexName: TABLE_KEYS.gsi1.name,
      KeyConditionExpression: '#g = :g',
      ExpressionAttributeNames: { '#g': TABLE_KEYS.gsi1.partitionKey },
      ExpressionAttributeValues: { ':g': 'ROLLBACKS' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map(strip);
}

/**
 * Applies `fields` (and optionally appends a progress line) when the entry is in `from` state; returns
 * false when it is not (someone else runs or ran it).
 */
export async function updateRollback(
  id: string,
  from: RollbackStatus,
  fields: Partial<Omit<RollbackEntry, 'id' | 'progress'>>,
  deps: RollbackStoreDeps,
  line?: string,
): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':from': from };
  const set: string[] = [];
  Object.entries(fields).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    set.push(`#f${i} = :v${i}`);
  });
  if (line) {
    names['#progress'] = 'progress';
    values[':line'] = [line];
    set.push('#progress = list_append(#progress, :line)');
  }
  if (set.length === 0) return true;
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: key(id),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}
