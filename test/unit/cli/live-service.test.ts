import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { environmentAws } from '../../../src/cli/aws-environment';
import { ecrRepositoryOf, listenerArnOfRule, ruleBaseUrl } from '../../../src/cli/live-service';
import { LISTENER_PROD, RULE_PROD } from '../../helpers/live-service-fixture';

describe('reading a live service', () => {
  it("finds a listener rule's listener from the rule ARN", () => {
    expect(listenerArnOfRule(RULE_PROD)).toBe(LISTENER_PROD);
    expect(listenerArnOfRule(LISTENER_PROD)).toBeUndefined();
  });

  it('derives the URL a rule serves: host-header, else the DNS name; port unless default; a /prefix/* path', () => {
    const listener = { Protocol: 'HTTPS' as const, Port: 443 };
    const loadBalancer = { DNSName: 'prod-1.eu-west-1.elb.amazonaws.com' };
    const at = (conditions: { Field: string; Values: string[] }[], port = 443) =>
      ruleBaseUrl({
        arn: RULE_PROD,
        rule: { Conditions: conditions },
        listener: { ...listener, Port: port },
        loadBalancer,
        targetGroupArns: [],
      });
    expect(at([{ Field: 'host-header', Values: ['billing.example.com'] }])).toBe(
      'https://billing.example.com',
    );
    expect(at([{ Field: 'host-header', Values: ['*.example.com'] }], 8443)).toBe(
      'https://prod-1.eu-west-1.elb.amazonaws.com:8443',
    );
    expect(at([{ Field: 'path-pattern', Values: ['/billing/*'] }])).toBe(
      'https://prod-1.eu-west-1.elb.amazonaws.com/billing',
    );
    // A pattern that is not one plain prefix says nothing about a base path.
    expect(at([{ Field: 'path-pattern', Values: ['/a/*', '/b/*'] }])).toBe(
      'https://prod-1.eu-west-1.elb.amazonaws.com',
    );
    // A TCP listener (Network Load Balancer) has no URL to read.
    expect(
      ruleBaseUrl({
        arn: LISTENER_PROD,
        listener: { Protocol: 'TCP', Port: 80 },
        loadBalancer,
        targetGroupArns: [],
      }),
    ).toBeUndefined();
  });

  it('reads the ECR repository of an image by tag or digest, and nothing from another registry', () => {
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:ab')).toBe(
      'team/api',
    );
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1')).toBe('api');
    expect(ecrRepositoryOf('public.ecr.aws/nginx/nginx:1')).toBeUndefined();
  });
});

describe('environmentAws', () => {
  const sts = mockClient(STSClient);
  afterEach(() => sts.reset());
  const env = {
    name: 'production',
    aws: {
      account: '222222222222',
      region: 'eu-west-1',
      deployRole: 'arn:aws:iam::222222222222:role/shipgate-deploy',
      externalId: 'shipgate-x',
    },
  };

  it("uses the assumed role's credentials in the environment's region", async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() },
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::222222222222:assumed-role/shipgate-deploy/x',
        AssumedRoleId: 'A:x',
      },
    });
    const { config, via } = await environmentAws(
      env,
      { region: 'us-east-1' },
      new STSClient({ region: 'us-east-1' }),
    );
    expect(via).toBe(env.aws.deployRole);
    expect(config.region).toBe('eu-west-1');
    expect(config.credentials).toMatchObject({ accessKeyId: 'ASIA1', sessionToken: 't' });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: env.aws.deployRole,
      ExternalId: 'shipgate-x',
      RoleSessionName: 'shipgate-cli-production',
    });
  });

  it('refuses credentials of another account than the environment names', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() },
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::333333333333:assumed-role/shipgate-deploy/x',
        AssumedRoleId: 'A:x',
      },
    });
    await expect(environmentAws(env, {}, new STSClient({ region: 'us-east-1' }))).rejects.toMatchObject({
      name: 'RoleNotAssumableError',
      message: expect.stringContaining('gave credentials of account 333333333333, not 222222222222'),
    });
  });

  it('calls nothing for an environment in the same account', async () => {
    const { via, config } = await environmentAws({ name: 'staging' }, { region: 'us-east-1' });
    expect(via).toBe('same account');
    expect(config.credentials).toBeUndefined();
    expect(sts).not.toHaveReceivedAnyCommand();
  });
});
