import { logger } from '../../shared/logger';
import { updateRelease, type EnvironmentOutcome, type ReleasePatch } from '../releases/store';
import { approverName, outcomeSentence } from '../chat/messages';
import type { ApprovalDeps } from './deps';
import type { ApprovalView } from './types';

/** "approved by Alice; " for the votes an approval had, or "" (kept when the approval ends without a decision). */
function votesSoFar(view: ApprovalView): string {
  const approved = Object.entries(view.votes)
    .filter(([, v]) => v.decision === 'approve')
    .map(([k]) => approverName(view, k));
  return approved.length ? `approved by ${approved.join(', ')} before it ended; ` : '';
}

/**
 * Mirrors approval progress onto the release record (`GET /api/releases/:id`, the sandbox console):
 * AWAITING_APPROVAL when a request opens, then APPROVED / REJECTED / FAILED (timed out) / SKIPPED
 * (superseded, and the release itself SUPERSEDED). Best effort: the approval is the source of truth, so a
 * missing or busy release record is logged and never fails a vote.
 */
export async function recordApprovalProgress(deps: ApprovalDeps, view: ApprovalView): Promise<void> {
  const at = deps.now().toISOString();
  const digests = Object.fromEntries(view.subject.images.map((i) => [i.service, i.digest]));
  const env = (outcome: Omit<EnvironmentOutcome, 'at' | 'digests'>): Record<string, EnvironmentOutcome> => ({
    [view.environment]: { ...outcome, digests, at },
  });
  let patch: ReleasePatch;
  switch (view.status) {
    case 'OPEN': {
      const approved = Object.entries(view.votes)
        .filter(([, v]) => v.decision === 'approve')
        .map(([k]) => approverName(view, k));
      patch = {
        currentStep: `Approve ${view.environment}`,
        environments: env({
          status: 'AWAITING_APPROVAL',
          detail: `waiting for ${view.policy.quorum - approved.length} more of ${view.policy.approvers
            .map((a) => a.name)
            .join(', ')}${approved.length ? ` (approved by ${approved.join(', ')})` : ''}`,
        }),
        ifStatus: ['RUNNING'],
      };
      break;
    }
    case 'APPROVED':
      patch = {
        environments: env({ status: 'APPROVED', detail: outcomeSentence(view) }),
        ifStatus: ['RUNNING'],
      };
      break;
    case 'REJECTED':
      patch = { environments: env({ status: 'REJECTED', detail: outcomeSentence(view) }) };
      break;
    case 'EXPIRED':
      patch = { environments: env({ status: 'FAILED', detail: outcomeSentence(view) }) };
      break;
    case 'ENDED':
      // The execution ended without this gate: the release's own end (aborted, failed) is recorded by
      // whoever saw it end; the gate only stops saying it waits.
      patch = {
        environments: env({
          status: 'ABORTED',
          detail: `${votesSoFar(view)}${outcomeSentence(view)}`,
        }),
      };
      break;
    case 'SUPERSEDED':
      patch = {
        status: 'SUPERSEDED',
        environments: env({ status: 'SKIPPED', detail: outcomeSentence(view) }),
        ifStatus: ['RUNNING', 'SUPERSEDED'],
      };
      break;
  }
  try {
    await updateRelease(view.subject.releaseId, patch, { ddb: deps.ddb, table: deps.table, now: deps.now });
  } catch (err) {
    logger.warn(`Release ${view.subject.releaseId} not updated with approval ${view.id} (${view.status})`, {
      approvalId: view.id,
      releaseId: view.subject.releaseId,
      error: (err as Error)?.name,
    });
  }
}
