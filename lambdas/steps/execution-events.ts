import { approvalDeps } from '../domain/approvals/deps';
import { announceDeps } from '../domain/outcomes/announce';
import { handleExecutionStopped, type StoppedHandling } from '../domain/outcomes/stopped';
import { rolloutDeps } from '../domain/rollout/deps';

/**
 * EventBridge target for "Step Functions Execution Status Change" (ABORTED, TIMED_OUT) of the release
 * state machine: records the release as aborted, ends its open approvals, takes over the rollouts it left
 * running or paused (reconcile/orphans.ts) and tells chat.
 */
export const handler = async (event: unknown): Promise<StoppedHandling> => {
  const approvals = approvalDeps();
  return handleExecutionStopped(event, {
    status: {},
    approvals,
    announce: announceDeps({ config: approvals.config }),
    rollouts: rolloutDeps({ config: approvals.config }),
  });
};
