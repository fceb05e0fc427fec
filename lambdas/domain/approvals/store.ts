import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS, isConditionFailure } from '../../shared/table';
import type { ApprovalOutcome, ApprovalRecord, ApprovalView, Vote } from './types';

/**
 * DynamoDB access for approvals (layout in `lambdas/shared/table.ts`). This is the only module that reads
 * or writes the task token; everything it hands out for display goes through `toView`.
 *
 * Items:
 * - `APPROVAL#<id>` / `APPROVAL`: the approval, `gsi1pk = PENDING#<projectId>` while open.
 * - `APPROVAL_LATEST#<projectId>` / `LATEST`: the newest release (by release `createdAt`) of the project that
 *   asked for an approval, so an older release arriving late is superseded at once.
 */

/** Where approvals live. */
export interface StoreDeps {
  ddb: DynamoDBDocumentClient;
  table: string;
}

/** Partition key of an approval. */
export const approvalKey = (id: string) => ({ pk: `APPROVAL#${id}`, sk: 'APPROVAL' as const });

/** gsi1 partition listing a project's open approvals. */
export const pendingKey = (projectId: number) => `PENDING#${projectId}`;

const latestKey = (projectId: number) => ({ pk: `APPROVAL_LATEST#${projectId}`, sk: 'LATEST' });

/** The public view of a stored approval: drops keys, counters and the task token. */
export function toView(record: ApprovalRecord): ApprovalView {
  return {
    id: record.id,
    status: record.status,
    executionArn: record.executionArn,
    executionUrl: record.executionUrl,
    environment: record.environment,
    subject: record.subject,
    policy: record.policy,
    votes: record.votes ?? {},
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    ...(record.outcome ? { outcome: record.outcome } : {}),
  };
}

/** Creates the approval unless it exists. Returns `true` when this call created it. */
export async function createApprovalRecord(deps: StoreDeps, record: ApprovalRecord): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: record,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** Reads an approval with its task token (strongly consistent), or `undefined`. */
export async function readApprovalRecord(deps: StoreDeps, id: string): Promise<ApprovalRecord | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: approvalKey(id), ConsistentRead: true }),
  );
  return out.Item as ApprovalRecord | undefined;
}

/**
 * Records one vote in a single conditional write: the request must be open, not past its deadline, and the
 * approver must not have voted. Returns the updated item, or `undefined` when the condition failed (the
 * caller reads the item to say why).
 */
export async function putVote(
  deps: StoreDeps,
  id: string,
  approver: string,
  vote: Vote,
  nowSeconds: number,
): Promise<ApprovalRecord | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: approvalKey(id),
        UpdateExpression: 'SET votes.#a = :vote, approveCount = approveCount + :inc, updatedAt = :at',
        ConditionExpression: '#s = :open AND attribute_not_exists(votes.#a) AND expiresAt > :now',
        ExpressionAttributeNames: { '#a': approver, '#s': 'status' },
        ExpressionAttributeValues: {
          ':vote': vote,
          ':inc': vote.decision === 'approve' ? 1 : 0,
          ':at': vote.at,
          ':open': 'OPEN',
          ':now': nowSeconds,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as ApprovalRecord;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/**
 * Moves an approval from OPEN to its final status exactly once (conditional write) and drops it from the
 * pending index. Returns the closed item when this call closed it, `undefined` when it was no longer open.
 * Only the caller that wins this transition may send the task result to Step Functions.
 */
export async function closeApprovalRecord(
  deps: StoreDeps,
  id: string,
  outcome: ApprovalOutcome,
): Promise<ApprovalRecord | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: approvalKey(id),
        UpdateExpression: 'SET #s = :status, outcome = :outcome, updatedAt = :at REMOVE gsi1pk',
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':outcome': outcome,
          ':at': outcome.at,
          ':open': 'OPEN',
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as ApprovalRecord;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/**
 * Overwrites the outcome of an already-closed approval (a decision Step Functions could not take because
 * the task had ended). Returns the updated item.
 */
export async function reviseOutcome(
  deps: StoreDeps,
  id: string,
  outcome: ApprovalOutcome,
): Promise<ApprovalRecord> {
  const out = await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: approvalKey(id),
      UpdateExpression: 'SET #s = :s, outcome = :o, updatedAt = :at REMOVE gsi1pk',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': outcome.status, ':o': outcome, ':at': outcome.at },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return out.Attributes as ApprovalRecord;
}

/** Notes on the item that the request message reached chat. */
export async function markNotified(deps: StoreDeps, id: string, at: string): Promise<void> {
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: approvalKey(id),
      UpdateExpression: 'SET notifiedAt = :at',
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}

/** Notes on the item whether the task result reached Step Functions. */
export async function markTaskResult(
  deps: StoreDeps,
  id: string,
  result: { at: string; sent: boolean; note?: string },
): Promise<void> {
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: approvalKey(id),
      UpdateExpression: 'SET taskResult = :r',
      ExpressionAttributeValues: { ':r': result },
    }),
  );
}

/** Ids of a project's open approvals, oldest release first. */
export async function listPendingApprovalIds(deps: StoreDeps, projectId: number): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': TABLE_KEYS.gsi1.partitionKey },
        ExpressionAttributeValues: { ':p': pendingKey(projectId) },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      const pk = String(item.pk ?? '');
      if (pk.startsWith('APPROVAL#')) ids.push(pk.slice('APPROVAL#'.length));
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return ids;
}

/**
 * Records `release` as the project's newest release asking for approval unless a newer one already did.
 * Returns `undefined` when this release is the newest (or equally new), else the newer release's id.
 */
export async function advanceLatestRelease(
  deps: StoreDeps,
  projectId: number,
  release: { id: string; createdAt: string },
): Promise<string | undefined> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: latestKey(projectId),
        UpdateExpression: 'SET releaseId = :id, releaseCreatedAt = :c',
        ConditionExpression: 'attribute_not_exists(pk) OR releaseCreatedAt <= :c',
        ExpressionAttributeValues: { ':id': release.id, ':c': release.createdAt },
      }),
    );
    return undefined;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  const out = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: latestKey(projectId), ConsistentRead: true }),
  );
  return String(out.Item?.releaseId ?? 'a newer release');
}
