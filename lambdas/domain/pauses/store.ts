import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PauseOutcome, PauseRecord, PauseView, PauseVote } from './types';
import { isConditionFailure } from '../../shared/table';

/**
 * DynamoDB access for pauses (`PAUSE#<id>` / `PAUSE`). Every rule is one conditional write: a vote needs the
 * pause OPEN and the approver not to have voted; closing is OPEN → final exactly once, and only the caller
 * that wins it talks to ECS.
 */

/** Where pauses live. */
export interface PauseStoreDeps {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  table: string;
}

/** Key of a pause item. */
export const pauseKey = (id: string) => ({ pk: `PAUSE#${id}`, sk: 'PAUSE' as const });

/** The view of a stored pause (drops keys and counters). */
export function toPauseView(record: PauseRecord): PauseView {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { pk, sk, continueCount, notifiedAt, ttl, ...view } = record;
  return { ...view, votes: record.votes ?? {} };
}

/** Creates the pause unless it exists; `true` when this call created it. */
export async function createPauseRecord(deps: PauseStoreDeps, record: PauseRecord): Promise<boolean> {
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

/** Reads a pause (strongly consistent). */
export async function readPauseRecord(deps: PauseStoreDeps, id: string): Promise<PauseRecord | undefined> {
  const out = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: pauseKey(id), ConsistentRead: true }),
  );
  return out.Item as PauseRecord | undefined;
}

/** Records one vote (OPEN, first vote of this approver). `undefined` when the condition failed. */
export async function putPauseVote(
  deps: PauseStoreDeps,
  id: string,
  approver: string,
  vote: PauseVote,
): Promise<PauseRecord | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: pauseKey(id),
        UpdateExpression: 'SET votes.#a = :vote, continueCount = continueCount + :inc',
        ConditionExpression: '#s = :open AND attribute_not_exists(votes.#a)',
        ExpressionAttributeNames: { '#a': approver, '#s': 'status' },
        ExpressionAttributeValues: {
          ':vote': vote,
          ':inc': vote.decision === 'continue' ? 1 : 0,
          ':open': 'OPEN',
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as PauseRecord;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/** OPEN → final, exactly once. Returns the closed item when this call closed it. */
export async function closePauseRecord(
  deps: PauseStoreDeps,
  id: string,
  outcome: PauseOutcome,
): Promise<PauseRecord | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: pauseKey(id),
        UpdateExpression: 'SET #s = :status, outcome = :outcome',
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':status': outcome.status, ':outcome': outcome, ':open': 'OPEN' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as PauseRecord;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/** Notes that the pause message reached chat (a retried invoke does not post twice). */
export async function markPauseNotified(deps: PauseStoreDeps, id: string, at: string): Promise<void> {
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: pauseKey(id),
      UpdateExpression: 'SET notifiedAt = :at',
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}
