import { logger } from '../../shared/logger';
import { notifyEnded, notifyOutcome } from '../approvals/notify';
import { recordApprovalProgress } from '../approvals/progress';
import { readApprovalRecord, toView } from '../approvals/store';
import type { ApprovalDeps } from '../approvals/deps';
import { notifyPauseOutcome, recordPauseProgress } from '../pauses/notify';
import { readPauseRecord, toPauseView } from '../pauses/store';
import type { FollowUp } from './types';

/**
 * Runs one follow-up here: reads the approval or pause as it stands and tells chat, the release record and
 * GitLab. Each part is best effort already (a chat or GitLab failure is logged, never thrown); a record that
 * no longer exists is logged and skipped.
 * @example await runFollowUp(approvalDeps(), { kind: 'pause', id, tell: 'outcome' });
 */
export async function runFollowUp(deps: ApprovalDeps, task: FollowUp): Promise<void> {
  if (task.kind === 'approval') {
    const record = await readApprovalRecord(deps, task.id);
    if (!record) {
      logger.warn(`Follow-up of approval ${task.id} skipped: no such approval`, { approvalId: task.id });
      return;
    }
    const view = toView(record);
    if (task.tell === 'outcome') await notifyOutcome(deps, view);
    if (task.tell === 'ended') await notifyEnded(deps, view);
    await recordApprovalProgress(deps, view);
    return;
  }
  const record = await readPauseRecord(deps, task.id);
  if (!record) {
    logger.warn(`Follow-up of pause ${task.id} skipped: no such pause`, { pauseId: task.id });
    return;
  }
  const view = toPauseView(record);
  if (task.tell === 'outcome') await notifyPauseOutcome(deps, view);
  await recordPauseProgress(deps, view);
}
