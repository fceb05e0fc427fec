import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { RolloutDeps } from '../../../lambdas/domain/rollout/deps';
import { handleDeploymentEvent, type EventHandling } from '../../../lambdas/domain/rollout/events';
import { readLock } from '../../../lambdas/domain/rollout/lock';
import { getRecord, markVerified } from '../../../lambdas/domain/rollout/records';
import { runRollbackTask } from '../../../lambdas/domain/rollout/rollback-wait';
import { startRollout } from '../../../lambdas/domain/rollout/start';
import type { RolloutOutcome } from '../../../lambdas/domain/rollout/types';
import { TABLE_KEYS } from '../../../lambdas/shared/table';
import type { ResolvedImage } from '../../../lambdas/shared/release';
import { createEmulators, type Emulators } from '../../../sandbox/aws/emulators';
import { EcrEmulator, ROLLOUT_ANNOTATION } from '../../../sandbox/aws/ecr';
import type { EventBridgeEvent } from '../../../sandbox/aws/ecs';
import type { SdkIntegration } from '../../../sandbox/aws/sfn';
import { createAwsEndpoint } from '../../../sandbox/aws/server';
import { seedFromConfig } from '../../../sandbox/seed';
import { makeRelease, testConfig, token } from './harness';

/**
 * The rollout domain end to end against the sandbox's emulated ECS (over the AWS JSON protocol, real SDK
 * clients): its deployments move IN_PROGRESS → COMPLETED / FAILED on timers and emit "ECS Deployment State
 * Change" events, which go to `rollout-events` exactly as an EventBridge rule would deliver them. Only Step
 * Functions is mocked, to see what the waiting task would receive.
 */

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs: number }) => Server;

const EXEC = 'arn:aws:states:us-east-1:000000000000:execution:shipgate-release:sandbox-test';
const TABLE = 'shipgate-rollout-sandbox-test';

interface Sandbox {
  deps: RolloutDeps;
  emulators: Emulators;
  sfn: ReturnType<typeof mockClient>;
  handled: EventHandling[];
  /** Pushes an image to the emulated ECR and returns it pinned by digest. */
  push(service: string, salt: string, annotations?: Record<string, string>): ResolvedImage;
  /** Waits (bounded, real time) until a task of the mocked Step Functions got a result. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

async function startSandbox(phaseMs = 40): Promise<Sandbox> {
  const stateDir = mkdtempSync(join(tmpdir(), 'shipgate-rollout-'));
  const config = testConfig();
  const handled: EventHandling[] = [];
  const pending: Promise<unknown>[] = [];
  const wired: { deps?: RolloutDeps } = {};
  const sink = (event: EventBridgeEvent) => {
    // EventBridge delivers asynchronously, after the API call that caused the event returned.
    pending.push(
      new Promise((r) => setImmediate(r)).then(async () => {
        if (wired.deps) handled.push(await handleDeploymentEvent(event, wired.deps));
      }),
    );
  };
  const emulators = createEmulators({ stateDir, sink, sdk: {} as SdkIntegration, phaseMs });
  seedFromConfig(config, emulators, 'http://127.0.0.1:1');

  const db = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  const dbPort = (db.address() as AddressInfo).port;
  const endpointServer = createAwsEndpoint({
    emulators: [emulators.ecr, emulators.ecs, emulators.ssm, emulators.codeDeploy, emulators.sfn],
    dynamoDbPort: dbPort,
  });
  await new Promise<void>((resolve) => endpointServer.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(endpointServer.address() as AddressInfo).port}`;
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  };
  const dynamo = new DynamoDBClient(clientConfig);
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
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
    table: TABLE,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  };
  wired.deps = deps;
  return {
    deps,
    emulators,
    sfn,
    handled,
    push(service, salt, annotations = {}) {
      const repositoryName = config.services[service].repository;
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${'1'.repeat(64)}`,
          size: 2,
        },
        layers: [],
        annotations: { 'org.opencontainers.image.revision': salt, ...annotations },
      });
      emulators.ecr.putImage({ repositoryName, imageManifest: manifest, imageTag: salt });
      const repo = emulators.ecr.repositories().find((r) => r.name === repositoryName)!;
      const image = repo.images.find((i) => i.tags.includes(salt))!;
      return {
        service,
        repository: repositoryName,
        digest: image.digest,
        imageUri: `${EcrEmulator.repositoryUri(repositoryName)}@${image.digest}`,
      };
    },
    async settled() {
      for (let i = 0; i < 200; i++) {
        await Promise.all(pending);
        if (
          sfn.commandCalls(SendTaskSuccessCommand).length + sfn.commandCalls(SendTaskFailureCommand).length >
          0
        )
          return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no task result within 4 s');
    },
    async close() {
      emulators.close();
      await Promise.all(pending);
      endpointServer.closeAllConnections();
      await new Promise<void>((resolve) => endpointServer.close(() => resolve()));
      await new Promise<void>((resolve) => db.close(() => resolve()));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The reason of an ignored event ('' for anything else). */
function reasonOf(h: EventHandling): string {
  return h.action === 'ignored' ? h.reason : '';
}

async function runningImage(
  deps: RolloutDeps,
  cluster: string,
  service: string,
): Promise<string | undefined> {
  const svc = (await deps.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })))
    .services![0];
  const td = await deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }));
  return td.taskDefinition?.containerDefinitions?.[0].image;
}

describe('rollouts against the sandbox ECS emulator', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => sandbox.close());

  test('rolling success: the deployment event resumes the task, the service runs the pinned digest', async () => {
    const image = sandbox.push('storefront', 'good1');
    const release = makeRelease();
    await startRollout(
      { taskToken: token('ok'), executionArn: EXEC, environment: 'staging', release, image },
      sandbox.deps,
    );
    await sandbox.settled();

    expect(sandbox.sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    const outcome = JSON.parse(
      sandbox.sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output as string,
    ) as RolloutOutcome;
    expect(outcome).toMatchObject({
      service: 'storefront',
      environment: 'staging',
      status: 'COMPLETED',
      digest: image.digest,
    });
    expect(sandbox.handled).toContainEqual(
      expect.objectContaining({ action: 'settled', status: 'COMPLETED' }),
    );
    expect(await runningImage(sandbox.deps, 'shipgate-staging', 'storefront')).toBe(image.imageUri);
  });

  test('circuit breaker failure: the task fails with RolloutFailed naming the revision ECS rolled back to; the old image keeps running', async () => {
    const before = await runningImage(sandbox.deps, 'shipgate-staging', 'storefront');
    const image = sandbox.push('storefront', 'bad1', { [ROLLOUT_ANNOTATION]: 'fail' });
    await startRollout(
      { taskToken: token('bad'), executionArn: EXEC, environment: 'staging', release: makeRelease(), image },
      sandbox.deps,
    );
    await sandbox.settled();

    expect(sandbox.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    const failure = sandbox.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input;
    expect(failure.error).toBe('RolloutFailed');
    expect(failure.cause).toMatch(
      /circuit breaker.*rolled back to staging-storefront:1 \(the revision it ran before\)/,
    );
    // Give ECS's rollback deployment time to finish, then check what runs.
    await new Promise((r) => setTimeout(r, 300));
    expect(await runningImage(sandbox.deps, 'shipgate-staging', 'storefront')).toBe(before);
  });

  test('verify failure after success: Shipgate rolls the service back to its previous revision; the ending event resumes the token', async () => {
    const before = await runningImage(sandbox.deps, 'shipgate-staging', 'storefront');
    const image = sandbox.push('storefront', 'unhealthy1', { [ROLLOUT_ANNOTATION]: 'unhealthy' });
    const release = makeRelease();
    await startRollout(
      { taskToken: token('uh'), executionArn: EXEC, environment: 'staging', release, image },
      sandbox.deps,
    );
    await sandbox.settled();
    expect(sandbox.sfn).toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(
      await markVerified('staging', 'storefront', release.id, new Date().toISOString(), sandbox.deps),
    ).toBe(true);

    sandbox.sfn.resetHistory();
    const started = await runRollbackTask(
      {
        taskToken: token('rb-uh'),
        executionArn: EXEC,
        environment: 'staging',
        release,
        image,
        error: { Error: 'VerifyFailed' },
      },
      sandbox.deps,
    );
    expect(started).toEqual({ status: 'WAITING', detail: 'rollback redeploy under way' });
    await sandbox.settled();

    // The deployment event that ends the rollback resumes the parked token (no Lambda waited for ECS).
    const resumed = sandbox.sfn.commandCalls(SendTaskSuccessCommand);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].args[0].input.taskToken).toBe(token('rb-uh'));
    expect(JSON.parse(resumed[0].args[0].input.output as string)).toMatchObject({
      service: 'storefront',
      rolledBack: {
        service: 'storefront',
        from: expect.stringMatching(/task-definition\/staging-storefront:2$/),
        to: expect.stringMatching(/task-definition\/staging-storefront:1$/),
        by: 'shipgate',
      },
    });
    expect(await runningImage(sandbox.deps, 'shipgate-staging', 'storefront')).toBe(before);
    expect((await getRecord('shipgate-staging', 'storefront', sandbox.deps))?.status).toBe('ROLLED_BACK');
  });

  test('circuit breaker: ECS\'s own rollback ends before "Start rollback" parked its token; the start looks again and resumes the task', async () => {
    // Slow phases (300 ms) so ECS's rollback deployment is still in flight when "Start rollback" decides.
    await sandbox.close();
    sandbox = await startSandbox(300);
    const release = makeRelease();
    const image = sandbox.push('storefront', 'bad2', { [ROLLOUT_ANNOTATION]: 'fail' });
    await startRollout(
      { taskToken: token('bad'), executionArn: EXEC, environment: 'staging', release, image },
      sandbox.deps,
    );
    await sandbox.settled();
    expect(sandbox.sfn.commandCalls(SendTaskFailureCommand)[0].args[0].input.error).toBe('RolloutFailed');
    sandbox.sfn.resetHistory();

    // The race: "Start rollback" sees ECS's rollback deployment in progress (its DescribeServices), then
    // the rollback deployment completes and its SERVICE_DEPLOYMENT_COMPLETED event reaches rollout-events
    // (which ignores it: no rollback is recorded yet) before "Start rollback" stores its rollback state.
    const ecs = sandbox.deps.ecs as unknown as { send: (command: unknown) => Promise<unknown> };
    const send = ecs.send.bind(ecs);
    let raced = false;
    ecs.send = async (command: unknown) => {
      const out = await send(command);
      if (!raced && command instanceof DescribeServicesCommand) {
        raced = true;
        const primary = (out as { services: Service[] }).services[0].deployments?.find(
          (d) => d.status === 'PRIMARY',
        );
        expect(primary?.rolloutState).toBe('IN_PROGRESS');
        for (let i = 0; i < 100 && !sandbox.handled.some((h) => /already ended/.test(reasonOf(h))); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(sandbox.handled.map(reasonOf)).toContainEqual(
          expect.stringMatching(/already ended \(FAILED\)/),
        );
      }
      return out;
    };

    const started = await runRollbackTask(
      {
        taskToken: token('rb'),
        executionArn: EXEC,
        environment: 'staging',
        release,
        image,
        error: { Error: 'RolloutFailed' },
      },
      sandbox.deps,
    );

    expect(raced).toBe(true);
    // Without a second look the token would wait for an event that already came, until TimeoutSeconds.
    expect(started).toEqual({ status: 'SETTLED', outcome: 'COMPLETED' });
    expect(sandbox.sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    const resumed = sandbox.sfn.commandCalls(SendTaskSuccessCommand);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].args[0].input.taskToken).toBe(token('rb'));
    expect(JSON.parse(resumed[0].args[0].input.output as string)).toMatchObject({
      service: 'storefront',
      rolledBack: { service: 'storefront', by: 'ecs-circuit-breaker' },
    });
    const record = await getRecord('shipgate-staging', 'storefront', sandbox.deps);
    expect(record?.status).toBe('ROLLED_BACK');
    expect(record?.rollback?.status).toBe('COMPLETED');
    expect(await readLock('staging', 'storefront', sandbox.deps)).toBeUndefined();
  });
});
