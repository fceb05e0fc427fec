import { createHash } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { tableName } from '../../shared/env';
import { TABLE_KEYS, readConsistent, type ItemKey } from '../../shared/table';
import type { StoreDeps } from '../releases/store';
import type { StartedRelease } from '../releases/start';

/** How long a delivery item is kept for dedupe (GitLab resends are manual and rarely older than days). */
export const DELIVERY_TTL_SECONDS = 14 * 24 * 3600;

/** What Shipgate answered for a delivery, kept so a redelivery gets the same answer. */
export interface DeliveryRecord extends StartedRelease {
  deliveryKey: string;
  /** Deterministic event key (`gitlab:<project>:pipeline:<id>:<status>`). */
  eventKey: string;
  receivedAt: string;
}

/**
 * The dedupe key of a delivery: GitLab's `Idempotency-Key` (one per event, reused by retries and Resend),
 * else the Standard Webhooks `webhook-id` (the same value when signed), else the deterministic event key.
 * Long or unusual values are hashed so the key is always a safe DynamoDB key.
 * @example deliveryKey({ idempotencyKey: '8c1b…' }, 'gitlab:12:pipeline:4711:success') // 'idem:8c1b…'
 */
export function deliveryKey(
  headers: { idempotencyKey?: string | null; webhookId?: string | null },
  eventKey: string,
): string {
  const pick = (prefix: string, value: string) =>
    /^[\w.:@-]{1,128}$/.test(value)
      ? `${prefix}:${value}`
      : `${prefix}:sha256:${createHash('sha256').update(value).digest('hex')}`;
  if (headers.idempotencyKey?.trim()) return pick('idem', headers.idempotencyKey.trim());
  if (headers.webhookId?.trim()) return pick('whid', headers.webhookId.trim());
  return pick('event', eventKey);
}

const key = (deliveryKey: string) => ({
  [TABLE_KEYS.partitionKey]: `DELIVERY#${deliveryKey}`,
  [TABLE_KEYS.sortKey]: 'DELIVERY',
});

/** The stored answer for a delivery key, if this delivery was already processed. */
export async function getDelivery(
  deliveryKeyValue: string,
  { ddb = defaultDdb, table = tableName() }: StoreDeps = {},
): Promise<DeliveryRecord | undefined> {
  const item = await readConsistent<DeliveryRecord & ItemKey & { ttl?: number }>(
    { ddb, table },
    key(deliveryKeyValue),
  );
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ttl: _ttl, ...rest } = item;
  return rest;
}

/**
 * Records the answer for a delivery, only if none is recorded yet (condition `attribute_not_exists`), and
 * returns the record that is stored: a concurrent delivery that recorded first wins, and both answer alike.
 */
export async function recordDelivery(
  record: DeliveryRecord,
  { ddb = defaultDdb, table = tableName(), now = () => new Date() }: StoreDeps = {},
): Promise<DeliveryRecord> {
  try {
    await ddb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...key(record.deliveryKey),
          ...record,
          [TABLE_KEYS.ttlAttribute]: Math.floor(now().getTime() / 1000) + DELIVERY_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      }),
    );
    return record;
  } catch (err) {
    if ((err as Error)?.name !== 'ConditionalCheckFailedException') throw err;
    return (await getDelivery(record.deliveryKey, { ddb, table })) ?? record;
  }
}
