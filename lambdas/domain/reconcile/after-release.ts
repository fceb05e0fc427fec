import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../shared/logger';
import { shortTaskDefinition } from '../rollout/contract';
import type { RolloutDeps } from '../rollout/deps';
import type { RolloutRecord } from '../rollout/types';
import { getLedgerEntry, releaseEntryId } from '../ledger/store';
import { recordReleaseInLedger, type LedgerRecordDeps, type ReleaseDocument } from '../ledger/record';
import { FINISHED_AFTER_RELEASE } from '../ledger/types';
import { announceDeps, announceOutcome, type AnnounceDeps } from '../outcomes/announce';
import { getRelease, updateRelease, type EnvironmentOutcome } from '../releases/store';

/**
 * ECS's final state is the record (issue 27). A rollout (or a rollback) Shipgate started may end after the
 * execution that started it has ended — stopped, timed out, or its sandbox killed — and then no workflow
 * step is left to write the ledger, quarantine the digest or update the release record. These functions do
 * it from the rollout record, which `rollout-events` and the reconciler settle from what ECS reports. The
 * writes are the ledger's own (deterministic ids, conditional puts), so running them twice writes nothing
 * twice; chat is posted once per rollout attempt.
 */

/** What {@link recordAfterRelease} needs. */
export type AfterReleaseDeps = Pick<RolloutDeps, 'ddb' | 'table' | 'sfn' | 'now' | 'config'> & {
  announce?: AnnounceDeps;
  ledger?: Omit<LedgerRecordDeps, 'ddb' | 'table' | 'now' | 'config'>;
};

/** How a release's execution stands: RUNNING, ended (with its status), or unknown (Step Functions unreachable). */
export type ExecutionState = { state: 'RUNNING' } | { state: 'ENDED'; status: string } | { state: 'UNKNOWN' };

/** Asks Step Functions whether the execution still runs. A missing execution counts as ended. */
export async function executionState(
  executionArn: string,
  deps: Pick<RolloutDeps, 'sfn'>,
): Promise<ExecutionState> {
  try {
    const d = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (!d?.status) return { state: 'UNKNOWN' };
    if (d.status === 'RUNNING' || d.status === 'PENDING_REDRIVE') return { state: 'RUNNING' };
    return { state: 'ENDED', status: d.status };
  } catch (err) {
    if ((err as Error)?.name === 'ExecutionDoesNotExist') return { state: 'ENDED', status: 'DOES_NOT_EXIST' };
    logger.warn('Could not ask Step Functions whether the execution still runs', {
      error: (err as Error)?.name,
    });
    return { state: 'UNKNOWN' };
  }
}

/** What ECS's final state means for the record: the ledger outcome and the release's environment state. */
export interface FinalFacts {
  result: 'deployed' | 'rolled-back' | 'failed';
  by?: 'ecs-circuit-breaker' | 'shipgate';
  /** Revision the service runs now, when it went back. */
  rolledBackTo?: string;
  cause?: string;
  finishedAt: string;
}

/** The final facts of a settled rollout record, or `undefined` while it (or its rollback) is in progress. */
export function finalFacts(record: RolloutRecord): FinalFacts | undefined {
  if (record.rollback?.status === 'IN_PROGRESS') return undefined;
  const finishedAt = record.rollback?.finishedAt ?? record.finishedAt ?? record.startedAt;
  if (record.status === 'ROLLED_BACK') {
    return {
      result: 'rolled-back',
      by: record.rollback?.by === 'shipgate' || !record.rollback ? 'shipgate' : 'ecs-circuit-breaker',
      rolledBackTo: record.rollback?.to ?? record.previousTaskDefinitionArn,
      ...(record.failure?.cause ? { cause: record.failure.cause } : {}),
      finishedAt,
    };
  }
  if (record.status === 'COMPLETED') return { result: 'deployed', finishedAt };
  if (record.status !== 'FAILED') return undefined;
  const rolledBackTo = record.failure?.rolledBackTo;
  if (rolledBackTo) {
    // A rollback people (or Shipgate's default for an orphaned pause) decided at a pause is Shipgate's.
    const byShipgate = record.pause?.decision?.action === 'ROLLBACK';
    return {
      result: 'rolled-back',
      by: byShipgate ? 'shipgate' : 'ecs-circuit-breaker',
      rolledBackTo,
      ...(record.failure?.cause ? { cause: record.failure.cause } : {}),
      finishedAt,
    };
  }
  return { result: 'failed', ...(record.failure?.cause ? { cause: record.failure.cause } : {}), finishedAt };
}

/** Result of {@link recordAfterRelease}. */
export type AfterReleaseResult =
  | { recorded: false; reason: string }
  | { recorded: true; result: FinalFacts['result']; written: string[]; chat: string };

/**
 * Records the final state ECS reported for `record` when its release's execution is no longer running:
 * the ledger entry (and, for a rollback, the rollback entry and the digest's quarantine) noted "finished
 * after the release ended", the release record's environment, and a chat message. While the execution
 * runs, its own steps record the outcome, and nothing is done here.
 * @example await recordAfterRelease(await getRecord(cluster, service, deps), deps)
 */
export async function recordAfterRelease(
  record: RolloutRecord,
  deps: AfterReleaseDeps,
): Promise<AfterReleaseResult> {
  const facts = finalFacts(record);
  if (!facts) return { recorded: false, reason: 'the rollout (or its rollback) is still in progress' };
  const execution = await executionState(record.executionArn, deps);
  if (execution.state !== 'ENDED') {
    return {
      recorded: false,
      reason:
        execution.state === 'RUNNING'
          ? 'the release still runs; its own steps record the outcome'
          : 'Step Functions could not be asked; the reconciler tries again',
    };
  }
  const stored = await getRelease(record.releaseId, deps);
  if (!stored) return { recorded: false, reason: `no release record ${record.releaseId}` };
  const existing = await getLedgerEntry(
    releaseEntryId(record.releaseId, record.environment, record.service),
    deps,
  );
  if (existing && existing.note !== FINISHED_AFTER_RELEASE && existing.outcome !== 'failed') {
    // The release's own "Record release" / "Report failure" wrote it from a settled rollout: it stands.
    return { recorded: false, reason: `the ledger already has ${existing.id} (${existing.outcome})` };
  }
  const release = { ...stored.release, services: [record.service], environments: [record.environment] };
  const doc: ReleaseDocument = {
    release,
    resolved: { images: [{ service: record.service, digest: record.digest }] },
    scan: { passed: true },
    deployments: {
      [record.environment]: [
        { service: record.service, startedAt: record.startedAt, finishedAt: facts.finishedAt },
      ],
    },
    afterReleaseEnded: true,
    ...(facts.result !== 'deployed'
      ? { error: { Error: 'RolloutFailed', ...(facts.cause ? { Cause: facts.cause } : {}) } }
      : {}),
    ...(facts.result === 'rolled-back'
      ? {
          rollback: [
            {
              service: record.service,
              rolledBack: {
                service: record.service,
                by: facts.by,
                from: record.taskDefinitionArn,
                to: facts.rolledBackTo,
                startedAt: record.rollback?.startedAt ?? record.pause?.decision?.at ?? facts.finishedAt,
                finishedAt: facts.finishedAt,
              },
            },
          ],
        }
      : {}),
  };
  const { written } = await recordReleaseInLedger(doc, facts.result === 'deployed' ? 'success' : 'failure', {
    ...deps.ledger,
    ddb: deps.ddb,
    table: deps.table,
    config: deps.config,
    now: deps.now,
  });

  const detail =
    facts.result === 'deployed'
      ? `${record.service} @ ${record.digest} ${FINISHED_AFTER_RELEASE}: ECS completed the rollout, never verified by smoke checks`
      : facts.result === 'rolled-back'
        ? `${record.service} ${FINISHED_AFTER_RELEASE}: rolled back by ${facts.by === 'shipgate' ? 'Shipgate' : 'ECS'} to ${shortTaskDefinition(facts.rolledBackTo)}`
        : `${record.service} ${FINISHED_AFTER_RELEASE}: the rollout failed`;
  const before = stored.environments?.[record.environment];
  const outcome: EnvironmentOutcome & { afterRelease: true } = {
    status:
      facts.result === 'deployed' ? 'DEPLOYED' : facts.result === 'rolled-back' ? 'ROLLED_BACK' : 'FAILED',
    digests: { ...(before?.digests ?? {}), [record.service]: record.digest },
    at: facts.finishedAt,
    detail:
      before?.detail &&
      before.detail.includes(FINISHED_AFTER_RELEASE) &&
      !before.detail.startsWith(`${record.service} `)
        ? `${before.detail}; ${detail}`
        : detail,
    afterRelease: true,
  };
  await updateRelease(record.releaseId, { environments: { [record.environment]: outcome } }, deps);

  const lines = [
    facts.result === 'deployed'
      ? `ECS completed the rollout of ${record.digest} after the release's execution had ended (${execution.status}), so no smoke check ran. It serves traffic now.`
      : facts.result === 'rolled-back'
        ? `${facts.by === 'shipgate' ? 'Shipgate' : 'ECS'} rolled it back to ${shortTaskDefinition(facts.rolledBackTo)} after the release's execution had ended (${execution.status}); ${record.digest} is quarantined.`
        : `The rollout failed after the release's execution had ended (${execution.status}).`,
    ...(facts.cause && facts.result !== 'deployed' ? [facts.cause] : []),
    facts.result === 'deployed'
      ? `Check it, or roll it back: npx shipgate rollback ${record.service} ${record.environment} --reason "…"`
      : 'A new pipeline starts a new release.',
    `Recorded in the ledger as ${FINISHED_AFTER_RELEASE}.`,
  ];
  const chat = await announceOutcome(
    stored.release,
    {
      kind: 'after-release',
      environment: record.environment,
      service: record.service,
      result: facts.result,
      lines,
    },
    {
      once: `after-release#${record.environment}#${record.service}#${record.attempt}`,
      executionArn: record.executionArn,
    },
    deps.announce ?? announceDeps({ config: deps.config, ddb: deps.ddb, table: deps.table, now: deps.now }),
  );
  logger.info('Rollout outcome recorded after its release ended', {
    releaseId: record.releaseId,
    environment: record.environment,
    serviceName: record.service,
    result: facts.result,
    written: written.length,
  });
  return { recorded: true, result: facts.result, written, chat };
}
