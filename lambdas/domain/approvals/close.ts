import { logger } from '../../shared/logger';
import type { ApprovalDeps } from './deps';
import { followUp } from '../followups/dispatch';
import { closeApprovalRecord, listPendingApprovalIds, readApprovalRecord, toView } from './store';
import { sendFailed } from './task';
import type { ApprovalOutcome, ApprovalRecord, ApprovalView } from './types';

/**
 * Ending approvals without a vote: superseded by a newer release, or timed out. Each ends with a conditional
 * OPEN → final transition; only the winner tells Step Functions and chat, so nothing is sent twice.
 */

async function closeAndFail(
  deps: ApprovalDeps,
  id: string,
  outcome: ApprovalOutcome,
  error: 'ApprovalSuperseded' | 'ApprovalExpired',
): Promise<ApprovalView | undefined> {
  const closed = await closeApprovalRecord(deps, id, outcome);
  if (!closed) return undefined;
  logger.info(`Approval ${id} closed as ${outcome.status}`, {
    approvalId: id,
    status: outcome.status,
    reason: outcome.reason,
  });
  await sendFailed(deps, closed, error, outcome.reason ?? outcome.status);
  const view = toView(closed);
  await followUp(deps, { kind: 'approval', id: view.id, tell: 'outcome' });
  return view;
}

/**
 * Ends an open approval as superseded: `SendTaskFailure` `ApprovalSuperseded` with `reason` as the cause,
 * and a follow-up message. Returns the closed approval, or `undefined` if it was no longer open.
 */
export function supersedeApproval(
  deps: ApprovalDeps,
  id: string,
  supersededBy: string,
  reason: string,
): Promise<ApprovalView | undefined> {
  return closeAndFail(
    deps,
    id,
    { status: 'SUPERSEDED', at: deps.now().toISOString(), by: [], reason, supersededBy },
    'ApprovalSuperseded',
  );
}

/**
 * Ends an open approval as timed out (fail closed): marks it EXPIRED with a follow-up message and, in case
 * the task still waits, sends `SendTaskFailure` `ApprovalExpired`. Returns the closed approval, or
 * `undefined` if it was no longer open.
 */
export function expireApproval(
  deps: ApprovalDeps,
  record: ApprovalRecord,
): Promise<ApprovalView | undefined> {
  const deadline = new Date(record.expiresAt * 1000).toISOString();
  const approvals = Object.values(record.votes ?? {}).filter((v) => v.decision === 'approve').length;
  return closeAndFail(
    deps,
    record.id,
    {
      status: 'EXPIRED',
      at: deps.now().toISOString(),
      by: [],
      reason: `Approval for ${record.environment} timed out at ${deadline} with ${approvals} of ${record.policy.quorum} approvals`,
    },
    'ApprovalExpired',
  );
}

/**
 * Closes a release's open approvals as timed out. For "Report failure" after `States.Timeout` on
 * "Approve <env>" (its payload has `$.release`): Step Functions already decided, so no deadline check here.
 * Idempotent; returns the approvals it closed.
 * @example await expireApprovalsOfRelease({ projectId: release.project.id, releaseId: release.id })
 */
export async function expireApprovalsOfRelease(
  target: { projectId: number; releaseId: string; environment?: string },
  deps: ApprovalDeps,
): Promise<ApprovalView[]> {
  const closed: ApprovalView[] = [];
  for (const id of await listPendingApprovalIds(deps, target.projectId)) {
    const record = await readApprovalRecord(deps, id);
    if (
      record?.status === 'OPEN' &&
      record.subject.releaseId === target.releaseId &&
      (!target.environment || record.environment === target.environment)
    ) {
      const view = await expireApproval(deps, record);
      if (view) closed.push(view);
    }
  }
  return closed;
}
