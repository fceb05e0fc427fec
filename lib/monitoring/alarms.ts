import {
  FAILURE_REASONS,
  METRIC_NAMESPACE,
  METRICS,
  SERVICE_DIMENSION,
} from '../../lambdas/shared/monitoring/names';

/**
 * Shipgate's alarms on itself (issue 31), defined once: the CDK stack turns each into a CloudWatch alarm
 * (lib/constructs/shipgate-alarms.ts) and the sandbox puts the same ones into its CloudWatch emulator and
 * evaluates them against its own signals (sandbox/alarms/). A definition names what it watches abstractly —
 * `{ function: 'scan' }`, `{ queue: 'failed-events' }` — and each side resolves that to its resource.
 */

/** Shipgate's state machines, as an alarm names them. */
export type StateMachineKey = 'release' | 'rollback';

/** A dimension value: a literal, or the name of one of Shipgate's functions, queues or state machines. */
export type DimensionValue =
  | string
  | { readonly function: string }
  | { readonly queue: string }
  | { readonly stateMachine: StateMachineKey };

/** One metric an alarm reads. */
export interface AlarmMetric {
  /** Id inside the alarm (metric math refers to it); lower camel case. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, DimensionValue>>;
  readonly statistic: 'Sum' | 'Maximum';
}

/** What an alarm watches. */
export type AlarmKind =
  | 'queue-not-empty'
  | 'function-errors'
  | 'function-throttles'
  | 'shipgate-failures'
  | 'release-stuck'
  | 'reconciler-repairs'
  | 'rollback-failures';

/** One alarm. */
export interface AlarmDefinition {
  /** Stable PascalCase id: the construct id, and the alarm name after the stack's name. */
  readonly id: string;
  readonly kind: AlarmKind;
  /** What it is about, in a few words ("scan function", "failed-events queue"). */
  readonly subject: string;
  /** What the alarm means and what to do: the alarm's description, which chat shows. */
  readonly description: string;
  /** The metrics it reads; without {@link expression}, the alarm watches the only one. */
  readonly metrics: readonly AlarmMetric[];
  /**
   * Metric math over the metrics' ids (CloudWatch syntax; the sandbox evaluates `a`, `FILL(a, 0)`, `+`, `-`).
   * @default none
   */
  readonly expression?: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: 'GreaterThanOrEqualToThreshold';
}

/** The queues every Shipgate deployment has, by key, and what lands in each. */
export const MONITORED_QUEUES = {
  'failed-events':
    'the on-failure destination of rollout-events, execution-events and the reconciler: an event their handler failed on three times',
  'rollout-events-dead-letters':
    'the dead-letter queue of the ECS and CodeDeploy deployment event rules: events EventBridge could not deliver to rollout-events',
  'execution-events-dead-letters':
    'the dead-letter queue of the stopped/timed-out execution rule: events EventBridge could not deliver to execution-events',
} as const;

/** Key of a monitored queue. */
export type QueueKey = keyof typeof MONITORED_QUEUES;

/** What Shipgate runs, as the alarms need to know it. */
export interface MonitoredInventory {
  /**
   * Every function, by key: `http`, each step name, `verify-hook-<environment>`. Value: whether it throws
   * errors for a release's reasons on purpose (then its error alarm subtracts `ReleaseErrors`).
   */
  readonly functions: Readonly<Record<string, { readonly releaseErrors: boolean }>>;
}

/** The steps that throw errors for a release's reasons (and count them with `countReleaseErrors`). */
export const RELEASE_ERROR_FUNCTIONS: readonly string[] = [
  'resolve-release',
  'scan',
  'check-freeze',
  'start-rollout',
  'await-rollout',
  'check-rollout',
  'request-pause',
  'verify',
  'rollback',
  'check-rollback',
];

const FIVE_MINUTES = 300;
const shipgateMetric = (id: string, metricName: string, extra: Record<string, string> = {}) =>
  ({
    id,
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensions: { ...SERVICE_DIMENSION, ...extra },
    statistic: 'Sum',
  }) satisfies AlarmMetric;

/** `verify-hook-staging` → `VerifyHookStaging`, `failed-events` → `FailedEvents`. */
export function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

/**
 * Every alarm for an inventory: each queue not empty; errors (less the release's own) and throttles of each
 * function; executions ending for Shipgate's reasons; manual rollback workflows failing or timing out; a
 * release running past its configured bound; the reconciler repairing something.
 * @example shipgateAlarms({ functions: { scan: { releaseErrors: true } } }).map((a) => a.id)
 */
export function shipgateAlarms(inventory: MonitoredInventory): AlarmDefinition[] {
  const alarms: AlarmDefinition[] = [];
  for (const [queue, what] of Object.entries(MONITORED_QUEUES)) {
    alarms.push({
      id: `${pascalCase(queue)}NotEmpty`,
      kind: 'queue-not-empty',
      subject: `${queue} queue`,
      description: `The ${queue} queue is not empty. It is ${what}. Look at the message, fix the cause, then replay it with \`npx shipgate redrive\` (or delete it).`,
      metrics: [
        {
          id: 'visible',
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: { queue } },
          statistic: 'Maximum',
        },
      ],
      periodSeconds: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
    });
  }
  for (const [fn, { releaseErrors }] of Object.entries(inventory.functions)) {
    const lambda = (id: string, metricName: string): AlarmMetric => ({
      id,
      namespace: 'AWS/Lambda',
      metricName,
      dimensions: { FunctionName: { function: fn } },
      statistic: 'Sum',
    });
    alarms.push({
      id: `${pascalCase(fn)}Errors`,
      kind: 'function-errors',
      subject: `${fn} function`,
      description: `The ${fn} function failed${releaseErrors ? ' for a reason of Shipgate’s own (its errors less the ones it raises on purpose for a release: scan stop, failed smoke check, held lock…)' : ''}. Read its log group for the error; a step that failed ends its release with that error.`,
      metrics: releaseErrors
        ? [
            lambda('errors', 'Errors'),
            shipgateMetric('releaseErrors', METRICS.releaseErrors, { Function: fn }),
          ]
        : [lambda('errors', 'Errors')],
      ...(releaseErrors ? { expression: 'errors - FILL(releaseErrors, 0)' } : {}),
      periodSeconds: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
    });
    alarms.push({
      id: `${pascalCase(fn)}Throttles`,
      kind: 'function-throttles',
      subject: `${fn} function`,
      description: `Lambda throttled the ${fn} function: the account's or the function's concurrency is exhausted. Events are retried, but steps may fail; raise the concurrency quota or find what floods it.`,
      metrics: [lambda('throttles', 'Throttles')],
      periodSeconds: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
    });
  }
  alarms.push({
    id: 'ReleasesFailedForShipgate',
    kind: 'shipgate-failures',
    subject: 'release workflow',
    description:
      'A release ended for a reason of Shipgate’s own (States.Runtime, Lambda.Unknown, a task timeout, an unexpected error), not for the release’s (scan stop, rejection, failed rollout). Open the execution in the Step Functions console; the release record names the error.',
    metrics: [shipgateMetric('failed', METRICS.releasesFailed, { Reason: FAILURE_REASONS.shipgate })],
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
  });
  // The manual rollback workflow has no release record to classify its ends by: Step Functions' own counts.
  const rollbackMachine = (id: string, metricName: string): AlarmMetric => ({
    id,
    namespace: 'AWS/States',
    metricName,
    dimensions: { StateMachineArn: { stateMachine: 'rollback' } },
    statistic: 'Sum',
  });
  alarms.push({
    id: 'RollbacksFailed',
    kind: 'rollback-failures',
    subject: 'rollback workflow',
    description:
      'A manual rollback’s workflow failed or timed out: ECS could not roll the service back (its entry, `GET /api/rollbacks/<id>`, and chat say why), or Shipgate failed on its own (States.Runtime, Lambda.Unknown, a timeout). Either way the service may not run what was asked: check it with `aws ecs describe-services` and roll back again.',
    metrics: [
      rollbackMachine('failed', 'ExecutionsFailed'),
      rollbackMachine('timedOut', 'ExecutionsTimedOut'),
    ],
    expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
  });
  alarms.push({
    id: 'ReleaseStuck',
    kind: 'release-stuck',
    subject: 'release workflow',
    description:
      'A release has run longer than its configured waits allow (approval timeouts, rollout timeouts and grace, pauses, scan wait, smoke checks; freeze waits not counted). Something that should have ended a wait did not: find it in `npx shipgate releases` and the execution history.',
    metrics: [{ ...shipgateMetric('stuck', METRICS.releasesStuck), statistic: 'Maximum' }],
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
  });
  alarms.push({
    id: 'ReconcilerRepaired',
    kind: 'reconciler-repairs',
    subject: 'reconciler',
    description:
      'The reconciler repaired something a lost event left behind (a release, rollout, ledger entry or lock). Shipgate is consistent again, but an event went missing: its chat message and log say what.',
    metrics: [shipgateMetric('repairs', METRICS.reconcilerRepairs)],
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 1,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
  });
  return alarms;
}
