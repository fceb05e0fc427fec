import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../../lambdas/shared/config';
import { ShipgateStack } from '../../../lib/shipgate-stack';

type Resource = { Type: string; Properties: Record<string, unknown> };
type MetricStat = {
  Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
};

// GIVEN the example config, WHEN the stack is synthesized (placeholder code: no bundling in this suite)
const config = loadConfig('shipgate.config.yaml');
const app = new App();
const stack = new ShipgateStack(app, 'Shipgate', { config, code: 'placeholder' });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
const topicId = ofType('AWS::SNS::Topic').map(([id]) => id);

/** Every metric an alarm reads, with its dimensions (a plain alarm or the metrics of its math). */
function metricsOf(alarm: Record<string, unknown>): MetricStat['Metric'][] {
  if (alarm.MetricName) {
    return [
      {
        Namespace: alarm.Namespace as string,
        MetricName: alarm.MetricName as string,
        Dimensions: (alarm.Dimensions ?? []) as MetricStat['Metric']['Dimensions'],
      },
    ];
  }
  return ((alarm.Metrics ?? []) as { MetricStat?: MetricStat }[]).flatMap((m) =>
    m.MetricStat ? [m.MetricStat.Metric] : [],
  );
}

/** Alarms reading `metricName` with a dimension whose value refers to `logicalId`. */
function alarmsOn(metricName: string, logicalId: string) {
  return alarms.filter((a) =>
    metricsOf(a).some(
      (m) => m.MetricName === metricName && JSON.stringify(m.Dimensions).includes(`"${logicalId}"`),
    ),
  );
}

describe('Shipgate watches itself (template)', () => {
  it('has one encrypted, TLS-only alarm topic that the alarm-chat function is subscribed to', () => {
    // THEN
    expect(topicId).toHaveLength(1);
    const topic = resources[topicId[0]].Properties;
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/TopicKey/), 'Arn'] });
    const key = ofType('AWS::KMS::Key').find(([id]) => id.includes('TopicKey'))![1].Properties;
    expect(key.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(key.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    const policy = ofType('AWS::SNS::TopicPolicy')[0][1].Properties;
    expect(JSON.stringify(policy)).toContain('aws:SecureTransport');
    const chatFn = stack.getLogicalId(stack.stepFunctions['alarm-chat'].node.defaultChild as never);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId[0] },
      Endpoint: { 'Fn::GetAtt': [chatFn, 'Arn'] },
    });
  });

  it('gives every queue and on-failure destination a not-empty alarm', () => {
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    // The on-failure destination and the two event rules' dead-letter queues.
    expect(queues).toHaveLength(3);
    for (const queue of queues) {
      const on = alarmsOn('ApproximateNumberOfMessagesVisible', queue);
      expect(on).toHaveLength(1);
      expect(on[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
    // The on-failure destination is the one every EventInvokeConfig names.
    for (const [, config] of ofType('AWS::Lambda::EventInvokeConfig')) {
      const destination = JSON.stringify(config.Properties.DestinationConfig);
      expect(queues.some((q) => destination.includes(`"${q}"`))).toBe(true);
    }
  });

  it('gives every function an error alarm and a throttle alarm', () => {
    const functions = ofType('AWS::Lambda::Function').map(([id]) => id);
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) {
      expect({ fn, errors: alarmsOn('Errors', fn).length }).toEqual({ fn, errors: 1 });
      expect({ fn, throttles: alarmsOn('Throttles', fn).length }).toEqual({ fn, throttles: 1 });
    }
  });

  it('subtracts the errors a step raises on purpose for a release (scan stop…) from its error alarm', () => {
    const scan = stack.getLogicalId(stack.stepFunctions.scan.node.defaultChild as never);
    const [alarm] = alarmsOn('Errors', scan);
    const math = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression);
    expect(math?.Expression).toBe('errors - FILL(releaseErrors, 0)');
    expect(metricsOf(alarm)).toContainEqual({
      Namespace: 'Shipgate',
      MetricName: 'ReleaseErrors',
      Dimensions: expect.arrayContaining([{ Name: 'Function', Value: 'scan' }]),
    });
  });

  it('alarms on releases failing for Shipgate’s reasons, stuck releases and reconciler repairs', () => {
    const reasons = alarms.filter((a) => a.MetricName === 'ReleasesFailed');
    expect(reasons).toHaveLength(1);
    expect(reasons[0].Dimensions).toContainEqual({ Name: 'Reason', Value: 'Shipgate' });
    expect(alarms.filter((a) => a.MetricName === 'ReleasesStuck')).toHaveLength(1);
    expect(alarms.filter((a) => a.MetricName === 'ReconcilerRepairs')).toHaveLength(1);
  });

  it('alarms on the manual rollback workflow failing or timing out (Step Functions’ own counts)', () => {
    const rollbackMachine = {
      Name: 'StateMachineArn',
      Value: { Ref: stack.getLogicalId(stack.rollbackWorkflow.stateMachine.node.defaultChild as never) },
    };
    const onRollbacks = alarms.filter((a) =>
      metricsOf(a).some(
        (m) =>
          m.Namespace === 'AWS/States' && JSON.stringify(m.Dimensions) === JSON.stringify([rollbackMachine]),
      ),
    );
    expect(onRollbacks).toHaveLength(1);
    expect(metricsOf(onRollbacks[0]).map((m) => m.MetricName)).toEqual([
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
  });

  it('sends every alarm, and its recovery, to the topic', () => {
    expect(alarms.length).toBeGreaterThan(40);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId[0] }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId[0] }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
      expect(alarm.AlarmDescription).toEqual(expect.any(String));
    }
  });

  it('has a dashboard with the metrics next to the alarms', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      'ReleasesStarted',
      'ReleasesSucceeded',
      'ReleasesFailed',
      'WaitingForPeopleSeconds',
      'WaitingForEcsSeconds',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('"type\\":\\"alarm\\"');
  });

  it('outputs the topic to subscribe e-mail or a pager to', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId[0] } });
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged findings', () => {
    const result = new AwsSolutionsChecks().validateScope(stack);
    expect(result.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });
});
