import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../../lambdas/shared/config';
import { SECRET_ENV, type SecretName } from '../../../lambdas/shared/secrets';
import { ShipgateStack } from '../../../lib/shipgate-stack';
import { SHARED_STEP_NAMES, STEPS } from '../../../lib/workflow/steps';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
};

// GIVEN the example config, WHEN the stack is synthesized (placeholder code: no bundling in this suite)
const config = loadConfig('shipgate.config.yaml');
const app = new App();
const stack = new ShipgateStack(app, 'Shipgate', { config, code: 'placeholder' });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

/** Statements of the inline policies attached to a function's role (in `of`, default the example's stack). */
function statementsOf(fn: { role?: { node: { defaultChild?: unknown } } }, of = stack): Statement[] {
  const roleId = of.getLogicalId(fn.role!.node.defaultChild as never);
  const all =
    of === stack ? resources : (Template.fromStack(of).toJSON().Resources as Record<string, Resource>);
  return Object.values(all)
    .filter((p) => p.Type === 'AWS::IAM::Policy')
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

// AND the same config with every environment in Shipgate's own account (no `environments[].aws`): today's
// single-account grants, which an environment in another account replaces with its deploy role.
const statementsOfExample = statementsOf;
const oneAccount = new ShipgateStack(new App(), 'Shipgate', {
  config: { ...config, environments: config.environments.map(({ aws: _aws, ...env }) => env) },
  code: 'placeholder',
});

describe('ShipgateStack', () => {
  it('runs every Lambda on Node.js 22, arm64, with X-Ray tracing and the table name', () => {
    const functions = ofType('AWS::Lambda::Function');
    // The HTTP function, one per shared step, one verify hook per environment.
    expect(functions).toHaveLength(1 + SHARED_STEP_NAMES.length + config.environments.length);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: expect.objectContaining({
            SHIPGATE_TABLE: { Ref: logicalId(stack.table.table) },
            SHIPGATE_PUBLIC_URL: expect.anything(),
            POWERTOOLS_SERVICE_NAME: 'shipgate',
          }),
        },
      });
    }
  });

  it('builds a Standard state machine with ALL logging (execution data included) and tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: 'shipgate-release',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    const join = ofType('AWS::StepFunctions::StateMachine')[0][1].Properties.DefinitionString as {
      'Fn::Join': [string, unknown[]];
    };
    const definition = join['Fn::Join'][1].filter((p) => typeof p === 'string').join('');
    for (const name of [
      'Resolve release',
      'Scan',
      'Approve staging',
      'Deploy production',
      'Verify production',
      'Record release',
    ]) {
      expect(definition).toContain(`"${name}"`);
    }
  });

  it('lets the state machine invoke the step Lambdas but not the HTTP Lambda', () => {
    const role = stack.workflow.stateMachine.role as unknown as { node: { defaultChild?: unknown } };
    const invoked = JSON.stringify(
      statementsOf({ role }).filter((s) => actions(s).includes('lambda:InvokeFunction')),
    );
    for (const step of ['resolve-release', 'start-rollout', 'report-failure'] as const) {
      expect(invoked).toContain(logicalId(stack.stepFunctions[step]));
    }
    expect(invoked).not.toContain(logicalId(stack.httpFunction));
  });

  it('keeps ECS writes to named actions, scoped resources and task roles only', () => {
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const action of actions(s)) {
          expect(action).not.toBe('*');
          expect(action).not.toMatch(/^(ecs|iam|codedeploy|states|secretsmanager|ssm|dynamodb):\*$/);
        }
      }
    }
    const rollout = statementsOf(stack.stepFunctions['start-rollout']);
    const update = rollout.find((s) => actions(s).includes('ecs:UpdateService'))!;
    expect(JSON.stringify(update.Resource)).toContain(':service/*');
    // Every PassRole names the one service it passes to: task roles to ECS tasks; hook roles and the
    // infrastructure role to ECS itself.
    const passRoles = rollout.filter((s) => actions(s).includes('iam:PassRole'));
    expect(
      passRoles.map((s) => s.Condition).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
    ]);
    for (const s of passRoles) expect(actions(s)).toEqual(['iam:PassRole']);
    // Blue/green family: StopServiceDeployment on service deployments only.
    const stop = rollout.find((s) => actions(s).includes('ecs:StopServiceDeployment'))!;
    expect(JSON.stringify(stop.Resource)).toContain(':service-deployment/*');
    // The HTTP Lambda decides pauses: ContinueServiceDeployment (and the DescribeServiceDeployments that
    // checks the hook still waits) on the service deployments of the services that pause, and nothing else.
    // (The example pauses in production, which lives in another account: there, through its deploy role.)
    expect(
      statementsOf(stack.httpFunction).filter((st) => actions(st).some((a) => /^(ecs|sts):/.test(a))),
    ).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::222222222222:role/shipgate-deploy',
      }),
    ]);
    const http = statementsOf(oneAccount.httpFunction, oneAccount).filter((st) =>
      actions(st).some((a) => a.startsWith('ecs:') || a === 'iam:PassRole'),
    );
    expect(http).toHaveLength(1);
    expect(actions(http[0]).sort()).toEqual([
      'ecs:ContinueServiceDeployment',
      'ecs:DescribeServiceDeployments',
    ]);
    expect(http[0].Sid).toBe('DecidePauses');
    const pauseResources = [http[0].Resource].flat().map((r) => JSON.stringify(r));
    // The example config pauses billing-app (production CANARY) only.
    expect(pauseResources).toHaveLength(1);
    expect(pauseResources[0]).toContain(':service-deployment/*/billing-app/*');
    expect(pauseResources.join()).not.toMatch(/inventory-app|api-gateway|:service\/|"\*"/);
    // No other function may continue service deployments.
    for (const fn of [
      stack.stepFunctions['start-rollout'],
      stack.stepFunctions['request-pause'],
      stack.stepFunctions['rollout-events'],
    ]) {
      expect(statementsOf(fn).flatMap(actions)).not.toContain('ecs:ContinueServiceDeployment');
    }
    // The non-rollout steps cannot touch ECS at all.
    for (const fn of [stack.stepFunctions.scan, stack.stepFunctions['record-release']]) {
      expect(
        statementsOf(fn)
          .flatMap(actions)
          .filter((a) => a.startsWith('ecs:') || a === 'iam:PassRole'),
      ).toEqual([]);
    }
  });

  it('lets ECS (and only ECS) invoke the verify hooks, and only those functions', () => {
    // (Shipgate's role invokes the hooks of environments in Shipgate's account: all of them in `oneAccount`.)
    const stack = oneAccount;
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
    const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
    const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(construct.node.defaultChild as never);
    const statementsOf = (fn: { role?: { node: { defaultChild?: unknown } } }) =>
      statementsOfExample(fn, stack);
    const roles = ofType('AWS::IAM::Role').filter(([id]) => id === logicalId(stack.lifecycleHookRole));
    expect(roles).toHaveLength(1);
    const trust = roles[0][1].Properties.AssumeRolePolicyDocument as { Statement: Statement[] };
    expect(trust.Statement.map((s) => (s as { Principal?: unknown }).Principal)).toEqual([
      { Service: 'ecs.amazonaws.com' },
    ]);
    const statements = statementsOf({ role: stack.lifecycleHookRole });
    expect(statements.length).toBeGreaterThan(0);
    expect([...new Set(statements.flatMap(actions))]).toEqual(['lambda:InvokeFunction']);
    // ECS invokes each hook's alias `live` (the version the last deploy published).
    const hookIds = Object.keys(stack.verifyHooks).map((env) =>
      logicalId(stack.liveAliases[`verify-hook-${env}`]),
    );
    expect(hookIds).toHaveLength(config.environments.length);
    const invokable = JSON.stringify(statements.map((s) => s.Resource));
    for (const id of hookIds) expect(invokable).toContain(id);
    for (const s of statements) {
      expect(hookIds.some((id) => JSON.stringify(s.Resource).includes(id))).toBe(true);
    }
    const env = (fn: unknown) =>
      (
        ofType('AWS::Lambda::Function').find(([id]) => id === logicalId(fn as never))![1].Properties
          .Environment as { Variables: Record<string, unknown> }
      ).Variables;
    // Each environment's rollouts name that environment's hook (SHIPGATE_VERIFY_HOOK_ARNS, a JSON object):
    // resolve the Fn::Join with each GetAtt written as <logical id>, then read it as JSON.
    const joined = env(stack.stepFunctions['start-rollout']).SHIPGATE_VERIFY_HOOK_ARNS as {
      'Fn::Join': [string, (string | { Ref: string })[]];
    };
    const text = joined['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : `<${part.Ref}>`))
      .join('');
    expect(JSON.parse(text)).toEqual(
      Object.fromEntries(
        Object.keys(stack.verifyHooks).map((name) => [
          name,
          `<${logicalId(stack.liveAliases[`verify-hook-${name}`])}>`,
        ]),
      ),
    );
  });

  it('reads deploy contracts only under the configured SSM prefix, each environment of this account under its own path', () => {
    const ssm = statementsOf(stack.stepFunctions['resolve-release']).find((s) =>
      actions(s).includes('ssm:GetParameter'),
    )!;
    // production lives in another account: its contracts are read there, with its deploy role
    expect(JSON.stringify(ssm.Resource)).toContain(':parameter/shipgate/staging/*"');
    expect(JSON.stringify(ssm.Resource)).not.toContain('production');
    const both = statementsOf(oneAccount.stepFunctions['resolve-release'], oneAccount).find((s) =>
      actions(s).includes('ssm:GetParameter'),
    )!;
    expect([both.Resource].flat().map((r) => JSON.stringify(r).replace(/^.*:parameter/, ''))).toEqual([
      '/shipgate/staging/*"]]}',
      '/shipgate/production/*"]]}',
    ]);
    expect(statementsOf(stack.httpFunction).flatMap(actions)).not.toContain('ssm:GetParameter');
  });

  it('gives each secret only to the functions that use it, by ARN in <ENV>_SECRET_ARN', () => {
    const readers = (name: SecretName) => {
      const secretId = logicalId(stack.secrets.secrets[name]);
      const fns = [
        stack.httpFunction,
        ...SHARED_STEP_NAMES.map((s) => stack.stepFunctions[s]),
        ...Object.values(stack.verifyHooks),
      ];
      return fns
        .filter((fn) =>
          statementsOf(fn).some(
            (s) =>
              actions(s).includes('secretsmanager:GetSecretValue') &&
              JSON.stringify(s.Resource).includes(secretId),
          ),
        )
        .map((fn) => fn.node.scope!.node.id);
    };
    expect(readers('webhookToken')).toEqual(['HttpFunction']);
    expect(readers('webhookSigningKey')).toEqual(['HttpFunction']);
    expect(readers('slackSigningSecret').sort()).toEqual([
      'HttpFunction',
      'RequestApprovalFunction',
      'RequestPauseFunction',
    ]);
    // Only the review pages sign sessions; chat messages carry an unsigned review link.
    expect(readers('linkSigningKey')).toEqual(['HttpFunction']);
    // The GitLab OAuth application's secret: only the sign-in on review pages.
    expect(readers('oidcClientSecret')).toEqual(['HttpFunction']);
    expect(readers('chatWebhookUrl')).toEqual(
      expect.arrayContaining(['FollowUpFunction', 'RequestApprovalFunction', 'ReportFailureFunction']),
    );
    // GitLab feedback (commit statuses, deployments) is sent by these steps only (the HTTP function never calls
    // GitLab's API: a decision's follow-ups run in the follow-up function, which with the rollout waiters
    // reports pauses (decided, timed out) on the commit status).
    // Record release reads the commits new to each environment for the ledger (compare API).
    expect(readers('gitlabToken').sort()).toEqual([
      'AwaitRolloutFunction',
      'CheckFreezeFunction',
      'CheckRolloutFunction',
      // The ledger of a rollout that ends after its release ended (issue 27) reads the commits too.
      'ExecutionEventsFunction',
      'FollowUpFunction',
      'ManualRollbackFunction',
      'ReconcileFunction',
      'RecordReleaseFunction',
      'ReportFailureFunction',
      'RequestApprovalFunction',
      'RequestPauseFunction',
      'RolloutEventsFunction',
      'ScanFunction',
      'StartRolloutFunction',
      'VerifyFunction',
    ]);

    const env = (id: string) =>
      (
        ofType('AWS::Lambda::Function').find(([logical]) => logical.startsWith(id))![1].Properties
          .Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
    expect(env('HttpFunction')).toHaveProperty(`${SECRET_ENV.webhookToken}_SECRET_ARN`, {
      Ref: logicalId(stack.secrets.secrets.webhookToken),
    });
    expect(env('VerifyFunction')).not.toHaveProperty(`${SECRET_ENV.webhookToken}_SECRET_ARN`);
    for (const step of SHARED_STEP_NAMES) {
      for (const name of STEPS[step].secrets) {
        expect(readers(name)).toContain(stack.stepFunctions[step].node.scope!.node.id);
      }
    }
  });

  it('gives every asynchronously invoked function an on-failure destination (SQS) and runs the reconciler on a schedule', () => {
    // GIVEN the stack; WHEN synthesized; THEN each EventBridge / Scheduler / Event-invoked function has one
    // EventInvokeConfig whose OnFailure is the failed-events queue (issue 27: no lost events).
    const queueId = Object.entries(template.findResources('AWS::SQS::Queue')).find(([id]) =>
      id.startsWith('FailedEventsQueue'),
    )![0];
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map(
      (r) =>
        r.Properties as {
          FunctionName?: { Ref?: string };
          Qualifier?: unknown;
          MaximumRetryAttempts?: number;
          DestinationConfig?: { OnFailure?: { Destination?: unknown } };
        },
    );
    const logicalOf = (fn: unknown) =>
      stack.getLogicalId((fn as { node: { defaultChild: never } }).node.defaultChild);
    const async = {
      'rollout-events': 2,
      'execution-events': 2,
      reconcile: 2,
      // The HTTP function's hand-off of a decision's follow-ups (InvocationType Event).
      'follow-up': 2,
      // The alarm topic's subscriber: SNS invokes Lambda asynchronously (issue 31).
      'alarm-chat': 2,
    } as const;
    // Exactly these: the manual rollback is a task of its own state machine, never invoked asynchronously.
    expect(configs).toHaveLength(Object.keys(async).length);
    for (const [step, retries] of Object.entries(async)) {
      const id = logicalOf(stack.stepFunctions[step as keyof typeof async]);
      // On the alias the event sources invoke: asynchronous invocation settings are per qualifier. SNS
      // subscribes the function itself (an endpoint is not an alias), so alarm-chat's are on `$LATEST`.
      const qualifier = step === 'alarm-chat' ? '"$LATEST"' : `"Ref":"${logicalOf(stack.liveAliases[step])}"`;
      const config = configs.find(
        (c) => c.FunctionName?.Ref === id && JSON.stringify(c.Qualifier).includes(qualifier),
      );
      expect({
        step,
        retries: config?.MaximumRetryAttempts,
        onFailure: config?.DestinationConfig?.OnFailure?.Destination,
      }).toEqual({
        step,
        retries,
        onFailure: { 'Fn::GetAtt': [queueId, 'Arn'] },
      });
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({
        Arn: { Ref: logicalOf(stack.liveAliases.reconcile) },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      }),
    });
    template.hasOutput('FailedEventsQueueUrl', {});
  });

  it('stores state in one on-demand, encrypted table with point-in-time recovery, TTL and gsi1', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('creates one secret per SECRET_ENV entry', () => {
    expect(ofType('AWS::SecretsManager::Secret')).toHaveLength(Object.keys(SECRET_ENV).length);
  });

  it('routes the HTTP contract to the hono Lambda, with access logs', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual(
      [
        'POST /webhooks/gitlab',
        'ANY /webhooks/gitlab',
        'GET /approvals/{proxy+}',
        'GET /auth/{proxy+}',
        'HEAD /approvals/{proxy+}',
        'POST /approvals/{proxy+}',
        'POST /auth/{proxy+}',
        'GET /pauses/{proxy+}',
        'HEAD /pauses/{proxy+}',
        'POST /pauses/{proxy+}',
        'POST /slack/interactions',
        'GET /api/releases',
        'GET /api/releases/{id}',
        'GET /api/rollbacks',
        'POST /api/rollbacks',
        'GET /api/rollbacks/{id}',
        'GET /api/metrics/dora',
        'GET /api/quarantines',
        'POST /api/quarantines/lift',
        'GET /healthz',
      ].sort(),
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { Ref: logicalId(stack.liveAliases.http) },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('puts every /api/* route behind the IAM authorizer (403 without SigV4) and no other route', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => ({
      key: String(r.Properties.RouteKey),
      auth: r.Properties.AuthorizationType ?? 'NONE',
    }));
    const api = routes.filter((r) => / \/api(\/|$)/.test(r.key));
    expect(api.map((r) => r.key).sort()).toEqual([
      'GET /api/metrics/dora',
      'GET /api/quarantines',
      'GET /api/releases',
      'GET /api/releases/{id}',
      'GET /api/rollbacks',
      'GET /api/rollbacks/{id}',
      'POST /api/quarantines/lift',
      'POST /api/rollbacks',
    ]);
    expect(api.every((r) => r.auth === 'AWS_IAM')).toBe(true);
    expect(routes.filter((r) => r.auth === 'AWS_IAM').length).toBe(api.length);
    // An IAM route has no authorizer resource (AWS_IAM is built in); no other authorizer exists.
    expect(ofType('AWS::ApiGatewayV2::Authorizer')).toHaveLength(0);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
    const invoke = Object.entries(outputs).find(([id]) => id.includes('ApiRoutesInvokeArn'));
    expect(JSON.stringify(invoke?.[1].Value)).toContain('/$default/*/api/*');
  });

  it('sends ECS and CodeDeploy deployment events to rollout-events', () => {
    const target = [Match.objectLike({ Arn: { Ref: logicalId(stack.liveAliases['rollout-events']) } })];
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'] },
      Targets: target,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codedeploy'],
        'detail-type': ['CodeDeploy Deployment State-change Notification'],
      },
      Targets: target,
    });
  });

  it('gives the HTTP Lambda start/task-response/read on the state machine', () => {
    const granted = statementsOf(stack.httpFunction).flatMap(actions);
    expect(granted).toEqual(
      expect.arrayContaining([
        'states:StartExecution',
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
        'states:DescribeExecution',
      ]),
    );
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged findings', () => {
    const result = new AwsSolutionsChecks().validateScope(stack);
    expect(result.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });
});
