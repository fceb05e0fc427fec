import type { MetricId, MetricStore, Statistic } from './cloudwatch-metrics';
import { AwsServiceError } from './protocol';

/**
 * How the emulated CloudWatch evaluates a metric alarm ("Evaluating an alarm", CloudWatch user guide): it
 * looks at the last `EvaluationPeriods` periods of `Period` seconds, counts the breaching datapoints, and
 * goes to ALARM when at least `DatapointsToAlarm` of them breach; periods without data are treated as
 * `TreatMissingData` says (`missing` by default: no data at all is INSUFFICIENT_DATA). An alarm reads one
 * metric (`MetricName`, `Namespace`, `Dimensions`, `Statistic`) or metric math (`Metrics`: MetricDataQuery
 * entries, one with `ReturnData` true). The sandbox's math knows ids, numbers, `FILL(id, n)`, `+` and `-`;
 * PutMetricAlarm refuses any other expression, so nothing passes here that the sandbox cannot evaluate.
 */

/** A MetricDataQuery of PutMetricAlarm's `Metrics`. */
export interface MetricDataQuery {
  Id: string;
  Expression?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
  ReturnData?: boolean;
  Label?: string;
}

/** What evaluation needs of a stored alarm. */
export interface EvaluatedAlarm {
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: string }[];
  Statistic?: string;
  Period?: number;
  Metrics?: MetricDataQuery[];
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
}

const STATISTICS = new Set(['Sum', 'Maximum', 'Minimum', 'Average', 'SampleCount']);
const COMPARISONS: Record<string, (v: number, t: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

type Term = { sign: 1 | -1; id?: string; fill?: number; number?: number };

/** Parses the supported metric math (`a - FILL(b, 0) + 2`). @throws AwsServiceError ValidationError otherwise. */
export function parseExpression(expression: string): Term[] {
  const terms: Term[] = [];
  const re =
    /\s*([+-])?\s*(?:FILL\(\s*([a-z][A-Za-z0-9_]*)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)|([a-z][A-Za-z0-9_]*)|(\d+(?:\.\d+)?))\s*/y;
  let at = 0;
  while (at < expression.length) {
    re.lastIndex = at;
    const m = re.exec(expression);
    if (!m || (terms.length > 0 && !m[1])) {
      throw new AwsServiceError(
        'ValidationError',
        `The sandbox's CloudWatch evaluates metric math of ids, numbers, FILL(id, n), + and -; received "${expression}".`,
      );
    }
    const sign = m[1] === '-' ? -1 : 1;
    terms.push(
      m[2]
        ? { sign, id: m[2], fill: Number(m[3]) }
        : m[4]
          ? { sign, id: m[4] }
          : { sign, number: Number(m[5]) },
    );
    at = re.lastIndex;
  }
  if (terms.length === 0) throw new AwsServiceError('ValidationError', 'Expression must not be empty.');
  return terms;
}

/** Checks what PutMetricAlarm stores can be evaluated (statistic, comparison, math). */
export function validateAlarm(alarm: EvaluatedAlarm): void {
  if (alarm.ComparisonOperator && !COMPARISONS[alarm.ComparisonOperator]) {
    throw new AwsServiceError(
      'ValidationError',
      `ComparisonOperator ${alarm.ComparisonOperator} is not supported.`,
    );
  }
  if (alarm.Metrics) {
    const returned = alarm.Metrics.filter(
      (q) => q.ReturnData !== false && (q.Expression || alarm.Metrics!.length === 1),
    );
    if (returned.length !== 1) {
      throw new AwsServiceError(
        'ValidationError',
        'Exactly one element of Metrics must have ReturnData set to true.',
      );
    }
    for (const q of alarm.Metrics) {
      if (q.Expression) parseExpression(q.Expression);
      else if (!q.MetricStat || !STATISTICS.has(q.MetricStat.Stat)) {
        throw new AwsServiceError(
          'ValidationError',
          `Metrics ${q.Id}: a MetricStat with Stat Sum, Maximum, Minimum, Average or SampleCount is required.`,
        );
      }
    }
  } else if (alarm.Statistic && !STATISTICS.has(alarm.Statistic)) {
    throw new AwsServiceError('ValidationError', `Statistic ${alarm.Statistic} is not supported.`);
  }
}

const metricOf = (m: {
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: string }[];
}): MetricId => ({
  namespace: m.Namespace,
  metricName: m.MetricName,
  dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value])),
});

/** The alarm's value for one period ending at `to`, or `undefined` (missing). */
function periodValue(alarm: EvaluatedAlarm, metrics: MetricStore, to: number): number | undefined {
  if (!alarm.Metrics) {
    const period = (alarm.Period ?? 60) * 1000;
    return metrics.statistic(metricOf(alarm as never), alarm.Statistic as Statistic, to - period, to);
  }
  const byId = new Map(alarm.Metrics.map((q) => [q.Id, q]));
  const value = (id: string): number | undefined => {
    const q = byId.get(id);
    if (!q?.MetricStat) return undefined;
    const period = q.MetricStat.Period * 1000;
    return metrics.statistic(metricOf(q.MetricStat.Metric), q.MetricStat.Stat as Statistic, to - period, to);
  };
  const main = alarm.Metrics.find(
    (q) => q.ReturnData !== false && (q.Expression || alarm.Metrics!.length === 1),
  )!;
  if (!main.Expression) return value(main.Id);
  let total = 0;
  for (const term of parseExpression(main.Expression)) {
    const v = term.number ?? value(term.id!) ?? term.fill;
    if (v === undefined) return undefined;
    total += term.sign * v;
  }
  return total;
}

/** The outcome of one evaluation. */
export interface Evaluation {
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  /** The newest period's value, when it had one. */
  value?: number;
}

/** Evaluates an alarm at `now` (epoch ms). `undefined`: keep the current state (TreatMissingData ignore). */
export function evaluate(alarm: EvaluatedAlarm, metrics: MetricStore, now: number): Evaluation | undefined {
  const periodMs =
    (alarm.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? alarm.Period ?? 60) * 1000;
  const n = Math.max(1, alarm.EvaluationPeriods ?? 1);
  const needed = Math.max(1, alarm.DatapointsToAlarm ?? n);
  const compare = COMPARISONS[alarm.ComparisonOperator ?? 'GreaterThanOrEqualToThreshold'];
  const threshold = alarm.Threshold ?? 0;
  const values = Array.from({ length: n }, (_, i) => periodValue(alarm, metrics, now - i * periodMs));
  const treat = alarm.TreatMissingData ?? 'missing';
  let breaching = 0;
  let present = 0;
  for (const v of values) {
    if (v === undefined) {
      if (treat === 'breaching') breaching++;
      continue;
    }
    present++;
    if (compare(v, threshold)) breaching++;
  }
  const newest = values[0];
  if (present === 0 && (treat === 'missing' || treat === 'ignore')) {
    return treat === 'ignore'
      ? undefined
      : { state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: no datapoints were received.' };
  }
  const shown = newest === undefined ? 'no datapoint' : `${breaching} datapoint(s) [${newest}]`;
  return breaching >= needed
    ? {
        state: 'ALARM',
        reason: `Threshold Crossed: ${shown} crossed the threshold (${threshold}).`,
        ...(newest !== undefined ? { value: newest } : {}),
      }
    : {
        state: 'OK',
        reason: `Threshold Crossed: ${shown}, not enough to cross the threshold (${threshold}).`,
        ...(newest !== undefined ? { value: newest } : {}),
      };
}
