import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../../lambdas/shared/config';
import { ecsHookRoleArn } from '../../../lib/constructs/environment-accounts';
import { ROLLOUT_EVENT_PATTERNS } from '../../../lib/constructs/rollout-event-rules';
import { ShipgateStack } from '../../../lib/shipgate-stack';
import {
  blocksOf,
  child,
  children,
  parseFile,
  parseTfvars,
  TERRAFORM_DIR,
  variablesOf,
  type Block,
  type TfFile,
} from './hcl';

/**
 * terraform/modules/shipgate-deploy-role, what an environment in an account of its own applies: the deploy role
 * trusts only Shipgate's function roles with the external id, may do what Shipgate does for an environment
 * (the same actions the stack grants in a single account, nothing more), and the forwarded events are exactly
 * those Shipgate's rules match and its bus policy admits.
 */

const MODULE = 'modules/shipgate-deploy-role';

/**
 * Top-level arguments and blocks of the resources the module uses, in the Terraform AWS provider 6.x schema (as
 * @cdktf/provider-aws 21.x generates it: lib/<resource>/index.d.ts), so a misspelt argument fails here.
 */
const PROVIDER_ARGUMENTS: Record<string, string[]> = {
  aws_iam_role: [
    'assume_role_policy',
    'description',
    'force_detach_policies',
    'inline_policy',
    'managed_policy_arns',
    'max_session_duration',
    'name',
    'name_prefix',
    'path',
    'permissions_boundary',
    'tags',
  ],
  aws_iam_role_policy: ['name', 'name_prefix', 'policy', 'role'],
  aws_cloudwatch_event_rule: [
    'description',
    'event_bus_name',
    'event_pattern',
    'force_destroy',
    'is_enabled',
    'name',
    'name_prefix',
    'region',
    'role_arn',
    'schedule_expression',
    'state',
    'tags',
  ],
  aws_sqs_queue: [
    'content_based_deduplication',
    'deduplication_scope',
    'delay_seconds',
    'fifo_queue',
    'fifo_throughput_limit',
    'kms_data_key_reuse_period_seconds',
    'kms_master_key_id',
    'max_message_size',
    'message_retention_seconds',
    'name',
    'name_prefix',
    'policy',
    'receive_wait_time_seconds',
    'redrive_allow_policy',
    'redrive_policy',
    'region',
    'sqs_managed_sse_enabled',
    'tags',
    'visibility_timeout_seconds',
  ],
  aws_sqs_queue_policy: ['policy', 'queue_url', 'region'],
  aws_cloudwatch_metric_alarm: [
    'actions_enabled',
    'alarm_actions',
    'alarm_description',
    'alarm_name',
    'comparison_operator',
    'datapoints_to_alarm',
    'dimensions',
    'evaluate_low_sample_count_percentiles',
    'evaluation_periods',
    'extended_statistic',
    'insufficient_data_actions',
    'metric_name',
    'metric_query',
    'namespace',
    'ok_actions',
    'period',
    'region',
    'statistic',
    'tags',
    'threshold',
    'threshold_metric_id',
    'treat_missing_data',
    'unit',
  ],
  aws_cloudwatch_event_target: [
    'appsync_target',
    'arn',
    'batch_target',
    'dead_letter_config',
    'ecs_target',
    'event_bus_name',
    'force_destroy',
    'http_target',
    'input',
    'input_path',
    'input_transformer',
    'kinesis_target',
    'redshift_target',
    'region',
    'retry_policy',
    'role_arn',
    'rule',
    'run_command_targets',
    'sagemaker_pipeline_target',
    'sqs_target',
    'target_id',
  ],
};

type Statement = {
  sid?: string;
  actions: string[];
  resources: unknown;
  condition?: Block[];
  principals?: Block[];
};

/** The statements of a policy document of the module, dynamic ones included. */
function statementsOf(main: TfFile, doc: string): Statement[] {
  const body = blocksOf(main, 'data').find(([t, n]) => t === 'aws_iam_policy_document' && n === doc)?.[2];
  return children(body, 'statement') as unknown as Statement[];
}

const actionsOf = (statements: Statement[]) => [...new Set(statements.flatMap((s) => s.actions))].sort();

// GIVEN the example config (production in 222222222222) and the same config in one account
const config = loadConfig('shipgate.config.yaml');
const oneAccount = new ShipgateStack(new App(), 'Shipgate', {
  config: { ...config, environments: config.environments.map(({ aws: _aws, ...env }) => env) },
  code: 'placeholder',
});
/** Every action the single-account stack grants its functions on ECS, SSM, CloudWatch, CodeDeploy and IAM. */
const singleAccountActions = (() => {
  const resources = Template.fromStack(oneAccount).toJSON().Resources as Record<
    string,
    { Type: string; Properties: { PolicyDocument?: { Statement: Array<{ Action: string | string[] }> } } }
  >;
  return [
    ...new Set(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((r) => r.Properties.PolicyDocument!.Statement.flatMap((s) => [s.Action].flat()))
        .filter((a) => /^(ecs|ssm|cloudwatch|codedeploy|iam):/.test(a)),
    ),
  ].sort();
})();

describe('terraform/modules/shipgate-deploy-role', () => {
  let main: TfFile;
  beforeAll(async () => {
    main = await parseFile(`${MODULE}/main.tf`);
  });

  it('uses only arguments the AWS provider schema has', () => {
    const problems: string[] = [];
    for (const [type, name, body] of blocksOf(main)) {
      const known = PROVIDER_ARGUMENTS[type];
      if (!known) {
        problems.push(`${type}.${name}: add its provider arguments to PROVIDER_ARGUMENTS`);
        continue;
      }
      for (const arg of Object.keys(body)) {
        if (!known.includes(arg) && arg !== 'count' && arg !== 'depends_on')
          problems.push(`${type}.${name}.${arg}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('trusts only the given Shipgate function roles and the named operators, and only with the external id', () => {
    const trust = statementsOf(main, 'trust');
    const externalId = [{ test: 'StringEquals', variable: 'sts:ExternalId', values: ['${var.external_id}'] }];
    expect(trust).toEqual([
      {
        sid: 'ShipgateFunctions',
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'AWS', identifiers: '${var.shipgate_role_arns}' }],
        condition: externalId,
      },
      // A dynamic block: present only when operator_principal_arns is not empty.
      {
        sid: 'ShipgateOperators',
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'AWS', identifiers: '${var.operator_principal_arns}' }],
        condition: externalId,
      },
    ]);
    expect(readFileSync(join(TERRAFORM_DIR, MODULE, 'main.tf'), 'utf8')).toContain(
      'for_each = length(var.operator_principal_arns) > 0 ? [1] : []',
    );
    const role = blocksOf(main).find(([t, n]) => t === 'aws_iam_role' && n === 'this')![2];
    expect(role.assume_role_policy).toBe('${data.aws_iam_policy_document.trust.json}');
  });

  it('lets named operators read load balancers and write contracts (contract init --write), only while there are any', () => {
    expect(statementsOf(main, 'operators').map((st) => [st.sid, st.actions, st.resources])).toEqual([
      [
        'ReadLoadBalancers',
        [
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
        ],
        ['*'],
      ],
      [
        'WriteDeployContracts',
        ['ssm:PutParameter'],
        ['${local.arn.ssm}:parameter${var.contracts_prefix}/${var.environment}/services/*'],
      ],
    ]);
    const policy = blocksOf(main).find(([t, n]) => t === 'aws_iam_role_policy' && n === 'operators')![2];
    expect(policy.count).toBe('${length(var.operator_principal_arns) > 0 ? 1 : 0}');
    expect(policy.policy).toBe('${data.aws_iam_policy_document.operators.json}');
    // What contract init calls on the load balancer is what the policy allows.
    const calls = readFileSync(join(__dirname, '../../../src/cli/live-service.ts'), 'utf8').match(
      /new (Describe(?:Listeners|LoadBalancers|Rules|TargetGroups))Command/g,
    )!;
    const used = [
      ...new Set(calls.map((c) => `elasticloadbalancing:${c.slice(4, -'Command'.length)}`)),
    ].sort();
    expect(used).toEqual(statementsOf(main, 'operators')[0].actions);
  });

  it('allows what Shipgate does for an environment: the single-account stack’s actions, nothing more', () => {
    const granted = actionsOf(statementsOf(main, 'this'));
    // GetParametersByPath: the stack grants it with the contracts, no Shipgate code calls it.
    expect(granted).toEqual(singleAccountActions.filter((a) => a !== 'ssm:GetParametersByPath'));
    // Only the actions without resource-level permissions have "*".
    for (const s of statementsOf(main, 'this')) {
      if (JSON.stringify(s.resources).includes('"*"')) {
        expect(s.actions.sort()).toEqual(['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition']);
      }
    }
    // Contracts of this environment only.
    const contracts = statementsOf(main, 'this').find((s) => s.sid === 'ReadDeployContracts')!;
    expect(contracts.resources).toEqual([
      '${local.arn.ssm}:parameter${var.contracts_prefix}/${var.environment}/*',
    ]);
  });

  it('passes only the named roles, each to the one service it is for', () => {
    const passes = statementsOf(main, 'this').filter((s) => s.actions.includes('iam:PassRole'));
    const bySid = [...passes].sort((a, b) => String(a.sid).localeCompare(String(b.sid)));
    expect(bySid.map((s) => [s.sid, s.actions, s.resources, s.condition])).toEqual([
      [
        'PassEcsRoles',
        ['iam:PassRole'],
        '${distinct(concat([aws_iam_role.ecs_hooks.arn], var.ecs_role_arns))}',
        [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['ecs.amazonaws.com'] }],
      ],
      [
        'PassTaskRoles',
        ['iam:PassRole'],
        '${var.task_role_arns}',
        [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['ecs-tasks.amazonaws.com'] }],
      ],
    ]);
  });

  it('lets ECS invoke Shipgate’s verify hook with a role named as the stack derives it', () => {
    const role = blocksOf(main).find(([t, n]) => t === 'aws_iam_role' && n === 'ecs_hooks')![2];
    expect(role).toMatchObject({ name: '${var.name}-ecs-hooks', path: '${var.path}' });
    expect(ecsHookRoleArn('arn:aws:iam::222222222222:role/shipgate-deploy')).toBe(
      'arn:aws:iam::222222222222:role/shipgate-deploy-ecs-hooks',
    );
    expect(statementsOf(main, 'ecs_hooks_trust')[0].principals).toEqual([
      { type: 'Service', identifiers: ['ecs.amazonaws.com'] },
    ]);
    expect(statementsOf(main, 'ecs_hooks').map((s) => [s.actions, s.resources])).toEqual([
      [['lambda:InvokeFunction'], ['${var.verify_hook_function_arn}', '${var.verify_hook_function_arn}:*']],
    ]);
  });

  it('forwards exactly the events Shipgate’s rules match, to Shipgate’s bus, with a role that may put only there', () => {
    const locals = child(main.json as Block, 'locals')!;
    expect(locals.forwarded_events).toEqual(
      ROLLOUT_EVENT_PATTERNS.map((p) => ({ source: p.source, detail_type: p.detailType })),
    );
    const rule = blocksOf(main).find(([t]) => t === 'aws_cloudwatch_event_rule')![2];
    expect(String(rule.event_pattern)).toContain('local.forwarded_events');
    expect(rule).not.toHaveProperty('event_bus_name'); // the account's default bus, where ECS sends them
    const target = blocksOf(main).find(([t]) => t === 'aws_cloudwatch_event_target')![2];
    expect(target).toMatchObject({
      arn: '${var.shipgate_event_bus_arn}',
      role_arn: '${aws_iam_role.events.arn}',
    });
    expect(statementsOf(main, 'events').map((s) => [s.actions, s.resources])).toEqual([
      [['events:PutEvents'], ['${var.shipgate_event_bus_arn}']],
    ]);
    expect(statementsOf(main, 'events_trust')[0].principals).toEqual([
      { type: 'Service', identifiers: ['events.amazonaws.com'] },
    ]);
  });

  it('keeps what it cannot forward in a queue of its own, for a day of retries, and alarms on it', () => {
    const find = (type: string) => blocksOf(main).find(([t]) => t === type)![2];
    const target = find('aws_cloudwatch_event_target');
    expect(children(target, 'dead_letter_config')).toEqual([{ arn: '${aws_sqs_queue.forward_failed.arn}' }]);
    expect(children(target, 'retry_policy')).toEqual([
      { maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 },
    ]);
    // Only EventBridge, for this rule, may put dead letters there.
    expect(statementsOf(main, 'forward_failed')).toEqual([
      {
        sid: 'EventBridgeDeadLetters',
        actions: ['sqs:SendMessage'],
        resources: ['${aws_sqs_queue.forward_failed.arn}'],
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        condition: [
          {
            test: 'ArnEquals',
            variable: 'aws:SourceArn',
            values: ['${aws_cloudwatch_event_rule.forward.arn}'],
          },
        ],
      },
    ]);
    expect(find('aws_cloudwatch_metric_alarm')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: '${aws_sqs_queue.forward_failed.name}' },
      threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      alarm_actions: '${var.alarm_actions}',
    });
  });

  it('keeps every name it derives within IAM’s and EventBridge’s 64 characters, SQS’s 80', async () => {
    const vars = variablesOf(await parseFile(`${MODULE}/variables.tf`));
    // name is at most 54 characters; the longest suffix is "-ecs-hooks" (10).
    expect(String(child(vars.name, 'validation')?.condition)).toContain('{1,54}');
    const suffixes = (types: string[]) =>
      blocksOf(main)
        .filter(([t]) => types.includes(t))
        .map(([, , body]) => String(body.name ?? ''))
        .filter((n) => n.startsWith('${var.name}'))
        .map((n) => n.replace('${var.name}', ''));
    const limited = suffixes(['aws_iam_role', 'aws_cloudwatch_event_rule']);
    expect(limited.sort()).toEqual(['', '-ecs-hooks', '-events', '-forward']);
    expect(Math.max(...limited.map((s) => s.length))).toBeLessThanOrEqual(10);
    // A queue name may have 80 characters.
    expect(suffixes(['aws_sqs_queue'])).toEqual(['-forward-failed']);
    expect(54 + '-forward-failed'.length).toBeLessThanOrEqual(80);
  });
});

describe('production, in an account of its own, applies it', () => {
  it('with the external id and role name shipgate.config.yaml names for production', async () => {
    const tfvars = (await parseTfvars('environments/production/terraform.tfvars')) as {
      environment: { shipgate: Record<string, unknown> };
    };
    const production = config.environments.find((e) => e.name === 'production')!;
    expect(production.aws).toBeDefined();
    expect(tfvars.environment.shipgate).toMatchObject({
      external_id: production.aws!.externalId,
      deploy_role_name: production.aws!.deployRole.split('/').pop(),
    });
    // staging lives in Shipgate's account: no deploy role there
    const staging = (await parseTfvars('environments/staging/terraform.tfvars')) as {
      environment: Record<string, unknown>;
    };
    expect(staging.environment).not.toHaveProperty('shipgate');
    expect(config.environments.find((e) => e.name === 'staging')!.aws).toBeUndefined();
  });

  it('through modules/environment, passing the services’ own roles', async () => {
    const main = await parseFile('modules/environment/main.tf');
    const call = (main.json.module as Record<string, Block[]>).shipgate_deploy_role[0];
    expect(call).toMatchObject({
      source: '../shipgate-deploy-role',
      count: '${try(var.environment.shipgate.role_arns, null) == null ? 0 : 1}',
      external_id: '${var.environment.shipgate.external_id}',
      shipgate_role_arns: '${var.environment.shipgate.role_arns}',
      shipgate_event_bus_arn: '${var.environment.shipgate.event_bus_arn}',
      verify_hook_function_arn: '${var.environment.shipgate.verify_hook_function_arn}',
    });
    expect(String(call.task_role_arns)).toContain('task_role_arn');
    expect(String(call.ecs_role_arns)).toContain('infrastructure_role_arn');
  });

  it('shares the smoke check’s subnets and group with Shipgate’s account, and adds an STS endpoint', async () => {
    const main = await parseFile('modules/environment/main.tf');
    const modules = main.json.module as Record<string, Block[]>;
    expect(modules.smoke_check[0].share_with_account_id).toBe(
      '${try(var.environment.shipgate.account_id, null)}',
    );
    expect(String(modules.network[0].interface_endpoints)).toContain(
      'try(var.environment.shipgate.account_id, null) == null ? [] : ["sts"]',
    );
    const smoke = await parseFile('modules/smoke-check/main.tf');
    const byType = (type: string) =>
      blocksOf(smoke)
        .filter(([t]) => t === type)
        .map(([, , body]) => body);
    expect(byType('aws_ram_resource_share')).toEqual([
      expect.objectContaining({ allow_external_principals: false }),
    ]);
    expect(byType('aws_ram_principal_association')).toEqual([
      expect.objectContaining({ principal: '${var.share_with_account_id}' }),
    ]);
    const shared = byType('aws_ram_resource_association')
      .map((b) => String(b.resource_arn))
      .sort();
    expect(shared).toEqual([
      '${aws_security_group.this.arn}',
      expect.stringContaining(':subnet/${var.subnet_ids[count.index]}'),
    ]);
    // Nothing is shared for an environment in Shipgate's own account.
    for (const type of [
      'aws_ram_resource_share',
      'aws_ram_principal_association',
      'aws_ram_resource_association',
    ]) {
      for (const body of byType(type))
        expect(String(body.count)).toMatch(/^\$\{var\.share_with_account_id == null \? 0 : /);
    }
    const ram: Record<string, string[]> = {
      aws_ram_resource_share: ['allow_external_principals', 'name', 'permission_arns', 'region', 'tags'],
      aws_ram_principal_association: ['principal', 'region', 'resource_share_arn'],
      aws_ram_resource_association: ['region', 'resource_arn', 'resource_share_arn'],
    };
    for (const [type, name, body] of blocksOf(smoke).filter(([t]) => t in ram)) {
      for (const arg of Object.keys(body).filter((a) => a !== 'count')) {
        expect({ resource: `${type}.${name}`, arg, known: ram[type].includes(arg) }).toEqual({
          resource: `${type}.${name}`,
          arg,
          known: true,
        });
      }
    }
    const tfvars = (await parseTfvars('environments/production/terraform.tfvars')) as {
      environment: { shipgate: { account_id: string; event_bus_arn: string } };
    };
    expect(tfvars.environment.shipgate.event_bus_arn.split(':')[4]).toBe(
      tfvars.environment.shipgate.account_id,
    );
  });

  it('and terraform/global lets the environment accounts pull the images', async () => {
    const global = await parseFile('global/main.tf');
    const ecr = (global.json.module as Record<string, Block[]>).ecr[0];
    expect(String(ecr.pull_principal_arns)).toContain('var.environment_account_ids');
    const policy = await parseFile('modules/ecr/main.tf');
    const statements = children(
      blocksOf(policy, 'data').find(([t]) => t === 'aws_iam_policy_document')![2],
      'statement',
    ) as unknown as Statement[];
    expect(actionsOf(statements)).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
  });
});
