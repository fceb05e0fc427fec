import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, parseConfig, type ShipgateConfig } from '../../../lambdas/shared/config';
import { ShipgateStack } from '../../../lib/shipgate-stack';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[] };

const NETWORK = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  securityGroupIds: ['sg-0123456789abcdef0'],
};
const example = loadConfig('shipgate.config.yaml');
const withNetwork: ShipgateConfig = { ...example, gitlab: { ...example.gitlab, network: NETWORK } };

/** The synthesized stack, each function's bundle, and what the template says about each function. */
function synth(config: ShipgateConfig) {
  const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  // Every function of the template, by logical id, named by its bundle (verify hooks: `verify-hook <env>`).
  const named = new Map<string, string>([
    [id(stack.httpFunction), 'http'],
    ...Object.entries(stack.stepFunctions).map(([step, f]) => [id(f), step] as [string, string]),
    ...Object.entries(stack.verifyHooks).map(([env, f]) => [id(f), `verify-hook ${env}`] as [string, string]),
  ]);
  // GitLab's API (the token) and its OpenID Connect token endpoint (the client secret, signing in).
  const gitlabSecrets = [stack.secrets.secrets.gitlabToken, stack.secrets.secrets.oidcClientSecret].map(id);
  const chatSecrets = [stack.secrets.secrets.chatWebhookUrl, stack.secrets.secrets.slackBotToken].map(id);
  const functions = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]) => {
      const roleId = (r.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const policies = Object.values(resources).filter(
        (p) =>
          p.Type === 'AWS::IAM::Policy' &&
          (p.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
      );
      const statements = policies.flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      return {
        logicalId,
        bundle: named.get(logicalId),
        vpcConfig: r.Properties.VpcConfig as { SubnetIds: unknown; SecurityGroupIds: unknown } | undefined,
        // Granted the GitLab token or the OIDC client secret: the functions that call GitLab (every call
        // authenticates with one of them).
        gitlab: gitlabSecrets.some((secret) => JSON.stringify(policies).includes(`"Ref":"${secret}"`)),
        // Granted the chat webhook URL or the Slack bot token: posts to chat.
        chat: chatSecrets.some((secret) => JSON.stringify(policies).includes(`"Ref":"${secret}"`)),
        services: new Set(
          statements.flatMap((s) =>
            (Array.isArray(s.Action) ? s.Action : [s.Action]).map((a) => a.split(':')[0]),
          ),
        ),
      };
    });
  return { stack, functions };
}

// GIVEN the example config, WHEN synthesized with and without `gitlab.network`
const plain = synth(example);
const placed = synth(withNetwork);
const gitlabCallers = placed.functions.filter((f) => f.gitlab).map((f) => f.bundle);

describe('gitlab.network: the functions that call GitLab in the operator’s subnets', () => {
  it('names every function of the template by its bundle', () => {
    expect(placed.functions.filter((f) => f.bundle === undefined).map((f) => f.logicalId)).toEqual([]);
  });

  it('gives VpcConfig to exactly the functions that call GitLab, with the configured subnets and groups', () => {
    const inGitLabNetwork = placed.functions.filter(
      (f) => JSON.stringify(f.vpcConfig?.SubnetIds) === JSON.stringify(NETWORK.subnetIds),
    );
    expect(inGitLabNetwork.map((f) => f.bundle).sort()).toEqual([...gitlabCallers].sort());
    expect(gitlabCallers.sort()).toEqual(
      [
        'http',
        'scan',
        'check-freeze',
        'request-approval',
        'start-rollout',
        'await-rollout',
        'check-rollout',
        'request-pause',
        'rollout-events',
        'verify',
        'record-release',
        'report-failure',
        'manual-rollback',
        'execution-events',
        'reconcile',
        'follow-up',
      ].sort(),
    );
    for (const f of inGitLabNetwork) {
      expect(f.vpcConfig).toEqual({
        SubnetIds: NETWORK.subnetIds,
        SecurityGroupIds: NETWORK.securityGroupIds,
      });
    }
    // THEN the functions that never call GitLab stay out of it; only the verify hooks have a VPC (their
    // environment's, from Terraform's SSM parameters)
    for (const f of placed.functions.filter((g) => !g.gitlab)) {
      if (f.bundle?.startsWith('verify-hook ')) {
        expect(JSON.stringify(f.vpcConfig?.SubnetIds)).toMatch(/"Ref":"VerifyHook\w+SubnetIds/);
      } else {
        expect({ bundle: f.bundle, vpcConfig: f.vpcConfig }).toEqual({
          bundle: f.bundle,
          vpcConfig: undefined,
        });
      }
    }
  });

  it('without gitlab.network, no function but the verify hooks has VpcConfig', () => {
    const inVpc = plain.functions.filter((f) => f.vpcConfig !== undefined).map((f) => f.bundle);
    expect(inVpc.sort()).toEqual(example.environments.map((e) => `verify-hook ${e.name}`).sort());
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged findings', () => {
    const result = new AwsSolutionsChecks().validateScope(placed.stack);
    expect(result.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });

  it('refuses a malformed network, naming the field', () => {
    const raw = JSON.parse(JSON.stringify(withNetwork)) as Record<string, never>;
    const bad = (network: unknown) => () =>
      parseConfig({ ...raw, gitlab: { ...(raw.gitlab as object), network } });
    expect(bad({ ...NETWORK, subnetIds: [] })).toThrow(
      /gitlab\.network\.subnetIds: expected at least one subnet id/,
    );
    expect(bad({ ...NETWORK, subnetIds: ['10.0.1.0/24'] })).toThrow(
      /gitlab\.network\.subnetIds\[0\]: expected a subnet id such as "subnet-0123456789abcdef0"/,
    );
    expect(bad({ ...NETWORK, securityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef0'] })).toThrow(
      /gitlab\.network\.securityGroupIds: expected each security group id once/,
    );
    expect(bad({ subnetIds: NETWORK.subnetIds, securityGroupIds: NETWORK.securityGroupIds })).toThrow(
      /gitlab\.network\.vpcId/,
    );
    expect(bad({ ...NETWORK, routeTableIds: ['rtb-1'] })).toThrow(/gitlab\.network/);
  });
});

/** What each IAM service prefix is called in the README's table. */
const SERVICE_WORDS: Record<string, string | null> = {
  dynamodb: 'DynamoDB',
  secretsmanager: 'Secrets Manager',
  states: 'Step Functions',
  ecs: 'ECS',
  ecr: 'ECR',
  ssm: 'SSM',
  cloudwatch: 'CloudWatch',
  codedeploy: 'CodeDeploy',
  lambda: 'Lambda',
  inspector2: 'Inspector',
  sqs: 'SQS',
  xray: 'X-Ray',
  // sts:AssumeRole of an environment in another account (its ECS, SSM, CloudWatch and CodeDeploy calls then go
  // to that account's endpoints, through the same interface endpoints: the table names them with the service)
  sts: 'STS',
  iam: null, // iam:PassRole rides on the ECS call; no request goes to IAM
};

/** VPC endpoint service names that differ from the IAM prefix. */
const ENDPOINTS: Record<string, string> = { cloudwatch: 'monitoring', ecr: 'ecr.api' };

/** Rows of the README's "Network paths" table: bundle → cells. */
function readmeRows(): Map<string, string[]> {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.split(/^### Network paths$/m)[1]?.split(/^#{2,3} /m)[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const bundle = /^`([a-z-]+(?: <environment>)?)`$/.exec(cells[0] ?? '')?.[1];
    if (bundle) rows.set(bundle, cells);
  }
  return rows;
}

describe('README "Network paths" matches the template', () => {
  const rows = readmeRows();
  const key = (bundle: string) => bundle.replace(/^verify-hook .*/, 'verify-hook <environment>');

  it('has one row per function of the template, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...new Set(placed.functions.map((f) => key(f.bundle!)))].sort());
  });

  it('says which functions gitlab.network places, as the template does', () => {
    for (const f of placed.functions) {
      const cells = rows.get(key(f.bundle!))!;
      expect({ bundle: f.bundle, placed: cells[2] }).toEqual({
        bundle: f.bundle,
        placed: f.gitlab ? 'yes' : f.bundle!.startsWith('verify-hook') ? 'no (own VPC)' : 'no',
      });
    }
  });

  it('lists every AWS service each function’s role may call, and GitLab for the GitLab callers', () => {
    for (const f of placed.functions) {
      const talksTo = rows.get(key(f.bundle!))![1];
      for (const service of f.services) {
        expect(service in SERVICE_WORDS).toBe(true);
        const word = SERVICE_WORDS[service];
        if (word)
          expect({ bundle: f.bundle, talksTo }).toEqual({
            bundle: f.bundle,
            talksTo: expect.stringContaining(word),
          });
      }
      expect({ bundle: f.bundle, gitlab: talksTo.includes('GitLab') }).toEqual({
        bundle: f.bundle,
        gitlab: f.gitlab,
      });
      expect({ bundle: f.bundle, chat: talksTo.includes('chat') }).toEqual({
        bundle: f.bundle,
        chat: f.chat,
      });
    }
  });

  it('lists a VPC endpoint for every AWS service a placed function calls', () => {
    const readme = readFileSync('README.md', 'utf8');
    const endpoints = readme.split(/^### Network paths$/m)[1] ?? '';
    const needed = new Set(placed.functions.filter((f) => f.gitlab).flatMap((f) => [...f.services]));
    for (const service of needed) {
      if (SERVICE_WORDS[service] === null) continue;
      const endpoint = `com.amazonaws.<region>.${ENDPOINTS[service] ?? service}\``;
      expect({ service, listed: endpoints.includes(endpoint) }).toEqual({
        service,
        listed: true,
      });
    }
  });
});
