import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'yaml';

/**
 * A blue/green (CANARY) ECS service as AWS describes it, in production's own account 222222222222: billing-app
 * behind an HTTPS production listener (443) and a test listener (8443) on one ALB, with its listener rules,
 * target groups, alarms, and the STS answer of its deploy role. Shared by the `contract` and `doctor` tests.
 */

export const ACCOUNT = '222222222222';
const ELB = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}`;
export const LB_ARN = `${ELB}:loadbalancer/app/prod/50dc6c495c0c9188`;
export const TG_BLUE = `${ELB}:targetgroup/billing-blue/6d0ecf831eec9f09`;
export const TG_GREEN = `${ELB}:targetgroup/billing-green/1f2e3d4c5b6a7988`;
export const LISTENER_PROD = `${ELB}:listener/app/prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const LISTENER_TEST = `${ELB}:listener/app/prod/50dc6c495c0c9188/5ce3a4ff9ba6ffb0`;
export const RULE_PROD = `${ELB}:listener-rule/app/prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
export const RULE_TEST = `${ELB}:listener-rule/app/prod/50dc6c495c0c9188/5ce3a4ff9ba6ffb0/1bd9a3a0fa5d1c1a`;
export const INFRA_ROLE = `arn:aws:iam::${ACCOUNT}:role/billing-ecs-infrastructure`;
export const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/shipgate-deploy`;
export const IMAGE = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/billing-app@sha256:${'a'.repeat(64)}`;

/** The repository's example config with production in account 222222222222, as SHIPGATE_CONFIG_JSON. */
export function twoAccountConfigJson(): string {
  const config = parse(readFileSync(join(__dirname, '..', '..', 'shipgate.config.yaml'), 'utf8')) as {
    environments: Record<string, unknown>[];
  };
  const production = config.environments.find((e) => e.name === 'production')!;
  production.aws = {
    account: ACCOUNT,
    region: 'eu-west-1',
    deployRole: DEPLOY_ROLE,
    externalId: 'shipgate-test',
  };
  return JSON.stringify(config);
}

/** The ECS service as DescribeServices returns it. */
export function billingService(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'billing-app',
    serviceArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/billing-app`,
    clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
    status: 'ACTIVE',
    taskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/billing-app:7`,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      strategy: 'CANARY',
      alarms: { enable: true, rollback: true, alarmNames: ['billing-5xx'] },
    },
    loadBalancers: [
      {
        targetGroupArn: TG_BLUE,
        containerName: 'app',
        containerPort: 8080,
        advancedConfiguration: {
          alternateTargetGroupArn: TG_GREEN,
          productionListenerRule: RULE_PROD,
          testListenerRule: RULE_TEST,
          roleArn: INFRA_ROLE,
        },
      },
    ],
    ...overrides,
  };
}

const forward = {
  Type: 'forward' as const,
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: TG_BLUE, Weight: 100 },
      { TargetGroupArn: TG_GREEN, Weight: 0 },
    ],
  },
};

/** Mocks of every client the contract commands and doctor create, answering for the fixture. */
export function mockLiveService(service: Service = billingService()) {
  const ecs = mockClient(ECSClient);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatch = mockClient(CloudWatchClient);
  const ssm = mockClient(SSMClient);
  const sts = mockClient(STSClient);
  const codeDeploy = mockClient(CodeDeployClient);
  ecs.on(DescribeServicesCommand).resolves({ services: [service], failures: [] });
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: service.taskDefinition,
      containerDefinitions: [
        { name: 'app', image: IMAGE, essential: true, portMappings: [{ containerPort: 8080 }] },
        {
          name: 'log-router',
          image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
          essential: false,
        },
      ],
    },
  });
  for (const [arn, name] of [
    [TG_BLUE, 'billing-blue'],
    [TG_GREEN, 'billing-green'],
  ]) {
    elb.on(DescribeTargetGroupsCommand, { TargetGroupArns: [arn] }).resolves({
      TargetGroups: [
        {
          TargetGroupArn: arn,
          TargetGroupName: name,
          Port: 8080,
          HealthCheckPath: '/healthz',
          LoadBalancerArns: [LB_ARN],
        },
      ],
    });
  }
  elb.on(DescribeRulesCommand, { RuleArns: [RULE_PROD] }).resolves({
    Rules: [
      {
        RuleArn: RULE_PROD,
        Priority: '10',
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['billing.example.com'] } }],
        Actions: [forward],
      },
    ],
  });
  elb.on(DescribeRulesCommand, { RuleArns: [RULE_TEST] }).resolves({
    Rules: [
      {
        RuleArn: RULE_TEST,
        Priority: '10',
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['billing.example.com'] } }],
        Actions: [forward],
      },
    ],
  });
  elb.on(DescribeListenersCommand, { ListenerArns: [LISTENER_PROD] }).resolves({
    Listeners: [{ ListenerArn: LISTENER_PROD, LoadBalancerArn: LB_ARN, Port: 443, Protocol: 'HTTPS' }],
  });
  elb.on(DescribeListenersCommand, { ListenerArns: [LISTENER_TEST] }).resolves({
    Listeners: [{ ListenerArn: LISTENER_TEST, LoadBalancerArn: LB_ARN, Port: 8443, Protocol: 'HTTPS' }],
  });
  elb.on(DescribeLoadBalancersCommand).resolves({
    LoadBalancers: [
      {
        LoadBalancerArn: LB_ARN,
        DNSName: 'prod-1234.eu-west-1.elb.amazonaws.com',
        Scheme: 'internet-facing',
      },
    ],
  });
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => {
    const all = [
      { AlarmName: 'billing-5xx', Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count' },
      {
        AlarmName: 'billing-latency',
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'TargetResponseTime',
        Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/billing-blue/6d0ecf831eec9f09' }],
      },
      // Application Auto Scaling's target tracking alarm on the service: low load puts it in ALARM.
      {
        AlarmName: 'TargetTracking-service/prod/billing-app-AlarmLow-0f3e',
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: 'prod' },
          { Name: 'ServiceName', Value: 'billing-app' },
        ],
        AlarmActions: [
          `arn:aws:autoscaling:eu-west-1:${ACCOUNT}:scalingPolicy:1a2b:resource/ecs/service/prod/billing-app:policyName/cpu`,
        ],
      },
      {
        AlarmName: 'other-cpu',
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: 'prod' },
          { Name: 'ServiceName', Value: 'other' },
        ],
      },
    ];
    return {
      MetricAlarms: input.AlarmNames ? all.filter((a) => input.AlarmNames!.includes(a.AlarmName)) : all,
    };
  });
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAPRODUCTION000000',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 900_000),
    },
    AssumedRoleUser: {
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/shipgate-deploy/shipgate-cli-production`,
      AssumedRoleId: 'AROA:x',
    },
  });
  ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
  ssm.on(PutParameterCommand).resolves({ Version: 1 });
  const reset = () => [ecs, elb, cloudwatch, ssm, sts, codeDeploy].forEach((m) => m.restore());
  return { ecs, elb, cloudwatch, ssm, sts, codeDeploy, reset };
}
