import { approvalDeps } from '../domain/approvals/deps';
import { announceDeps } from '../domain/outcomes/announce';
import { reconcile, type ReconcileResult } from '../domain/reconcile/reconcile';
import { rolloutDeps } from '../domain/rollout/deps';

/**
 * The reconciler, run on a schedule (EventBridge Scheduler on AWS; a timer in the sandbox): repairs what a
 * lost event left behind and returns what it repaired (docs/architecture.md, "Reconciler").
 */
export const handler = async (): Promise<ReconcileResult> => {
  const approvals = approvalDeps();
  return reconcile({
    ...rolloutDeps({ config: approvals.config }),
    status: {},
    approvals,
    announce: announceDeps({ config: approvals.config }),
  });
};
