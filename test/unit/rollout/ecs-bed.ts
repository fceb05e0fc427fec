import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, type DeploymentConfiguration } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { RolloutDeps } from '../../../lambdas/domain/rollout/deps';
import { handleDeploymentEvent, type EventHandling } from '../../../lambdas/domain/rollout/events';
import { runRollbackTask, type RollbackTaskResult } from '../../../lambdas/domain/rollout/rollback-wait';
import type { ShipgateConfig } from '../../../lambdas/shared/config';
import type { Release, ResolvedImage } from '../../../lambdas/shared/release';
import { createEmulators, type Emulators } from '../../../sandbox/aws/emulators';
import { EcrEmulator } from '../../../sandbox/aws/ecr';
import type { EventBridgeEvent } from '../../../sandbox/aws/ecs';
import type { SdkIntegration } from '../../../sandbox/aws/sfn';
import { createAwsEndpoint } from '../../../sandbox/aws/server';
import { seedFromConfig } from '../../../sandbox/seed';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';

/**
 * The test beds of the sandbox's ECS emulator (test/unit/rollout/sandbox-ecs*.test.ts): the emulators on a
 * temporary state directory, served over the AWS JSON protocol on 127.0.0.1 (what the SDK and the AWS CLI
 * talk to), with the events they emit kept or delivered.
 *
 * - {@link startEcsBed}: one seeded service, `billing-app` on `shipgate-production`, and an ECS client: for the
 *   emulator's own API (service deployments, lifecycle and pause hooks).
 * - {@link startRolloutBed}: the services of a Shipgate config seeded as `shipgate dev` seeds them, a real
 *   DynamoDB table (dynalite, behind the same endpoint), real SDK clients and only Step Functions mocked: the
 *   rollout domain end to end, each emitted event delivered to `rollout-events` as EventBridge would.
 */

/** The cluster {@link startEcsBed} seeds its service on. */
export const BED_CLUSTER = 'shipgate-production';
/** The service {@link startEcsBed} seeds (and its ECR repository). */
export const BED_SERVICE = 'billing-app';

/** Dummy credentials: the endpoint accepts any. */
const CREDENTIALS = { accessKeyId: 'AKIATEST', secretAccessKey: 'test' };

/** The emulators behind a loopback AWS endpoint. */
interface Served {
  emulators: Emulators;
  /** The emulated AWS endpoint (what the AWS CLI talks to with --endpoint-url). */
  endpoint: string;
  /** SDK client settings for the endpoint. */
  clientConfig: { endpoint: string; region: string; credentials: typeof CREDENTIALS };
  close(): Promise<void>;
}

async function serve(options: {
  phaseMs: number;
  humanWaitMs?: number;
  sink: (event: EventBridgeEvent) => void;
  dynamoDbPort?: number;
}): Promise<Served> {
  const stateDir = mkdtempSync(join(tmpdir(), 'shipgate-ecs-bed-'));
  const emulators = createEmulators({
    stateDir,
    sink: options.sink,
    sdk: {} as SdkIntegration,
    phaseMs: options.phaseMs,
    humanWaitMs: options.humanWaitMs,
  });
  const server = createAwsEndpoint({
    emulators: [emulators.ecr, emulators.ecs, emulators.ssm, emulators.codeDeploy, emulators.sfn],
    // Nothing listens on port 1: a bed without a table refuses DynamoDB calls.
    dynamoDbPort: options.dynamoDbPort ?? 1,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    emulators,
    endpoint,
    clientConfig: { endpoint, region: 'us-east-1', credentials: CREDENTIALS },
    close: async () => {
      emulators.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Puts an image into the emulated ECR (`annotations` on its manifest) and returns its digest. */
function pushImage(
  emulators: Emulators,
  repositoryName: string,
  tag: string,
  annotations: Record<string, string>,
): string {
  emulators.ecr.putImage({
    repositoryName,
    imageTag: tag,
    imageManifest: JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${'1'.repeat(64)}`,
        size: 2,
      },
      layers: [],
      annotations,
    }),
  });
  const repo = emulators.ecr.repositories().find((r) => r.name === repositoryName)!;
  return repo.images.find((i) => i.tags.includes(tag))!.digest;
}

/** {@link startEcsBed}'s bed. */
export interface EcsBed extends Served {
  ecs: ECSClient;
  /** Every event the emulators emitted, in order. */
  events: EventBridgeEvent[];
  /** Every lifecycle hook ECS invoked (the verify hook's Lambda), in order. */
  hookCalls: { arn: string; payload: Record<string, unknown> }[];
  /** What an invoked hook answers (default SUCCEEDED); a test may replace it. */
  hookAnswer: (payload: Record<string, unknown>) => unknown;
  /** Registers a task definition of `billing-app` running a new image pushed with `annotations`. */
  revision(annotations?: Record<string, string>): string;
}

/**
 * Starts the emulators with `billing-app` seeded on `shipgate-production` (2 tasks, circuit breaker with
 * rollback, `deploymentConfiguration` on top), running a first revision.
 * @example
 * let bed: EcsBed;
 * beforeEach(async () => (bed = await startEcsBed({ phaseMs: 25 })));
 * afterEach(() => bed.close());
 */
export async function startEcsBed(options: {
  phaseMs: number;
  /** The least time people get to decide a pause (the emulators' `humanWaitMs`). */
  humanWaitMs?: number;
  deploymentConfiguration?: DeploymentConfiguration;
}): Promise<EcsBed> {
  const events: EventBridgeEvent[] = [];
  const served = await serve({
    phaseMs: options.phaseMs,
    humanWaitMs: options.humanWaitMs,
    sink: (e) => events.push(e),
  });
  const { emulators } = served;
  const bed: EcsBed = {
    ...served,
    ecs: new ECSClient(served.clientConfig),
    events,
    hookCalls: [],
    hookAnswer: () => ({ hookStatus: 'SUCCEEDED' }),
    revision(annotations = {}) {
      const n = emulators.ecr.repositories()[0].images.length + 1;
      const digest = pushImage(emulators, BED_SERVICE, `v${n}`, { n: String(n), ...annotations });
      const td = emulators.ecs.operations.RegisterTaskDefinition({
        family: `production-${BED_SERVICE}`,
        containerDefinitions: [
          { name: BED_SERVICE, image: `${EcrEmulator.repositoryUri(BED_SERVICE)}@${digest}` },
        ],
      }) as { taskDefinition: { taskDefinitionArn: string } };
      return td.taskDefinition.taskDefinitionArn;
    },
    close: async () => {
      bed.ecs.destroy();
      await served.close();
    },
  };
  emulators.ecs.setHookInvoker(async (arn, payload) => {
    bed.hookCalls.push({ arn, payload });
    return bed.hookAnswer(payload);
  });
  emulators.ecr.createRepository({ repositoryName: BED_SERVICE });
  emulators.ecs.ensureCluster({ clusterName: BED_CLUSTER });
  emulators.ecs.seedService({
    cluster: BED_CLUSTER,
    serviceName: BED_SERVICE,
    taskDefinition: bed.revision(),
    desiredCount: 2,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      ...options.deploymentConfiguration,
    },
  });
  return bed;
}

/** {@link startRolloutBed}'s bed. */
export interface RolloutBed extends Served {
  deps: RolloutDeps;
  /** The mocked Step Functions client: what each waiting task received. */
  sfn: ReturnType<typeof mockClient>;
  /** What `rollout-events` made of each delivered event, in order. */
  handled: EventHandling[];
  /** Pushes an image to the emulated ECR and returns it pinned by digest. */
  push(service: string, salt: string, annotations?: Record<string, string>): ResolvedImage;
  /** Waits (bounded, real time) until a task of the mocked Step Functions got a result. */
  settled(): Promise<void>;
  /**
   * Runs "Roll back <environment>" of the bed's release execution (the `rollback` Lambda) for `release`'s
   * `image`, its task waiting on `taskToken`, after a state failed with the error named `error` (`null`: none
   * failed).
   */
  rollBack(
    taskToken: string,
    environment: string,
    target: { release: Release; image: ResolvedImage },
    error: string | null,
  ): Promise<RollbackTaskResult>;
}

/**
 * Starts the emulators seeded from `config` (`smokeBase` is where services answer), a DynamoDB table behind
 * the same endpoint, and the rollout domain's dependencies on real SDK clients (Step Functions mocked).
 * Each event is delivered after the call that caused it returned, to `deliver` (default: rollout-events'
 * `handleDeploymentEvent`); what it returns is kept in `handled`.
 */
export async function startRolloutBed(options: {
  config: ShipgateConfig;
  /** The release execution the bed's tasks belong to. */
  executionArn: string;
  phaseMs: number;
  table: string;
  smokeBase?: string;
  deliver?: (event: EventBridgeEvent, deps: RolloutDeps) => Promise<EventHandling | undefined>;
}): Promise<RolloutBed> {
  const { config } = options;
  const deliver = options.deliver ?? handleDeploymentEvent;
  const handled: EventHandling[] = [];
  const pending: Promise<unknown>[] = [];
  const wired: { deps?: RolloutDeps } = {};
  const sink = (event: EventBridgeEvent) => {
    // EventBridge delivers asynchronously, after the API call that caused the event returned.
    pending.push(
      new Promise((r) => setImmediate(r)).then(async () => {
        if (!wired.deps) return;
        const h = await deliver(event, wired.deps);
        if (h) handled.push(h);
      }),
    );
  };
  const local: LocalTable = await startLocalTable(options.table, 'us-east-1');
  const served = await serve({ phaseMs: options.phaseMs, sink, dynamoDbPort: local.port });
  const { emulators, clientConfig } = served;
  seedFromConfig(config, emulators, options.smokeBase ?? 'http://127.0.0.1:1');
  const dynamo = new DynamoDBClient(clientConfig);
  const sfnClient = new SFNClient(clientConfig);
  const sfn = mockClient(sfnClient);
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  const deps: RolloutDeps = {
    ecs: new ECSClient(clientConfig),
    codeDeploy: new CodeDeployClient(clientConfig),
    ssm: new SSMClient(clientConfig),
    sfn: sfnClient,
    ddb: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    // One emulated account: every environment uses these clients.
    environmentClients: () => deps,
    config,
    table: options.table,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  };
  wired.deps = deps;
  return {
    ...served,
    deps,
    sfn,
    handled,
    push(service, salt, annotations = {}) {
      const repository = config.services[service].repository;
      const digest = pushImage(emulators, repository, salt, {
        'org.opencontainers.image.revision': salt,
        ...annotations,
      });
      return { service, repository, digest, imageUri: `${EcrEmulator.repositoryUri(repository)}@${digest}` };
    },
    async settled() {
      for (let i = 0; i < 200; i++) {
        await Promise.all(pending);
        const results =
          sfn.commandCalls(SendTaskSuccessCommand).length + sfn.commandCalls(SendTaskFailureCommand).length;
        if (results > 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no task result within 4 s');
    },
    rollBack: (taskToken, environment, { release, image }, error) =>
      runRollbackTask(
        {
          taskToken,
          executionArn: options.executionArn,
          environment,
          release,
          image,
          error: error === null ? null : { Error: error },
        },
        deps,
      ),
    close: async () => {
      served.emulators.close();
      await Promise.all(pending);
      for (const c of [deps.ecs, deps.codeDeploy, deps.ssm, sfnClient, dynamo]) c.destroy();
      await served.close();
      await local.close();
    },
  };
}
