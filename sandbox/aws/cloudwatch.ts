import type { JsonStore } from '../store';
import { evaluate, validateAlarm, type MetricDataQuery } from './cloudwatch-alarms';
import { emfDatapoints, MetricStore, type MetricId } from './cloudwatch-metrics';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  paginate,
} from './protocol';

/**
 * Emulated Amazon CloudWatch: `DescribeAlarms` (AWS JSON 1.0, target `GraniteServiceVersion20100801`, as
 * @aws-sdk/client-cloudwatch sends it), `PutMetricAlarm`, `SetAlarmState` and `PutMetricData`; datapoints
 * also come from EMF log lines ({@link CloudWatchEmulator.ingestLogLine}) and from the services' own
 * metrics ({@link CloudWatchEmulator.record}: AWS/Lambda, AWS/SQS), and {@link CloudWatchEmulator.evaluateAlarms}
 * evaluates the alarms (cloudwatch-alarms.ts) and runs their actions through `onAction` on a state change,
 * with the notification CloudWatch publishes to SNS. API reference, DescribeAlarms: `AlarmNames` (at most
 * 100) or `AlarmNamePrefix` (not both), `StateValue` filter, `AlarmTypes` (MetricAlarm by default),
 * `MaxRecords` 1–100; the answer lists `MetricAlarms` and `CompositeAlarms`.
 */

/** A stored metric alarm (the members DescribeAlarms returns that the sandbox keeps). */
export interface StoredAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  StateReason: string;
  StateUpdatedTimestamp: number;
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  Period?: number;
  EvaluationPeriods?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  ActionsEnabled: boolean;
  Dimensions?: { Name: string; Value: string }[];
  Metrics?: MetricDataQuery[];
  DatapointsToAlarm?: number;
  TreatMissingData?: string;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  AlarmConfigurationUpdatedTimestamp?: number;
}

/** The JSON CloudWatch publishes to an alarm action's SNS topic when the alarm changes state. */
export interface AlarmNotification {
  AlarmName: string;
  AlarmDescription: string | null;
  AWSAccountId: string;
  AlarmConfigurationUpdatedTimestamp: string;
  NewStateValue: StoredAlarm['StateValue'];
  NewStateReason: string;
  StateChangeTime: string;
  Region: string;
  AlarmArn: string;
  OldStateValue: StoredAlarm['StateValue'];
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  Trigger: Record<string, unknown>;
}

/** Persistent CloudWatch state. */
export interface CloudWatchState {
  alarms: Record<string, StoredAlarm>;
}

const STATES = new Set(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

/** Emulated CloudWatch (alarms only). */
export class CloudWatchEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'GraniteServiceVersion20100801';
  readonly contentType = 'application/x-amz-json-1.0';
  readonly operations;
  /** Datapoints (in memory). */
  readonly metrics = new MetricStore();
  /** Runs an alarm action (the sandbox delivers SNS topics it knows); unset, actions go nowhere. */
  onAction?: (actionArn: string, notification: AlarmNotification) => void;

  constructor(
    private readonly store: JsonStore<CloudWatchState>,
    /** The account whose alarms these are. */
    readonly account = SANDBOX_ACCOUNT,
  ) {
    this.store.data.alarms ??= {};
    this.operations = {
      DescribeAlarms: (i: Record<string, unknown>) => this.describeAlarms(i),
      PutMetricAlarm: (i: Record<string, unknown>) => this.putMetricAlarm(i),
      SetAlarmState: (i: Record<string, unknown>) => this.setAlarmState(i),
      PutMetricData: (i: Record<string, unknown>) => this.putMetricData(i),
    };
  }

  /** A datapoint a service publishes itself (AWS/Lambda, AWS/SQS…), which PutMetricData may not write. */
  record(metric: MetricId, value: number, timestampMs = Date.now()): void {
    this.metrics.put(metric, value, timestampMs);
  }

  /** A log line of a function: an EMF line becomes datapoints, as CloudWatch Logs extracts them. */
  ingestLogLine(line: string): void {
    for (const d of emfDatapoints(line)) this.metrics.put(d.metric, d.value, d.timestampMs);
  }

  /**
   * PutMetricData: `Namespace` (not `AWS/…`, which AWS reserves for its services), `MetricData[]` with
   * `MetricName`, `Dimensions` (at most 30), `Value` or `Values`, `Timestamp` (epoch seconds; now by default).
   */
  putMetricData(input: Record<string, unknown>) {
    const ns = input.Namespace;
    if (typeof ns !== 'string' || ns === '' || ns.startsWith('AWS/')) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `The value ${String(ns)} for parameter Namespace is invalid.`,
      );
    }
    const data = input.MetricData;
    if (!Array.isArray(data) || data.length === 0 || data.length > 1000) {
      throw new AwsServiceError('InvalidParameterValue', 'MetricData must list 1 to 1000 datums.');
    }
    const datums = (data as Record<string, unknown>[]).map((d, i) => {
      const dims = (Array.isArray(d.Dimensions) ? d.Dimensions : []) as { Name?: unknown; Value?: unknown }[];
      const values = Array.isArray(d.Values) ? d.Values : [d.Value];
      if (
        typeof d.MetricName !== 'string' ||
        !d.MetricName ||
        dims.length > 30 ||
        values.some((v) => typeof v !== 'number')
      ) {
        throw new AwsServiceError(
          'InvalidParameterValue',
          `MetricData.member.${i + 1}: MetricName and a numeric Value are required, at most 30 Dimensions.`,
        );
      }
      const ts = typeof d.Timestamp === 'number' ? d.Timestamp * 1000 : Date.now();
      const metric = {
        namespace: ns,
        metricName: d.MetricName,
        dimensions: Object.fromEntries(dims.map((x) => [String(x.Name), String(x.Value)])),
      };
      return { metric, values: values as number[], ts };
    });
    for (const d of datums) for (const v of d.values) this.metrics.put(d.metric, v, d.ts);
    return {};
  }

  /** Evaluates every alarm now; a state change runs its actions. */
  evaluateAlarms(now = Date.now()): void {
    for (const alarm of Object.values(this.store.data.alarms)) {
      if (!alarm.Metrics && !alarm.MetricName) continue;
      const result = evaluate(alarm, this.metrics, now);
      if (result && result.state !== alarm.StateValue) this.changeState(alarm, result.state, result.reason);
    }
  }

  /** Sets the state and runs the actions of the new state (CloudWatch does so for SetAlarmState too). */
  private changeState(alarm: StoredAlarm, state: StoredAlarm['StateValue'], reason: string): void {
    const old = alarm.StateValue;
    alarm.StateValue = state;
    alarm.StateReason = reason;
    alarm.StateUpdatedTimestamp = epochSeconds();
    this.store.changed();
    if (!alarm.ActionsEnabled || old === state) return;
    const arns =
      state === 'ALARM'
        ? alarm.AlarmActions
        : state === 'OK'
          ? alarm.OKActions
          : alarm.InsufficientDataActions;
    for (const arn of arns ?? []) this.onAction?.(arn, notification(alarm, old));
  }

  /** DescribeAlarms. */
  describeAlarms(input: Record<string, unknown>) {
    const names = input.AlarmNames;
    if (names !== undefined && (!Array.isArray(names) || names.length > 100)) {
      throw new AwsServiceError('InvalidParameterValue', 'AlarmNames must list at most 100 alarm names.');
    }
    if (names !== undefined && input.AlarmNamePrefix !== undefined) {
      throw new AwsServiceError(
        'InvalidParameterCombination',
        'AlarmNames and AlarmNamePrefix cannot be used together.',
      );
    }
    if (input.StateValue !== undefined && !STATES.has(String(input.StateValue))) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `StateValue must be OK, ALARM or INSUFFICIENT_DATA; received ${String(input.StateValue)}.`,
      );
    }
    const max = input.MaxRecords;
    if (max !== undefined && (typeof max !== 'number' || max < 1 || max > 100)) {
      throw new AwsServiceError('InvalidParameterValue', 'MaxRecords must be from 1 to 100.');
    }
    const types = Array.isArray(input.AlarmTypes) ? (input.AlarmTypes as string[]) : ['MetricAlarm'];
    const wanted = Array.isArray(names) ? new Set(names as string[]) : undefined;
    const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : undefined;
    const all = types.includes('MetricAlarm')
      ? Object.values(this.store.data.alarms)
          .filter((a) => !wanted || wanted.has(a.AlarmName))
          .filter((a) => !prefix || a.AlarmName.startsWith(prefix))
          .filter((a) => input.StateValue === undefined || a.StateValue === input.StateValue)
          .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName))
      : [];
    const { page, nextToken } = paginate(all, max, input.NextToken, 50);
    return { MetricAlarms: page, CompositeAlarms: [], ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  /** PutMetricAlarm: creates or replaces an alarm (state INSUFFICIENT_DATA until set, as in CloudWatch). */
  putMetricAlarm(input: Record<string, unknown>) {
    const name = input.AlarmName;
    if (typeof name !== 'string' || name === '' || name.length > 255) {
      throw new AwsServiceError('ValidationError', 'AlarmName must be 1 to 255 characters.');
    }
    const existing = this.store.data.alarms[name];
    const alarm: StoredAlarm = {
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:${SANDBOX_REGION}:${this.account}:alarm:${name}`,
      ...(typeof input.AlarmDescription === 'string' ? { AlarmDescription: input.AlarmDescription } : {}),
      StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
      StateReason: existing?.StateReason ?? 'Unchecked: Initial alarm creation',
      StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? epochSeconds(),
      ...(typeof input.MetricName === 'string' ? { MetricName: input.MetricName } : {}),
      ...(typeof input.Namespace === 'string' ? { Namespace: input.Namespace } : {}),
      ...(typeof input.Statistic === 'string' ? { Statistic: input.Statistic } : {}),
      ...(typeof input.Period === 'number' ? { Period: input.Period } : {}),
      ...(typeof input.EvaluationPeriods === 'number' ? { EvaluationPeriods: input.EvaluationPeriods } : {}),
      ...(typeof input.Threshold === 'number' ? { Threshold: input.Threshold } : {}),
      ...(typeof input.ComparisonOperator === 'string'
        ? { ComparisonOperator: input.ComparisonOperator }
        : {}),
      ActionsEnabled: input.ActionsEnabled !== false,
      ...pick(input, ['Dimensions', 'Metrics', 'AlarmActions', 'OKActions', 'InsufficientDataActions']),
      ...(typeof input.DatapointsToAlarm === 'number' ? { DatapointsToAlarm: input.DatapointsToAlarm } : {}),
      ...(typeof input.TreatMissingData === 'string' ? { TreatMissingData: input.TreatMissingData } : {}),
      AlarmConfigurationUpdatedTimestamp: epochSeconds(),
    };
    validateAlarm(alarm);
    this.store.data.alarms[name] = alarm;
    this.store.changed();
    return {};
  }

  /** SetAlarmState (temporarily sets the state, as CloudWatch does for testing). */
  setAlarmState(input: Record<string, unknown>) {
    const alarm = typeof input.AlarmName === 'string' ? this.store.data.alarms[input.AlarmName] : undefined;
    if (!alarm)
      throw new AwsServiceError('ResourceNotFound', `Alarm ${String(input.AlarmName)} does not exist.`);
    if (!STATES.has(String(input.StateValue))) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        'StateValue must be OK, ALARM or INSUFFICIENT_DATA.',
      );
    }
    this.changeState(
      alarm,
      input.StateValue as StoredAlarm['StateValue'],
      typeof input.StateReason === 'string' ? input.StateReason : 'Set with SetAlarmState',
    );
    return {};
  }
}

/** The array members of `input` named in `keys`, when they are arrays. */
function pick(input: Record<string, unknown>, keys: string[]): Record<string, unknown[]> {
  return Object.fromEntries(
    keys.filter((k) => Array.isArray(input[k])).map((k) => [k, input[k] as unknown[]]),
  );
}

/** The notification of a state change, as CloudWatch publishes it to SNS. */
function notification(alarm: StoredAlarm, old: StoredAlarm['StateValue']): AlarmNotification {
  const iso = (s: number) => new Date(s * 1000).toISOString().replace('Z', '+0000');
  return {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: SANDBOX_ACCOUNT,
    AlarmConfigurationUpdatedTimestamp: iso(
      alarm.AlarmConfigurationUpdatedTimestamp ?? alarm.StateUpdatedTimestamp,
    ),
    NewStateValue: alarm.StateValue,
    NewStateReason: alarm.StateReason,
    StateChangeTime: iso(alarm.StateUpdatedTimestamp),
    Region: SANDBOX_REGION,
    AlarmArn: alarm.AlarmArn,
    OldStateValue: old,
    OKActions: alarm.OKActions ?? [],
    AlarmActions: alarm.AlarmActions ?? [],
    InsufficientDataActions: alarm.InsufficientDataActions ?? [],
    Trigger: alarm.Metrics
      ? { Metrics: alarm.Metrics, ComparisonOperator: alarm.ComparisonOperator, Threshold: alarm.Threshold }
      : {
          MetricName: alarm.MetricName,
          Namespace: alarm.Namespace,
          Statistic: alarm.Statistic,
          Dimensions: (alarm.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
          Period: alarm.Period,
          EvaluationPeriods: alarm.EvaluationPeriods,
          ComparisonOperator: alarm.ComparisonOperator,
          Threshold: alarm.Threshold,
          TreatMissingData: alarm.TreatMissingData,
        },
  };
}
