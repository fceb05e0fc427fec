import {
  ArnFormat,
  CfnOutput,
  Duration,
  Stack,
  Validations,
  type CfnResource,
  type StackProps,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Alias, IVersion, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { rolloutSettings, type ShipgateConfig } from '../lambdas/shared/config';
import { SECRET_ENV, type SecretName } from '../lambdas/shared/secrets';
import { buildLambdaBundles, type BundleName } from './build/lambda-bundles';
import { EnvironmentAccounts, ecsHookRoleArn } from './constructs/environment-accounts';
import { ReleaseTable } from './constructs/release-table';
import { ReleaseWorkflow } from './constructs/release-workflow';
import { RollbackWorkflow } from './constructs/rollback-workflow';
import { ExecutionEventRule } from './constructs/execution-event-rule';
import { FailedEvents } from './constructs/failed-events';
import { ReconcilerSchedule } from './constructs/reconciler-schedule';
import { RolloutEventRules } from './constructs/rollout-event-rules';
import { ShipgateFunction, type FunctionCodeMode } from './constructs/shipgate-function';
import { ShipgateSecrets } from './constructs/shipgate-secrets';
import { ShipgateAlarms } from './constructs/shipgate-alarms';
import { RELEASE_ERROR_FUNCTIONS, shipgateAlarms, type QueueKey } from './monitoring/alarms';
import { WebhookApi } from './constructs/webhook-api';
import { GitLabNetwork, callsGitLab } from './constructs/gitlab-network';
import { SmokeCheckHook } from './constructs/smoke-check-hook';
import { HTTP_MEMORY_MB, SHARED_STEP_NAMES, STEPS, type SharedStepName } from './workflow/steps';

/** Properties of {@link ShipgateStack}. */
export interface ShipgateStackProps extends StackProps {
  /** The validated configuration (drives the workflow's stages and IAM scopes). */
  readonly config: ShipgateConfig;
  /**
   * The config document as written, inlined into every Lambda bundle (`SHIPGATE_CONFIG_JSON`).
   * @default undefined (required unless `code` is 'placeholder')
   */
  readonly configDocument?: unknown;
  /** How Lambda code is built; 'placeholder' renders the template without bundling. @default 'bundle' */
  readonly code?: FunctionCodeMode;
  /**
   * Base URL of links in chat messages (a custom domain in front of the API).
   * @default the HTTP API's execute-api URL
   */
  readonly publicUrl?: string;
  /** Name of the release state machine. @default `<stack name in lower case>-release` */
  readonly stateMachineName?: string;
}

/**
 * Secrets read by the webhook/approvals/Slack HTTP Lambda. No GitLab token and no chat secret: a decision's
 * follow-ups (chat, GitLab commit status) run in the follow-up function, which it invokes asynchronously.
 */
export const HTTP_SECRETS: readonly SecretName[] = [
  'webhookToken',
  'webhookSigningKey',
  'slackSigningSecret',
  'linkSigningKey',
  // Review pages sign people in with GitLab (OpenID Connect) before they vote.
  'oidcClientSecret',
];

/**
 * Functions no state machine invokes: API Gateway, EventBridge, the scheduler, SNS and the HTTP function's
 * hand-off call them through their alias (or, SNS, unqualified), so their replaced versions are not kept
 * (published-versions.test.ts checks this against the state machines' definitions).
 */
const EVENT_INVOKED: readonly BundleName[] = [
  'http',
  'rollout-events',
  'execution-events',
  'reconcile',
  'follow-up',
  'alarm-chat',
];

/** Steps that talk to ECS/CodeDeploy to roll out or roll back. */
const ROLLOUT_STEPS: readonly SharedStepName[] = [
  'start-rollout',
  'await-rollout',
  'check-rollout',
  'request-pause',
  'rollback',
  'check-rollback',
  'manual-rollback',
  // Both take over rollouts an ended execution left behind (reconcile/orphans.ts).
  'execution-events',
  'reconcile',
];
/** Steps that read deploy contracts from SSM (and every environment's verify hook). */
const CONTRACT_STEPS: readonly SharedStepName[] = ['resolve-release', 'verify', ...ROLLOUT_STEPS];

/**
 * Shipgate on AWS: the HTTP API and its hono Lambda, one Lambda per workflow step, the release state
 * machine, the DynamoDB table, Secrets Manager secrets and the EventBridge rules for deployment events.
 *
 * Deploy with `npx cdk deploy -c config=<file>` (default `shipgate.config.yaml`); optional
 * `-c publicUrl=https://shipgate.example.com` when a custom domain fronts the API.
 */
export class ShipgateStack extends Stack {
  /** The DynamoDB table. */
  readonly table: ReleaseTable;
  /** The secrets. */
  readonly secrets: ShipgateSecrets;
  /** The HTTP Lambda (`lambdas/http/handler.ts`). */
  readonly httpFunction: LambdaFunction;
  /** The Lambda behind each step (the verify hook is per environment: {@link verifyHooks}). */
  readonly stepFunctions: Readonly<Record<SharedStepName, LambdaFunction>>;
  /** The version of each step this deploy published: what the state machines' tasks invoke. */
  readonly stepVersions: Readonly<Record<SharedStepName, IVersion>>;
  /**
   * The alias `live` of every function (the HTTP API's under `http`, each verify hook's under
   * `verify-hook-<environment>`): what event sources invoke, moved to the new version by each deploy.
   */
  readonly liveAliases: Readonly<Record<string, Alias>>;
  /**
   * The verify hook of each environment (config order), in that environment's VPC: ECS invokes it at
   * POST_TEST_TRAFFIC_SHIFT and it calls the test listener, which admits its security group.
   */
  readonly verifyHooks: Readonly<Record<string, LambdaFunction>>;
  /** Role ECS assumes to invoke the verify hooks at POST_TEST_TRAFFIC_SHIFT. */
  readonly lifecycleHookRole: iam.Role;
  /** The release state machine. */
  readonly workflow: ReleaseWorkflow;
  /** The manual rollback state machine (`POST /api/rollbacks`). */
  readonly rollbackWorkflow: RollbackWorkflow;
  /** The HTTP API. */
  readonly api: WebhookApi;
  /** The on-failure destination of the asynchronously invoked functions. */
  readonly failedEvents: FailedEvents;
  /** Which environments live in other accounts, their deploy roles and the bus policy for their events. */
  readonly accounts: EnvironmentAccounts;
  /** Shipgate's alarms on itself, their topic and the dashboard. */
  readonly monitoring: ShipgateAlarms;

  constructor(scope: Construct, id: string, props: ShipgateStackProps) {
    super(scope, id, props);
    const { config } = props;
    const code = props.code ?? 'bundle';
    const stateMachineName = props.stateMachineName ?? `${this.stackName.toLowerCase()}-release`;
    // Built from the name (not a reference) so the step Lambdas the machine invokes can be granted on it
    // without a dependency cycle.
    const stateMachineArn = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const rollbackMachineName = `${this.stackName.toLowerCase()}-rollback`;
    const rollbackMachineArn = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: rollbackMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.table = new ReleaseTable(this, 'Table');
    // Environments in other accounts (config `environments[].aws`): grants go through their deploy roles.
    const accounts = new EnvironmentAccounts(this, 'EnvironmentAccounts', { config });
    this.accounts = accounts;
    this.secrets = new ShipgateSecrets(this, 'Secrets');

    if (code === 'bundle' && props.configDocument === undefined) {
      throw new Error(
        'ShipgateStack: configDocument is required to bundle the Lambdas (or use code: "placeholder")',
      );
    }
    // The one build (lib/build/lambda-bundles.ts): the sandbox and the integration tests run these files too.
    const bundles = code === 'bundle' ? buildLambdaBundles(props.configDocument).bundles : undefined;
    // A private GitLab (config `gitlab.network`): the functions that call GitLab run in its subnets.
    const gitlabNetwork = config.gitlab.network
      ? new GitLabNetwork(this, 'GitLabNetwork', { network: config.gitlab.network })
      : undefined;
    const fn = (
      id: string,
      bundle: BundleName,
      description: string,
      timeoutSeconds: number,
      memorySize?: number,
    ) => {
      const invokedByStateMachine = !EVENT_INVOKED.includes(bundle);
      const secrets = bundle === 'http' ? HTTP_SECRETS : (STEPS[bundle as SharedStepName]?.secrets ?? []);
      const placed = gitlabNetwork && callsGitLab(secrets);
      const made = new ShipgateFunction(this, id, {
        bundle: bundles?.[bundle],
        description,
        timeout: Duration.seconds(timeoutSeconds),
        memorySize,
        code,
        environment: { SHIPGATE_TABLE: this.table.table.tableName },
        network: placed ? gitlabNetwork.placement : undefined,
        invokedByStateMachine,
      });
      if (placed) gitlabNetwork.acknowledgeVpcAccess(made);
      return made;
    };

    const http = fn(
      'HttpFunction',
      'http',
      'Shipgate HTTP API: GitLab webhooks, approvals, Slack interactions, release status',
      15,
      HTTP_MEMORY_MB,
    );
    this.httpFunction = http.function;
    const steps = {} as Record<SharedStepName, LambdaFunction>;
    const versions = {} as Record<SharedStepName, IVersion>;
    const aliases: Record<string, Alias> = { http: http.liveAlias };
    for (const step of SHARED_STEP_NAMES) {
      const spec = STEPS[step];
      const made = fn(
        `${pascal(step)}Function`,
        step,
        spec.description,
        spec.timeoutSeconds(config),
        spec.memorySize,
      );
      steps[step] = made.function;
      versions[step] = made.version;
      aliases[step] = made.liveAlias;
    }
    this.stepFunctions = steps;
    this.stepVersions = versions;
    // One verify hook per environment, each in its environment's VPC (staging and production have their
    // own), with the subnets and security group Terraform publishes for it (terraform/modules/smoke-check).
    const hookSpec = STEPS['verify-hook'];
    const hooks: Record<string, LambdaFunction> = {};
    const hookAliases: Record<string, Alias> = {};
    for (const env of config.environments) {
      const hook = new SmokeCheckHook(this, `VerifyHook${pascal(env.name)}`, {
        environment: env.name,
        parameterPrefix: config.contractsPrefix,
        bundle: bundles?.['verify-hook'],
        code,
        description: `${hookSpec.description} in ${env.name}`,
        timeout: Duration.seconds(hookSpec.timeoutSeconds(config)),
        environmentVariables: { SHIPGATE_TABLE: this.table.table.tableName },
      });
      hooks[env.name] = hook.function;
      hookAliases[env.name] = hook.liveAlias;
      aliases[`verify-hook-${env.name}`] = hook.liveAlias;
    }
    this.verifyHooks = hooks;
    this.liveAliases = aliases;

    // Event sources invoke the alias `live` (the version this deploy published); the state machines invoke
    // the versions their definition names (docs/architecture.md, "Upgrading Shipgate").
    this.api = new WebhookApi(this, 'WebhookApi', { handler: http.liveAlias });
    const publicUrl = props.publicUrl ?? this.api.url;

    this.workflow = new ReleaseWorkflow(this, 'ReleaseWorkflow', {
      config,
      functions: versions,
      stateMachineName,
    });
    this.rollbackWorkflow = new RollbackWorkflow(this, 'RollbackWorkflow', {
      config,
      handler: versions['manual-rollback'],
      stateMachineName: rollbackMachineName,
    });
    const rolloutEventRules = new RolloutEventRules(this, 'RolloutEvents', {
      handler: aliases['rollout-events'],
    });
    const executionEventRule = new ExecutionEventRule(this, 'ExecutionEvents', {
      stateMachineArn: this.workflow.stateMachine.stateMachineArn,
      handler: aliases['execution-events'],
    });
    // It reads the stopped execution's history to record where the release stopped.
    this.workflow.stateMachine.grantRead(steps['execution-events']);
    // rollout-events asks whether a settled rollout's execution still runs (else it records the outcome
    // itself); the reconciler compares records with executions.
    this.workflow.stateMachine.grantRead(steps['rollout-events']);
    this.workflow.stateMachine.grantRead(steps.reconcile);
    // A manual rollback takes over a lock whose execution has ended (DescribeExecution).
    this.workflow.stateMachine.grantRead(steps['manual-rollback']);
    // …and one whose owner is an ended manual rollback (by name: the state machine depends on this function).
    steps['manual-rollback'].addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeRollbackExecutions',
        actions: ['states:DescribeExecution'],
        resources: [
          this.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${rollbackMachineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    // Environment and grants.
    for (const f of [this.httpFunction, ...Object.values(steps), ...Object.values(hooks)]) {
      f.addEnvironment('SHIPGATE_PUBLIC_URL', publicUrl);
      this.table.table.grantReadWriteData(f);
    }
    // New releases start through the alias (the version the last deploy published); the rest of the code
    // derives execution ARNs from it without its qualifier (releases/naming.ts).
    this.httpFunction.addEnvironment('SHIPGATE_STATE_MACHINE_ARN', this.workflow.published.aliasArn);
    this.workflow.published.grantStartExecution(this.httpFunction, this.workflow.stateMachine);
    // Approval decisions answer the waiting "Approve <env>" task: success on quorum, failure on a reject.
    this.httpFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DecideApprovals',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [this.workflow.stateMachine.stateMachineArn],
      }),
    );
    this.workflow.stateMachine.grantRead(this.httpFunction);
    // A vote's or a pause decision's follow-ups (chat, the release record, GitLab) go to the follow-up
    // function as asynchronous invocations (lambdas/domain/followups): the answer never waits for them.
    // Only its alias `live`, which the invocation names (`<name>:live`), like every event-driven function's source.
    this.httpFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'HandOffFollowUps',
        actions: ['lambda:InvokeFunction'],
        resources: [aliases['follow-up'].functionArn],
      }),
    );
    this.httpFunction.addEnvironment(
      'SHIPGATE_FOLLOW_UP_FUNCTION',
      `${steps['follow-up'].functionName}:${aliases['follow-up'].aliasName}`,
    );
    // POST /api/rollbacks records the request and starts one execution of the rollback state machine, which
    // waits for ECS with a task token (no Lambda waits); a failure is recorded on the rollback entry.
    this.rollbackWorkflow.published.grantStartExecution(
      this.httpFunction,
      this.rollbackWorkflow.stateMachine,
    );
    // Every asynchronously invoked function gets an on-failure destination (issue 27): `shipgate redrive`
    // replays it. The event handlers and the reconciler keep Lambda's two retries. (The manual rollback is a
    // task of its own state machine now, not invoked asynchronously.)
    this.failedEvents = new FailedEvents(this, 'FailedEvents', {
      // On the alias: asynchronous invocation settings are per qualifier, and the event sources invoke `live`.
      functions: [
        { fn: aliases['rollout-events'] },
        { fn: aliases['execution-events'] },
        { fn: aliases.reconcile },
        { fn: aliases['follow-up'] },
        // SNS invokes it asynchronously (the alarm topic's subscription), unqualified: an SNS subscription's
        // endpoint is a function, not an alias (CloudFormation's validation says so), so this runs `$LATEST`.
        { fn: steps['alarm-chat'] },
      ],
    });
    new ReconcilerSchedule(this, 'Reconciler', {
      handler: aliases.reconcile,
      deadLetterQueue: this.failedEvents.queue,
    });
    this.httpFunction.addEnvironment(
      'SHIPGATE_ROLLBACK_STATE_MACHINE_ARN',
      this.rollbackWorkflow.published.aliasArn,
    );
    this.secrets.grantTo(this.httpFunction, HTTP_SECRETS);
    for (const step of SHARED_STEP_NAMES) this.secrets.grantTo(steps[step], STEPS[step].secrets);
    for (const hook of Object.values(hooks)) this.secrets.grantTo(hook, hookSpec.secrets);

    // Steps that complete task tokens themselves (rollouts settling, approvals closing): exactly the answers
    // each sends, on this state machine only.
    for (const step of SHARED_STEP_NAMES) {
      const responses = STEPS[step].taskResponses ?? [];
      if (responses.length === 0) continue;
      steps[step].addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'AnswerTaskTokens',
          actions: responses.map((r) => `states:${r}`),
          // The release state machine, and the rollback state machine (rollout-events and manual-rollback
          // resume its "Start/Await manual rollback" tasks).
          resources: [stateMachineArn, rollbackMachineArn],
        }),
      );
      steps[step].addEnvironment('SHIPGATE_STATE_MACHINE_ARN', stateMachineArn);
    }

    const repositories = [...new Set(Object.values(config.services).map((s) => s.repository))];
    const repositoryArns = repositories.map((repo) =>
      this.formatArn({ service: 'ecr', resource: 'repository', resourceName: repo }),
    );
    steps['resolve-release'].addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ResolveReleaseImages',
        actions: ['ecr:DescribeImages', 'ecr:DescribeRepositories'],
        resources: repositoryArns,
      }),
    );
    steps.scan.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadScanFindings',
        actions: ['ecr:DescribeImageScanFindings', 'ecr:DescribeImages'],
        resources: repositoryArns,
      }),
    );
    // ECR enhanced scanning keeps its findings in Amazon Inspector: DescribeImageScanFindings on a repository
    // with enhanced scanning needs inspector2:ListFindings and inspector2:ListCoverage ("Required IAM
    // permissions for enhanced scanning", Amazon ECR user guide). Neither supports resource-level permissions.
    steps.scan.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadEnhancedScanFindings',
        actions: ['inspector2:ListFindings', 'inspector2:ListCoverage'],
        resources: ['*'],
      }),
    );

    // Deploy contracts of the environments in this account, each under its own path; those of an environment
    // in another account are read there, with its deploy role.
    const contractsRead = (environments: readonly string[]) =>
      new iam.PolicyStatement({
        sid: 'ReadDeployContracts',
        actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
        resources: environments
          .filter((name) => accounts.local.includes(name))
          .map((name) =>
            this.formatArn({
              service: 'ssm',
              resource: 'parameter',
              resourceName: `${config.contractsPrefix.slice(1)}/${name}/*`,
            }),
          ),
      });
    const allEnvironments = config.environments.map((e) => e.name);
    for (const step of CONTRACT_STEPS) {
      accounts.grant(steps[step], () => [contractsRead(allEnvironments)]);
    }
    // Each verify hook reads its own environment's contracts only.
    for (const [env, hook] of Object.entries(hooks)) {
      accounts.grant(hook, () => [contractsRead([env])], [env]);
    }

    for (const step of ROLLOUT_STEPS) accounts.grant(steps[step], () => rolloutStatements(this));
    // ECS PAUSE hooks. The HTTP function decides pauses (the confirm page and Slack buttons): it reads the
    // paused service deployment and calls ContinueServiceDeployment, on the services that have pauses
    // configured and nothing else. Service deployment ARNs are `…:service-deployment/<cluster>/<service>/<id>`
    // (the scoping the stack already uses for DescribeServiceDeployments / StopServiceDeployment); we could
    // not find ContinueServiceDeployment's row of the Service Authorization Reference in our sources, so the
    // resource type is taken to be the same `service-deployment` these sibling actions use.
    // (In this account: the services paused in its environments; an environment elsewhere: its deploy role.)
    const pausedEnvironments = config.environments
      .filter((env) => pausedEcsServices(config, [env.name]).length > 0)
      .map((env) => env.name);
    accounts.grant(
      this.httpFunction,
      () => [
        new iam.PolicyStatement({
          sid: 'DecidePauses',
          actions: ['ecs:ContinueServiceDeployment', 'ecs:DescribeServiceDeployments'],
          resources: pausedEcsServices(config, accounts.local).map((service) =>
            this.formatArn({
              service: 'ecs',
              resource: 'service-deployment',
              resourceName: `*/${service}/*`,
            }),
          ),
        }),
      ],
      pausedEnvironments,
    );
    // The pause message shows the contract's alarms (names known only from the contracts at run time).
    accounts.grant(
      steps['request-pause'],
      () => [
        new iam.PolicyStatement({
          sid: 'ReadAlarmStates',
          actions: ['cloudwatch:DescribeAlarms'],
          resources: [
            this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
      pausedEnvironments,
    );
    // A paused rollout whose release ended is rolled back at its pause (reconcile/orphans.ts).
    for (const step of ['execution-events', 'reconcile'] as const) {
      accounts.grant(steps[step], () => [
        new iam.PolicyStatement({
          sid: 'RollBackOrphanedPauses',
          actions: ['ecs:ContinueServiceDeployment'],
          resources: [this.formatArn({ service: 'ecs', resource: 'service-deployment', resourceName: '*' })],
        }),
      ]);
    }
    // rollout-events observes: it reads the service/deployment an event names, then settles the waiter. Its
    // one write to ECS: once a Shipgate deployment ended, an UpdateService of deploymentConfiguration alone
    // (which starts no deployment) takes that deployment's PAUSE hooks off the service.
    accounts.grant(steps['rollout-events'], () => [
      ...rolloutReadStatements(this),
      new iam.PolicyStatement({
        sid: 'RestoreServiceSettings',
        actions: ['ecs:UpdateService'],
        resources: [this.formatArn({ service: 'ecs', resource: 'service', resourceName: '*' })],
      }),
    ]);

    // Shipgate's verify hooks for BLUE_GREEN / LINEAR / CANARY: ECS invokes the environment's own at
    // POST_TEST_TRAFFIC_SHIFT, assuming this role (which may invoke those functions and nothing else). The
    // rollout steps learn which is whose from SHIPGATE_VERIFY_HOOK_ARNS ({ environment: function ARN }).
    this.lifecycleHookRole = new iam.Role(this, 'EcsLifecycleHookRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: 'Assumed by ECS to invoke the Shipgate verify hooks (POST_TEST_TRAFFIC_SHIFT)',
    });
    // ECS invokes the alias, so a rollout started after a deploy runs the hook code of that deploy.
    // ECS of this account invokes the hooks of the environments here. An environment in another account
    // passes a role of its own account (UpdateService can pass no other): `<deploy role>-ecs-hooks`, which
    // terraform/modules/shipgate-deploy-role creates with lambda:InvokeFunction on that environment's hook
    // alone; the hook's resource policy admits that account (docs/architecture.md, "One AWS account per
    // environment").
    const hookRoleArns: Record<string, string> = {};
    for (const [env, hook] of Object.entries(hookAliases)) {
      const elsewhere = accounts.foreign.find((e) => e.name === env);
      if (!elsewhere) {
        hook.grantInvoke(this.lifecycleHookRole);
        hookRoleArns[env] = this.lifecycleHookRole.roleArn;
        continue;
      }
      hook.addPermission(`InvokedByEcsOf${pascal(env)}`, {
        principal: new iam.AccountPrincipal(elsewhere.aws.account),
        action: 'lambda:InvokeFunction',
      });
      hookRoleArns[env] = ecsHookRoleArn(elsewhere.aws.deployRole);
    }
    const hookArns = this.toJsonString(
      Object.fromEntries(Object.entries(hookAliases).map(([env, hook]) => [env, hook.functionArn])),
    );
    for (const step of [...ROLLOUT_STEPS, 'rollout-events'] as const) {
      steps[step].addEnvironment('SHIPGATE_VERIFY_HOOK_ARNS', hookArns);
      // The role ECS invokes each environment's hook with ({ environment: role ARN }): a role of the
      // environment's own account, since UpdateService passes no other.
      steps[step].addEnvironment('SHIPGATE_VERIFY_HOOK_ROLE_ARNS', this.toJsonString(hookRoleArns));
    }

    // Shipgate watches itself (issue 31): every queue, every function, the workflow; one topic; chat.
    const monitoredFunctions: Record<string, LambdaFunction> = {
      http: this.httpFunction,
      ...steps,
      ...Object.fromEntries(Object.entries(hooks).map(([env, hook]) => [`verify-hook-${env}`, hook])),
    };
    const queues: Record<QueueKey, sqs.IQueue> = {
      'failed-events': this.failedEvents.queue,
      'rollout-events-dead-letters': rolloutEventRules.deadLetterQueue,
      'execution-events-dead-letters': executionEventRule.deadLetterQueue,
    };
    this.monitoring = new ShipgateAlarms(this, 'Monitoring', {
      alarms: shipgateAlarms({
        functions: Object.fromEntries(
          Object.keys(monitoredFunctions).map((key) => [
            key,
            { releaseErrors: RELEASE_ERROR_FUNCTIONS.includes(key) },
          ]),
        ),
      }),
      functions: monitoredFunctions,
      queues,
      stateMachineArns: {
        release: this.workflow.stateMachine.stateMachineArn,
        rollback: this.rollbackWorkflow.stateMachine.stateMachineArn,
      },
      // The function itself (see the on-failure destination above): it keeps no state across builds.
      notify: steps['alarm-chat'],
      alarmNamePrefix: this.stackName,
    });

    this.acknowledgeWildcards(config);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Shipgate HTTP API' });
    new CfnOutput(this, 'GitLabWebhookUrl', {
      value: `${this.api.url}/webhooks/gitlab`,
      description: 'URL to configure as the GitLab project webhook',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'StateMachineAliasArn', {
      value: this.workflow.published.aliasArn,
      description: 'Alias new releases start through (the state machine version the last deploy published)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'EventBusArn', {
      value: accounts.eventBusArn,
      description:
        'Event bus that environments in other accounts forward their ECS and CodeDeploy events to (terraform/modules/shipgate-deploy-role `shipgate_event_bus_arn`)',
    });
    if (accounts.foreign.length > 0) {
      new CfnOutput(this, 'DeployRoleCallerArns', {
        value: this.toJsonString(accounts.callerRoleArns()),
        description:
          'JSON { environment: [role ARN] }: the function roles each environment’s deploy role must trust (terraform/modules/shipgate-deploy-role `shipgate_role_arns`)',
      });
    }
    for (const [env, hook] of Object.entries(hooks)) {
      new CfnOutput(this, `VerifyHook${pascal(env)}Arn`, {
        value: hook.functionArn,
        description: `The ${env} verify hook function ECS invokes at POST_TEST_TRAFFIC_SHIFT (terraform/modules/shipgate-deploy-role \`verify_hook_function_arn\`)`,
      });
    }
    new CfnOutput(this, 'FailedEventsQueueUrl', {
      value: this.failedEvents.queue.queueUrl,
      description:
        'On-failure destination of the event handlers; replay with `shipgate redrive` (SHIPGATE_FAILED_EVENTS_QUEUE_URL)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Every Shipgate alarm notifies this SNS topic: subscribe e-mail or a pager to it',
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    for (const [name, secret] of Object.entries(this.secrets.secrets)) {
      new CfnOutput(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}SecretArn`, {
        value: secret.secretArn,
        description: `Secrets Manager secret behind ${SECRET_ENV[name as SecretName]}`,
      });
    }
  }

  /** Acknowledges each wildcard cdk-nag reports on the function roles, with its reason. */
  private acknowledgeWildcards(config: ShipgateConfig): void {
    for (const [resource, reason] of Object.entries(wildcardReasons(this, config))) {
      Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }
  }
}

/** `staging` → `Staging`, `verify-hook` → `VerifyHook` (stable construct ids). */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

/**
 * ECS service names Shipgate may pause (services with `pauses` in any environment). The ECS service is named
 * after the config's service (terraform/modules/ecs-service `name = var.name`, the sandbox's seed alike).
 */
export function pausedEcsServices(
  config: ShipgateConfig,
  environments: readonly string[] = config.environments.map((e) => e.name),
): string[] {
  return Object.keys(config.services).filter((service) =>
    environments.some((env) => (rolloutSettings(config, service, env).pauses ?? []).length > 0),
  );
}

/** Reason for each wildcard resource cdk-nag reports, keyed by the finding's resource. */
function wildcardReasons(stack: ShipgateStack, config: ShipgateConfig): Record<string, string> {
  const { contractsPrefix } = config;
  const tableArn = `<${stack.getLogicalId(stack.table.table.node.defaultChild as CfnResource)}.Arn>`;
  const machine = stack.getLogicalId(stack.workflow.stateMachine.node.defaultChild as CfnResource);
  const arn = (service: string, rest: string) =>
    `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${rest}`;
  return {
    ...Object.fromEntries(
      Object.entries(stack.verifyHooks).map(([env, fn]) => [
        `<${stack.getLogicalId(fn.node.defaultChild as CfnResource)}.Arn>:*`,
        `grantInvoke lets ECS invoke the ${env} verify hook function by any of its versions; the function itself is named.`,
      ]),
    ),
    [`${tableArn}/index/*`]:
      'grantReadWriteData includes the table’s own indexes (gsi1 lists releases and pending approvals).',
    [arn('states', `execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machine}"}]}]}:*`)]:
      'The status API reads executions of this one state machine, whose names are only known at run time.',
    [arn('states', `execution:${stack.stackName.toLowerCase()}-rollback:*`)]:
      'A manual rollback may take over a lock held by an ended execution of the rollback state machine (DescribeExecution only), whose names are only known at run time.',
    ...Object.fromEntries(
      stack.accounts.local.map((env) => [
        arn('ssm', `parameter${contractsPrefix}/${env}/*`),
        `Deploy contracts of ${env} are published by Terraform under the configured prefix, one per service, read only.`,
      ]),
    ),
    [`<${stack.getLogicalId(stack.stepFunctions.reconcile.node.defaultChild as CfnResource)}.Arn>:*`]:
      'EventBridge Scheduler may invoke the reconciler function by any of its versions (grantInvoke); the function itself is named.',
    [arn('ecs', 'task-definition/*')]:
      'Only tagging, and only while registering a task definition (ecs:CreateAction condition).',
    [arn('ecs', 'service/*')]:
      'Clusters and services are named by the deploy contracts at run time, so UpdateService is scoped to ECS services of this account and region.',
    ['arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*']:
      'PassRole is limited by condition to roles passed to ecs-tasks.amazonaws.com (task and execution roles named in task definitions) or to ecs.amazonaws.com (lifecycle hook and infrastructure roles the deploy contracts name).',
    [arn('ecs', 'service-deployment/*')]:
      'Service deployments (blue/green, linear, canary) get their ids from ECS at run time, on services the contracts name.',
    [arn('codedeploy', 'deploymentgroup:*')]:
      'CodeDeploy applications and groups are named by the deploy contracts at run time.',
    [arn('codedeploy', 'deploymentconfig:*')]:
      'Deployment configs are chosen per service by config and contract.',
    ...Object.fromEntries(
      pausedEcsServices(config, stack.accounts.local).map((service) => [
        arn('ecs', `service-deployment/*/${service}/*`),
        `Pause decisions continue or roll back service deployments of "${service}" only; cluster and deployment id are known at run time.`,
      ]),
    ),
    [arn('cloudwatch', 'alarm:*')]:
      'The pause message reads the states of the alarms the deploy contracts name at run time (DescribeAlarms, read only).',
    [arn('codedeploy', 'application:*')]:
      'CodeDeploy applications are named by the deploy contracts at run time.',
  };
}

/** Read-only ECS/CodeDeploy permissions of the event handler. */
function rolloutReadStatements(stack: Stack): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ObserveServices',
      actions: ['ecs:DescribeServices'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*' })],
    }),
    new iam.PolicyStatement({
      sid: 'ObserveServiceDeploymentLists',
      actions: ['ecs:ListServiceDeployments'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*' })],
    }),
    new iam.PolicyStatement({
      sid: 'ObserveServiceDeployments',
      actions: ['ecs:DescribeServiceDeployments'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'service-deployment', resourceName: '*' })],
    }),
    new iam.PolicyStatement({
      sid: 'ObserveTaskDefinitions',
      // DescribeTaskDefinition supports no resource-level permissions.
      actions: ['ecs:DescribeTaskDefinition'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ObserveCodeDeploy',
      actions: ['codedeploy:GetDeployment'],
      resources: [
        stack.formatArn({
          service: 'codedeploy',
          resource: 'deploymentgroup',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  ];
}

/**
 * ECS/CodeDeploy permissions of the rollout Lambdas. Clusters, services and CodeDeploy groups come from the
 * deploy contracts at run time, so they are scoped by service and resource type rather than by name.
 */
function rolloutStatements(stack: Stack): iam.PolicyStatement[] {
  const arn = (service: string, resource: string, resourceName: string, sep = '/') =>
    stack.formatArn({
      service,
      resource,
      resourceName,
      arnFormat: sep === ':' ? ArnFormat.COLON_RESOURCE_NAME : ArnFormat.SLASH_RESOURCE_NAME,
    });
  return [
    new iam.PolicyStatement({
      sid: 'TaskDefinitions',
      // These ECS actions do not support resource-level permissions.
      actions: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'TagTaskDefinitions',
      actions: ['ecs:TagResource'],
      resources: [arn('ecs', 'task-definition', '*')],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    }),
    new iam.PolicyStatement({
      sid: 'UpdateServices',
      actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
      resources: [arn('ecs', 'service', '*')],
    }),
    new iam.PolicyStatement({
      sid: 'ServiceDeployments',
      actions: ['ecs:ListServiceDeployments'],
      resources: [arn('ecs', 'service', '*')],
    }),
    new iam.PolicyStatement({
      sid: 'StopServiceDeployments',
      actions: ['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'],
      resources: [arn('ecs', 'service-deployment', '*')],
    }),
    new iam.PolicyStatement({
      // Lifecycle hook roles and the ECS infrastructure role named in UpdateService's deployment
      // configuration: passed to ECS itself, never to tasks or any other service.
      sid: 'PassEcsRoles',
      actions: ['iam:PassRole'],
      resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'PassTaskRoles',
      actions: ['iam:PassRole'],
      resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'CodeDeployDeployments',
      actions: [
        'codedeploy:CreateDeployment',
        'codedeploy:GetDeployment',
        'codedeploy:StopDeployment',
        'codedeploy:GetDeploymentGroup',
      ],
      resources: [arn('codedeploy', 'deploymentgroup', '*', ':')],
    }),
    new iam.PolicyStatement({
      sid: 'CodeDeployConfigs',
      actions: ['codedeploy:GetDeploymentConfig'],
      resources: [arn('codedeploy', 'deploymentconfig', '*', ':')],
    }),
    new iam.PolicyStatement({
      sid: 'CodeDeployRevisions',
      actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
      resources: [arn('codedeploy', 'application', '*', ':')],
    }),
  ];
}
