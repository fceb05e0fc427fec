import { approvalDeps } from '../domain/approvals/deps';
import { announceDeps } from '../domain/outcomes/announce';
import { handleExecutionStopped, type StoppedHandling } from '../domain/outcomes/stopped';
import { rolloutDeps } from '../domain/rollout/deps';
import { putMetric } from '../shared/monitoring/emit';
import { METRICS } from '../shared/monitoring/names';
import { executionEndReason } from '../shared/monitoring/reasons';

/**
 * EventBridge target for "Step Functions Execution Status Change" (ABORTED, TIMED_OUT) of the release
 * state machine: records the release as aborted, ends its open approvals, takes over the rollouts it left
 * running or paused (reconcile/orphans.ts) and tells chat.
 */
export const handler = async (event: unknown): Promise<StoppedHandling> => {
  const approvals = approvalDeps();
  const handled = await handleExecutionStopped(event, {
    status: {},
    approvals,
    announce: announceDeps({ config: approvals.config }),
    rollouts: rolloutDeps({ config: approvals.config }),
  });
  // Metrics: a stopped execution is a person's doing; one that timed out as a whole is Shipgate's. Once per
  // execution: a redelivered event finds its "ended" chat message already claimed ('duplicate').
  const status = (event as { detail?: { status?: unknown } } | undefined)?.detail?.status;
  if (handled.handled && handled.chat !== 'duplicate' && typeof status === 'string') {
    putMetric(METRICS.releasesFailed, 1, { dimensions: { Reason: executionEndReason(status) } });
  }
  return handled;
};
