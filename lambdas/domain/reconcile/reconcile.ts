import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../../shared/logger';
import { TABLE_KEYS } from '../../shared/table';
import type { ApprovalDeps } from '../approvals/deps';
import { postChatMessage } from '../chat/post';
import { getLedgerEntry, releaseEntryId } from '../ledger/store';
import type { AnnounceDeps } from '../outcomes/announce';
import { handleExecutionStopped } from '../outcomes/stopped';
import type { StatusDeps } from '../releases/status';
import { listPendingApprovalIds, readApprovalRecord } from '../approvals/store';
import { listReleases, type ReleaseRecord } from '../releases/store';
import { LOCKS_INDEX, releaseLock, type LockItem } from '../rollout/lock';
import type { RolloutRecord } from '../rollout/types';
import { recordAfterRelease } from './after-release';
import { listRolloutRecords, takeOverRollout, type OrphanDeps } from './orphans';

/**
 * The reconciler (issue 27): run on a schedule (EventBridge Scheduler on AWS, a timer in the sandbox), it
 * compares Shipgate's open records with Step Functions and ECS and repairs what a lost event left behind:
 *
 * - releases still RUNNING whose execution was aborted or timed out (execution-events lost): recorded
 *   ABORTED, their approvals ended, chat told, their rollouts taken over;
 * - rollout records IN_PROGRESS (or with a rollback in progress) whose execution ended: ECS asked, the
 *   outcome recorded, a paused rollout rolled back (reconcile/orphans.ts);
 * - settled rollouts whose execution ended without a ledger entry: recorded from the rollout record;
 * - locks held by ended executions with nothing of theirs still running: released.
 *
 * Every write is conditional or keyed deterministically, so two runs at once, or one after another, repair
 * each thing once. It says what it repaired in its result, the log and (when there was anything) chat.
 */

/** One thing the reconciler repaired. */
export interface Repair {
  kind: 'release' | 'rollout' | 'ledger' | 'lock';
  what: string;
  action: string;
}

/** Result of one run. */
export interface ReconcileResult {
  startedAt: string;
  checked: { releases: number; rollouts: number; locks: number };
  repaired: Repair[];
  /** Rollouts of ended releases that ECS still runs (left to it; recorded when they end). */
  watching: string[];
  /** Problems that stopped one check (the run goes on; the next run tries again). */
  errors: string[];
}

/** Everything a run touches. */
export type ReconcileDeps = OrphanDeps & {
  status: StatusDeps;
  approvals: ApprovalDeps;
  announce: AnnounceDeps;
  /** How many of the newest releases are checked for a lost end event. @default 200 */
  releaseWindow?: number;
};

type Described = { status: string; error?: string; cause?: string; name?: string; stateMachineArn?: string };

/** DescribeExecution, once per execution per run. */
function describer(deps: Pick<ReconcileDeps, 'sfn'>) {
  const seen = new Map<string, Promise<Described | undefined>>();
  return (executionArn: string) => {
    let p = seen.get(executionArn);
    if (!p) {
      p = Promise.resolve()
        .then(() => deps.sfn.send(new DescribeExecutionCommand({ executionArn })))
        .then(
          (d) =>
            d?.status
              ? {
                  status: d.status,
                  ...(d.error ? { error: d.error } : {}),
                  ...(d.cause ? { cause: d.cause } : {}),
                  ...(d.name ? { name: d.name } : {}),
                  ...(d.stateMachineArn ? { stateMachineArn: d.stateMachineArn } : {}),
                }
              : undefined,
          (err: unknown) =>
            (err as Error)?.name === 'ExecutionDoesNotExist'
              ? { status: 'DOES_NOT_EXIST' }
              : Promise.reject(err),
        );
      seen.set(executionArn, p);
    }
    return p;
  };
}

const ended = (d: Described | undefined): d is Described =>
  Boolean(d) && d!.status !== 'RUNNING' && d!.status !== 'PENDING_REDRIVE';

/** Held locks (gsi1 `LOCKS`). */
async function listLocks(deps: Pick<ReconcileDeps, 'ddb' | 'table'>): Promise<LockItem[]> {
  const out: LockItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.table,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: '#g = :g',
        ExpressionAttributeNames: { '#g': TABLE_KEYS.gsi1.partitionKey },
        ExpressionAttributeValues: { ':g': LOCKS_INDEX },
        ExclusiveStartKey: startKey,
      }),
    );
    out.push(...((page.Items ?? []) as LockItem[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

const busy = (r: RolloutRecord) => r.status === 'IN_PROGRESS' || r.rollback?.status === 'IN_PROGRESS';

/**
 * One reconciler run (see the module comment).
 * @example const result = await reconcile(reconcileDeps());
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = {
    startedAt: deps.now().toISOString(),
    checked: { releases: 0, rollouts: 0, locks: 0 },
    repaired: [],
    watching: [],
    errors: [],
  };
  const describe = describer(deps);
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (err) {
      result.errors.push(
        `${what}: ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? ''}`.slice(0, 300),
      );
      logger.warn('Reconciler check failed; the next run tries again', { what, error: (err as Error)?.name });
    }
  };

  // 1. Releases whose end event was lost: still RUNNING in the store, or with approvals still OPEN (a sandbox
  // restart marks interrupted releases ABORTED before their end event is handled).
  await attempt('releases', async () => {
    const { releases } = await listReleases({ limit: Math.min(100, deps.releaseWindow ?? 100) }, deps);
    const withOpenApprovals = new Set<string>();
    for (const projectId of new Set(releases.map((r) => r.release.project.id))) {
      for (const id of await listPendingApprovalIds(deps.approvals, projectId)) {
        const approval = await readApprovalRecord(deps.approvals, id);
        if (approval?.status === 'OPEN') withOpenApprovals.add(approval.executionArn);
      }
    }
    const suspects = releases.filter(
      (r: ReleaseRecord) => r.status === 'RUNNING' || withOpenApprovals.has(r.executionArn),
    );
    for (const release of suspects) {
      result.checked.releases++;
      await attempt(`release ${release.id}`, async () => {
        const d = await describe(release.executionArn);
        if (!ended(d) || (d.status !== 'ABORTED' && d.status !== 'TIMED_OUT')) return;
        const handled = await handleExecutionStopped(
          {
            source: 'aws.states',
            'detail-type': 'Step Functions Execution Status Change',
            detail: {
              executionArn: release.executionArn,
              name: release.id,
              status: d.status,
              ...(d.error ? { error: d.error } : {}),
              ...(d.cause ? { cause: d.cause } : {}),
            },
          },
          { status: deps.status, approvals: deps.approvals, announce: deps.announce, rollouts: deps },
        );
        if (handled.handled) {
          result.repaired.push({
            kind: 'release',
            what: release.id,
            action: `execution ${d.status}: recorded ${release.status === 'RUNNING' ? 'ABORTED' : 'as it was'}, ${handled.approvalsEnded} approval(s) ended, chat told${
              handled.rollouts?.length ? `, ${handled.rollouts.length} rollout(s) taken over` : ''
            }`,
          });
        }
      });
    }
  });

  // 2. Rollout records: in progress under an ended execution, or settled without a ledger entry.
  let records: RolloutRecord[] = [];
  await attempt('rollouts', async () => {
    records = await listRolloutRecords(deps);
  });
  for (const record of records) {
    result.checked.rollouts++;
    const what = `${record.service} in ${record.environment} (release ${record.releaseId})`;
    await attempt(what, async () => {
      if (!busy(record)) {
        // Cheap first: most settled records already have their entry.
        if (await getLedgerEntry(releaseEntryId(record.releaseId, record.environment, record.service), deps))
          return;
      }
      const d = await describe(record.executionArn);
      if (!ended(d)) return;
      if (!busy(record)) {
        const done = await recordAfterRelease(record, deps);
        if (done.recorded)
          result.repaired.push({ kind: 'ledger', what, action: `recorded ${done.result} from ECS` });
        return;
      }
      const action = await takeOverRollout(record, d.status, deps);
      if (action.action === 'left-running' || action.action === 'rollback-running') {
        result.watching.push(`${what}: ${action.detail}`);
      } else if (action.action !== 'nothing') {
        result.repaired.push({ kind: 'rollout', what, action: `${action.action}: ${action.detail}` });
      }
    });
  }

  // 3. Locks held by ended executions with nothing of theirs still running there.
  let locks: LockItem[] = [];
  await attempt('locks', async () => {
    locks = await listLocks(deps);
  });
  for (const lock of locks) {
    result.checked.locks++;
    if (!lock.executionArn) continue; // a manual rollback's: its own run releases it (or its lease ends)
    const [environment, service] = lock.pk.replace(/^LOCK#/, '').split('#');
    await attempt(`lock ${environment}/${service}`, async () => {
      const d = await describe(lock.executionArn!);
      if (!ended(d)) return;
      const stillRunning = records.some(
        (r) =>
          r.releaseId === lock.owner && r.environment === environment && r.service === service && busy(r),
      );
      if (stillRunning) return;
      if (await releaseLock(environment, service, lock.owner, deps)) {
        result.repaired.push({
          kind: 'lock',
          what: `${service} in ${environment}`,
          action: `released the lock of release ${lock.owner} (execution ${d.status})`,
        });
      }
    });
  }

  logger.info('Reconciler run', {
    repaired: result.repaired.length,
    watching: result.watching.length,
    errors: result.errors.length,
    checked: result.checked,
  });
  for (const r of result.repaired) logger.info('Reconciler repaired', { ...r });
  if (result.repaired.length > 0) {
    const lines = result.repaired.map((r) => `• ${r.what}: ${r.action}`);
    const text = `Shipgate's reconciler repaired ${result.repaired.length} thing(s) a lost event left behind:\n${lines.join('\n')}`;
    await postChatMessage(
      { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }] },
      { config: deps.config, ...(deps.announce.getSecret ? { getSecret: deps.announce.getSecret } : {}) },
    );
  }
  return result;
}
