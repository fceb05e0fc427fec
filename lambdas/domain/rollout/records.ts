import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { applied, attemptInProgress, attemptWrite, type AttemptUpdate, recordBefore } from './attempt-update';
import type { RolloutDeps } from './deps';
import { isConditionFailure, readConsistent } from '../../shared/table';
import type { DeployedEntry, DeployedItem, RollbackState, RolloutOutcome, RolloutRecord } from './types';

/**
 * Table items of the rollout domain: the rollout record (waiter) per ECS service, the CodeDeploy alias
 * that leads from a deployment group to it, and the `DEPLOYED#<env>#<service>` history.
 */

type TableDeps = Pick<RolloutDeps, 'ddb' | 'table'>;

/** How many releases the `DEPLOYED#…` history keeps per (environment, service). */
export const DEPLOYED_HISTORY_LIMIT = 20;

/** Key of the rollout record of an ECS service. */
export function rolloutKey(clusterName: string, serviceName: string): { pk: string; sk: 'ROLLOUT' } {
  return { pk: `ROLLOUT#${clusterName}#${serviceName}`, sk: 'ROLLOUT' };
}

/** Key of the CodeDeploy alias item (deployment group → ECS service). */
export function groupAliasKey(application: string, group: string): { pk: string; sk: 'ROLLOUT' } {
  return { pk: `ROLLOUTGROUP#${application}#${group}`, sk: 'ROLLOUT' };
}

/** Key of the deployed-history item. */
export function deployedKey(environment: string, service: string): { pk: string; sk: 'CURRENT' } {
  return { pk: `DEPLOYED#${environment}#${service}`, sk: 'CURRENT' };
}

/** The rollout record of an ECS service, if any (strongly consistent). */
export async function getRecord(
  clusterName: string,
  serviceName: string,
  deps: TableDeps,
): Promise<RolloutRecord | undefined> {
  return readConsistent<RolloutRecord>(deps, rolloutKey(clusterName, serviceName));
}

/** The rollout record a CodeDeploy deployment group leads to, if any. */
export async function getRecordByGroup(
  application: string,
  group: string,
  deps: TableDeps,
): Promise<RolloutRecord | undefined> {
  const target = await readConsistent<{ clusterName?: string; serviceName?: string }>(
    deps,
    groupAliasKey(application, group),
  );
  if (!target?.clusterName || !target.serviceName) return undefined;
  return getRecord(target.clusterName, target.serviceName, deps);
}

/** Writes a new rollout record (and the CodeDeploy alias when the record has a deployment group). */
export async function putRecord(record: RolloutRecord, deps: TableDeps): Promise<void> {
  if (record.codeDeployApplication && record.codeDeployGroup) {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: {
          ...groupAliasKey(record.codeDeployApplication, record.codeDeployGroup),
          clusterName: record.clusterName,
          serviceName: record.serviceName,
        },
      }),
    );
  }
  await deps.ddb.send(
    new PutCommand({ TableName: deps.table, Item: { ...record, ...rolloutIndexKeys(record) } }),
  );
}

/** gsi1 partition listing every rollout record (the reconciler reads it; one record per ECS service). */
export const ROLLOUTS_INDEX = 'ROLLOUTS';

/** gsi1 keys of a rollout record: `ROLLOUTS` / `<releaseId>#<environment>#<service>`. */
export function rolloutIndexKeys(record: Pick<RolloutRecord, 'releaseId' | 'environment' | 'service'>) {
  return { gsi1pk: ROLLOUTS_INDEX, gsi1sk: `${record.releaseId}#${record.environment}#${record.service}` };
}

/** Records the deployment id of an attempt. Returns false when the record moved on (another attempt). */
export const setDeploymentId = attemptWrite(
  (deploymentId: string, serviceDeploymentArn: string | undefined) => ({
    update: serviceDeploymentArn
      ? 'SET deploymentId = :d, serviceDeploymentArn = :sd'
      : 'SET deploymentId = :d',
    values: { ':d': deploymentId, ...(serviceDeploymentArn ? { ':sd': serviceDeploymentArn } : {}) },
  }),
  applied,
);

/**
 * Makes `taskToken` the one the rollout resumes. Only while the attempt is IN_PROGRESS; returns false
 * when it already settled (the caller then reports the stored result itself).
 */
export const registerToken = attemptWrite(
  (taskToken: string, executionArn: string) => ({
    update: 'SET taskToken = :t, executionArn = :e',
    ...attemptInProgress({ ':t': taskToken, ':e': executionArn }),
  }),
  applied,
);

/** How an attempt ended. */
export type Settlement =
  | { status: 'COMPLETED'; outcome: RolloutOutcome }
  | { status: 'FAILED'; failure: { error: string; cause: string; rolledBackTo?: string } };

/**
 * Moves an attempt from IN_PROGRESS to its final state, exactly once. The winner gets the record as it
 * was (with the task token to resume); everyone else gets `undefined` and must read the stored result.
 */
export const settleRecord = attemptWrite((settlement: Settlement, finishedAt: string) => {
  const values: Record<string, unknown> = { ':status': settlement.status, ':finishedAt': finishedAt };
  let set = '#status = :status, finishedAt = :finishedAt';
  if (settlement.status === 'COMPLETED') {
    set += ', outcome = :outcome';
    values[':outcome'] = settlement.outcome;
  } else {
    set += ', failure = :failure';
    values[':failure'] = settlement.failure;
  }
  return { update: `SET ${set} REMOVE taskToken`, ...attemptInProgress(values) };
}, recordBefore);

/** The deployed history of a service in an environment, if any. */
export async function getDeployed(
  environment: string,
  service: string,
  deps: TableDeps,
): Promise<DeployedItem | undefined> {
  return readConsistent<DeployedItem>(deps, deployedKey(environment, service));
}

/** Attempts of an optimistic history update before giving up (each one re-reads the item). */
const DEPLOYED_WRITE_ATTEMPTS = 5;

/**
 * Read-modify-write of the deployed history with optimistic concurrency (`version`): concurrent writers
 * (a rollout settling while another release's Verify marks its entry) never lose each other's change.
 * `change` returns the new history, or `undefined` to leave the item as it is.
 */
async function updateDeployed(
  environment: string,
  service: string,
  at: string,
  change: (history: DeployedEntry[]) => DeployedEntry[] | undefined,
  deps: TableDeps,
): Promise<DeployedItem | undefined> {
  for (let attempt = 1; ; attempt++) {
    const existing = await getDeployed(environment, service, deps);
    const history = change(existing?.history ?? []);
    if (!history) return existing;
    const version = existing?.version ?? 0;
    const item: DeployedItem = {
      ...deployedKey(environment, service),
      environment,
      service,
      history: history.slice(0, DEPLOYED_HISTORY_LIMIT),
      updatedAt: at,
      version: version + 1,
    };
    try {
      await deps.ddb.send(
        new PutCommand({
          TableName: deps.table,
          Item: item,
          ConditionExpression: existing ? 'version = :v' : 'attribute_not_exists(pk)',
          ExpressionAttributeValues: existing ? { ':v': version } : undefined,
        }),
      );
      return item;
    } catch (err) {
      if (!isConditionFailure(err) || attempt >= DEPLOYED_WRITE_ATTEMPTS) throw err;
    }
  }
}

/**
 * Records a successful rollout as current (`history[0]`). A second success of the same release replaces
 * its earlier entry.
 */
export async function recordDeployed(
  environment: string,
  service: string,
  entry: DeployedEntry,
  deps: TableDeps,
): Promise<DeployedItem> {
  const item = await updateDeployed(
    environment,
    service,
    entry.deployedAt,
    (history) => [entry, ...history.filter((e) => e.releaseId !== entry.releaseId)],
    deps,
  );
  return item!;
}

/** Marks the current entry verified when it is this release's (after "Verify <env>" passed). */
export async function markVerified(
  environment: string,
  service: string,
  releaseId: string,
  verifiedAt: string,
  deps: TableDeps,
): Promise<boolean> {
  let marked = false;
  await updateDeployed(
    environment,
    service,
    verifiedAt,
    (history) => {
      marked = history[0]?.releaseId === releaseId;
      return marked ? [{ ...history[0], verifiedAt }, ...history.slice(1)] : undefined;
    },
    deps,
  );
  return marked;
}

/** Drops a release from the history after Shipgate rolled it back (the previous entry becomes current). */
export async function forgetRelease(
  environment: string,
  service: string,
  releaseId: string,
  at: string,
  deps: TableDeps,
): Promise<void> {
  await updateDeployed(
    environment,
    service,
    at,
    (history) =>
      history.some((e) => e.releaseId === releaseId)
        ? history.filter((e) => e.releaseId !== releaseId)
        : undefined,
    deps,
  );
}

/**
 * After `shipgate rollback`: `entry` (the one that was at `index` when the rollback started) becomes current
 * again; the entries newer than it leave the history.
 */
export async function restoreEntry(
  environment: string,
  service: string,
  index: number,
  entry: DeployedEntry,
  deps: TableDeps,
): Promise<DeployedItem> {
  const item = await updateDeployed(
    environment,
    service,
    entry.deployedAt,
    (history) => {
      const at = history.findIndex(
        (e, i) => i >= index && e.releaseId === entry.releaseId && e.digest === entry.digest,
      );
      return [entry, ...history.slice((at < 0 ? index : at) + 1)];
    },
    deps,
  );
  return item!;
}

/**
 * Starts "Roll back <env>" on an attempt: stores its rollback state (with the task token that waits for
 * it). Only once per attempt; returns false when a rollback was already stored (the caller re-parks).
 */
export const putRollback = attemptWrite(
  (rollback: RollbackState) => ({
    update: 'SET #rollback = :r',
    condition: 'attribute_not_exists(#rollback)',
    names: { '#rollback': 'rollback' },
    values: { ':r': rollback },
  }),
  applied,
);

/**
 * Records what a rollback waits on once ECS / CodeDeploy answered (deployment id, service deployment). A
 * rollback that settled meanwhile needs no target any more: a failed condition is not an error.
 */
export const setRollbackTarget = attemptWrite(
  (target: { deploymentId?: string; serviceDeploymentArn?: string }) => {
    const sets: string[] = [];
    const values: Record<string, unknown> = {};
    if (target.deploymentId) {
      sets.push('#rollback.deploymentId = :d');
      values[':d'] = target.deploymentId;
    }
    if (target.serviceDeploymentArn) {
      sets.push('#rollback.serviceDeploymentArn = :sd');
      values[':sd'] = target.serviceDeploymentArn;
    }
    return sets.length ? { update: `SET ${sets.join(', ')}`, ...rollbackInProgress(values) } : undefined;
  },
  () => undefined,
);

/** Makes `taskToken` the one a rollback in flight resumes. Returns false once it settled. */
export const registerRollbackToken = attemptWrite(
  (taskToken: string, executionArn: string) => ({
    update: 'SET #rollback.taskToken = :t, #rollback.executionArn = :e',
    ...rollbackInProgress({ ':t': taskToken, ':e': executionArn }),
  }),
  applied,
);

/**
 * Ends a rollback exactly once: COMPLETED marks the attempt ROLLED_BACK, FAILED keeps its status; both drop
 * the task tokens. The winner gets the record as it was (with the token to resume); everyone else
 * `undefined`.
 */
export const settleRollback = attemptWrite(
  (
    outcome: { status: 'COMPLETED' } | { status: 'FAILED'; failure: { error: string; cause: string } },
    finishedAt: string,
  ) => {
    const values: Record<string, unknown> = { ':s': outcome.status, ':f': finishedAt };
    let set = '#rollback.#st = :s, #rollback.finishedAt = :f';
    if (outcome.status === 'COMPLETED') {
      set += ', #st = :rolledBack, finishedAt = if_not_exists(finishedAt, :f)';
      values[':rolledBack'] = 'ROLLED_BACK';
    } else {
      set += ', #rollback.failure = :failure';
      values[':failure'] = outcome.failure;
    }
    return { update: `SET ${set} REMOVE #rollback.taskToken, taskToken`, ...rollbackInProgress(values) };
  },
  recordBefore,
);

/** The condition (and its names and values, besides `values`) of a write to a rollback still in flight. */
function rollbackInProgress(values: Record<string, unknown>): Omit<AttemptUpdate, 'update'> {
  return {
    condition: '#rollback.#st = :inProgress',
    names: { '#rollback': 'rollback', '#st': 'status' },
    values: { ...values, ':inProgress': 'IN_PROGRESS' },
  };
}
