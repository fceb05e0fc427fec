import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../shared/logger';
import type { ApprovalDeps } from './deps';
import type { ApprovalView } from './types';

/**
 * Whether the execution behind an approval still waits for it. An approval can stay OPEN in the table after
 * its execution ended without asking it (stopped by an operator, a sandbox restart, a timeout of the whole
 * execution): then its links must say so, and a vote must neither be taken nor be reported as a timeout.
 */

const ENDED_WORDS: Record<string, string> = {
  ABORTED: 'was aborted',
  FAILED: 'failed',
  TIMED_OUT: 'timed out',
  SUCCEEDED: 'finished',
};

/**
 * The true reason the release no longer waits for `view`, or `undefined` while its execution is RUNNING (or
 * Step Functions cannot be asked right now: then the vote path decides as before).
 * @example await noLongerWaiting(deps, view) // 'The release's execution was aborted at 2026-…: The sandbox stopped. …'
 */
export async function noLongerWaiting(
  deps: Pick<ApprovalDeps, 'sfn'>,
  view: Pick<ApprovalView, 'executionArn' | 'environment' | 'id'>,
): Promise<string | undefined> {
  try {
    const d = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: view.executionArn }));
    const status = d?.status;
    if (!status || status === 'RUNNING' || status === 'PENDING_REDRIVE') return undefined;
    const at = d.stopDate ? ` at ${new Date(d.stopDate).toISOString()}` : '';
    const why = [d.error, d.cause].filter(Boolean).join(': ');
    return `This release is no longer waiting for approval: its execution ${ENDED_WORDS[status] ?? status.toLowerCase()}${at}${
      why ? ` (${why.slice(0, 300)})` : ''
    }. Nothing was recorded; a new pipeline starts a new release.`;
  } catch (err) {
    if ((err as Error)?.name === 'ExecutionDoesNotExist') {
      return 'This release is no longer waiting for approval: its execution no longer exists. Nothing was recorded.';
    }
    logger.warn('Could not ask Step Functions whether the approval is still awaited', {
      approvalId: view.id,
      error: (err as Error)?.name,
    });
    return undefined;
  }
}
