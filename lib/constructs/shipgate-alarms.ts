import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  FAILURE_REASONS,
  METRIC_NAMESPACE,
  METRICS,
  SERVICE_DIMENSION,
} from '../../lambdas/shared/monitoring/names';
import type { AlarmDefinition, AlarmMetric, QueueKey, StateMachineKey } from '../monitoring/alarms';

/** Properties of {@link ShipgateAlarms}. */
export interface ShipgateAlarmsProps {
  /** The alarm definitions (`shipgateAlarms`, lib/monitoring/alarms.ts). */
  readonly alarms: readonly AlarmDefinition[];
  /** Every function the definitions name, by key (`http`, step names, `verify-hook-<env>`). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Every queue the definitions name, by key. */
  readonly queues: Readonly<Record<QueueKey, IQueue>>;
  /** The state machines the definitions name, by key: their ARNs (the `StateMachineArn` dimension). */
  readonly stateMachineArns: Readonly<Record<StateMachineKey, string>>;
  /** The function that tells chat (`alarm-chat`), subscribed to the topic. */
  readonly notify: IFunction;
  /** Alarm names are `<prefix>-<definition id>`. */
  readonly alarmNamePrefix: string;
}

/**
 * Shipgate watches itself (issue 31): one CloudWatch alarm per definition, every one with the alarm topic as
 * its ALARM and OK action; the topic (encrypted with a customer managed key CloudWatch may use, TLS only)
 * delivers to the `alarm-chat` function, which posts a "Shipgate itself" message; a dashboard shows
 * Shipgate's metrics next to the alarms. Subscribe e-mail or a pager to the topic (output `AlarmTopicArn`).
 */
export class ShipgateAlarms extends Construct {
  /** The topic every alarm notifies. */
  readonly topic: sns.Topic;
  /** The alarms, by definition id. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ShipgateAlarmsProps) {
    super(scope, id);
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the Shipgate alarm topic',
      enableKeyRotation: true,
    });
    // "Amazon SNS topic encryption": CloudWatch publishes alarm notifications to an encrypted topic only
    // with a customer managed key whose policy lets cloudwatch.amazonaws.com use it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Shipgate alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addSubscription(new subscriptions.LambdaSubscription(props.notify));
    const action = new actions.SnsAction(this.topic);

    const alarms: Record<string, cloudwatch.Alarm> = {};
    for (const def of props.alarms) {
      const alarm = new cloudwatch.Alarm(this, def.id, {
        alarmName: `${props.alarmNamePrefix}-${def.id}`,
        alarmDescription: def.description,
        metric: this.metricOf(def, props),
        threshold: def.threshold,
        evaluationPeriods: def.evaluationPeriods,
        datapointsToAlarm: def.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No datapoint means nothing happened: no error, no message, no repair.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms[def.id] = alarm;
    }
    this.alarms = alarms;
    this.dashboard = this.buildDashboard(props);
  }

  private metric(m: AlarmMetric, props: ShipgateAlarmsProps, period: Duration): cloudwatch.Metric {
    const dimensionsMap = Object.fromEntries(
      Object.entries(m.dimensions).map(([name, value]) => {
        if (typeof value === 'string') return [name, value];
        if ('function' in value) {
          const fn = props.functions[value.function];
          if (!fn) throw new Error(`ShipgateAlarms: no function "${value.function}" for an alarm metric`);
          return [name, fn.functionName];
        }
        if ('stateMachine' in value) return [name, props.stateMachineArns[value.stateMachine]];
        const queue = props.queues[value.queue as QueueKey];
        if (!queue) throw new Error(`ShipgateAlarms: no queue "${value.queue}" for an alarm metric`);
        return [name, queue.queueName];
      }),
    );
    return new cloudwatch.Metric({
      namespace: m.namespace,
      metricName: m.metricName,
      dimensionsMap,
      statistic: m.statistic,
      period,
    });
  }

  private metricOf(def: AlarmDefinition, props: ShipgateAlarmsProps): cloudwatch.IMetric {
    const period = Duration.seconds(def.periodSeconds);
    if (!def.expression) return this.metric(def.metrics[0], props, period);
    return new cloudwatch.MathExpression({
      expression: def.expression,
      usingMetrics: Object.fromEntries(def.metrics.map((m) => [m.id, this.metric(m, props, period)])),
      period,
      label:
        def.kind === 'rollback-failures'
          ? `${def.subject}: failed or timed out`
          : `${def.subject}: errors of Shipgate's own`,
    });
  }

  private buildDashboard(props: ShipgateAlarmsProps): cloudwatch.Dashboard {
    const shipgate = (
      metricName: string,
      extra: Record<string, string> = {},
      statistic = 'Sum',
      label?: string,
    ) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { ...SERVICE_DIMENSION, ...extra },
        statistic,
        period: Duration.hours(1),
        label,
      });
    const all = Object.values(this.alarms);
    const workflow = props.alarms.filter((d) =>
      ['shipgate-failures', 'rollback-failures', 'release-stuck', 'reconciler-repairs'].includes(d.kind),
    );
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.alarmNamePrefix}-shipgate`,
      defaultInterval: Duration.days(7),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# Shipgate itself\nReleases and the time they wait, next to the alarms on Shipgate’s own queues, functions and workflow. Every alarm notifies the alarm topic (chat: “Shipgate itself”).',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Releases per hour',
        left: [
          shipgate(METRICS.releasesStarted, {}, 'Sum', 'started'),
          shipgate(METRICS.releasesSucceeded, {}, 'Sum', 'succeeded'),
          shipgate(
            METRICS.releasesFailed,
            { Reason: FAILURE_REASONS.release },
            'Sum',
            'failed: the release’s reason',
          ),
          shipgate(
            METRICS.releasesFailed,
            { Reason: FAILURE_REASONS.shipgate },
            'Sum',
            'failed: Shipgate’s reason',
          ),
          shipgate(METRICS.releasesFailed, { Reason: FAILURE_REASONS.stopped }, 'Sum', 'stopped'),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Waiting for people vs ECS (seconds per release, average)',
        left: [
          shipgate(METRICS.waitingForPeople, {}, 'Average', 'people: approvals and pauses'),
          shipgate(METRICS.waitingForEcs, {}, 'Average', 'ECS: rollouts'),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      ...workflow.map(
        (d) =>
          new cloudwatch.AlarmWidget({ title: `${d.id}: ${d.subject}`, alarm: this.alarms[d.id], width: 8 }),
      ),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Every Shipgate alarm', alarms: all, width: 24, height: 10 }),
    );
    return dashboard;
  }
}
