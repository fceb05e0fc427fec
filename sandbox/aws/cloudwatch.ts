import { JsonStore } from '../store';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  paginate,
} from './protocol';

/**
 * Emulated Amazon CloudWatch alarms, just what Shipgate reads: `DescribeAlarms` (AWS JSON 1.0, target
 * `GraniteServiceVersion20100801`, as @aws-sdk/client-cloudwatch sends it), plus `PutMetricAlarm` so seeding
 * and tests can create alarms and `SetAlarmState` so a test can put one in ALARM. API reference,
 * DescribeAlarms: `AlarmNames` (at most 100) or `AlarmNamePrefix` (not both), `StateValue` filter, `AlarmTypes`
 * (MetricAlarm by default), `MaxRecords` 1–100; the answer lists `MetricAlarms` and `CompositeAlarms`.
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
    };
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
    this.store.data.alarms[name] = {
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
    };
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
    alarm.StateValue = input.StateValue as StoredAlarm['StateValue'];
    alarm.StateReason = typeof input.StateReason === 'string' ? input.StateReason : 'Set with SetAlarmState';
    alarm.StateUpdatedTimestamp = epochSeconds();
    this.store.changed();
    return {};
  }
}
