import { approvalDeps } from '../domain/approvals/deps';
import { announceDeps } from '../domain/outcomes/announce';
import { reconcile, type ReconcileResult } from '../domain/reconcile/reconcile';
import { findStuckReleases, type StuckRelease } from '../domain/reconcile/stuck';
import { rolloutDeps } from '../domain/rollout/deps';
import { stateMachineArn } from '../shared/env';
import { logger } from '../shared/logger';
import { putMetric } from '../shared/monitoring/emit';
import { METRICS } from '../shared/monitoring/names';

/**
 * The reconciler, run on a schedule (EventBridge Scheduler on AWS; a timer in the sandbox): repairs what a
 * lost event left behind and returns what it repaired (docs/architecture.md, "Reconciler"). It also counts
 * for Shipgate's alarms (issue 31): `ReconcilerRepairs` (anything repaired means an event went missing) and
 * `ReleasesStuck` (releases running past their configured bound, lambdas/domain/reconcile/stuck.ts).
 */
export const handler = async (): Promise<ReconcileResult & { stuck: StuckRelease[] }> => {
  const approvals = approvalDeps();
  const rollouts = rolloutDeps({ config: approvals.config });
  const result = await reconcile({
    ...rollouts,
    status: {},
    approvals,
    announce: announceDeps({ config: approvals.config }),
  });
  let stuck: StuckRelease[] | undefined;
  try {
    stuck = await findStuckReleases({ ...rollouts, stateMachineArn: stateMachineArn() });
  } catch (err) {
    result.errors.push(
      `stuck releases: ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? ''}`.slice(0, 300),
    );
  }
  for (const s of stuck ?? []) logger.warn('Release stuck past its configured waits', { ...s });
  putMetric(METRICS.reconcilerRepairs, result.repaired.length);
  // Not counted when the lookup failed: a 0 would say "none stuck", which nobody knows then.
  if (stuck) putMetric(METRICS.releasesStuck, stuck.length);
  return { ...result, stuck: stuck ?? [] };
};
