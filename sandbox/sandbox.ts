import { resolve } from 'node:path';
import { Hono } from 'hono';
import type { ShipgateConfig } from '../lambdas/shared/config';
import type { LambdaBundles } from '../lib/build/lambda-bundles';
import { httpApiProxy } from './aws/api-gateway';
import type { Emulators } from './aws/emulators';
import { openChatInbox } from './console/inbox';
import { pendingApprovalsQuery } from './console/pending-approvals';
import { pendingPausesQuery } from './console/pending-pauses';
import { runningServices } from './console/running-services';
import { ensureTable } from './dynamodb';
import { startEmulatedAws } from './emulated-aws';
import { applyHandlerEnvironment, handlerEnvironment, SANDBOX_TABLE } from './handlers/environment';
import { EventTargets } from './handlers/event-targets';
import { ASYNC_CONFIGS, FUNCTION_ARNS, localFunctions } from './handlers/functions';
import { sandboxSeed } from './aws/variation';
import { SandboxStartError } from './start-error';
import { markReleasesAborted } from './handlers/release-records';
import { startSandboxOidc } from './gitlab-oidc/provider';
import { startAppServer } from './listen';
import { sandboxRoutes } from './routes';
import { seedFromConfig, type SeedSummary } from './seed';
import { Shutdown } from './shutdown';
import { localSecrets, prepareStateDir } from './state-dir';
import { loadReleaseWorkflow, type LocalWorkflow } from './workflow/release';
import { AsyncInvoker } from './workflow/async-invoke';
import { parseFunctionRef } from './workflow/lambda';
import { FaultSwitch } from './workflow/faults';
import { readConfigDocument } from '../lib/config-document';
import { SandboxUpgrades, type UpgradeResult } from './upgrade';
import { WORKFLOW_ALIAS } from './aws/sfn-versions';
import { SANDBOX_STATE_MACHINE_ARNS, startAlarmMonitor } from './alarms/monitor';

export { SANDBOX_TABLE } from './handlers/environment';
export { sandboxVerifyHookArn } from './handlers/functions';
export { startingResponse } from './listen';
export { SandboxStartError };
export type { LocalWorkflow } from './workflow/release';
export type { UpgradeResult } from './upgrade';

/** Options of `startSandbox`. */
export interface SandboxOptions {
  config: ShipgateConfig;
  /** Absolute path of the config file. */
  configPath: string;
  /**
   * The config document as written, inlined into the Lambda bundles exactly as `cdk synth` inlines it.
   * @default read from `configPath`
   */
  configDocument?: unknown;
  stateDir: string;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port of the hono app and console (0 = any free port). @default 3000 */
  port?: number;
  /** Port of the AWS-compatible endpoint (0 = any free port). @default 4566 */
  awsPort?: number;
  /** Process environment to read secrets and URLs from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Duration of each emulated rollout phase. @default 300 */
  phaseMs?: number;
  /** File recording every request to the emulated services, one JSON line each. @default none */
  requestLog?: string;
  /**
   * Shortest real time people get to decide an ECS PAUSE hook (ms): configured timeouts scale like machine
   * waits (a minute lasts `phaseMs`) but never below this. @default SHIPGATE_SANDBOX_HUMAN_WAIT_MS, else
   * 120000 (two minutes)
   */
  humanWaitMs?: number;
  /**
   * Renders the release workflow. With the default, every Lambda runs its built bundle; an injected workflow
   * (executor tests) runs the handler files its `tasks` name.
   * @default renderLocalDefinition from lib/workflow/render
   */
  renderWorkflow?: (config: ShipgateConfig) => LocalWorkflow;
  /** Handler file of the EventBridge target for deployment events. @default the rollout-events bundle */
  rolloutEventsEntry?: string;
  /** Repository root (handler entries are relative to it). */
  rootDir?: string;
}

/** Two real minutes: the least a person gets to find a pause card, read it and decide. */
export const HUMAN_WAIT_MS = 120_000;

/** `SHIPGATE_SANDBOX_HUMAN_WAIT_MS` (a test's shorter floor), else two minutes. */
export function humanWaitMs(env: NodeJS.ProcessEnv): number {
  const raw = env.SHIPGATE_SANDBOX_HUMAN_WAIT_MS;
  if (raw === undefined || raw === '') return HUMAN_WAIT_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new SandboxStartError(
      `SHIPGATE_SANDBOX_HUMAN_WAIT_MS must be a whole number of milliseconds (0 or more), received "${raw}".`,
    );
  }
  return n;
}

/** A running sandbox. */
export interface Sandbox {
  url: string;
  awsEndpoint: string;
  stateDir: string;
  webhookToken: string;
  webhookTokenSource: 'environment' | 'state dir (generated)';
  stateMachineArn: string;
  /** Issuer URL of the sandbox's GitLab (OpenID provider) that review pages sign in with. */
  oidcIssuer: string;
  seed: SeedSummary;
  interrupted: string[];
  /** The Lambda bundles the sandbox runs (the same build `cdk synth` packages). */
  bundles: LambdaBundles;
  emulators: Emulators;
  /**
   * Rolls out a new build while the sandbox runs (`POST /_sandbox/upgrade`, SIGHUP to `shipgate dev`):
   * executions that started before keep their bundles, new ones get the new build (sandbox/upgrade.ts).
   */
  upgrade(): Promise<UpgradeResult>;
  /** Stops everything; running executions are recorded as ABORTED with `reason`. */
  close(reason?: string): Promise<void>;
}

/**
 * Starts the whole sandbox: dynalite, the AWS-compatible endpoint, the seeded emulated environment, the
 * release state machine executed locally, and the hono app with the console.
 *
 * Every Lambda runs its built bundle (`buildLambdaBundles`, the files `cdk synth` packages, with the config
 * inlined the same way), in this process, invoked the way the Lambda service invokes it; HTTP requests reach
 * the hono Lambda as API Gateway's payload 2.0 events (sandbox/aws/api-gateway.ts). The process environment
 * is set for the handlers before they load, as the function configuration would: `AWS_ENDPOINT_URL` (this
 * endpoint), dummy credentials, `AWS_REGION`, `SHIPGATE_TABLE`, `SHIPGATE_STATE_MACHINE_ARN`,
 * `SHIPGATE_PUBLIC_URL`, `SHIPGATE_CONSOLE_URL` and the secrets of `lambdas/shared/secrets.ts`.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const rootDir = options.rootDir ?? resolve(__dirname, '..');
  const stateDir = prepareStateDir(options.stateDir);
  const secrets = localSecrets(stateDir);
  const webhookToken = env.SHIPGATE_WEBHOOK_TOKEN || secrets.webhookToken;
  const webhookTokenSource = env.SHIPGATE_WEBHOOK_TOKEN ? 'environment' : 'state dir (generated)';
  // Read before the handlers' environment is applied: that sets SHIPGATE_CHAT_WEBHOOK_URL to the sandbox's own
  // chat inbox, and forwarding the inbox to itself would loop.
  const forwardChatTo = env.SHIPGATE_CHAT_WEBHOOK_URL;
  // Read once: an upgrade rebuilds the code from the working tree with the config the sandbox started with
  // (the emulated environment was seeded from it).
  const source = {
    ...options,
    configDocument: options.configDocument ?? readConfigDocument(options.configPath).document,
  };
  const { workflow, bundles } = loadReleaseWorkflow(source);
  // Fixed now (drawn if unset) so the start-up banner can print it and a run can be replayed.
  try {
    sandboxSeed();
  } catch (err) {
    throw new SandboxStartError((err as Error).message);
  }

  const shutdown = new Shutdown();
  try {
    const aws = await startEmulatedAws(
      {
        stateDir,
        host,
        port: options.awsPort ?? 4566,
        phaseMs: options.phaseMs,
        requestLog: options.requestLog,
        humanWaitMs: options.humanWaitMs ?? humanWaitMs(env),
        // Every environment with its own account gets that account (sandbox/aws/accounts.ts).
        accounts: options.config.environments.flatMap((e) => (e.aws ? [e.aws.account] : [])),
      },
      shutdown,
    );
    const { emulators, endpoint: awsEndpoint } = aws;

    const chat = openChatInbox(stateDir);
    shutdown.add(() => chat.flush());

    const app = await startAppServer(host, options.port ?? 3000, shutdown);
    const url = app.url;
    const publicUrl = (env.SHIPGATE_PUBLIC_URL || url).replace(/\/$/, '');
    // "GitLab" for signing in on review pages: a real OpenID provider whose users are the approvers.
    const oidc = await startSandboxOidc({
      host,
      users: Object.entries(options.config.approvers).map(([username, a]) => ({
        username,
        name: a.name ?? username,
      })),
      redirectUris: [...new Set([`${publicUrl}/auth/callback`, `${url}/auth/callback`])],
    });
    shutdown.add(() => oidc.close());

    const stateMachineArn = `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow.stateMachineName}`;
    const rollbackStateMachineArn = workflow.rollback
      ? `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow.rollback.stateMachineName}`
      : undefined;
    applyHandlerEnvironment(
      handlerEnvironment({
        env,
        awsEndpoint,
        url,
        publicUrl,
        // New executions start through the aliases, as the stack configures the HTTP function (issue 31).
        stateMachineArn: `${stateMachineArn}:${WORKFLOW_ALIAS}`,
        rollbackStateMachineArn: rollbackStateMachineArn && `${rollbackStateMachineArn}:${WORKFLOW_ALIAS}`,
        configPath: options.configPath,
        webhookToken,
        secrets,
        environments: options.config.environments.map((e) => e.name),
        deployRoles: Object.fromEntries(
          options.config.environments.flatMap((e) => (e.aws ? [[e.name, e.aws.deployRole]] : [])),
        ),
        oidc,
      }),
    );

    await ensureTable(awsEndpoint, SANDBOX_TABLE);
    const seed = seedFromConfig(options.config, emulators, url);

    const environments = options.config.environments.map((e) => e.name);
    const lambdas = localFunctions(workflow, bundles, rootDir, environments, '1', options.rolloutEventsEntry);
    const faults = new FaultSwitch();
    lambdas.faults = faults;
    // Asynchronous invocations (EventBridge rules, the schedule, Invoke with InvocationType Event): Lambda's
    // retries, then the on-failure destination queue (issue 27).
    const invoker = new AsyncInvoker(
      lambdas,
      emulators.sqs,
      ASYNC_CONFIGS,
      Number(env.SHIPGATE_SANDBOX_RETRY_MS) > 0 ? Number(env.SHIPGATE_SANDBOX_RETRY_MS) : 1000,
    );
    // Shipgate's alarms on itself, evaluated by the emulated CloudWatch against the sandbox's own signals;
    // their actions reach alarm-chat as the alarm topic's subscription would (SHIPGATE_SANDBOX_ALARM_MS, 10 s).
    const alarmMonitor = startAlarmMonitor({
      cloudwatch: emulators.cloudwatch,
      sqs: emulators.sqs,
      sfn: emulators.sfn,
      stateMachineArns: {
        release: stateMachineArn,
        rollback: rollbackStateMachineArn ?? SANDBOX_STATE_MACHINE_ARNS.rollback,
      },
      lambdas,
      invokeAsync: (arn, payload) => invoker.invoke(arn, payload),
      intervalMs: Number(env.SHIPGATE_SANDBOX_ALARM_MS) > 0 ? Number(env.SHIPGATE_SANDBOX_ALARM_MS) : 10_000,
    });
    shutdown.add(() => alarmMonitor.stop());
    // Lifecycle hooks of blue/green-family deployments run as ECS would run them: a Lambda invocation.
    for (const account of emulators.accounts.accounts) {
      emulators.inAccount(account).ecs.setHookInvoker((arn, payload) => lambdas.invoke(arn, payload));
    }
    // Lambda Invoke on the endpoint reaches the sandbox's functions (`shipgate redrive` replays through it),
    // by name or ARN, with a version or alias qualifier as Lambda accepts them.
    const known = (ref: string) => {
      const { name, qualifier } = parseFunctionRef(ref);
      const arn = Object.values(FUNCTION_ARNS).find((a) => a.endsWith(`:function:${name}`));
      const qualified = arn && qualifier ? `${arn}:${qualifier}` : arn;
      return qualified && lambdas.binding(qualified) ? qualified : undefined;
    };
    aws.connect({
      invokeLambda: (ref, payload) => {
        const arn = known(ref);
        return arn ? lambdas.invoke(arn, payload) : undefined;
      },
      invokeLambdaAsync: (ref, payload) => {
        const arn = known(ref);
        if (arn) void invoker.invoke(arn, payload);
        return Boolean(arn);
      },
    });
    emulators.sfn.registerStateMachine(workflow.stateMachineName, workflow.definition as never, lambdas);
    // POST /api/rollbacks starts this one (StartExecution on the endpoint), as in AWS.
    if (workflow.rollback) {
      emulators.sfn.registerStateMachine(
        workflow.rollback.stateMachineName,
        workflow.rollback.definition as never,
        lambdas,
      );
    }
    const upgrades = new SandboxUpgrades(
      { source, lambdas, sfn: emulators.sfn, environments, rolloutEventsEntry: options.rolloutEventsEntry },
      { workflow, bundleHash: bundles.hash },
    );
    const targets = new EventTargets(invoker, lambdas);
    emulators.sfn.onChange = (e) => targets.executionChanged(e);
    const recovered = emulators.sfn.recoverInterrupted('The sandbox stopped');
    await markReleasesAborted(recovered);
    const interrupted = recovered.map((e) => e.name);
    // Deployment events go to the rollout-events Lambda, as an EventBridge rule would deliver them.
    aws.connect({ deliverEvent: (event) => targets.deliverDeploymentEvent(event) });
    // Runs after the executions were aborted: deployment events still being delivered and Lambda tasks
    // still running (their results are dropped) finish before their DynamoDB goes away.
    shutdown.add(() => targets.settle());

    // The HTTP API: every request reaches the hono Lambda's bundle as API Gateway's payload 2.0 event.
    const httpApi = httpApiProxy((event) => lambdas.invoke(FUNCTION_ARNS.http, event));
    const services = () => runningServices(options.config, emulators);
    const routes = sandboxRoutes({
      config: options.config,
      workflow,
      emulators,
      chat,
      forwardChatTo,
      recentEvents: aws.recentEvents,
      pendingApprovals: pendingApprovalsQuery(options.config, emulators.sfn, chat),
      pendingPauses: pendingPausesQuery(options.config),
      runningServices: services,
      httpApi,
      url,
      awsEndpoint,
      publicUrl,
      stateDir,
      stateMachineArn,
      faults,
      reconcile: () => lambdas.invoke(FUNCTION_ARNS.reconcile, {}),
      upgrade: () => upgrades.upgrade(),
      evaluateAlarms: () => alarmMonitor.evaluate(),
      phaseMs: options.phaseMs ?? 300,
    });
    const appRoot = new Hono();
    appRoot.route('/_sandbox', routes.sandbox);
    appRoot.route('/', routes.shell);
    appRoot.all('*', (c) => httpApi(c.req.raw));
    app.serve((req) => appRoot.fetch(req));

    // The reconciler on a timer, as EventBridge Scheduler runs it on AWS (SHIPGATE_RECONCILE_MS, default 30 s).
    const reconcileMs = Number(env.SHIPGATE_RECONCILE_MS) > 0 ? Number(env.SHIPGATE_RECONCILE_MS) : 30_000;
    let reconciling: Promise<void> | undefined;
    const reconcileTimer = setInterval(() => {
      reconciling ??= invoker.invoke(FUNCTION_ARNS.reconcile, {}).finally(() => (reconciling = undefined));
    }, reconcileMs);
    reconcileTimer.unref();

    let stopReason = 'The sandbox was stopped';
    // A graceful stop aborts the running executions and announces each while DynamoDB and chat are still
    // up (the release recorded ABORTED, its approvals ended, "Aborted" in chat), as a restart after SIGKILL does.
    shutdown.add(async () => {
      const aborted = emulators.sfn.abortAll(stopReason);
      await targets.announceNow(aborted);
      await markReleasesAborted(aborted);
    });
    // Runs before the line above (closers run in reverse).
    shutdown.add(() => {
      clearInterval(reconcileTimer);
      targets.beginStop();
    });

    return {
      url,
      awsEndpoint,
      stateDir,
      webhookToken,
      webhookTokenSource,
      stateMachineArn,
      oidcIssuer: oidc.issuer,
      seed,
      interrupted,
      bundles,
      emulators,
      upgrade: () => upgrades.upgrade(),
      close: async (reason?: string) => {
        if (reason) stopReason = reason;
        await shutdown.run();
      },
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}
