import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBridgeEvent } from './aws/ecs';
import { createEmulators, servedEmulators, type Emulators } from './aws/emulators';
import { createAwsEndpoint } from './aws/server';
import { startDynalite, type LocalDynamo } from './dynamodb';
import { closeServer, listen, reachableHost } from './listen';
import type { Shutdown } from './shutdown';
import { SandboxStartError } from './start-error';
import { localSdkIntegration } from './workflow/sdk-integration';

/** What the emulated AWS calls out to: the local functions, bound once they exist. */
export interface EmulatedAwsTargets {
  /** Receives ECS and CodeDeploy deployment events, as an EventBridge rule would. */
  deliverEvent(event: EventBridgeEvent): void;
  /** Lambda `Invoke` on the endpoint; `undefined` for a function the sandbox does not serve. */
  invokeLambda(name: string, payload: unknown): Promise<unknown> | undefined;
  /** Lambda `Invoke` with `InvocationType: Event`: queued (retries, on-failure destination); false when unknown. */
  invokeLambdaAsync(name: string, payload: unknown): boolean;
}

/** The emulated AWS of a running sandbox. */
export interface EmulatedAws {
  emulators: Emulators;
  /** URL of the AWS-compatible endpoint. */
  endpoint: string;
  /** The newest deployment events (50 at most), newest first. */
  recentEvents: EventBridgeEvent[];
  /** Connects the local functions (either or both); until then events are dropped and Lambda `Invoke` finds nothing. */
  connect(targets: Partial<EmulatedAwsTargets>): void;
}

/** Options of `startEmulatedAws`. */
export interface EmulatedAwsOptions {
  stateDir: string;
  /** Interface to listen on. */
  host: string;
  /** Port of the endpoint (0 = any free port). */
  port: number;
  phaseMs?: number;
  /**
   * File that gets one JSON line per request to an emulated service (`SHIPGATE_SANDBOX_REQUEST_LOG`), with
   * the fields CloudTrail records of an API call: `eventTime`, `eventSource`, `eventName`, `userAgent`,
   * `requestParameters`. @default no log
   */
  requestLog?: string;
  /** Shortest real wait of an ECS PAUSE hook (ms). */
  humanWaitMs?: number;
  /** The environments' own accounts (`environments[].aws.account`), emulated beside Shipgate's. */
  accounts?: readonly string[];
}

/**
 * Starts dynalite (data in `<stateDir>/dynamodb`), the emulators over `<stateDir>/aws`, and the
 * AWS-compatible endpoint that serves them all; registers their shutdown.
 */
export async function startEmulatedAws(o: EmulatedAwsOptions, shutdown: Shutdown): Promise<EmulatedAws> {
  let dynamo: LocalDynamo;
  try {
    dynamo = await startDynalite(join(o.stateDir, 'dynamodb'));
  } catch (err) {
    throw new SandboxStartError(
      `Cannot start dynalite (DynamoDB) with data in ${join(o.stateDir, 'dynamodb')}: ${(err as Error).message}. Run "npm ci" (dynalite and its LevelDB binding are dependencies), or remove a stale LOCK file if no other sandbox uses this state dir.`,
    );
  }
  shutdown.add(() => dynamo.close());

  let targets: EmulatedAwsTargets = {
    deliverEvent: () => undefined,
    invokeLambda: () => undefined,
    invokeLambdaAsync: () => false,
  };
  const recentEvents: EventBridgeEvent[] = [];
  let awsPort = 0;
  const emulators = createEmulators({
    stateDir: o.stateDir,
    sink: (event) => {
      recentEvents.unshift(event);
      recentEvents.length = Math.min(recentEvents.length, 50);
      targets.deliverEvent(event);
    },
    sdk: localSdkIntegration(() => awsPort),
    phaseMs: o.phaseMs,
    endpoint: () => `http://${reachableHost(o.host)}:${awsPort}`,
    humanWaitMs: o.humanWaitMs,
    accounts: o.accounts,
  });
  shutdown.add(() => emulators.close());

  const awsServer = createAwsEndpoint({
    emulators: servedEmulators(emulators),
    accounts: {
      directory: emulators.accounts,
      emulatorsOf: (account) => servedEmulators(emulators, account),
    },
    dynamoDbPort: dynamo.port,
    invokeLambda: (name, payload) => targets.invokeLambda(name, payload),
    recordRequest: o.requestLog
      ? ({ prefix, operation, input, userAgent }) =>
          appendFileSync(
            o.requestLog!,
            `${JSON.stringify({ eventTime: new Date().toISOString(), eventSource: prefix, eventName: operation, userAgent, requestParameters: input })}\n`,
          )
      : undefined,
    invokeLambdaAsync: (name, payload) => targets.invokeLambdaAsync(name, payload),
  });
  awsPort = await listen(awsServer, o.port, o.host, 'SHIPGATE_AWS_PORT');
  shutdown.add(() => closeServer(awsServer));
  return {
    emulators,
    endpoint: `http://${reachableHost(o.host)}:${awsPort}`,
    recentEvents,
    connect: (t) => {
      targets = { ...targets, ...t };
    },
  };
}
