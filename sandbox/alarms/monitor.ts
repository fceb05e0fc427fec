import {
  RELEASE_ERROR_FUNCTIONS,
  MONITORED_QUEUES,
  shipgateAlarms,
  type AlarmDefinition,
  type StateMachineKey,
} from '../../lib/monitoring/alarms';
import type { CloudWatchEmulator, AlarmNotification } from '../aws/cloudwatch';
import { SANDBOX_ACCOUNT, SANDBOX_REGION } from '../aws/protocol';
import type { SfnEmulator } from '../aws/sfn';
import type { SqsEmulator } from '../aws/sqs';
import { FUNCTION_ARNS } from '../handlers/functions';
import type { LocalLambdas } from '../workflow/lambda';
import { tapEmfLines } from './emf-tap';

/**
 * The sandbox watches Shipgate as AWS does (issue 31): the alarm definitions the stack deploys
 * (lib/monitoring/alarms.ts), put into the emulated CloudWatch with `PutMetricAlarm` and evaluated there
 * against the sandbox's own signals, each the way AWS produces it:
 *
 * - AWS/Lambda `Invocations` and `Errors` of every local function, from the local Lambda runner (timestamped
 *   at the invocation's start, as Lambda does); `Throttles` never: the sandbox has no concurrency limit;
 * - AWS/SQS `ApproximateNumberOfMessagesVisible` / `…NotVisible` of each queue, sampled before each evaluation;
 * - AWS/States `ExecutionsSucceeded` / `…Failed` / `…TimedOut` / `…Aborted` of each state machine, from the
 *   Step Functions emulator when an execution ends (dimension `StateMachineArn`);
 * - Shipgate's own metrics from the EMF lines the bundles print (Powertools Metrics), parsed as CloudWatch
 *   Logs would.
 *
 * An alarm action on the alarm topic reaches the same `alarm-chat` bundle as in AWS, invoked asynchronously
 * with the SNS event a subscription delivers, so the "Shipgate itself" message lands in the sandbox's chat.
 */

/** Names of the sandbox's alarms: `Shipgate-<id>`, as a stack named Shipgate names them. */
export const SANDBOX_ALARM_PREFIX = 'Shipgate';

/** The sandbox's alarm topic (the stack's `AlarmTopicArn`). */
export const ALARM_TOPIC_ARN = `arn:aws:sns:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:shipgate-alarms`;

const FUNCTION_PREFIX = 'shipgate-';

/** The alarm definitions for the sandbox's functions (keys as the stack's: `http`, step names, `verify-hook-<env>`). */
export function sandboxAlarms(functionNames: readonly string[]): AlarmDefinition[] {
  const keys = functionNames
    .filter((n) => n.startsWith(FUNCTION_PREFIX))
    .map((n) => n.slice(FUNCTION_PREFIX.length));
  return shipgateAlarms({
    functions: Object.fromEntries(
      keys.sort().map((k) => [k, { releaseErrors: RELEASE_ERROR_FUNCTIONS.includes(k) }]),
    ),
  });
}

/** The sandbox's state machines (sandbox/workflow/release.ts names them `shipgate-release` and `shipgate-rollback`). */
export const SANDBOX_STATE_MACHINE_ARNS: Readonly<Record<StateMachineKey, string>> = {
  release: `arn:aws:states:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:stateMachine:shipgate-release`,
  rollback: `arn:aws:states:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:stateMachine:shipgate-rollback`,
};

/** The PutMetricAlarm input of a definition, its functions, queues and state machines named as the sandbox names them. */
export function putMetricAlarmInput(
  def: AlarmDefinition,
  stateMachineArns: Readonly<Record<StateMachineKey, string>> = SANDBOX_STATE_MACHINE_ARNS,
): Record<string, unknown> {
  const dimensions = (dims: AlarmDefinition['metrics'][number]['dimensions']) =>
    Object.entries(dims).map(([Name, v]) => ({
      Name,
      Value:
        typeof v === 'string'
          ? v
          : 'function' in v
            ? `${FUNCTION_PREFIX}${v.function}`
            : 'stateMachine' in v
              ? stateMachineArns[v.stateMachine]
              : `${FUNCTION_PREFIX}${v.queue}`,
    }));
  const base = {
    AlarmName: `${SANDBOX_ALARM_PREFIX}-${def.id}`,
    AlarmDescription: def.description,
    ActionsEnabled: true,
    AlarmActions: [ALARM_TOPIC_ARN],
    OKActions: [ALARM_TOPIC_ARN],
    EvaluationPeriods: def.evaluationPeriods,
    DatapointsToAlarm: def.evaluationPeriods,
    Threshold: def.threshold,
    ComparisonOperator: def.comparison,
    TreatMissingData: 'notBreaching',
  };
  if (!def.expression) {
    const [m] = def.metrics;
    return {
      ...base,
      Namespace: m.namespace,
      MetricName: m.metricName,
      Dimensions: dimensions(m.dimensions),
      Statistic: m.statistic,
      Period: def.periodSeconds,
    };
  }
  return {
    ...base,
    Metrics: [
      ...def.metrics.map((m) => ({
        Id: m.id,
        MetricStat: {
          Metric: { Namespace: m.namespace, MetricName: m.metricName, Dimensions: dimensions(m.dimensions) },
          Period: def.periodSeconds,
          Stat: m.statistic,
        },
        ReturnData: false,
      })),
      { Id: 'shipgateOwn', Expression: def.expression, ReturnData: true },
    ],
  };
}

/** The SNS event a topic subscription delivers to Lambda for one CloudWatch notification. */
export function snsEvent(topicArn: string, n: AlarmNotification): unknown {
  const at = new Date().toISOString();
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:sandbox`,
        Sns: {
          Type: 'Notification',
          MessageId: `${n.AlarmName}:${n.StateChangeTime}`,
          TopicArn: topicArn,
          Subject: `${n.NewStateValue}: "${n.AlarmName}" in ${n.Region}`.slice(0, 100),
          Message: JSON.stringify(n),
          Timestamp: at,
          SignatureVersion: '1',
        },
      },
    ],
  };
}

/** What the monitor connects. */
export interface AlarmMonitorOptions {
  cloudwatch: CloudWatchEmulator;
  sqs: SqsEmulator;
  /** Step Functions: AWS/States metrics of the executions that end. */
  sfn: Pick<SfnEmulator, 'onFinished'>;
  /** The ARNs of the release and rollback state machines. */
  stateMachineArns?: Readonly<Record<StateMachineKey, string>>;
  lambdas: LocalLambdas;
  /** Invokes a function asynchronously (SNS → Lambda). */
  invokeAsync: (functionArn: string, payload: unknown) => Promise<void>;
  /** How often the alarms are evaluated (CloudWatch: every minute). */
  intervalMs: number;
}

/** A running monitor. */
export interface AlarmMonitor {
  /** Samples the queues and evaluates every alarm now. */
  evaluate(): void;
  stop(): void;
}

/** Puts the alarms and starts evaluating them (see the module comment). */
export function startAlarmMonitor(o: AlarmMonitorOptions): AlarmMonitor {
  for (const queue of Object.keys(MONITORED_QUEUES)) o.sqs.createQueue(`${FUNCTION_PREFIX}${queue}`);
  for (const def of sandboxAlarms(o.lambdas.functionNames()))
    o.cloudwatch.putMetricAlarm(putMetricAlarmInput(def, o.stateMachineArns));
  o.sfn.onFinished = (e) => {
    const name = { SUCCEEDED: 'Succeeded', FAILED: 'Failed', TIMED_OUT: 'TimedOut', ABORTED: 'Aborted' }[
      e.status as string
    ];
    if (!name) return;
    o.cloudwatch.record(
      {
        namespace: 'AWS/States',
        metricName: `Executions${name}`,
        dimensions: { StateMachineArn: e.stateMachineArn },
      },
      1,
      Date.now(),
    );
  };
  o.lambdas.onInvoked = (FunctionName, { startedAt, errorType }) => {
    const metric = (metricName: string) => ({
      namespace: 'AWS/Lambda',
      metricName,
      dimensions: { FunctionName },
    });
    o.cloudwatch.record(metric('Invocations'), 1, startedAt);
    if (errorType) o.cloudwatch.record(metric('Errors'), 1, startedAt);
  };
  o.cloudwatch.onAction = (arn, notification) => {
    if (arn === ALARM_TOPIC_ARN) void o.invokeAsync(FUNCTION_ARNS.alarmChat, snsEvent(arn, notification));
  };
  const untap = tapEmfLines((line) => o.cloudwatch.ingestLogLine(line));
  const evaluate = () => {
    const now = Date.now();
    for (const q of o.sqs.depths()) {
      const metric = (metricName: string) => ({
        namespace: 'AWS/SQS',
        metricName,
        dimensions: { QueueName: q.name },
      });
      o.cloudwatch.record(metric('ApproximateNumberOfMessagesVisible'), q.visible, now);
      o.cloudwatch.record(metric('ApproximateNumberOfMessagesNotVisible'), q.notVisible, now);
    }
    o.cloudwatch.evaluateAlarms(now);
  };
  const timer = setInterval(evaluate, o.intervalMs);
  timer.unref();
  return {
    evaluate,
    stop: () => {
      clearInterval(timer);
      untap();
      o.lambdas.onInvoked = undefined;
      o.sfn.onFinished = undefined;
      o.cloudwatch.onAction = undefined;
    },
  };
}
