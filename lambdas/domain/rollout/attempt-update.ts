import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../../shared/table';
import type { RolloutDeps } from './deps';
import type { RolloutRecord } from './types';

/**
 * One write to a rollout record that holds only for the attempt it was read at. Every writer of the record
 * (a rollout's steps, a pause, a rollback, the verify hook) races a newer attempt that may have replaced it,
 * so each write is conditional on `attempt = :a`; `condition` adds what else must hold.
 */
export interface AttemptUpdate {
  /** The UpdateExpression (`SET …`, `REMOVE …`). */
  update: string;
  /** Further condition, joined to `attempt = :a` with AND (e.g. `#status = :inProgress`). */
  condition?: string;
  /** ExpressionAttributeNames the expressions use (`#status`, `#rollback`, …). */
  names?: Record<string, string>;
  /** ExpressionAttributeValues besides `:a` (which is the record's attempt). */
  values?: Record<string, unknown>;
}

/** What a write that applied returns: the record as it was before it (`ReturnValues: ALL_OLD`). */
export interface AttemptUpdated {
  old?: RolloutRecord;
}

/**
 * Applies `change` to the rollout record of `record.attempt`. Resolves to `{ old }` when the write applied
 * (`old` is the record before it; asking for it costs no extra capacity), or `undefined` when the condition
 * failed: another attempt took the record, or `change.condition` did not hold. Any other error is thrown.
 * @example
 * const applied = await updateAttempt(
 *   record,
 *   { update: 'SET pause.decision = :d', condition: 'pause.hookId = :h', values: { ':d': d, ':h': hookId } },
 *   deps,
 * );
 * if (!applied) return false; // the record moved on
 */
export async function updateAttempt(
  record: Pick<RolloutRecord, 'attempt'> & { pk: string; sk: string },
  change: AttemptUpdate,
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
): Promise<AttemptUpdated | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: record.pk, sk: record.sk },
        UpdateExpression: change.update,
        ConditionExpression: change.condition ? `attempt = :a AND ${change.condition}` : 'attempt = :a',
        ...(change.names ? { ExpressionAttributeNames: change.names } : {}),
        ExpressionAttributeValues: { ...change.values, ':a': record.attempt },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return { old: out?.Attributes as RolloutRecord | undefined };
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/**
 * {@link updateAttempt} for writers that only need to know whether the write applied.
 * @example if (!(await appliedToAttempt(record, { update: 'SET deploymentId = :d', values }, deps))) return;
 */
export async function appliedToAttempt(
  record: Pick<RolloutRecord, 'attempt'> & { pk: string; sk: string },
  change: AttemptUpdate,
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
): Promise<boolean> {
  return (await updateAttempt(record, change, deps)) !== undefined;
}
