import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { loadConfig } from '../../../lambdas/shared/config';
import { SECRET_ENV, type SecretName } from '../../../lambdas/shared/secrets';
import { HTTP_DEFINES } from '../../../lib/build/lambda-bundles';
import { REPO_ROOT } from '../../../lib/constructs/shipgate-function';
import { ShipgateStack } from '../../../lib/shipgate-stack';
import { SHARED_STEP_NAMES, STEPS } from '../../../lib/workflow/steps';
import { blocksOf, children, parseFile } from '../terraform/hcl';

/**
 * The IAM policy of each Lambda against what its code can do: every AWS call in the handler's bundle must be
 * allowed, and the secrets granted must be exactly those the bundle reads (least privilege).
 */

/** AWS SDK command → IAM action, for every non-DynamoDB command Shipgate uses (DynamoDB: table grants). */
const ACTIONS: Record<string, string> = {
  Invoke: 'lambda:InvokeFunction',
  DescribeImages: 'ecr:DescribeImages',
  DescribeRepositories: 'ecr:DescribeRepositories',
  DescribeImageScanFindings: 'ecr:DescribeImageScanFindings',
  GetParameter: 'ssm:GetParameter',
  GetParameters: 'ssm:GetParameters',
  GetParametersByPath: 'ssm:GetParametersByPath',
  SendTaskSuccess: 'states:SendTaskSuccess',
  SendTaskFailure: 'states:SendTaskFailure',
  SendTaskHeartbeat: 'states:SendTaskHeartbeat',
  StartExecution: 'states:StartExecution',
  DescribeExecution: 'states:DescribeExecution',
  ListExecutions: 'states:ListExecutions',
  GetExecutionHistory: 'states:GetExecutionHistory',
  RegisterTaskDefinition: 'ecs:RegisterTaskDefinition',
  DescribeTaskDefinition: 'ecs:DescribeTaskDefinition',
  DescribeServices: 'ecs:DescribeServices',
  UpdateService: 'ecs:UpdateService',
  ListServiceDeployments: 'ecs:ListServiceDeployments',
  DescribeServiceDeployments: 'ecs:DescribeServiceDeployments',
  StopServiceDeployment: 'ecs:StopServiceDeployment',
  ContinueServiceDeployment: 'ecs:ContinueServiceDeployment',
  DescribeAlarms: 'cloudwatch:DescribeAlarms',
  CreateDeployment: 'codedeploy:CreateDeployment',
  GetDeployment: 'codedeploy:GetDeployment',
  StopDeployment: 'codedeploy:StopDeployment',
  GetDeploymentGroup: 'codedeploy:GetDeploymentGroup',
  GetDeploymentConfig: 'codedeploy:GetDeploymentConfig',
  GetSecretValue: 'secretsmanager:GetSecretValue',
  // Environments in their own account (environments[].aws): the deploy role is assumed (issue 29).
  AssumeRole: 'sts:AssumeRole',
};
const DYNAMODB = new Set([
  'Get',
  'Put',
  'Query',
  'Update',
  'Delete',
  'Scan',
  'TransactWrite',
  'TransactGet',
  'BatchWrite',
  'BatchGet',
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
]);

interface Usage {
  secrets: SecretName[];
  commands: string[];
}

/**
 * Secrets read (`getSecret('<name>')`) and SDK commands constructed (`new XCommand(`) by a bundle; the HTTP
 * bundle with its own defines, as lib/build/lambda-bundles.ts builds it (follow-ups handed off).
 */
async function usageOf(entry: string, defines: Record<string, string> = {}): Promise<Usage> {
  const result = await build({
    entryPoints: [resolve(REPO_ROOT, entry)],
    define: defines,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  const secrets = new Set<SecretName>();
  const commands = new Set<string>();
  // The tree-shaken output, so only code the handler can reach counts (comments are dropped too).
  const text = result.outputFiles[0].text;
  for (const m of text.matchAll(/getSecret\d*\)?\(\s*['"](\w+)['"]/g)) {
    if (m[1] in SECRET_ENV) secrets.add(m[1] as SecretName);
  }
  for (const m of text.matchAll(/new (?:[\w$]+\.)?(\w+)Command\(/g)) commands.add(m[1]);
  return { secrets: [...secrets].sort(), commands: [...commands].sort() };
}

const config = loadConfig('shipgate.config.yaml');
const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
const resources = Template.fromStack(stack).toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const functions = {
  http: { fn: stack.httpFunction, entry: 'lambdas/http/handler.ts' },
  ...Object.fromEntries(
    SHARED_STEP_NAMES.map((s) => [s, { fn: stack.stepFunctions[s], entry: STEPS[s].entry }]),
  ),
  // One verify hook per environment, all the same code.
  ...Object.fromEntries(
    Object.entries(stack.verifyHooks).map(([env, fn]) => [
      `verify-hook (${env})`,
      { fn, entry: STEPS['verify-hook'].entry },
    ]),
  ),
};

/** Actions and secret logical ids granted to a function's role. */
function grantsOf(fn: (typeof functions)['http']['fn']) {
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
  const statements = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: Array<{ Action: string | string[]; Resource: unknown }>;
          }
        ).Statement,
    );
  const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
  const secrets = (Object.keys(SECRET_ENV) as SecretName[])
    .filter((name) => {
      const id = stack.getLogicalId(stack.secrets.secrets[name].node.defaultChild as never);
      return statements.some(
        (s) =>
          (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(s.Resource).includes(id),
      );
    })
    .sort();
  return { actions, secrets };
}

/**
 * What a deploy role allows (terraform/modules/shipgate-deploy-role): a function that may assume the deploy role
 * of an environment in another account makes that environment's calls with the role's credentials.
 */
async function deployRoleActions(): Promise<Set<string>> {
  const main = await parseFile('modules/shipgate-deploy-role/main.tf');
  const doc = blocksOf(main, 'data').find(([t, n]) => t === 'aws_iam_policy_document' && n === 'this')![2];
  return new Set(children(doc, 'statement').flatMap((s) => s.actions as string[]));
}

describe('IAM matches what each Lambda’s code does', () => {
  const usage: Record<string, Usage> = {};
  let viaDeployRole: Set<string>;
  beforeAll(async () => {
    for (const [name, { entry }] of Object.entries(functions)) {
      usage[name] = await usageOf(entry, name === 'http' ? { ...HTTP_DEFINES } : {});
    }
    viaDeployRole = await deployRoleActions();
  }, 120_000);

  it.each(Object.keys(functions))('%s is granted exactly the secrets it reads', (name) => {
    expect(grantsOf(functions[name as keyof typeof functions].fn).secrets).toEqual(usage[name].secrets);
  });

  it.each(Object.keys(functions))('%s may make every AWS call in its bundle', (name) => {
    const { actions } = grantsOf(functions[name as keyof typeof functions].fn);
    // With production in another account (the example config), a function acting on it may make the call with
    // production's deploy role instead of its own; AssumeRole itself is granted per environment
    // (test/unit/cdk/environment-accounts.test.ts), and never needed by a function given no such environment.
    const assumes = actions.has('sts:AssumeRole');
    const missing = usage[name].commands
      .filter((c) => !DYNAMODB.has(c))
      .map((c) => ACTIONS[c] ?? `unknown SDK command ${c}Command: add its IAM action to ACTIONS`)
      .filter((action) => !actions.has(action))
      .filter((action) => !(assumes && viaDeployRole.has(action)))
      .filter((action) => !(action === 'sts:AssumeRole' && !assumes));
    expect(missing).toEqual([]);
  });

  // A task token decides a waiting step for whoever may call SendTask* (docs/architecture.md, "Where task
  // tokens are"): only a function whose code answers tokens may hold that permission.
  it.each(Object.keys(functions))('%s may send exactly the task-token answers its bundle sends', (name) => {
    const { actions } = grantsOf(functions[name as keyof typeof functions].fn);
    const granted = [...actions].filter((a) => a.startsWith('states:SendTask')).sort();
    const used = usage[name].commands
      .filter((c) => c.startsWith('SendTask'))
      .map((c) => ACTIONS[c])
      .sort();
    expect(granted).toEqual(used);
  });
});
