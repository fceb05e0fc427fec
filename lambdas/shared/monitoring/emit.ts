import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { failureReason } from './reasons';
import { METRIC_NAMESPACE, METRICS, SERVICE_DIMENSION } from './names';

/**
 * Writing Shipgate's metrics: Powertools Metrics, which prints CloudWatch Embedded Metric Format (EMF) lines
 * that CloudWatch Logs turns into metrics (no PutMetricData call, no extra permission). Imported only by the
 * functions that emit (resolve-release, record-release, report-failure, execution-events, reconcile and the
 * steps that fail for a release's reasons), so the others' bundles stay without it.
 */
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_DIMENSION.service });

/** One metric, written now as its own EMF line (its own dimensions, optionally its own timestamp). */
export function putMetric(
  name: string,
  value: number,
  options: {
    dimensions?: Record<string, string>;
    unit?: (typeof MetricUnit)[keyof typeof MetricUnit];
    timestamp?: number;
  } = {},
): void {
  const single = metrics.singleMetric();
  for (const [k, v] of Object.entries(options.dimensions ?? {})) single.addDimension(k, v);
  if (options.timestamp !== undefined) single.setTimestamp(options.timestamp);
  single.addMetric(name, options.unit ?? MetricUnit.Count, value);
}

/** Seconds a release waited for people and for ECS, when known. */
export interface ReleaseWaits {
  people: number;
  ecs: number;
}

/** Writes how long a release waited for people and for ECS. */
export function putReleaseWaits(waits: ReleaseWaits): void {
  putMetric(METRICS.waitingForPeople, waits.people, { unit: MetricUnit.Seconds });
  putMetric(METRICS.waitingForEcs, waits.ecs, { unit: MetricUnit.Seconds });
}

/**
 * Wraps a step handler: an error it throws for a release's reason (scan stop, failed smoke check, lock
 * held…) is counted as `ReleaseErrors{Function}` at the invocation's start, the timestamp Lambda gives its
 * own `Errors` datapoint, so the function's error alarm can subtract the two minute by minute.
 * @example export const handler = countReleaseErrors('scan', async (event) => …)
 */
export function countReleaseErrors<A extends unknown[], R>(
  fn: string,
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const started = Date.now();
    try {
      return await handler(...args);
    } catch (err) {
      if (failureReason((err as Error | undefined)?.name) === 'Release') {
        putMetric(METRICS.releaseErrors, 1, { dimensions: { Function: fn }, timestamp: started });
      }
      throw err;
    }
  };
}
