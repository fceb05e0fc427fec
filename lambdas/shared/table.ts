import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Shipgate keeps all of its state in one DynamoDB table (`SHIPGATE_TABLE`):
 *
 * | item              | pk                          | sk         | gsi1pk                     | gsi1sk     |
 * |-------------------|-----------------------------|------------|----------------------------|------------|
 * | release           | `RELEASE#<releaseId>`       | `RELEASE`  | `RELEASES`                 | createdAt  |
 * | webhook delivery  | `DELIVERY#<deliveryId>`     | `DELIVERY` |                            |            |
 * | approval          | `APPROVAL#<approvalId>`     | `APPROVAL` | `PENDING#<projectId>`      | createdAt  |
 * | newest approval   | `APPROVAL_LATEST#<projectId>` | `LATEST` |                            |            |
 * | rollout lock      | `LOCK#<env>#<service>`      | `LOCK`     |                            |            |
 * | rollout waiter    | `ROLLOUT#<cluster>#<service>` | `ROLLOUT` |                           |            |
 * | CodeDeploy alias  | `ROLLOUTGROUP#<app>#<group>` | `ROLLOUT` |                           |            |
 * | deployed digest   | `DEPLOYED#<env>#<service>`  | `CURRENT`  |                            |            |
 * | manual rollback   | `ROLLBACK#<rollbackId>`     | `ROLLBACK` | `ROLLBACKS`                | requestedAt |
 * | chat sent once    | `NOTICE#<releaseId>`        | `<key>`    |                            |            |
 * | Slack thread      | `CHAT#<releaseId>`          | `THREAD`   |                            |            |
 * | ledger entry      | `LEDGER#<entryId>`          | `ENTRY`    | `LEDGER#<env>`             | `<at>#<entryId>` |
 * | ledger start      | `LEDGER_META`               | `META`     |                            |            |
 * | ledger env head   | `LEDGER_HEAD#<env>#<service>` | `HEAD`   |                            |            |
 * | digest quarantine | `QUARANTINE#<service>#<digest>` | `QUARANTINE` | `QUARANTINES`        | `<service>#<digest>` |
 *
 * `ttl` (epoch seconds) expires short-lived items such as deliveries. `sv` is the item's schema version, set
 * and checked by the shared client (`./schema-version`); items without it are version 0.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ttlAttribute: 'ttl',
} as const;

/** Whether a DynamoDB error is a failed condition (the outcome conditional writes expect to handle). */
export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

/** The table and the client that reads and writes it. */
export interface TableAccess {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  table: string;
}

/** An item's primary key. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/**
 * Reads one item by its key, strongly consistent (every read that decides a write must see the last write), or
 * `undefined` when there is none.
 * @example const lock = await readConsistent<LockItem>(deps, lockKey('production', 'storefront'));
 */
export async function readConsistent<T>(deps: TableAccess, key: ItemKey): Promise<T | undefined> {
  const out = await deps.ddb.send(new GetCommand({ TableName: deps.table, Key: key, ConsistentRead: true }));
  return out.Item as T | undefined;
}
