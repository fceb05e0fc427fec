import { ContinueServiceDeploymentCommand } from '@aws-sdk/client-ecs';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../../shared/logger';
import { isConditionFailure, TABLE_KEYS } from '../../shared/table';
import { pauseKey } from '../pauses/store';
import { announceDeps, announceOutcome } from '../outcomes/announce';
import { getRelease } from '../releases/store';
import { forEnvironment, type RolloutDeps } from '../rollout/deps';
import { awaitingPause, recordPauseDecision } from '../rollout/pauses';
import { getRecord, ROLLOUTS_INDEX } from '../rollout/records';
import { settleRollbackFromEvent } from '../rollout/rollback-wait';
import { describeServiceDeployment } from '../rollout/service-deployments';
import { finish, observe, settlementFor } from '../rollout/settle';
import type { RolloutRecord } from '../rollout/types';
import { recordAfterRelease, type AfterReleaseDeps } from './after-release';

/**
 * Nothing Shipgate started is left without an owner (issue 27). When a release's execution ends (aborted,
 * timed out, stopped, failed) while one of its rollouts still runs or waits at a pause, Shipgate takes a
 * safe default and says in chat what is left and how to act:
 *
 * | what is left                         | default                                                              |
 * |--------------------------------------|----------------------------------------------------------------------|
 * | a rollout waiting at a PAUSE hook     | roll back: ContinueServiceDeployment ROLLBACK (the pause mechanism's own rollback; no one is left to verify a CONTINUE) |
 * | a rollout in progress                 | let ECS finish (its circuit breaker and alarms still roll back a bad revision) and record the result, never verified |
 * | a Shipgate rollback in progress       | let it finish and record it                                          |
 * | a rollout that already ended          | record what ECS reported                                             |
 *
 * Every step is idempotent: the pause decision is a conditional write, ContinueServiceDeployment is only
 * called while ECS waits at that hook, settlements are conditional, ledger ids deterministic, chat once.
 */

/** What {@link takeOverRollout} did with one rollout record. */
export interface OrphanAction {
  releaseId: string;
  environment: string;
  service: string;
  action: 'rolled-back-at-pause' | 'left-running' | 'rollback-running' | 'recorded' | 'nothing';
  detail: string;
}

/** Dependencies: the rollout domain's clients plus chat. */
export type OrphanDeps = RolloutDeps & Pick<AfterReleaseDeps, 'announce' | 'ledger'>;

/** The rollout records of a release (gsi1 `ROLLOUTS`, `<releaseId>#…`); every record when `releaseId` is omitted. */
export async function listRolloutRecords(
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
  releaseId?: string,
): Promise<RolloutRecord[]> {
  const out: RolloutRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: releaseId ? '#g = :g AND begins_with(#s, :prefix)' : '#g = :g',
        ExpressionAttributeNames: {
          '#g': TABLE_KEYS.gsi1.partitionKey,
          ...(releaseId ? { '#s': TABLE_KEYS.gsi1.sortKey } : {}),
        },
        ExpressionAttributeValues: {
          ':g': ROLLOUTS_INDEX,
          ...(releaseId ? { ':prefix': `${releaseId}#` } : {}),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    out.push(...((page.Items ?? []) as RolloutRecord[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/** Closes the pause item (OPEN, or ENDED when the execution's end was noticed first) as rolled back by Shipgate. */
async function closePauseAsRolledBack(
  deps: Pick<RolloutDeps, 'ddb' | 'table'>,
  pauseId: string,
  reason: string,
  at: string,
): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: pauseKey(pauseId),
        UpdateExpression: 'SET #s = :s, outcome = :o',
        ConditionExpression: '#s IN (:open, :ended)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':s': 'ROLLED_BACK',
          ':open': 'OPEN',
          ':ended': 'ENDED',
          ':o': { status: 'ROLLED_BACK', at, by: [], reason },
        },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/**
 * Applies the safe default to one rollout record of a release whose execution ended (see the module
 * comment) and tells chat. The caller has established that the execution is no longer running.
 */
export async function takeOverRollout(
  record: RolloutRecord,
  executionStatus: string,
  deps: OrphanDeps,
): Promise<OrphanAction> {
  deps = forEnvironment(deps, record.environment);
  const base = { releaseId: record.releaseId, environment: record.environment, service: record.service };
  const afterDeps: AfterReleaseDeps = deps;

  if (record.rollback?.status === 'IN_PROGRESS') {
    const handled = await settleRollbackFromEvent(record, deps);
    if (handled.action === 'settled') {
      const settled = await getRecord(record.clusterName, record.serviceName, deps);
      if (settled) await recordAfterRelease(settled, afterDeps);
      return { ...base, action: 'recorded', detail: 'the rollback had ended; its outcome is recorded' };
    }
    await tell(record, executionStatus, deps, [
      `Shipgate's rollback of ${record.service} in ${record.environment} is still running; ECS's result will be recorded in the ledger when it ends.`,
    ]);
    return {
      ...base,
      action: 'rollback-running',
      detail: 'the rollback still runs; its result will be recorded',
    };
  }
  if (record.status !== 'IN_PROGRESS') {
    const done = await recordAfterRelease(record, afterDeps);
    return {
      ...base,
      action: done.recorded ? 'recorded' : 'nothing',
      detail: done.recorded ? `recorded as ${done.result}` : done.reason,
    };
  }

  // Still in progress as far as the record knows: look at ECS once.
  const observation = await observe(record, deps);
  const settlement = settlementFor(record, observation, deps.now().toISOString());
  if (settlement) {
    await finish(record, settlement, deps, { resume: false });
    const settled = await getRecord(record.clusterName, record.serviceName, deps);
    const done = settled ? await recordAfterRelease(settled, afterDeps) : undefined;
    return {
      ...base,
      action: 'recorded',
      detail: done?.recorded ? `ECS had ended it: recorded as ${done.result}` : 'ECS had ended it',
    };
  }

  const sd = record.serviceDeploymentArn
    ? await describeServiceDeployment(record.serviceDeploymentArn, deps)
    : undefined;
  const hook = sd && sd.status === 'IN_PROGRESS' ? awaitingPause(sd) : undefined;
  if (sd && hook?.hookId) {
    const at = deps.now().toISOString();
    const reason = `the release's execution ended (${executionStatus}) while the rollout waited here; nobody is left to verify it, so Shipgate rolls it back`;
    await recordPauseDecision(
      record,
      hook.hookId,
      { action: 'ROLLBACK', by: ['Shipgate'], reason, at },
      deps,
    );
    try {
      await deps.ecs.send(
        new ContinueServiceDeploymentCommand({
          serviceDeploymentArn: record.serviceDeploymentArn,
          hookId: hook.hookId,
          action: 'ROLLBACK',
        }),
      );
    } catch (err) {
      // ECS moved on in between (a decision or the hook's timeout): its final event settles the record.
      logger.warn('ECS refused the rollback of an orphaned pause', {
        releaseId: record.releaseId,
        error: (err as Error)?.name,
      });
    }
    if (record.pause?.pauseId)
      await closePauseAsRolledBack(deps, record.pause.pauseId, `Rolled back by Shipgate: ${reason}.`, at);
    await tell(record, executionStatus, deps, [
      `It waited at ${record.pause?.stage ?? sd.lifecycleStage ?? 'a pause'} with ${record.digest} on part of the traffic.`,
      `Shipgate's default for a paused rollout whose release ended: roll back (ContinueServiceDeployment ROLLBACK). ECS's result will be recorded in the ledger and the digest quarantined.`,
      'A new pipeline starts a new release.',
    ]);
    return { ...base, action: 'rolled-back-at-pause', detail: `ROLLBACK at hook ${hook.hookId}` };
  }

  await tell(record, executionStatus, deps, [
    `ECS is still rolling out ${record.digest}. Shipgate lets it finish (the circuit breaker and alarms still roll back a failing revision) and records the result in the ledger; no smoke check will run.`,
    `To undo it: npx shipgate rollback ${record.service} ${record.environment} --reason "…" (it takes over the lock of the ended release).`,
  ]);
  return { ...base, action: 'left-running', detail: 'left to ECS; the result will be recorded' };
}

async function tell(record: RolloutRecord, executionStatus: string, deps: OrphanDeps, lines: string[]) {
  const stored = await getRelease(record.releaseId, deps);
  if (!stored) return;
  await announceOutcome(
    stored.release,
    {
      kind: 'left-behind',
      environment: record.environment,
      service: record.service,
      lines: [`The release's execution ended (${executionStatus}).`, ...lines],
    },
    {
      once: `left-behind#${record.environment}#${record.service}#${record.attempt}`,
      executionArn: record.executionArn,
    },
    deps.announce ?? announceDeps({ config: deps.config, ddb: deps.ddb, table: deps.table, now: deps.now }),
  );
}

/**
 * Every rollout of `releaseId` started by `executionArn`, taken over after that execution ended. Never
 * throws for one record: a failure is logged and the reconciler tries again.
 */
export async function takeOverRelease(
  releaseId: string,
  executionArn: string,
  executionStatus: string,
  deps: OrphanDeps,
): Promise<OrphanAction[]> {
  const actions: OrphanAction[] = [];
  for (const record of await listRolloutRecords(deps, releaseId)) {
    if (record.executionArn !== executionArn) continue;
    try {
      actions.push(await takeOverRollout(record, executionStatus, deps));
    } catch (err) {
      logger.warn('Could not take over a rollout of an ended release', {
        releaseId,
        environment: record.environment,
        serviceName: record.service,
        error: (err as Error)?.name,
      });
    }
  }
  return actions;
}
