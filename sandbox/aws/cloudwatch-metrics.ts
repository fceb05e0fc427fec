/**
 * The datapoints of the emulated CloudWatch: what `PutMetricData`, the EMF lines of the functions' logs and
 * the services' own metrics (AWS/Lambda, AWS/SQS) put there, kept in memory for an hour (alarm periods are
 * minutes; a restarted sandbox starts without datapoints, as a new account would). A metric is identified by
 * namespace, name and the exact set of dimensions, as in CloudWatch ("Metrics concepts": "each unique
 * combination of dimensions is a separate metric").
 */

/** A metric's identity. */
export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/** The statistics the sandbox computes (those the alarms use, and the common rest). */
export type Statistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';

const KEEP_MS = 60 * 60 * 1000;

const keyOf = (m: MetricId) =>
  JSON.stringify([
    m.namespace,
    m.metricName,
    Object.entries(m.dimensions).sort(([a], [b]) => a.localeCompare(b)),
  ]);

/** Datapoints by metric. */
export class MetricStore {
  private readonly series = new Map<string, { t: number; v: number }[]>();

  /** Adds one datapoint (timestamp in epoch ms). */
  put(metric: MetricId, value: number, timestampMs: number): void {
    if (!Number.isFinite(value)) return;
    const key = keyOf(metric);
    const points = this.series.get(key) ?? [];
    points.push({ t: timestampMs, v: value });
    const oldest = Date.now() - KEEP_MS;
    this.series.set(
      key,
      points.filter((p) => p.t >= oldest),
    );
  }

  /**
   * One statistic of the datapoints with `from <= timestamp < to`; `undefined` when there are none (a
   * missing datapoint, as CloudWatch treats a period without data).
   */
  statistic(metric: MetricId, stat: Statistic, from: number, to: number): number | undefined {
    const values = (this.series.get(keyOf(metric)) ?? [])
      .filter((p) => p.t >= from && p.t < to)
      .map((p) => p.v);
    if (values.length === 0) return undefined;
    switch (stat) {
      case 'Sum':
        return values.reduce((s, v) => s + v, 0);
      case 'Maximum':
        return Math.max(...values);
      case 'Minimum':
        return Math.min(...values);
      case 'Average':
        return values.reduce((s, v) => s + v, 0) / values.length;
      case 'SampleCount':
        return values.length;
    }
  }
}

/**
 * Datapoints of one CloudWatch Embedded Metric Format log line ("Specification: Embedded metric format",
 * CloudWatch user guide): `_aws.Timestamp` (epoch ms), `_aws.CloudWatchMetrics[]` each with `Namespace`,
 * `Dimensions` (arrays of dimension keys) and `Metrics` (`Name`); the values are members of the line named
 * by the metric and dimension keys. A line that is not EMF, or is invalid, gives nothing — CloudWatch Logs
 * keeps such a line as a log event and extracts no metric.
 * @example emfDatapoints('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[…]},"service":"shipgate","ReleasesStarted":1}')
 */
export function emfDatapoints(line: string): { metric: MetricId; value: number; timestampMs: number }[] {
  if (!line.startsWith('{"_aws"')) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as
    | {
        Timestamp?: unknown;
        CloudWatchMetrics?: { Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown }[];
      }
    | undefined;
  if (!aws || typeof aws.Timestamp !== 'number' || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const out: { metric: MetricId; value: number; timestampMs: number }[] = [];
  for (const directive of aws.CloudWatchMetrics) {
    if (typeof directive.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : [[]];
    for (const metric of directive.Metrics as { Name?: unknown }[]) {
      if (typeof metric?.Name !== 'string') continue;
      const raw = doc[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      for (const set of dimensionSets) {
        if (!Array.isArray(set) || !set.every((k) => typeof k === 'string' && typeof doc[k] === 'string'))
          continue;
        const dimensions = Object.fromEntries((set as string[]).map((k) => [k, doc[k] as string]));
        for (const value of values) {
          out.push({
            metric: { namespace: directive.Namespace, metricName: metric.Name, dimensions },
            value,
            timestampMs: aws.Timestamp,
          });
        }
      }
    }
  }
  return out;
}
