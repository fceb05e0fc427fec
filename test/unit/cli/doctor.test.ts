import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig } from '../../../lambdas/shared/config';
import { ensureProjectHook } from '../../../lambdas/domain/gitlab/hooks';
import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import { SECRET_ENV, type SecretName } from '../../../lambdas/shared/secrets';
import { run as contractCli } from '../../../src/cli/contract';
import { run, secretOutputKey } from '../../../src/cli/doctor';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { DEPLOY_ROLE, mockLiveService, twoAccountConfigJson } from '../../helpers/live-service-fixture';

/** The example config (production in 222222222222) reduced to billing-app, the service the fixture describes. */
function configJson(): string {
  const config = JSON.parse(twoAccountConfigJson()) as {
    projects: { path: string }[];
    services: Record<string, unknown>;
  };
  config.projects = config.projects.filter((p) => p.path === 'root/billing-app');
  config.services = { 'billing-app': config.services['billing-app'] };
  parseConfig(config);
  return JSON.stringify(config);
}

const WEBHOOK_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/gitlab';
const WEBHOOK_TOKEN = 'sgw_doctor-test-token-00000000';
const arnOf = (name: SecretName) =>
  `arn:aws:secretsmanager:eu-west-1:111111111111:secret:shipgate/${name}-AbCdEf`;

describe('shipgate doctor (a deployed stack)', () => {
  let gitlab: FakeGitlab;
  let mocks: ReturnType<typeof mockLiveService>;
  const cfn = mockClient(CloudFormationClient);
  const sm = mockClient(SecretsManagerClient);
  const events = mockClient(EventBridgeClient);
  let contract: string;
  let secretValues: Partial<Record<SecretName, string>>;

  beforeAll(async () => {
    gitlab = await startFakeGitlab();
    gitlab.addProject({ id: 12, path_with_namespace: 'root/billing-app', default_branch: 'main' });
    const hook = await ensureProjectHook(
      gitlabClient({ url: gitlab.url, token: gitlab.token }),
      parseConfig(JSON.parse(configJson())).projects[0],
      { url: WEBHOOK_URL, token: WEBHOOK_TOKEN },
    );
    expect(hook.action).toBe('created');
    mocks = mockLiveService();
    let out = '';
    await contractCli(
      ['init', '--environment', 'production', '--cluster', 'prod', '--service', 'billing-app'],
      { SHIPGATE_CONFIG_JSON: configJson(), AWS_REGION: 'eu-west-1' },
      { out: (s) => (out += s), err: () => undefined },
    );
    contract = out;
    mocks.reset();
  });
  afterAll(() => gitlab.stop());

  beforeEach(() => {
    mocks = mockLiveService();
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: contract } });
    secretValues = {
      webhookToken: WEBHOOK_TOKEN,
      linkSigningKey: 'link-key',
      gitlabToken: gitlab.token,
      chatWebhookUrl: 'https://hooks.slack.com/services/T0/B0/x',
      oidcClientSecret: 'oidc-secret',
      webhookSigningKey: '',
    };
    cfn.on(DescribeStacksCommand, { StackName: 'Shipgate' }).resolves({
      Stacks: [
        {
          StackName: 'Shipgate',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [
            { OutputKey: 'GitLabWebhookUrl', OutputValue: WEBHOOK_URL },
            ...(Object.keys(SECRET_ENV) as SecretName[]).map((n) => ({
              OutputKey: secretOutputKey(n),
              OutputValue: arnOf(n),
            })),
          ],
        },
      ],
    });
    sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const name = (Object.keys(SECRET_ENV) as SecretName[]).find((n) => arnOf(n) === input.SecretId)!;
      return { SecretString: secretValues[name] ?? '' };
    });
    cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        {
          LogicalResourceId: 'RolloutEventsEcsDeployments1A2B3C',
          PhysicalResourceId: 'Shipgate-RolloutEventsEcs-1',
          ResourceType: 'AWS::Events::Rule',
          ResourceStatus: 'CREATE_COMPLETE',
          LastUpdatedTimestamp: new Date(),
        },
        {
          LogicalResourceId: 'ExecutionEventsStopped4D5E6F',
          PhysicalResourceId: 'Shipgate-ExecutionEvents-2',
          ResourceType: 'AWS::Events::Rule',
          ResourceStatus: 'CREATE_COMPLETE',
          LastUpdatedTimestamp: new Date(),
        },
        {
          LogicalResourceId: 'Table',
          PhysicalResourceId: 'Shipgate-Table',
          ResourceType: 'AWS::DynamoDB::Table',
          ResourceStatus: 'CREATE_COMPLETE',
          LastUpdatedTimestamp: new Date(),
        },
      ],
    });
    events
      .on(DescribeRuleCommand)
      .callsFake((input: { Name: string }) => ({ Name: input.Name, State: 'ENABLED' }));
    events
      .on(ListTargetsByRuleCommand)
      .resolves({ Targets: [{ Id: 'Target0', Arn: 'arn:aws:lambda:eu-west-1:111111111111:function:x' }] });
  });
  afterEach(() => {
    mocks.reset();
    cfn.reset();
    sm.reset();
    events.reset();
  });

  async function doctor(args: string[] = []) {
    let out = '';
    let err = '';
    const code = await run(
      args,
      { SHIPGATE_CONFIG_JSON: configJson(), AWS_REGION: 'eu-west-1', SHIPGATE_GITLAB_URL: gitlab.url },
      { out: (s) => (out += s), err: (s) => (err += s) },
    );
    return { code, out, err };
  }

  it('passes when every part is in place, one line per check', async () => {
    const { code, out, err } = await doctor();
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('shipgate doctor: stack Shipgate');
    expect(out).toMatch(
      /^ok +gitlab +http:\/\/127\.0\.0\.1:\d+ answers with the token \(user @shipgate-bot\)$/m,
    );
    for (const name of [
      'webhookToken',
      'linkSigningKey',
      'gitlabToken',
      'chatWebhookUrl',
      'oidcClientSecret',
    ]) {
      expect(out).toMatch(new RegExp(`^ok +secret:${name} +set \\(arn:aws:secretsmanager:`, 'm'));
    }
    for (const name of ['webhookSigningKey', 'slackBotToken', 'slackSigningSecret']) {
      expect(out).toMatch(new RegExp(`^skip +secret:${name} +not set, optional`, 'm'));
    }
    expect(out).toMatch(/^ok +role:staging +same account$/m);
    expect(out).toMatch(
      new RegExp(`^ok +role:production +assumed ${DEPLOY_ROLE} \\(account 222222222222\\)$`, 'm'),
    );
    expect(out).toMatch(
      /^ok +contract:production\/billing-app +contract, service, controller, container, load-balancer, roles, alarms consistent/m,
    );
    expect(out).toMatch(
      /^ok +event-rule:RolloutEventsEcsDeployments1A2B3C +Shipgate-RolloutEventsEcs-1 is enabled with 1 target\(s\)$/m,
    );
    expect(out).toMatch(/^ok +event-rule:ExecutionEventsStopped4D5E6F /m);
    expect(out).toMatch(
      new RegExp(`^ok +webhook:root/billing-app +hook #\\d+ delivers to ${WEBHOOK_URL}$`, 'm'),
    );
    expect(lines.at(-1)).toMatch(/^all \d+ checks passed \(3 skipped\)$/);
    // Secret values never reach the output.
    for (const v of [WEBHOOK_TOKEN, gitlab.token, 'link-key', 'oidc-secret']) expect(out).not.toContain(v);
  });

  it('names a missing secret and exits 1', async () => {
    secretValues.chatWebhookUrl = '  ';
    const { code, out, err } = await doctor();
    expect(code).toBe(1);
    expect(out).toMatch(
      /^fail +secret:chatWebhookUrl +not set: arn:.*\(needed: notifications\.chat is on without a slackChannel\)$/m,
    );
    expect(err).toBe('shipgate doctor: 1 check(s) failed: secret:chatWebhookUrl\n');
  });

  it('names an environment whose role cannot be assumed, and its contracts go unchecked', async () => {
    mocks.sts.on(AssumeRoleCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {
        name: 'AccessDenied',
      }),
    );
    const { code, out, err } = await doctor();
    expect(code).toBe(1);
    expect(out).toMatch(
      new RegExp(
        `^fail +role:production +cannot assume ${DEPLOY_ROLE} for environment "production" .*AccessDenied`,
        'm',
      ),
    );
    expect(out).toMatch(
      /^fail +contract:production\/billing-app +not checked: the role of production cannot be assumed$/m,
    );
    expect(out).toMatch(/^ok +role:staging +same account$/m);
    expect(err).toBe(
      'shipgate doctor: 2 check(s) failed: role:production, contract:production/billing-app\n',
    );
  });

  it('names a disabled event rule, a missing webhook and an unreachable GitLab', async () => {
    events
      .on(DescribeRuleCommand, { Name: 'Shipgate-ExecutionEvents-2' })
      .resolves({ Name: 'x', State: 'DISABLED' });
    const disabled = await doctor();
    expect(disabled.out).toMatch(
      /^fail +event-rule:ExecutionEventsStopped4D5E6F +Shipgate-ExecutionEvents-2 is DISABLED$/m,
    );

    const moved = await doctor(['--webhook-url', 'https://shipgate.example.com/webhooks/gitlab']);
    expect(moved.code).toBe(1);
    expect(moved.out).toMatch(
      /^fail +webhook:root\/billing-app +hook #\d+ differs: URL.* \(fix: shipgate gitlab hooks\)$/m,
    );

    gitlab.fail({ path: /^\/user$/, status: 401, times: 1 });
    const refused = await doctor();
    expect(refused.out).toMatch(/^fail +gitlab +http:\/\/127\.0\.0\.1:\d+: HTTP 401/m);
    expect(refused.out).toMatch(/^skip +webhook:root\/billing-app +not checked/m);
  });

  it('says which stack it could not find', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const { code, err } = await doctor(['--stack', 'Nope']);
    expect(code).toBe(1);
    expect(err).toContain('Stack with id Nope does not exist');
  });
});
