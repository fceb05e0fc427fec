/**
 * Names of Shipgate's own CloudWatch metrics (issue 31): one namespace, a few metrics, dimensions kept
 * low-cardinality (no release ids, no commit SHAs): a CloudWatch alarm watches one exact dimension set, and
 * every distinct set is a metric billed on its own. Powertools Metrics adds `service` (= `shipgate`,
 * POWERTOOLS_SERVICE_NAME) to every metric it writes, so the alarms name it too.
 */

/** Namespace of every Shipgate metric. */
export const METRIC_NAMESPACE = 'Shipgate';

/** The `service` dimension Powertools adds to every metric (POWERTOOLS_SERVICE_NAME of every function). */
export const SERVICE_DIMENSION = { service: 'shipgate' } as const;

/** Metric names (EMF, written by the functions through Powertools Metrics). */
export const METRICS = {
  /** An execution of the release workflow began (resolve-release, its first state). Count. */
  releasesStarted: 'ReleasesStarted',
  /** A release finished in every environment (record-release). Count. */
  releasesSucceeded: 'ReleasesSucceeded',
  /** A release ended without finishing; dimension `Reason` (see {@link FAILURE_REASONS}). Count. */
  releasesFailed: 'ReleasesFailed',
  /** Seconds a finished release waited for people: approvals and rollout pauses. */
  waitingForPeople: 'WaitingForPeopleSeconds',
  /** Seconds a finished release waited for ECS / CodeDeploy: its rollouts, start to settled. */
  waitingForEcs: 'WaitingForEcsSeconds',
  /**
   * A function failed for a release's reason (scan stop, failed smoke check, lock held…): these are
   * function errors on purpose, so the function's error alarm subtracts them. Dimension `Function`. Count.
   */
  releaseErrors: 'ReleaseErrors',
  /** Things the reconciler repaired in one run (a lost event left them behind). Count. */
  reconcilerRepairs: 'ReconcilerRepairs',
  /** Running releases older than their configured waits allow, seen by one reconciler run. Count (gauge). */
  releasesStuck: 'ReleasesStuck',
} as const;

/** Values of the `Reason` dimension of {@link METRICS.releasesFailed}. */
export const FAILURE_REASONS = {
  /** The release failed for its own reasons: scan stop, rejection, failed rollout or smoke check… */
  release: 'Release',
  /** Shipgate failed: States.Runtime, Lambda.Unknown, a task timeout, an unexpected error. */
  shipgate: 'Shipgate',
  /** Someone stopped the execution (StopExecution). */
  stopped: 'Stopped',
} as const;

/** A value of the `Reason` dimension. */
export type FailureReason = (typeof FAILURE_REASONS)[keyof typeof FAILURE_REASONS];
