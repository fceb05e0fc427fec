import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { ShipgateConfig } from '../lambdas/shared/config';
import { contractParameterName } from '../lambdas/shared/contract';
import { ShipgateError } from '../lambdas/shared/errors';
import { logger } from '../lambdas/shared/logger';
import { SECRET_ENV } from '../lambdas/shared/secrets';
import { buildLambdaBundles, type LambdaBundles } from '../lib/build/lambda-bundles';
import { readConfigDocument } from '../lib/config-document';
import { httpApiProxy } from './aws/api-gateway';
import { createEmulators, type Emulators } from './aws/emulators';
import type { EventBridgeEvent } from './aws/ecs';
import type { StoredExecution } from './aws/sfn';
import { createAwsEndpoint } from './aws/server';
import { type OverviewModel, type PendingApproval, type RunningService } from './console/pages';
import { consoleRoutes } from './console/routes';
import { ensureTable, startDynalite, type LocalDynamo } from './dynamodb';
import { seedFromConfig, type SeedSummary } from './seed';
import { JsonStore } from './store';
import { LocalLambdas, type LambdaBinding } from './workflow/lambda';
import { localSdkIntegration } from './workflow/sdk-integration';

/** The verify hook's function ARN in the sandbox (what the stack passes as SHIPGATE_VERIFY_HOOK_ARN). */
export const SANDBOX_VERIFY_HOOK_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook';

/** Name of Shipgate's DynamoDB table in the sandbox. */
export const SANDBOX_TABLE = 'shipgate';

/** The sandbox could not start; `message` says why and how to fix it, in one line. */
export class SandboxStartError extends ShipgateError {
  static override readonly errorName: string = 'SandboxStartError';
}

/** The release workflow as `renderLocalDefinition(config)` returns it. */
export interface LocalWorkflow {
  definition: { StartAt: string; States: Record<string, Record<string, unknown> & { Type: string }> };
  tasks: Record<string, LambdaBinding>;
  stateMachineName: string;
}

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

/** A running sandbox. */
export interface Sandbox {
  url: string;
  awsEndpoint: string;
  stateDir: string;
  webhookToken: string;
  webhookTokenSource: 'environment' | 'state dir (generated)';
  stateMachineArn: string;
  seed: SeedSummary;
  interrupted: string[];
  /** The Lambda bundles the sandbox runs (the same build `cdk synth` packages). */
  bundles: LambdaBundles;
  emulators: Emulators;
  /** Stops everything; running executions are recorded as ABORTED with `reason`. */
  close(reason?: string): Promise<void>;
}

interface ChatMessage {
  at: number;
  text: string;
  body: unknown;
}

/** Secrets the sandbox generates once and keeps in the state dir (file mode 0600). */
function localSecrets(stateDir: string): { webhookToken: string; linkSigningKey: string } {
  const file = join(stateDir, 'secrets.json');
  let data: Partial<{ webhookToken: string; linkSigningKey: string }> = {};
  if (existsSync(file)) {
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as typeof data;
    } catch {
      throw new SandboxStartError(`${file} is not valid JSON; delete it to generate new sandbox secrets.`);
    }
  }
  const complete = {
    webhookToken: data.webhookToken ?? `sgw_${randomBytes(24).toString('base64url')}`,
    linkSigningKey: data.linkSigningKey ?? randomBytes(32).toString('base64url'),
  };
  if (complete.webhookToken !== data.webhookToken || complete.linkSigningKey !== data.linkSigningKey) {
    writeFileSync(file, JSON.stringify(complete, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return complete;
}

function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new SandboxStartError(
            `Port ${port} (${variable}) on ${host} is already in use — stop the other process (is a sandbox already running?) or choose another port, e.g. ${variable}=${port + 1} npm start.`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new SandboxStartError(
            `Not allowed to listen on ${host}:${port} (${variable}); choose a port above 1024.`,
          ),
        );
      } else {
        reject(new SandboxStartError(`Cannot listen on ${host}:${port} (${variable}): ${err.message}`));
      }
    });
    server.listen(port, host, () => resolveListen((server.address() as AddressInfo).port));
  });
}

/**
 * The answer of the app port while the sandbox is still starting: 503 with `Retry-After: 1`, as a page that
 * reloads itself for a browser (someone refreshing the console) and as JSON for everything else.
 */
export function startingResponse(req: Request): Response {
  const message = 'The Shipgate sandbox is starting; try again in a moment.';
  const headers = { 'retry-after': '1', 'cache-control': 'no-store' };
  if (req.headers.get('accept')?.includes('text/html')) {
    return new Response(
      `<!doctype html><meta http-equiv="refresh" content="1"><title>Shipgate</title><p>${message}</p>`,
      { status: 503, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } },
    );
  }
  return Response.json({ error: message, starting: true }, { status: 503, headers });
}

/** Text of a Slack-compatible message (its `text` fallback, else the text of its blocks). */
function messageText(body: unknown): string {
  const b = body as { text?: unknown; blocks?: { text?: { text?: string } }[] };
  if (typeof b?.text === 'string' && b.text) return b.text;
  return (b?.blocks ?? [])
    .map((x) => x.text?.text ?? '')
    .filter(Boolean)
    .join(' ');
}

/** Approver links (`…/approvals/…`) of a message's buttons, with the button labels. */
function approvalLinks(body: unknown): { label: string; url: string }[] {
  const out: { label: string; url: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as { url?: unknown; text?: { text?: unknown } | string };
      if (typeof o.url === 'string' && /\/approvals\//.test(o.url)) {
        const label =
          typeof o.text === 'string' ? o.text : typeof o.text?.text === 'string' ? o.text.text : o.url;
        if (!out.some((l) => l.url === o.url)) out.push({ label, url: o.url });
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(body);
  return out;
}

/** Execution ARNs a message links to (`…#/executions/<encoded ARN>`). */
function linkedExecutions(body: unknown): string[] {
  const text = JSON.stringify(body);
  const out = new Set<string>();
  for (const m of text.matchAll(/#\/executions\/([A-Za-z0-9%._~-]+)/g)) {
    try {
      out.add(decodeURIComponent(m[1]));
    } catch {
      // not a valid encoding: not one of ours
    }
  }
  return [...out];
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
/** Name of the local manual-rollback function (`SHIPGATE_MANUAL_ROLLBACK_FUNCTION` of the HTTP app). */
const MANUAL_ROLLBACK_FUNCTION = 'shipgate-manual-rollback';

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const rootDir = options.rootDir ?? resolve(__dirname, '..');
  const stateDir = resolve(options.stateDir);
  try {
    mkdirSync(stateDir, { recursive: true });
  } catch (err) {
    throw new SandboxStartError(
      `Cannot create the state dir ${stateDir} (${(err as Error).message}); set SHIPGATE_STATE_DIR to a writable directory.`,
    );
  }
  const secrets = localSecrets(stateDir);
  const webhookToken = env.SHIPGATE_WEBHOOK_TOKEN || secrets.webhookToken;
  const webhookTokenSource = env.SHIPGATE_WEBHOOK_TOKEN ? 'environment' : 'state dir (generated)';

  const renderWorkflow =
    options.renderWorkflow ??
    ((config: ShipgateConfig) => {
      // Loaded lazily: CDK is heavy, and tests may inject their own workflow.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('../lib/workflow/render') as {
        renderLocalDefinition(c: ShipgateConfig): LocalWorkflow;
      };
      return mod.renderLocalDefinition(config);
    });
  let workflow: LocalWorkflow;
  let bundles: LambdaBundles;
  try {
    workflow = renderWorkflow(options.config);
    const document = options.configDocument ?? readConfigDocument(options.configPath).document;
    bundles = buildLambdaBundles(document);
    if (!options.renderWorkflow) {
      // The rendered tasks name handler sources; run what AWS runs instead.
      workflow = {
        ...workflow,
        tasks: Object.fromEntries(
          Object.entries(workflow.tasks).map(([arn, t]) => [
            arn,
            { step: t.step, entry: bundles.bundles[t.step as keyof typeof bundles.bundles].file },
          ]),
        ),
      };
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND') {
      throw new SandboxStartError(
        `A dependency is missing (${e.message.split('\n')[0]}); run "npm ci" in the repository and start again.`,
      );
    }
    throw new SandboxStartError(
      `Cannot build the release state machine from the config: ${e.message}. Check the config with "npx shipgate config check".`,
    );
  }

  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (err) {
        logger.warn('Sandbox shutdown step failed', { error: err as Error });
      }
    }
  };
  try {
    let dynamo: LocalDynamo;
    try {
      dynamo = await startDynalite(join(stateDir, 'dynamodb'));
    } catch (err) {
      throw new SandboxStartError(
        `Cannot start dynalite (DynamoDB) with data in ${join(stateDir, 'dynamodb')}: ${(err as Error).message}. Run "npm ci" (dynalite and its LevelDB binding are dependencies), or remove a stale LOCK file if no other sandbox uses this state dir.`,
      );
    }
    closers.push(() => dynamo.close());

    // Deployment events go to the rollout-events Lambda, as an EventBridge rule would deliver them.
    let deliver: (event: EventBridgeEvent) => void = () => undefined;
    const recentEvents: EventBridgeEvent[] = [];
    let awsPort = 0;
    const emulators = createEmulators({
      stateDir,
      sink: (event) => {
        recentEvents.unshift(event);
        recentEvents.length = Math.min(recentEvents.length, 50);
        deliver(event);
      },
      sdk: localSdkIntegration(() => awsPort),
      phaseMs: options.phaseMs,
    });
    closers.push(() => emulators.close());

    // Lambda Invoke on the endpoint reaches the local functions (bound once they exist, below).
    let invokeLocal: (name: string, payload: unknown) => Promise<unknown> | undefined = () => undefined;
    const awsServer = createAwsEndpoint({
      emulators: [
        emulators.sfn,
        emulators.ecs,
        emulators.ecr,
        emulators.ssm,
        emulators.codeDeploy,
        emulators.cloudwatch,
      ],
      dynamoDbPort: dynamo.port,
      invokeLambda: (name, payload) => invokeLocal(name, payload),
    });
    awsPort = await listen(awsServer, options.awsPort ?? 4566, host, 'SHIPGATE_AWS_PORT');
    closers.push(
      () =>
        new Promise<void>((r) => {
          awsServer.closeAllConnections();
          awsServer.close(() => r());
        }),
    );
    const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const awsEndpoint = `http://${local}:${awsPort}`;

    const chat = new JsonStore<{ messages: ChatMessage[] }>(join(stateDir, 'chat.json'), () => ({
      messages: [],
    }));
    closers.push(() => chat.flush());

    const appRoot = new Hono();
    // The port is bound now (its URL goes into the handlers' environment), but routes are added to appRoot
    // only further down: until then every request gets 503 "starting". Letting appRoot answer early would
    // build hono's matcher, after which app.route() throws and the sandbox dies (issue 22).
    let serve: (req: Request) => Response | Promise<Response> = startingResponse;
    const appServer = createAdaptorServer({ fetch: (req: Request) => serve(req) }) as Server;
    const port = await listen(appServer, options.port ?? 3000, host, 'PORT');
    closers.push(
      () =>
        new Promise<void>((r) => {
          appServer.closeAllConnections();
          appServer.close(() => r());
        }),
    );
    const url = `http://${local}:${port}`;
    const publicUrl = (env.SHIPGATE_PUBLIC_URL || url).replace(/\/$/, '');

    const stateMachineArn = `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow.stateMachineName}`;
    const forwardChatTo = env.SHIPGATE_CHAT_WEBHOOK_URL;
    const gitlabOn = Boolean(env.SHIPGATE_GITLAB_URL && env.SHIPGATE_GITLAB_TOKEN);
    // The handlers' environment: only endpoints and secrets differ from AWS.
    const handlerEnv: Record<string, string | undefined> = {
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ACCESS_KEY_ID: 'AKIASHIPGATESANDBOX0',
      AWS_SECRET_ACCESS_KEY: 'shipgate-sandbox-not-a-secret',
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      SHIPGATE_TABLE: SANDBOX_TABLE,
      SHIPGATE_STATE_MACHINE_ARN: stateMachineArn,
      SHIPGATE_PUBLIC_URL: publicUrl,
      SHIPGATE_CONSOLE_URL: url,
      SHIPGATE_CONFIG: options.configPath,
      SHIPGATE_CONFIG_JSON: undefined,
      SHIPGATE_VERIFY_HOOK_ARN: SANDBOX_VERIFY_HOOK_ARN,
      SHIPGATE_VERIFY_HOOK_ROLE_ARN: 'arn:aws:iam::000000000000:role/shipgate-ecs-lifecycle-hooks',
      [SECRET_ENV.webhookToken]: webhookToken,
      [SECRET_ENV.linkSigningKey]: env.SHIPGATE_LINK_SIGNING_KEY || secrets.linkSigningKey,
      [SECRET_ENV.chatWebhookUrl]: `${url}/_sandbox/chat`,
      [SECRET_ENV.webhookSigningKey]: env.SHIPGATE_WEBHOOK_SIGNING_KEY || undefined,
      [SECRET_ENV.slackSigningSecret]: env.SHIPGATE_SLACK_SIGNING_SECRET || undefined,
      [SECRET_ENV.gitlabToken]: gitlabOn ? env.SHIPGATE_GITLAB_TOKEN : undefined,
      SHIPGATE_GITLAB_URL: gitlabOn ? env.SHIPGATE_GITLAB_URL : undefined,
      // POST /api/rollbacks invokes this function asynchronously, as in AWS.
      SHIPGATE_MANUAL_ROLLBACK_FUNCTION: MANUAL_ROLLBACK_FUNCTION,
      // The local API has no IAM authorizer: /api/rollbacks takes the "by" the CLI states.
      SHIPGATE_API_TRUSTS_BY: 'sandbox',
    };
    for (const name of Object.values(SECRET_ENV)) handlerEnv[`${name}_SECRET_ARN`] = undefined;
    for (const [k, v] of Object.entries(handlerEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }

    await ensureTable(awsEndpoint, SANDBOX_TABLE);
    const seed = seedFromConfig(options.config, emulators, url);

    const rolloutEventsArn = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-rollout-events';
    const manualRollbackArn = `arn:aws:lambda:us-east-1:000000000000:function:${MANUAL_ROLLBACK_FUNCTION}`;
    const executionEventsArn = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-execution-events';
    const httpArn = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-http';
    const lambdas = new LocalLambdas(
      {
        ...workflow.tasks,
        [rolloutEventsArn]: {
          step: 'rollout-events',
          entry: options.rolloutEventsEntry ?? bundles.bundles['rollout-events'].file,
        },
        [manualRollbackArn]: { step: 'manual-rollback', entry: bundles.bundles['manual-rollback'].file },
        [executionEventsArn]: {
          step: 'execution-events',
          entry: bundles.bundles['execution-events'].file,
        },
        [httpArn]: { step: 'http', entry: bundles.bundles.http.file },
        // ECS invokes the verify hook itself (a lifecycle hook), not the state machine.
        [SANDBOX_VERIFY_HOOK_ARN]: { step: 'verify-hook', entry: bundles.bundles['verify-hook'].file },
      },
      rootDir,
    );
    // Lifecycle hooks of blue/green-family deployments run as ECS would run them: a Lambda invocation.
    emulators.ecs.setHookInvoker((arn, payload) => lambdas.invoke(arn, payload));
    invokeLocal = (name, payload) =>
      name === MANUAL_ROLLBACK_FUNCTION ? lambdas.invoke(manualRollbackArn, payload) : undefined;
    emulators.sfn.registerStateMachine(workflow.stateMachineName, workflow.definition as never, lambdas);
    // The release records (DynamoDB) of interrupted executions say so too, so GET /api/releases is honest.
    const markReleasesAborted = async (executions: StoredExecution[]) => {
      if (!executions.length) return;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const store = require('../lambdas/domain/releases/store') as {
        updateRelease(id: string, patch: Record<string, unknown>): Promise<unknown>;
      };
      for (const e of executions) {
        try {
          await store.updateRelease(e.name, {
            status: 'ABORTED',
            error: { error: e.error ?? 'Sandbox.Interrupted', cause: e.cause },
            ifStatus: ['RUNNING'],
          });
        } catch (err) {
          // No release record (the webhook never created one) or already final: nothing to correct.
          logger.debug('Release record not marked aborted', {
            release: e.name,
            error: (err as Error).message,
          });
        }
      }
    };
    const pending = new Set<Promise<void>>();
    // Executions that end without their own "Report failure" (stopped, or interrupted by a sandbox stop)
    // reach the execution-events Lambda as AWS's "Step Functions Execution Status Change" event would.
    const announced = new Set<string>();
    let stopping = false;
    emulators.sfn.onChange = (e) => {
      if ((e.status !== 'ABORTED' && e.status !== 'TIMED_OUT') || announced.has(e.executionArn) || stopping)
        return;
      announced.add(e.executionArn);
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: '000000000000',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [e.executionArn],
        detail: {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: Math.round(e.startDate * 1000),
          stopDate: e.stopDate ? Math.round(e.stopDate * 1000) : null,
          input: e.input,
          output: null,
          error: e.error ?? null,
          cause: e.cause ?? null,
        },
      };
      const p = lambdas
        .invoke(executionEventsArn, event)
        .then(() => undefined)
        .catch((err: unknown) =>
          logger.warn('Delivering an execution status change to execution-events failed', {
            executionArn: e.executionArn,
            error: (err as Error).message.slice(0, 500),
          }),
        );
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    const recovered = emulators.sfn.recoverInterrupted('The sandbox stopped');
    await markReleasesAborted(recovered);
    const interrupted = recovered.map((e) => e.name);

    deliver = (event) => {
      const p = (async () => {
        // EventBridge retries failed target invocations; three attempts with backoff is plenty locally.
        for (let attempt = 1; attempt <= 3; attempt++) {
          try {
            await lambdas.invoke(rolloutEventsArn, event);
            return;
          } catch (err) {
            logger.warn('Delivering a deployment event to rollout-events failed', {
              attempt,
              detailType: event['detail-type'],
              error: (err as Error).message.slice(0, 500),
            });
            await new Promise((r) => setTimeout(r, 200 * attempt));
          }
        }
      })();
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    closers.push(async () => {
      // Runs after the executions were aborted: deployment events still being delivered and Lambda tasks
      // still running (their results are dropped) finish before their DynamoDB goes away.
      await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 2000))]);
      const unfinished = await lambdas.drain(5000);
      if (unfinished > 0) logger.warn('Stopping with Lambda tasks still running', { unfinished });
    });

    // The HTTP API: every request reaches the hono Lambda's bundle as API Gateway's payload 2.0 event.
    const httpApi = httpApiProxy((event) => lambdas.invoke(httpArn, event));

    const runningServices = (): RunningService[] =>
      options.config.environments.flatMap((e) =>
        Object.keys(options.config.services).map((service) => {
          const contractText = emulators.ssm.value(
            contractParameterName(options.config.contractsPrefix, e.name, service),
          );
          const contract = contractText
            ? (JSON.parse(contractText) as {
                cluster: string;
                service: string;
                containerName: string;
                smokeUrl: string;
              })
            : undefined;
          const svc = contract ? emulators.ecs.findService(contract.cluster, contract.service) : undefined;
          const td = contract
            ? emulators.ecs.runningTaskDefinition(contract.cluster, contract.service)
            : undefined;
          const containers = (td?.body.containerDefinitions ?? []) as { name: string; image: string }[];
          const image =
            (containers.find((c) => c.name === contract?.containerName) ?? containers[0])?.image ?? '';
          const found = image ? emulators.ecr.resolveReference(image) : undefined;
          const primary = svc?.deployments.find((d) => d.status === 'PRIMARY');
          return {
            environment: e.name,
            service,
            cluster: contract?.cluster ?? '',
            taskDefinition: td?.arn ?? '',
            digest: found?.image.digest ?? (image.includes('@') ? image.slice(image.indexOf('@') + 1) : ''),
            rolloutState: primary?.rolloutState ?? 'MISSING',
            deployments: svc?.deployments.length ?? 0,
            smokeUrl: contract?.smokeUrl,
          };
        }),
      );

    // Open approvals come from the approvals module itself (the same records the confirm page reads), with
    // the approvers' personal links; the chat inbox is the fallback when that module cannot answer.
    type ApprovalsModule = {
      listOpenApprovals(
        projectId: number,
        deps: unknown,
      ): Promise<{ id: string; executionArn: string; environment: string; policy: { quorum: number } }[]>;
      approvalLinksFor(
        view: unknown,
        deps: unknown,
      ): Promise<{ approver: string; name: string; url: string }[]>;
    };
    let approvalsModule: { mod: ApprovalsModule; deps: unknown } | undefined;
    const approvalsApi = () => {
      if (!approvalsModule) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require('../lambdas/domain/approvals/query') as ApprovalsModule;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { approvalDeps } = require('../lambdas/domain/approvals/deps') as {
          approvalDeps(o: object): unknown;
        };
        approvalsModule = { mod, deps: approvalDeps({ config: options.config }) };
      }
      return approvalsModule;
    };
    const pendingApprovals = async (): Promise<PendingApproval[]> => {
      const out: PendingApproval[] = [];
      const openByProject = new Map<number, Awaited<ReturnType<ApprovalsModule['listOpenApprovals']>>>();
      for (const e of emulators.sfn.executions()) {
        if (e.status !== 'RUNNING') continue;
        const current = emulators.sfn.currentState(e);
        if (!current || !current.startsWith('Approve ')) continue;
        const environment = current.slice('Approve '.length);
        const enteredAt = [...e.history]
          .reverse()
          .find((h) => (h.stateEnteredEventDetails as { name?: string } | undefined)?.name === current);
        let links: { label: string; url: string }[] = [];
        try {
          const projectId = (JSON.parse(e.input) as { release?: { project?: { id?: number } } }).release
            ?.project?.id;
          if (typeof projectId === 'number') {
            const { mod, deps } = approvalsApi();
            if (!openByProject.has(projectId))
              openByProject.set(projectId, await mod.listOpenApprovals(projectId, deps));
            const view = openByProject
              .get(projectId)!
              .find((v) => v.executionArn === e.executionArn && v.environment === environment);
            if (view) {
              links = (await mod.approvalLinksFor(view, deps)).map((l) => ({
                label: `Review as ${l.name}`,
                url: l.url,
              }));
            }
          }
        } catch (err) {
          logger.warn('Reading open approvals failed; using the chat inbox', {
            error: (err as Error).message,
          });
          const message = chat.data.messages.find(
            (m) =>
              linkedExecutions(m.body).includes(e.executionArn) &&
              approvalLinks(m.body).length > 0 &&
              m.at >= (enteredAt?.timestamp ?? 0) - 1,
          );
          links = message ? approvalLinks(message.body) : [];
        }
        out.push({
          executionArn: e.executionArn,
          executionName: e.name,
          environment,
          state: current,
          since: enteredAt?.timestamp ?? e.startDate,
          links,
        });
      }
      return out;
    };

    const overview = async (): Promise<OverviewModel> => {
      let releases: OverviewModel['releases'] = [];
      try {
        const res = await httpApi(new Request(`${url}/api/releases`));
        if (res.ok) {
          const body = (await res.json()) as unknown;
          const list = (
            Array.isArray(body) ? body : ((body as { releases?: unknown[] }).releases ?? [])
          ) as Record<string, unknown>[];
          releases = list.slice(0, 20).map((r) => {
            const project = (r.project as { path?: string } | undefined)?.path;
            const envs = ((r.environments ?? []) as { name?: string; status?: string }[])
              .map((e) => `${e.name}: ${e.status}`)
              .join(', ');
            const step = r.currentStep ? `at "${String(r.currentStep)}"` : '';
            return {
              id: String(r.id ?? ''),
              state: String(r.status ?? r.state ?? ''),
              detail: [project, envs, step].filter(Boolean).join(' · '),
            };
          });
        }
      } catch {
        // The releases API is optional for the console.
      }
      return {
        executions: emulators.sfn.executions().map((e) => ({
          executionArn: e.executionArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          stopDate: e.stopDate,
          current: e.status === 'RUNNING' ? emulators.sfn.currentState(e) : undefined,
          error: e.error,
        })),
        approvals: await pendingApprovals(),
        environments: runningServices(),
        chat: chat.data.messages,
        releases,
      };
    };

    const info = { stateDir, awsEndpoint, publicUrl };
    const sandboxRoutes = new Hono();
    sandboxRoutes.post('/chat', async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: 'expected a JSON chat message (Slack incoming-webhook format)' }, 400);
      }
      chat.data.messages.unshift({ at: Date.now() / 1000, text: messageText(body), body });
      chat.data.messages.length = Math.min(chat.data.messages.length, 300);
      chat.changed();
      if (forwardChatTo) {
        void fetch(forwardChatTo, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).catch((err: unknown) =>
          logger.warn('Forwarding a chat message to SHIPGATE_CHAT_WEBHOOK_URL failed', {
            error: (err as Error).message,
          }),
        );
      }
      return c.text('ok');
    });
    sandboxRoutes.get('/api/approvals', async (c) => c.json({ approvals: await pendingApprovals() }));
    sandboxRoutes.get('/api/environments', (c) => c.json({ environments: runningServices() }));
    sandboxRoutes.get('/api/chat', (c) => c.json({ messages: chat.data.messages }));
    sandboxRoutes.get('/api/events', (c) => c.json({ events: recentEvents }));
    sandboxRoutes.get('/api/info', (c) =>
      c.json({ url, awsEndpoint, publicUrl, stateDir, stateMachineArn, table: SANDBOX_TABLE }),
    );
    const consoleUi = consoleRoutes({
      definition: workflow.definition,
      environments: options.config.environments.map((e) => e.name),
      executions: () => emulators.sfn.executions(),
      execution: (arn) => emulators.sfn.execution(arn),
      pendingApprovals,
      runningServices,
      overview,
      chat: () => chat.data.messages,
      gitlabUrl: options.config.gitlab.url,
      info,
    });
    sandboxRoutes.route('/', consoleUi.routes);
    // Emulated service endpoints for smoke checks: 200 unless the running image is annotated unhealthy.
    sandboxRoutes.all('/services/:env/:service/*', (c) =>
      serviceEndpoint(c.req.param('env'), c.req.param('service'), c.req.path),
    );
    sandboxRoutes.all('/services/:env/:service', (c) =>
      serviceEndpoint(c.req.param('env'), c.req.param('service'), c.req.path),
    );
    // The test listener of blue/green-family services: the target revision once ECS moved test traffic.
    sandboxRoutes.all('/test-traffic/:env/:service/*', (c) =>
      serviceEndpoint(c.req.param('env'), c.req.param('service'), c.req.path, true),
    );
    const serviceEndpoint = (environment: string, service: string, path: string, testTraffic = false) => {
      const running = runningServices().find((s) => s.environment === environment && s.service === service);
      if (!running || !running.taskDefinition) {
        return Response.json({ error: `No service ${service} in ${environment}` }, { status: 404 });
      }
      if (testTraffic) {
        const contract = JSON.parse(
          emulators.ssm.value(contractParameterName(options.config.contractsPrefix, environment, service)) ??
            '{}',
        ) as { cluster?: string; service?: string };
        const td = emulators.ecs.testTrafficTaskDefinition(contract.cluster ?? '', contract.service ?? '');
        const image = (td?.body.containerDefinitions as { image?: string }[] | undefined)?.[0]?.image ?? '';
        if (image.includes('@')) running.digest = image.slice(image.indexOf('@') + 1);
      }
      const image = emulators.ecr.resolveReference(
        `${emulators.ecr.repositories().find((r) => r.images.some((i) => i.digest === running.digest))?.name ?? ''}@${running.digest}`,
      );
      const unhealthy = image ? emulators.ecr.behaviour(image.image).rollout === 'unhealthy' : false;
      const body = {
        service,
        environment,
        digest: running.digest,
        path,
        status: unhealthy ? 'unhealthy' : 'ok',
      };
      return Response.json(body, { status: unhealthy ? 503 : 200 });
    };

    appRoot.route('/_sandbox', sandboxRoutes);
    appRoot.route('/', consoleUi.shell);
    appRoot.all('*', (c) => httpApi(c.req.raw));
    serve = (req) => appRoot.fetch(req);

    let stopReason = 'The sandbox was stopped';
    closers.push(() => markReleasesAborted(emulators.sfn.abortAll(stopReason)));
    // Runs before the line above (closers run in reverse): a stopping sandbox announces its interrupted
    // executions at its next start (recoverInterrupted), when its DynamoDB is there to record them.
    closers.push(() => {
      stopping = true;
    });

    return {
      url,
      awsEndpoint,
      stateDir,
      webhookToken,
      webhookTokenSource,
      stateMachineArn,
      seed,
      interrupted,
      bundles,
      emulators,
      close: async (reason?: string) => {
        if (reason) stopReason = reason;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
