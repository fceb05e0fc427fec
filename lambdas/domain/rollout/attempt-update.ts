import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../../shared/table';
import type { RolloutDeps } from './deps';
import type { RolloutRecord } from './types';

/** What a write to an attempt needs of its rollout record: the key, and the attempt it was read at. */
export type AttemptRecord = Pick<RolloutRecord, 'pk' | 'sk' | 'attempt'>;

type TableDeps = Pick<RolloutDeps, 'ddb' | 'table'>;

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
  record: AttemptRecord,
  change: AttemptUpdate,
  deps: TableDeps,
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
 * The condition (with its names, and `values` plus its own) of a write to an attempt still IN_PROGRESS, for
 * which `also` holds too when given.
 */
export function attemptInProgress(
  values: Record<string, unknown>,
  also?: string,
): Omit<AttemptUpdate, 'update'> {
  return {
    condition: also ? `#status = :inProgress AND ${also}` : '#status = :inProgress',
    names: { '#status': 'status' },
    values: { ...values, ':inProgress': 'IN_PROGRESS' },
  };
}

/**
 * Declares a named write to the rollout record of an attempt, called as `(record, ...args, deps)`. `change`
 * says what it writes given `args` (`undefined`: nothing to write, so nothing is sent and `result` gets
 * `undefined`); `result` turns {@link updateAttempt}'s answer into what the caller gets
 * ({@link applied}, {@link recordBefore}, …).
 * @example
 * export const setDeploymentId = attemptWrite(
 *   (deploymentId: string) => ({ update: 'SET deploymentId = :d', values: { ':d': deploymentId } }),
 *   applied,
 * );
 * if (!(await setDeploymentId(record, deploymentId, deps))) return; // the record moved on
 */
export function attemptWrite<A extends unknown[], R>(
  change: (...args: A) => AttemptUpdate | undefined,
  result: (answer: AttemptUpdated | undefined) => R,
): (record: AttemptRecord, ...argsThenDeps: [...args: A, deps: TableDeps]) => Promise<R> {
  return async (record, ...argsThenDeps) => {
    // `deps` comes last, as everywhere in the domain; the write's own arguments are the ones before it.
    const args = argsThenDeps.slice(0, -1) as A;
    const deps = argsThenDeps[argsThenDeps.length - 1] as TableDeps;
    const update = change(...args);
    return result(update ? await updateAttempt(record, update, deps) : undefined);
  };
}

/** A write's result: whether it applied (false: another attempt took the record, or its condition failed). */
export const applied = (answer: AttemptUpdated | undefined): boolean => answer !== undefined;

/** A write's result: the record as it was before the write, or `undefined` when the write did not apply. */
export const recordBefore = (answer: AttemptUpdated | undefined): RolloutRecord | undefined => answer?.old;
