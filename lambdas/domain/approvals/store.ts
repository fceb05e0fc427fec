import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS, isConditionFailure, readConsistent } from '../../shared/table';
import { gateStore } from '../decisions/store';
import type { ApprovalOutcome, ApprovalRecord, ApprovalView, Vote } from './types';

/**
 * DynamoDB access for approvals (layout in `lambdas/shared/table.ts`), on the gates' shared conditional
 * writes (`../decisions/store`). This is the only module that reads or writes the task token; everything it
 * hands out for display goes through `toView`.
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

const approvals = gateStore<ApprovalRecord, Vote, ApprovalOutcome>({
  key: approvalKey,
  counter: 'approveCount',
  counts: (vote) => vote.decision === 'approve',
  deadline: true,
  openIndex: 'gsi1pk',
});

export const {
  /** Creates the approval unless it exists. Returns `true` when this call created it. */
  create: createApprovalRecord,
  /** Reads an approval with its task token (strongly consistent), or `undefined`. */
  read: readApprovalRecord,
  /**
   * Records one vote in a single conditional write: the request must be open, not past its deadline
   * (`nowSeconds`), and the approver must not have voted. Returns the updated item, or `undefined` when the
   * condition failed (the caller reads the item to say why).
   */
  vote: putVote,
  /**
   * Moves an approval from OPEN to its final status exactly once and drops it from the pending index. Returns
   * the closed item when this call closed it, `undefined` when it was no longer open. Only the caller that
   * wins this transition may send the task result to Step Functions.
   */
  close: closeApprovalRecord,
  /** Overwrites the outcome of an already-closed approval (a decision Step Functions could not take). */
  revise: reviseOutcome,
  /** Notes on the item that the request message reached chat. */
  markNotified,
} = approvals;

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
  const latest = await readConsistent<{ releaseId?: string }>(deps, latestKey(projectId));
  return String(latest?.releaseId ?? 'a newer release');
}
