import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { tableName } from '../../shared/env';
import { BadRequestError, ConflictError, NotFoundError } from '../../shared/errors';
import type { Release } from '../../shared/release';
import { TABLE_KEYS, isConditionFailure, readConsistent } from '../../shared/table';

/**
 * The release store: one item per release in the Shipgate table (`RELEASE#<id>` / `RELEASE`, listed newest
 * first through `gsi1` = `RELEASES` / createdAt). The webhook creates the item when it starts an execution;
 * step Lambdas (record-release, report-failure, approvals) update status, current step and per-environment
 * outcomes; the releases API and the sandbox console read it.
 */

/** Overall state of a release. */
export const RELEASE_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'SUPERSEDED'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** States after which a release never runs again. */
export const TERMINAL_STATUSES: readonly ReleaseStatus[] = ['SUCCEEDED', 'FAILED', 'ABORTED', 'SUPERSEDED'];

/** What happened to a release in one environment. */
export type EnvironmentStatus =
  | 'PENDING'
  | 'AWAITING_APPROVAL'
  | 'APPROVED'
  | 'REJECTED'
  /** Approved, held by a deploy freeze until it ends. */
  | 'FROZEN'
  | 'DEPLOYING'
  | 'VERIFYING'
  | 'ROLLING_BACK'
  | 'DEPLOYED'
  | 'FAILED'
  | 'ROLLED_BACK'
  | 'SKIPPED'
  /** The execution was stopped while the release was in this environment. */
  | 'ABORTED'
  /** A newer release replaced this one here. */
  | 'SUPERSEDED'
  /** The rollout finished but the smoke checks never ran (the execution stopped in between). */
  | 'RUNNING_UNVERIFIED';

/** Outcome of a release in one environment (`environments.<env>` of the record). */
export interface EnvironmentOutcome {
  status: EnvironmentStatus;
  /** Image digests by service (`sha256:…`), once known. */
  digests?: Record<string, string>;
  /** When this outcome was recorded (ISO 8601). */
  at: string;
  /** One human sentence, e.g. "rolled back to task definition inventory-app:41". */
  detail?: string;
  /**
   * Recorded from what ECS reported after the release's execution had ended (issue 27): this state wins
   * over the one derived from the (ended) execution history.
   */
  afterRelease?: boolean;
}

/** Why a release failed, as Step Functions reports it (`$.error`). */
export interface ReleaseError {
  error: string;
  cause?: string;
}

/** A manual rollback that undid (or restored) this release somewhere (`rollbacks` of the record). */
export interface ReleaseRollback {
  /** Id of the rollback entry (`GET /api/rollbacks/<id>`). */
  id: string;
  environment: string;
  service: string;
  by: string;
  at: string;
  reason: string;
  from: { digest: string; releaseId: string };
  to: { digest: string; releaseId: string };
}

/** A release as stored and served by `GET /api/releases/:id`. */
export interface ReleaseRecord {
  /** Release id = execution name. */
  id: string;
  executionArn: string;
  status: ReleaseStatus;
  /** Name of the state the release is in (e.g. "Approve production"), when known. */
  currentStep?: string;
  /** The state machine input (`ReleaseInput.release`). */
  release: Release;
  /** Outcome per environment name. */
  environments: Record<string, EnvironmentOutcome>;
  error?: ReleaseError;
  /** Manual rollbacks that undid this release in an environment, oldest first. */
  rollbacks?: ReleaseRollback[];
  /** Rollout pauses of this release (ECS PAUSE hooks): each pause, decision and timeout, oldest first. */
  pauses?: ReleasePauseEvent[];
  createdAt: string;
  updatedAt: string;
}

/** One pause event of a release: a rollout paused, was decided, timed out or was passed. */
export interface ReleasePauseEvent {
  /** ISO 8601. */
  at: string;
  environment: string;
  service: string;
  /** Pause decision id (`/pauses/<id>/…`). */
  pauseId: string;
  stage: string;
  event: 'PAUSED' | 'CONTINUED' | 'ROLLED_BACK' | 'TIMED_OUT' | 'PASSED' | 'ENDED';
  /** Approver keys who decided. */
  by?: string[];
  /** The sentence people read ("Rolled back by Carol: error rate too high"). */
  detail: string;
}

/** Changes {@link updateRelease} applies; omitted fields stay as they are, `null` clears. */
export interface ReleasePatch {
  status?: ReleaseStatus;
  currentStep?: string | null;
  /** Outcomes to set, by environment; other environments are left alone. */
  environments?: Record<string, EnvironmentOutcome>;
  error?: ReleaseError | null;
  /** Replaces the list of manual rollbacks of this release. */
  rollbacks?: ReleaseRollback[];
  /** Appended to the release's pause events. */
  appendPauses?: ReleasePauseEvent[];
  /** Apply only when the release is in one of these states (e.g. never turn SUPERSEDED into FAILED). */
  ifStatus?: readonly ReleaseStatus[];
}

/** Dependencies of the store functions (defaults: the shared document client and `SHIPGATE_TABLE`). */
export interface StoreDeps {
  ddb?: Pick<DynamoDBDocumentClient, 'send'>;
  table?: string;
  now?: () => Date;
}

const RELEASE_SK = 'RELEASE';
const RELEASES_INDEX_PK = 'RELEASES';
const releaseKey = (id: string) => ({
  [TABLE_KEYS.partitionKey]: `RELEASE#${id}`,
  [TABLE_KEYS.sortKey]: RELEASE_SK,
});

function toRecord(item: Record<string, unknown>): ReleaseRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as unknown as ReleaseRecord;
}

/**
 * Creates the release item, status RUNNING, unless it exists: idempotent, an existing release is returned
 * untouched (`created: false`).
 * @example const { record } = await createRelease({ release: input.release, executionArn });
 */
export async function createRelease(
  { release, executionArn }: { release: Release; executionArn: string },
  { ddb = defaultDdb, table = tableName(), now = () => new Date() }: StoreDeps = {},
): Promise<{ record: ReleaseRecord; created: boolean }> {
  const at = now().toISOString();
  const record: ReleaseRecord = {
    id: release.id,
    executionArn,
    status: 'RUNNING',
    release,
    environments: {},
    createdAt: release.createdAt,
    updatedAt: at,
  };
  try {
    await ddb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...releaseKey(release.id),
          [TABLE_KEYS.gsi1.partitionKey]: RELEASES_INDEX_PK,
          [TABLE_KEYS.gsi1.sortKey]: `${record.createdAt}#${release.id}`,
          ...record,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      }),
    );
    return { record, created: true };
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const existing = await getRelease(release.id, { ddb, table });
    return { record: existing ?? record, created: false };
  }
}

/**
 * The release with this id, or `undefined`.
 * @example const release = await getRelease('inventory-app-p4711-1a2b3c4d5e6f');
 */
export async function getRelease(
  id: string,
  { ddb = defaultDdb, table = tableName() }: StoreDeps = {},
): Promise<ReleaseRecord | undefined> {
  const item = await readConsistent<Record<string, unknown>>({ ddb, table }, releaseKey(id));
  return item ? toRecord(item) : undefined;
}

/**
 * Releases newest first (by pipeline finish time), one page at a time.
 * @param cursor `nextCursor` of the previous page.
 * @throws BadRequestError for a limit outside 1–100 or a cursor this function did not produce.
 * @example const { releases, nextCursor } = await listReleases({ limit: 20 });
 */
export async function listReleases(
  { limit = 20, cursor }: { limit?: number; cursor?: string } = {},
  { ddb = defaultDdb, table = tableName() }: StoreDeps = {},
): Promise<{ releases: ReleaseRecord[]; nextCursor?: string }> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new BadRequestError(`limit must be an integer from 1 to 100; received ${limit}`);
  }
  let startKey: Record<string, unknown> | undefined;
  if (cursor) {
    try {
      startKey = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof startKey !== 'object' || startKey === null || !(TABLE_KEYS.partitionKey in startKey)) {
        throw new Error('not a key');
      }
    } catch {
      throw new BadRequestError(
        `cursor "${cursor.slice(0, 40)}" is not valid; pass the nextCursor of a previous page`,
      );
    }
  }
  const out = await ddb.send(
    new QueryCommand({
      TableName: table,
      IndexName: TABLE_KEYS.gsi1.name,
      KeyConditionExpression: '#g = :g',
      ExpressionAttributeNames: { '#g': TABLE_KEYS.gsi1.partitionKey },
      ExpressionAttributeValues: { ':g': RELEASES_INDEX_PK },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return {
    releases: (out.Items ?? []).map(toRecord),
    ...(out.LastEvaluatedKey
      ? { nextCursor: Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') }
      : {}),
  };
}

/**
 * Applies a patch to a release and returns the updated record.
 * @throws NotFoundError when the release does not exist.
 * @throws ConflictError when `ifStatus` is given and the release is in another state.
 * @example
 * await updateRelease(id, {
 *   currentStep: 'Deploy staging',
 *   environments: { staging: { status: 'DEPLOYED', digests: { 'inventory-app': 'sha256:…' }, at } },
 * });
 */
export async function updateRelease(
  id: string,
  patch: ReleasePatch,
  { ddb = defaultDdb, table = tableName(), now = () => new Date() }: StoreDeps = {},
): Promise<ReleaseRecord> {
  const names: Record<string, string> = { '#pk': TABLE_KEYS.partitionKey, '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':updatedAt': now().toISOString() };
  const set = ['#updatedAt = :updatedAt'];
  const remove: string[] = [];
  if (patch.status !== undefined) {
    if (!RELEASE_STATUSES.includes(patch.status)) {
      throw new BadRequestError(
        `status must be one of ${RELEASE_STATUSES.join(', ')}; received ${String(patch.status)}`,
      );
    }
    names['#status'] = 'status';
    values[':status'] = patch.status;
    set.push('#status = :status');
  }
  if (patch.currentStep !== undefined) {
    names['#currentStep'] = 'currentStep';
    if (patch.currentStep === null) remove.push('#currentStep');
    else {
      values[':currentStep'] = patch.currentStep;
      set.push('#currentStep = :currentStep');
    }
  }
  if (patch.error !== undefined) {
    names['#error'] = 'error';
    if (patch.error === null) remove.push('#error');
    else {
      values[':error'] = patch.error;
      set.push('#error = :error');
    }
  }
  if (patch.rollbacks !== undefined) {
    names['#rollbacks'] = 'rollbacks';
    values[':rollbacks'] = patch.rollbacks;
    set.push('#rollbacks = :rollbacks');
  }
  if (patch.appendPauses?.length) {
    names['#pauses'] = 'pauses';
    values[':pauses'] = patch.appendPauses;
    values[':noPauses'] = [];
    set.push('#pauses = list_append(if_not_exists(#pauses, :noPauses), :pauses)');
  }
  Object.entries(patch.environments ?? {}).forEach(([env, outcome], i) => {
    names['#environments'] = 'environments';
    names[`#env${i}`] = env;
    values[`:env${i}`] = outcome;
    set.push(`#environments.#env${i} = :env${i}`);
  });
  let condition = 'attribute_exists(#pk)';
  if (patch.ifStatus && patch.ifStatus.length > 0) {
    names['#status'] = 'status';
    const placeholders = patch.ifStatus.map((s, i) => {
      values[`:if${i}`] = s;
      return `:if${i}`;
    });
    condition += ` AND #status IN (${placeholders.join(', ')})`;
  }
  try {
    const out = await ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: releaseKey(id),
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(out.Attributes ?? {});
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const existing = await getRelease(id, { ddb, table });
    if (!existing) {
      throw new NotFoundError(`Release ${id} does not exist; it is created when the webhook starts it`, {
        cause: err,
      });
    }
    throw new ConflictError(
      `Release ${id} is ${existing.status}, not ${patch.ifStatus?.join(' or ')}; the update was not applied`,
      { cause: err },
    );
  }
}
