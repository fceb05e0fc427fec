import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, parseConfig, type ShipgateConfig } from '../../../lambdas/shared/config';
import { DEPLOY_ROLE_ACTIONS_ENV, sessionPolicy } from '../../../lambdas/shared/clients/assume-role';
import { ROLLOUT_EVENT_PATTERNS } from '../../../lib/constructs/rollout-event-rules';
import { readConfigDocument } from '../../../lib/config-document';
import { ShipgateStack } from '../../../lib/shipgate-stack';

/**
 * One AWS account per environment (issue 29): an environment with `aws` is acted on through its deploy role
 * alone; Shipgate's own account keeps grants only for the environments that live there.
 */

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const STAGING_ROLE = 'arn:aws:iam::111111111111:role/shipgate-deploy';
const PRODUCTION_ROLE = 'arn:aws:iam::222222222222:role/shipgate-deploy';
/** Actions on an environment's resources: what must never be granted in Shipgate's account for one elsewhere. */
const ENVIRONMENT_ACTIONS = /^(ecs|ecr|ssm|cloudwatch|codedeploy):|^iam:PassRole$/;

const example = loadConfig('shipgate.config.yaml');
/** GIVEN both environments in accounts of their own (staging 111111111111, production 222222222222). */
const twoAccounts: ShipgateConfig = {
  ...example,
  environments: example.environments.map((env) => ({
    ...env,
    aws:
      env.name === 'staging'
        ? { account: '111111111111', deployRole: STAGING_ROLE, externalId: 'shipgate-staging' }
        : { account: '222222222222', deployRole: PRODUCTION_ROLE, externalId: 'shipgate-production' },
  })),
};

/** The synthesized stack and each function's statements, by bundle (verify hooks: `verify-hook <env>`). */
function synth(config: ShipgateConfig) {
  const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  const fns = {
    http: stack.httpFunction,
    ...stack.stepFunctions,
    ...Object.fromEntries(Object.entries(stack.verifyHooks).map(([env, f]) => [`verify-hook ${env}`, f])),
  };
  const statements = (roleId: string): Statement[] =>
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const byFunction = Object.fromEntries(
    Object.entries(fns).map(([name, f]) => [name, statements(id(f.role! as never))]),
  );
  const allStatements = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return { stack, template, resources, byFunction, allStatements, id };
}

const actions = (s: Statement) => [s.Action].flat();
const assumable = (statements: Statement[]) =>
  statements.filter((s) => actions(s).includes('sts:AssumeRole')).flatMap((s) => [s.Resource].flat());

describe('two environments, each in its own account', () => {
  const { stack, template, resources, byFunction, allStatements, id } = synth(twoAccounts);

  it('passes cdk-nag AwsSolutions with no unacknowledged findings', () => {
    const result = new AwsSolutionsChecks().validateScope(stack);
    expect(result.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });

  it('grants sts:AssumeRole on exactly the named deploy roles, nothing broader', () => {
    const assumeStatements = allStatements.filter((s) => actions(s).some((a) => a.startsWith('sts:')));
    expect(assumeStatements.length).toBeGreaterThan(0);
    for (const s of assumeStatements) {
      expect(actions(s)).toEqual(['sts:AssumeRole']);
      for (const r of [s.Resource].flat()) expect([STAGING_ROLE, PRODUCTION_ROLE]).toContain(r);
    }
    // Every function that acts on the environments may assume both roles; each verify hook only its own.
    for (const fn of ['start-rollout', 'rollout-events', 'resolve-release', 'verify', 'reconcile']) {
      expect({ fn, roles: assumable(byFunction[fn]).sort() }).toEqual({
        fn,
        roles: [STAGING_ROLE, PRODUCTION_ROLE].sort(),
      });
    }
    // The HTTP function decides pauses: only production pauses (billing-app's canary).
    expect(assumable(byFunction.http)).toEqual([PRODUCTION_ROLE]);
    expect(assumable(byFunction['verify-hook staging'])).toEqual([STAGING_ROLE]);
    expect(assumable(byFunction['verify-hook production'])).toEqual([PRODUCTION_ROLE]);
    // Functions that never act on an environment may assume nothing.
    for (const fn of ['scan', 'check-freeze', 'request-approval', 'record-release', 'report-failure']) {
      expect({ fn, roles: assumable(byFunction[fn]) }).toEqual({ fn, roles: [] });
    }
  });

  it('narrows each function’s deploy role sessions to its own actions (inline session policy)', () => {
    const envOf = (name: string) =>
      (
        resources[id(fns[name as keyof typeof fns] as never)].Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables[DEPLOY_ROLE_ACTIONS_ENV];
    const fns = {
      http: stack.httpFunction,
      ...stack.stepFunctions,
      ...Object.fromEntries(Object.entries(stack.verifyHooks).map(([env, f]) => [`verify-hook ${env}`, f])),
    };
    for (const name of Object.keys(fns)) {
      const assumes = assumable(byFunction[name]).length > 0;
      // Every function that may assume a deploy role says what its sessions may do; no other does.
      expect({ name, narrowed: typeof envOf(name) === 'string' && envOf(name) !== '' }).toEqual({
        name,
        narrowed: assumes,
      });
      if (assumes) expect(sessionPolicy(envOf(name) as string)!.length).toBeLessThanOrEqual(2048);
    }
    // The internet-facing function may decide pauses there, not deploy.
    expect(envOf('http')).toBe('ecs:ContinueServiceDeployment,ecs:DescribeServiceDeployments');
    expect(envOf('verify-hook production')).toBe(
      'ssm:GetParameter,ssm:GetParameters,ssm:GetParametersByPath',
    );
    expect(String(envOf('start-rollout')).split(',')).toEqual(
      expect.arrayContaining(['ecs:UpdateService', 'iam:PassRole', 'codedeploy:CreateDeployment']),
    );
  });

  it('grants no ECS, SSM, CloudWatch, CodeDeploy or PassRole action in Shipgate’s account, and ECR only on the release images', () => {
    const onEnvironments = Object.entries(byFunction).flatMap(([fn, statements]) =>
      statements
        .filter((s) => actions(s).some((a) => ENVIRONMENT_ACTIONS.test(a)))
        .map((s) => ({ fn, sid: s.Sid, actions: actions(s).filter((a) => ENVIRONMENT_ACTIONS.test(a)) })),
    );
    // The images are the release's, not an environment's: resolved (and scanned) once in Shipgate's account,
    // in the repositories terraform/global creates; the environments pull them through the repository policy.
    expect(onEnvironments).toEqual([
      {
        fn: 'resolve-release',
        sid: 'ResolveReleaseImages',
        actions: ['ecr:DescribeImages', 'ecr:DescribeRepositories'],
      },
      {
        fn: 'scan',
        sid: 'ReadScanFindings',
        actions: ['ecr:DescribeImageScanFindings', 'ecr:DescribeImages'],
      },
    ]);
    for (const s of allStatements.filter((st) => actions(st).some((a) => a.startsWith('ecr:')))) {
      for (const r of [s.Resource].flat()) expect(JSON.stringify(r)).toMatch(/:repository\/[a-z-]+"\]\]\}$/);
    }
  });

  it('lets each environment account’s ECS invoke that environment’s verify hook, and Shipgate’s hook role none', () => {
    const permissions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
    // ECS invokes the hook's alias `live` (issue 31), so the permission may name the function or its alias.
    const namesOf = (fnId: string) => [
      fnId,
      ...Object.entries(resources)
        .filter(
          ([, r]) =>
            r.Type === 'AWS::Lambda::Alias' && JSON.stringify(r.Properties.FunctionName).includes(fnId),
        )
        .map(([id]) => id),
    ];
    const hookPermissions = Object.entries(stack.verifyHooks).map(([env, fn]) => {
      const ids = namesOf(stack.getLogicalId(fn.node.defaultChild as never));
      return {
        env,
        principals: permissions
          .filter((p) => ids.some((id) => JSON.stringify(p.Properties.FunctionName).includes(`"${id}"`)))
          .map((p) => [p.Properties.Principal, p.Properties.Action]),
      };
    });
    expect(hookPermissions).toEqual([
      { env: 'staging', principals: [['111111111111', 'lambda:InvokeFunction']] },
      { env: 'production', principals: [['222222222222', 'lambda:InvokeFunction']] },
    ]);
    const hookRoleId = stack.getLogicalId(stack.lifecycleHookRole.node.defaultChild as never);
    expect(
      Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          (r.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === hookRoleId),
      ),
    ).toEqual([]);
    // The rollouts name each environment's ECS hook role, in that environment's account.
    const start = resources[id(stack.stepFunctions['start-rollout'])];
    const roles = (start.Properties.Environment as { Variables: Record<string, unknown> }).Variables
      .SHIPGATE_VERIFY_HOOK_ROLE_ARNS;
    expect(JSON.parse(roles as string)).toEqual({
      staging: `${STAGING_ROLE}-ecs-hooks`,
      production: `${PRODUCTION_ROLE}-ecs-hooks`,
    });
  });

  it('admits each environment account on the event bus for exactly the events Shipgate’s rules match', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::Events::EventBusPolicy');
    expect(policies.map((p) => p.Properties.StatementId).sort()).toEqual([
      'shipgate-environment-111111111111',
      'shipgate-environment-222222222222',
    ]);
    for (const p of policies) {
      const account = String(p.Properties.StatementId).slice(-12);
      expect(p.Properties.EventBusName).toBe('default');
      expect(p.Properties.Statement).toMatchObject({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]] },
        },
        Condition: {
          'ForAllValues:StringEquals': { 'events:source': ['aws.ecs', 'aws.codedeploy'] },
          StringEquals: { 'events:detail-type': ROLLOUT_EVENT_PATTERNS.map((e) => e.detailType) },
        },
      });
    }
    // The rules match by source and detail type only: an `account` filter would drop forwarded events.
    const rules = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        JSON.stringify(r.Properties.EventPattern).match(/aws\.(ecs|codedeploy)/),
    );
    expect(rules).toHaveLength(ROLLOUT_EVENT_PATTERNS.length);
    for (const rule of rules) expect(rule.Properties.EventPattern).not.toHaveProperty('account');
  });

  it('outputs the bus and, by environment, the roles each deploy role must trust', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.EventBusArn.Value)).toContain(':event-bus/default');
    // Resolve the JSON: each role GetAtt written as <logical id>.
    const joined = outputs.DeployRoleCallerArns.Value as { 'Fn::Join': [string, unknown[]] };
    const callers = JSON.parse(
      joined['Fn::Join'][1]
        .map((p) => (typeof p === 'string' ? p : `<${(p as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]}>`))
        .join(''),
    ) as Record<string, string[]>;
    // Exactly the roles granted sts:AssumeRole on that environment's deploy role.
    for (const [env, role] of [
      ['staging', STAGING_ROLE],
      ['production', PRODUCTION_ROLE],
    ]) {
      const granted = Object.entries(byFunction)
        .filter(([, statements]) => assumable(statements).includes(role))
        .map(([fn]) => fn);
      expect(callers[env]).toHaveLength(granted.length);
    }
    expect(callers.production.length).toBeGreaterThan(10);
    expect(outputs.VerifyHookProductionArn).toBeDefined();
  });
});

describe('the example config: staging in Shipgate’s account, production in 222222222222', () => {
  const { stack, byFunction, allStatements } = synth(example);

  it('passes cdk-nag AwsSolutions with no unacknowledged findings', () => {
    const result = new AwsSolutionsChecks().validateScope(stack);
    expect(result.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });

  it('reaches production only through its deploy role, staging with today’s grants', () => {
    const assumeStatements = allStatements.filter((s) => actions(s).includes('sts:AssumeRole'));
    for (const s of assumeStatements) expect(s.Resource).toEqual(PRODUCTION_ROLE);
    // Nothing in Shipgate's account names production's contracts.
    expect(JSON.stringify(allStatements)).not.toContain('/shipgate/production');
    // production's verify hook: its deploy role, no SSM here; staging's: staging's contracts, no STS
    expect(
      byFunction['verify-hook production'].flatMap(actions).filter((a) => /^(ssm|sts):/.test(a)),
    ).toEqual(['sts:AssumeRole']);
    expect(assumable(byFunction['verify-hook staging'])).toEqual([]);
    expect(JSON.stringify(byFunction['verify-hook staging'])).toContain(':parameter/shipgate/staging/*');
    // Rollouts keep the single-account grants for staging.
    expect(byFunction['start-rollout'].flatMap(actions)).toEqual(
      expect.arrayContaining(['ecs:UpdateService', 'iam:PassRole', 'sts:AssumeRole']),
    );
  });
});

describe('environments[].aws in the config', () => {
  it('refuses a deploy role of another account than the environment’s, naming the field', () => {
    const raw = readConfigDocument('shipgate.config.yaml').document as {
      environments: Array<Record<string, unknown>>;
    };
    const document = {
      ...raw,
      environments: raw.environments.map((env) =>
        env.name === 'production'
          ? {
              ...env,
              aws: { account: '222222222222', deployRole: STAGING_ROLE, externalId: 'shipgate-production' },
            }
          : env,
      ),
    };
    expect(() => parseConfig(document)).toThrow(/environments\[1\]\.aws\.deployRole/);
  });
});
