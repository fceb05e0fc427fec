import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, readConsistent, TABLE_KEYS } from '../../shared/table';
import type { RollbackStoreDeps } from './store';

/**
 * Where a manual rollback in flight waits: one item per ECS service (`MANUALROLLBACK#<cluster>#<service>` /
 * `WAIT`) naming the rollback and, while its Step Functions task waits, the task token. The deployment event
 * of that service finds it here (`rollout-events`), settles the rollback and resumes the task. Kept apart
 * from the rollback entry, which `GET /api/rollbacks/<id>` serves: a task token never leaves the table.
 * The rollout lock makes it one rollback per service at a time.
 */

/** The waiter item. */
export interface ManualRollbackWaiter {
  rollbackId: string;
  taskToken?: string;
  executionArn?: string;
}

const key = (clusterName: string, serviceName: string) => ({
  [TABLE_KEYS.partitionKey]: `MANUALROLLBACK#${clusterName}#${serviceName}`,
  [TABLE_KEYS.sortKey]: 'WAIT',
});

/** Writes the waiter of a rollback that is about to start a deployment on the service. */
export async function putWaiter(
  clusterName: string,
  serviceName: string,
  waiter: ManualRollbackWaiter,
  deps: RollbackStoreDeps,
): Promise<void> {
  await deps.ddb.send(
    new PutCommand({ TableName: deps.table, Item: { ...key(clusterName, serviceName), ...waiter } }),
  );
}

/** The waiter of the service, if a manual rollback is in flight there. */
export async function getWaiter(
  clusterName: string,
  serviceName: string,
  deps: RollbackStoreDeps,
): Promise<ManualRollbackWaiter | undefined> {
  const item = await readConsistent<ManualRollbackWaiter>(deps, key(clusterName, serviceName));
  if (!item) return undefined;
  return {
    rollbackId: item.rollbackId,
    ...(item.taskToken ? { taskToken: item.taskToken } : {}),
    ...(item.executionArn ? { executionArn: item.executionArn } : {}),
  };
}

/** Parks a (new) task token on the waiter of rollback `rollbackId`; false when that rollback no longer waits. */
export async function parkToken(
  clusterName: string,
  serviceName: string,
  rollbackId: string,
  token: { taskToken: string; executionArn: string },
  deps: RollbackStoreDeps,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: key(clusterName, serviceName),
        UpdateExpression: 'SET taskToken = :t, executionArn = :e',
        ConditionExpression: 'rollbackId = :id',
        ExpressionAttributeValues: { ':t': token.taskToken, ':e': token.executionArn, ':id': rollbackId },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** Removes the waiter of rollback `rollbackId` and returns it (with its token), once. */
export async function takeWaiter(
  clusterName: string,
  serviceName: string,
  rollbackId: string,
  deps: RollbackStoreDeps,
): Promise<ManualRollbackWaiter | undefined> {
  try {
    const out = await deps.ddb.send(
      new DeleteCommand({
        TableName: deps.table,
        Key: key(clusterName, serviceName),
        ConditionExpression: 'rollbackId = :id',
        ExpressionAttributeValues: { ':id': rollbackId },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes as ManualRollbackWaiter | undefined;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}
