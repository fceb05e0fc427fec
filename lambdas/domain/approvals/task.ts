import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../shared/logger';
import type { ApprovalDeps } from './deps';
import { markTaskResult } from './store';
import type { ApprovalRecord } from './types';
import { isTaskGone } from '../../shared/task-token';

/**
 * Sending the task result of "Approve <env>" to Step Functions. Called only by whoever won the OPEN → closed
 * transition, so each approval sends exactly one result. The token is read from the record and goes nowhere
 * but the SFN API call.
 */

/** Task output of "Approve <env>" (`$.approvals.<env>`). */
export interface ApprovalTaskOutput {
  approvalId: string;
  approvedBy: string[];
  /** How each of `approvedBy` was proven, in the same order: signed in with GitLab, or a Slack button. */
  approvedVia?: ('gitlab' | 'slack')[];
  /** The display names of `approvedBy` (from the approval's policy), in the same order. */
  approvedNames?: string[];
  decidedAt: string;
  /** When the request was opened (ISO 8601): with `decidedAt`, how long people took (issue 31 metrics). */
  requestedAt?: string;
  /** Present (true) when an approver marked the release as a hotfix: the ledger counts it as unplanned. */
  hotfix?: boolean;
}

/** Task failure errors of "Approve <env>". */
export type ApprovalTaskError = 'ApprovalRejected' | 'ApprovalSuperseded' | 'ApprovalExpired';

/** `sent`: Step Functions took it; `gone`: the task no longer waits (timed out, execution stopped); `failed`: other error. */
export type TaskDelivery = 'sent' | 'gone' | 'failed';

async function deliver(
  deps: ApprovalDeps,
  record: ApprovalRecord,
  what: string,
  send: () => Promise<unknown>,
): Promise<TaskDelivery> {
  const at = deps.now().toISOString();
  try {
    await send();
    await markTaskResult(deps, record.id, { at, sent: true, note: what });
    return 'sent';
  } catch (err) {
    const name = (err as Error)?.name ?? 'Error';
    const delivery: TaskDelivery = isTaskGone(err) ? 'gone' : 'failed';
    // The SDK error message never contains the token; log only its name to be sure.
    const log = delivery === 'gone' ? logger.warn.bind(logger) : logger.error.bind(logger);
    log(`Step Functions did not take the ${what} of approval ${record.id}: ${name}`, {
      approvalId: record.id,
      executionArn: record.executionArn,
      error: name,
    });
    await markTaskResult(deps, record.id, { at, sent: false, note: `${what}: ${name}` });
    return delivery;
  }
}

/** Sends `SendTaskSuccess` with `{ approvalId, approvedBy, decidedAt }`. */
export function sendApproved(
  deps: ApprovalDeps,
  record: ApprovalRecord,
  output: ApprovalTaskOutput,
): Promise<TaskDelivery> {
  return deliver(deps, record, 'approval', () =>
    deps.sfn.send(
      new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(output) }),
    ),
  );
}

/** Sends `SendTaskFailure` with a Shipgate error name and a cause people can read in the console. */
export function sendFailed(
  deps: ApprovalDeps,
  record: ApprovalRecord,
  error: ApprovalTaskError,
  cause: string,
): Promise<TaskDelivery> {
  return deliver(deps, record, error, () =>
    deps.sfn.send(
      new SendTaskFailureCommand({ taskToken: record.taskToken, error, cause: cause.slice(0, 32000) }),
    ),
  );
}
