import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchEmulator,
  type AlarmNotification,
  type CloudWatchState,
} from '../../../sandbox/aws/cloudwatch';
import { emfDatapoints } from '../../../sandbox/aws/cloudwatch-metrics';
import { parseExpression } from '../../../sandbox/aws/cloudwatch-alarms';
import {
  putMetricAlarmInput,
  sandboxAlarms,
  SANDBOX_STATE_MACHINE_ARNS,
  startAlarmMonitor,
} from '../../../sandbox/alarms/monitor';
import type { SfnEmulator } from '../../../sandbox/aws/sfn';
import { JsonStore } from '../../../sandbox/store';

const dir = mkdtempSync(join(tmpdir(), 'shipgate-cw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const emulator = () =>
  new CloudWatchEmulator(new JsonStore<CloudWatchState>(join(dir, `cw-${n++}.json`), () => ({ alarms: {} })));

describe('the sandbox CloudWatch', () => {
  it('reads EMF lines as CloudWatch Logs does (namespace, dimension sets, values, timestamp)', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1765000000000,
        CloudWatchMetrics: [
          {
            Namespace: 'Shipgate',
            Dimensions: [['service', 'Reason']],
            Metrics: [{ Name: 'ReleasesFailed', Unit: 'Count' }],
          },
        ],
      },
      service: 'shipgate',
      Reason: 'Shipgate',
      ReleasesFailed: 1,
    });
    expect(emfDatapoints(line)).toEqual([
      {
        metric: {
          namespace: 'Shipgate',
          metricName: 'ReleasesFailed',
          dimensions: { service: 'shipgate', Reason: 'Shipgate' },
        },
        value: 1,
        timestampMs: 1765000000000,
      },
    ]);
    expect(emfDatapoints('{"level":"INFO","message":"not EMF"}')).toEqual([]);
    expect(emfDatapoints('{"_aws": broken')).toEqual([]);
  });

  it('refuses PutMetricData into a namespace AWS reserves, as AWS does', () => {
    expect(() =>
      emulator().putMetricData({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'Errors', Value: 1 }] }),
    ).toThrow(/Namespace is invalid/);
  });

  it('refuses metric math it cannot evaluate, and parses what it can', () => {
    expect(parseExpression('errors - FILL(releaseErrors, 0)')).toEqual([
      { sign: 1, id: 'errors' },
      { sign: -1, id: 'releaseErrors', fill: 0 },
    ]);
    expect(() => parseExpression('METRICS() * 2')).toThrow(/evaluates metric math/);
  });

  it('evaluates a definition (errors less release errors) and runs the actions of a state change once', () => {
    // GIVEN the scan function's error alarm, as the sandbox puts it
    const cw = emulator();
    const def = sandboxAlarms(['shipgate-scan']).find((a) => a.id === 'ScanErrors')!;
    cw.putMetricAlarm(putMetricAlarmInput(def));
    const sent: AlarmNotification[] = [];
    cw.onAction = (_arn, notification) => sent.push(notification);
    const now = Date.now();
    const errors = {
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'shipgate-scan' },
    };
    const releaseErrors = {
      namespace: 'Shipgate',
      metricName: 'ReleaseErrors',
      dimensions: { service: 'shipgate', Function: 'scan' },
    };
    // WHEN the scan stops a release (an error on purpose, counted as a release error too)
    cw.record(errors, 1, now - 1000);
    cw.record(releaseErrors, 1, now - 1000);
    cw.evaluateAlarms(now);
    // THEN the alarm is OK: nothing of Shipgate's own failed (first evaluation: INSUFFICIENT_DATA → OK)
    const state = () => (cw.describeAlarms({}).MetricAlarms as { StateValue: string }[])[0].StateValue;
    expect(state()).toBe('OK');
    expect(sent.map((s) => `${s.OldStateValue}→${s.NewStateValue}`)).toEqual(['INSUFFICIENT_DATA→OK']);
    // WHEN it fails for a reason of its own
    cw.record(errors, 1, now);
    cw.evaluateAlarms(now + 1);
    cw.evaluateAlarms(now + 2);
    // THEN ALARM, notified once, with the description and the new state
    expect(state()).toBe('ALARM');
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({
      AlarmName: 'Shipgate-ScanErrors',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      AlarmDescription: expect.stringContaining('scan function failed'),
    });
    // …and OK again once the period has passed without errors
    cw.evaluateAlarms(now + def.periodSeconds * 1000 + 10);
    expect(state()).toBe('OK');
    expect(sent.map((s) => s.NewStateValue)).toEqual(['OK', 'ALARM', 'OK']);
  });

  it('counts the executions Step Functions ends (AWS/States) and alarms on a failed manual rollback', () => {
    // GIVEN the monitor on the sandbox's CloudWatch, with the Step Functions emulator's end-of-execution hook
    const cw = emulator();
    const sfn: Pick<SfnEmulator, 'onFinished'> = {};
    const monitor = startAlarmMonitor({
      cloudwatch: cw,
      sqs: { createQueue: () => undefined, depths: () => [] } as never,
      sfn,
      lambdas: { functionNames: () => [] } as never,
      invokeAsync: async () => undefined,
      intervalMs: 3_600_000,
    });
    try {
      const rollbacksFailed = () =>
        (cw.describeAlarms({}).MetricAlarms as { AlarmName: string; StateValue: string }[]).find(
          (a) => a.AlarmName === 'Shipgate-RollbacksFailed',
        )!.StateValue;
      const end = (machine: string, status: string) =>
        sfn.onFinished!({ stateMachineArn: machine, status } as never);
      // WHEN releases fail and a rollback succeeds
      end(SANDBOX_STATE_MACHINE_ARNS.release, 'FAILED');
      end(SANDBOX_STATE_MACHINE_ARNS.rollback, 'SUCCEEDED');
      monitor.evaluate();
      // THEN the rollback alarm is OK
      expect(rollbacksFailed()).toBe('OK');
      // WHEN a manual rollback's execution fails
      end(SANDBOX_STATE_MACHINE_ARNS.rollback, 'FAILED');
      cw.evaluateAlarms(Date.now() + 1); // a period that ends after the datapoint
      // THEN it alarms
      expect(rollbacksFailed()).toBe('ALARM');
    } finally {
      monitor.stop();
    }
    expect(sfn.onFinished).toBeUndefined();
  });
});
