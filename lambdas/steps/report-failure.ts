import { expireApprovalsOfRelease } from '../domain/approvals/close';
import { approvalDeps, type ApprovalDeps } from '../domain/approvals/deps';
import { releaseRolloutLocks } from '../domain/rollout/lock';
import { announceDeps, type AnnounceDeps } from '../domain/outcomes/announce';
import { announceFailure, type FailureDocument } from '../domain/outcomes/from-steps';
import type { EnvironmentOutcome, ReleasePatch, ReleaseStatus, StoreDeps } from '../domain/releases/store';
import { feedbackForFailurePayload, SUPERSEDED_ERRORS } from '../domain/gitlab/stages';
import { ddb as defaultDdb } from '../shared/clients/dynamodb';
import { tableName } from '../shared/env';
import { logger } from '../shared/logger';
import {
  applyOutcomeRecord,
  countReleaseEnd,
  deployedOutcome,
  digestsOf,
  parseReleaseDocument,
  recordLedger,
  type ReleaseDocument,
} from './record-release';
import type { LedgerRecordDeps } from '../domain/ledger/record';
import { METRICS } from '../shared/monitoring/names';
import { failureReason } from '../shared/monitoring/reasons';

/**
 * The readable part of a Step Functions cause: Lambda errors arrive as a JSON string
 * `{"errorType","errorMessage","trace"}`; only the message is kept (never the stack trace).
 */
export function readableCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: a plain cause string
  }
  return cause;
}

const ENV_FAILURE_DETAIL: Record<string, string> = {
  'States.Timeout': 'timed out',
  ApprovalExpired: 'approval expired (nobody decided in time)',
  ApprovalRejected: 'approval rejected',
  ApprovalSuperseded: 'superseded by a newer release',
  ReleaseSuperseded: 'a newer release already runs here',
};

/**
 * The store patch of a failed release. Environments the release finished are DEPLOYED; the environment it
 * was in when it failed is ROLLED_BACK (a rollback ran), REJECTED (approval rejected) or FAILED; the ones
 * after it, or all of them when the release failed before its first approval, are SKIPPED.
 */
export function failurePatch(doc: ReleaseDocument, now: Date): ReleasePatch {
  const at = now.toISOString();
  const errorName = doc.error?.Error ?? 'Unknown';
  const cause = readableCause(doc.error?.Cause);
  const environments: Record<string, EnvironmentOutcome> = {};
  // Scan passing is what lets a release into its first environment.
  let reached = doc.scan !== undefined && doc.scan.passed !== false;
  for (const env of doc.release.environments) {
    if (doc.verify?.[env]) {
      environments[env] = deployedOutcome(doc, env, at);
    } else if (reached) {
      reached = false;
      if (doc.rollback) {
        const services = Array.isArray(doc.rollback)
          ? doc.rollback.flatMap((r) => (r.rolledBack ? [r.rolledBack] : []))
          : (doc.rollback.rolledBack ?? []);
        const rolledBack = services.map((r) => `${r.service}${r.to ? ` to ${r.to}` : ''}`).join(', ');
        environments[env] = {
          status: 'ROLLED_BACK',
          digests: digestsOf(doc),
          at,
          detail: `${errorName}${rolledBack ? `; rolled back ${rolledBack}` : ''}`,
        };
      } else {
        environments[env] = {
          status: errorName === 'ApprovalRejected' ? 'REJECTED' : 'FAILED',
          at,
          detail: ENV_FAILURE_DETAIL[errorName] ?? errorName,
        };
      }
    } else {
      environments[env] = { status: 'SKIPPED', at };
    }
  }
  const status: ReleaseStatus = SUPERSEDED_ERRORS.has(errorName) ? 'SUPERSEDED' : 'FAILED';
  return {
    status,
    currentStep: null,
    error: { error: errorName, ...(cause ? { cause } : {}) },
    environments,
    ifStatus: ['RUNNING'],
  };
}

/** Errors of a release whose approval nobody decided in time (`States.Timeout`: definitions before the
 * "Approval of <env> expired" state). */
const APPROVAL_TIMEOUTS = new Set(['ApprovalExpired', 'States.Timeout']);

/**
 * The environment whose approval timed out, when the release failed with `ApprovalExpired` (or
 * `States.Timeout`) while waiting in "Approve <env>" (the first environment it reached without an approval
 * result), else `undefined`.
 */
export function timedOutApproval(doc: ReleaseDocument): string | undefined {
  if (!APPROVAL_TIMEOUTS.has(doc.error?.Error ?? '') || doc.scan === undefined) return undefined;
  const env = doc.release.environments.find((e) => !doc.verify?.[e]);
  return env && !doc.approvals?.[env] ? env : undefined;
}

/** Result of "Report failure". */
export interface ReportResult {
  reportedAt: string;
  recorded: boolean;
  /** Rollout locks this release still held and "Report failure" released (normally none). */
  locksReleased: { environment: string; service: string }[];
}

/**
 * Releases every rollout lock the failed release still holds (`LOCK#<env>#<service>` owned by its id), so
 * the next release need not wait for the lease. Best effort: never throws; a failure is logged and the
 * lease frees the lock later.
 */
export async function releaseLocksOfFailedRelease(
  doc: ReleaseDocument,
  deps: StoreDeps,
): Promise<{ environment: string; service: string }[]> {
  try {
    const { released } = await releaseRolloutLocks(
      { release: doc.release },
      {
        ddb: (deps.ddb ?? defaultDdb) as typeof defaultDdb,
        table: deps.table ?? tableName(),
      },
    );
    if (released.length > 0) {
      logger.info('Rollout locks released', { releaseId: doc.release.id, released });
    }
    return released;
  } catch (err) {
    logger.warn('Could not release the rollout locks; their lease frees them', {
      releaseId: doc.release.id,
      error: err as Error,
    });
    return [];
  }
}

/**
 * "Report failure" state: payload `$` with `$.error` (`{ Error, Cause }` from the Catch). Records the
 * release as FAILED (or SUPERSEDED) with the error and a readable cause, and closes an approval request
 * that timed out (EXPIRED, with its chat follow-up), and releases rollout locks the release still holds.
 * It re-raises nothing: the next state ("Release failed") fails the execution with the original error and
 * cause.
 */
export async function reportFailure(
  event: unknown,
  deps: StoreDeps & {
    approvals?: () => ApprovalDeps;
    announce?: () => AnnounceDeps;
    ledger?: Omit<LedgerRecordDeps, 'ddb' | 'table' | 'now'>;
  } = {},
): Promise<ReportResult> {
  const doc = parseReleaseDocument(event, 'Report failure');
  const now = deps.now?.() ?? new Date();
  const patch = failurePatch(doc, now);
  const record = await applyOutcomeRecord(doc.release.id, patch, deps);
  const recorded = record !== undefined;
  // Metrics: failed, for the release's reason or Shipgate's (the alarm pages only on Shipgate's).
  countReleaseEnd(doc, record, {
    metric: METRICS.releasesFailed,
    dimensions: { Reason: failureReason(doc.error?.Error) },
  });
  // Ledger: the environments it finished, the one it stopped in; rollback entries and quarantines.
  await recordLedger(doc, 'failure', deps);
  const environment = timedOutApproval(doc);
  if (environment) {
    // Step Functions ended the wait; close the request too so its links stop working and chat says so.
    try {
      const closed = await expireApprovalsOfRelease(
        { projectId: doc.release.project.id, releaseId: doc.release.id, environment },
        (deps.approvals ?? approvalDeps)(),
      );
      logger.info('Timed-out approvals closed', { releaseId: doc.release.id, closed: closed.length });
    } catch (err) {
      logger.warn('Could not close the timed-out approval', {
        releaseId: doc.release.id,
        error: err as Error,
      });
    }
  }
  const locksReleased = await releaseLocksOfFailedRelease(doc, deps);
  // Chat: how it failed (cause, what was rolled back), stopped at scan or superseded; never throws.
  try {
    const announce =
      deps.announce?.() ??
      announceDeps({
        ...(deps.ddb ? { ddb: deps.ddb as AnnounceDeps['ddb'] } : {}),
        ...(deps.table ? { table: deps.table } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      });
    await announceFailure(doc as FailureDocument, announce);
  } catch (err) {
    logger.warn('Could not announce the failure in chat', {
      releaseId: doc.release.id,
      error: (err as Error)?.message,
    });
  }
  logger.info('Release failure reported', { releaseId: doc.release.id, error: patch.error, recorded });
  return { reportedAt: now.toISOString(), recorded, locksReleased };
}

/** Lambda entry of "Report failure" (see {@link reportFailure}). */
export const handler = async (event: unknown): Promise<ReportResult> => {
  await feedbackForFailurePayload(event); // GitLab: the failed stage failed/canceled; best effort, never throws
  return reportFailure(event);
};
