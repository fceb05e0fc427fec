import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { tableName } from '../../shared/env';
import { TABLE_KEYS, isConditionFailure, readConsistent, type ItemKey } from '../../shared/table';
import type { LedgerEntry, ReleaseLedgerEntry } from './types';

/**
 * The ledger store. Items in the Shipgate table:
 *
 * | item          | pk                            | sk       | gsi1pk               | gsi1sk        |
 * |---------------|-------------------------------|----------|----------------------|---------------|
 * | ledger entry  | `LEDGER#<entryId>`            | `ENTRY`  | `LEDGER#<env>`       | `<at>#<entryId>` |
 * | ledger start  | `LEDGER_META`                 | `META`   |                      |               |
 * | env head      | `LEDGER_HEAD#<env>#<service>` | `HEAD`   |                      |               |
 *
 * Entries are append-only: written with `attribute_not_exists(pk)` under a deterministic id, never updated,
 * so a retried step writes nothing twice. `LEDGER_META.startedAt` is the earliest release the ledger holds
 * (its pipeline's end, else when its entry was written): releases created before it are "before ledger", so
 * the release whose entry started the ledger counts in it. The head holds the newest SHA deployed per (environment,
 * service): the base of the next GitLab compare.
 */

/** Dependencies of the ledger store (defaults: the shared document client and `SHIPGATE_TABLE`). */
export interface LedgerStoreDeps {
  ddb?: Pick<DynamoDBDocumentClient, 'send'>;
  table?: string;
}

/** Newest release deployed in an environment for a service (`LEDGER_HEAD#<env>#<service>`). */
export interface LedgerHead {
  environment: string;
  service: string;
  /** Absent while only failures were recorded there. */
  releaseId?: string;
  commitSha?: string;
  digest?: string | null;
  /** When `releaseId` was deployed. */
  at?: string;
  /** When the latest failed deployment there was detected. */
  lastFailureAt?: string;
}

const ENTRY_SK = 'ENTRY';
/** Partition key of the ledger entry with this id. */
export const ledgerEntryKey = (id: string) => ({
  [TABLE_KEYS.partitionKey]: `LEDGER#${id}`,
  [TABLE_KEYS.sortKey]: ENTRY_SK,
});
/** gsi1 partition of an environment's entries. */
export const ledgerIndexKey = (environment: string) => `LEDGER#${environment}`;
const META_KEY = { [TABLE_KEYS.partitionKey]: 'LEDGER_META', [TABLE_KEYS.sortKey]: 'META' };
const headKey = (environment: string, service: string) => ({
  [TABLE_KEYS.partitionKey]: `LEDGER_HEAD#${environment}#${service}`,
  [TABLE_KEYS.sortKey]: 'HEAD',
});

/** Deterministic id of a release entry. */
export const releaseEntryId = (releaseId: string, environment: string, service: string) =>
  `release#${releaseId}#${environment}#${service}`;
/** Deterministic id of a rollback entry (`rollbackId`: manual rollback id, or the release id for "Roll back <env>"). */
export const rollbackEntryId = (rollbackId: string, environment: string, service: string) =>
  `rollback#${rollbackId}#${environment}#${service}`;

function toEntry(item: Record<string, unknown>): LedgerEntry {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as unknown as LedgerEntry;
}

/**
 * Appends an entry unless one with its id exists (then nothing changes: `written: false`). Marks when the
 * ledger started on its first write and moves the environment head forward for a `deployed` entry.
 * @example await appendLedgerEntry(entry); // twice: the second call writes nothing
 */
export async function appendLedgerEntry(
  entry: LedgerEntry,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<{ written: boolean }> {
  const pipeline = entry.kind === 'release' ? entry.pipelineFinishedAt : undefined;
  const startsAt = pipeline && pipeline < entry.recordedAt ? pipeline : entry.recordedAt;
  try {
    // Moves only backwards: the earliest release any entry holds.
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: META_KEY,
        UpdateExpression: 'SET #startedAt = :at',
        ConditionExpression: 'attribute_not_exists(#startedAt) OR #startedAt > :at',
        ExpressionAttributeNames: { '#startedAt': 'startedAt' },
        ExpressionAttributeValues: { ':at': startsAt },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  let written = true;
  try {
    await ddb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...ledgerEntryKey(entry.id),
          [TABLE_KEYS.gsi1.partitionKey]: ledgerIndexKey(entry.environment),
          [TABLE_KEYS.gsi1.sortKey]: `${entry.at}#${entry.id}`,
          ...entry,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    written = false;
  }
  if (entry.kind === 'release' && (entry.outcome === 'deployed' || entry.deployment)) {
    await moveHead(entry, { ddb, table });
  }
  return { written };
}

async function moveHead(
  entry: ReleaseLedgerEntry,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps,
) {
  const names: Record<string, string> = { '#at': 'at', '#env': 'environment', '#svc': 'service' };
  const values: Record<string, unknown> = {
    ':at': entry.at,
    ':env': entry.environment,
    ':svc': entry.service,
  };
  const set = ['#at = :at', '#env = :env', '#svc = :svc'];
  let condition: string;
  if (entry.outcome === 'deployed') {
    Object.assign(names, { '#rel': 'releaseId', '#sha': 'commitSha', '#dig': 'digest' });
    Object.assign(values, { ':rel': entry.releaseId, ':sha': entry.commitSha, ':dig': entry.digest ?? null });
    set.push('#rel = :rel', '#sha = :sha', '#dig = :dig');
    // Only forward: a late retry of an older release never moves the head back.
    condition = 'attribute_not_exists(#at) OR #at <= :at';
  } else {
    names['#fail'] = 'lastFailureAt';
    values[':fail'] = entry.failedAt ?? entry.at;
    set.splice(0, 1, '#fail = :fail');
    delete names['#at'];
    delete values[':at'];
    condition = 'attribute_not_exists(#fail) OR #fail <= :fail';
  }
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: headKey(entry.environment, entry.service),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/**
 * Points the head of (environment, service) at a release running there again after a manual rollback, so the
 * next release compares against what really runs (the rolled-back commits count again when they return).
 */
export async function restoreLedgerHead(
  head: {
    environment: string;
    service: string;
    releaseId: string;
    commitSha: string;
    digest?: string;
    at: string;
  },
  deps: LedgerStoreDeps = {},
): Promise<void> {
  await moveHead(
    {
      kind: 'release',
      outcome: 'deployed',
      environment: head.environment,
      service: head.service,
      releaseId: head.releaseId,
      commitSha: head.commitSha,
      ...(head.digest ? { digest: head.digest } : {}),
      at: head.at,
    } as ReleaseLedgerEntry,
    deps,
  );
}

/** The newest release deployed in `environment` for `service`, from the ledger, or `undefined`. */
export async function getLedgerHead(
  environment: string,
  service: string,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<LedgerHead | undefined> {
  const item = await readConsistent<LedgerHead & ItemKey>({ ddb, table }, headKey(environment, service));
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...head } = item;
  return head;
}

/** When the ledger's first entry was written (ISO 8601), or `undefined` while it is empty. */
export async function ledgerStartedAt({
  ddb = defaultDdb,
  table = tableName(),
}: LedgerStoreDeps = {}): Promise<string | undefined> {
  const startedAt = (await readConsistent<{ startedAt?: unknown }>({ ddb, table }, META_KEY))?.startedAt;
  return typeof startedAt === 'string' ? startedAt : undefined;
}

/** The ledger entry with this id, or `undefined`. */
export async function getLedgerEntry(
  id: string,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<LedgerEntry | undefined> {
  const item = await readConsistent<Record<string, unknown>>({ ddb, table }, ledgerEntryKey(id));
  return item ? toEntry(item) : undefined;
}

/**
 * Every entry of `environment` whose `at` is in [from, to), oldest first (all pages of the gsi1 query).
 * @example const entries = await listLedgerEntries('production', from, to);
 */
export async function listLedgerEntries(
  environment: string,
  from: string,
  to: string,
  { ddb = defaultDdb, table = tableName() }: LedgerStoreDeps = {},
): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: TABLE_KEYS.gsi1.name,
        // `<at>#<id>` sorts by time; `to` is exclusive, so the upper bound is `to` itself (`#` > every digit
        // would let an entry at exactly `to` in).
        KeyConditionExpression: '#g = :g AND #s BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#g': TABLE_KEYS.gsi1.partitionKey, '#s': TABLE_KEYS.gsi1.sortKey },
        ExpressionAttributeValues: { ':g': ledgerIndexKey(environment), ':from': from, ':to': to },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      const entry = toEntry(item);
      if (entry.at >= from && entry.at < to) entries.push(entry);
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return entries;
}
