import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startSfnStandIn, type SfnStandIn } from '../../../bench/lib/sfn-standin';
import { ensureTable, startDynalite, type LocalDynamo } from '../../../sandbox/dynamodb';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import {
  deliveryInit,
  FAKE_WEBHOOK_TOKEN,
  gitlabDelivery,
  pipelinePayload,
} from '../../helpers/gitlab-deliveries';
import { useTestEnvironment } from '../../unit/webhook/harness';

/**
 * Faults between the webhook and AWS, with nothing mocked: the real hono app and the real AWS SDK clients of
 * `lambdas/shared/clients/` (their own retries included), DynamoDB on dynalite, and Step Functions answered
 * by a loopback stand-in that fails the first calls the way Step Functions does (throttling as a 400
 * `ThrottlingException`, 5xx `ServiceUnavailable` / `InternalFailure`, even after having started the execution).
 */

let sfn: SfnStandIn;
let dynamo: LocalDynamo;
let dataDir: string;
// Loaded after the endpoints are set: the SDK clients read AWS_ENDPOINT_URL_* when first used.
let app: typeof import('../../../lambdas/http/app').app;
let startRelease: typeof import('../../../lambdas/domain/releases/start').startRelease;
let ddb: typeof import('../../../lambdas/shared/clients/dynamodb').ddb;
// What the app logged as errors during the current test: shown when a status is not the expected one.
let loggedErrors: jest.SpyInstance;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shipgate-faults-'));
  sfn = await startSfnStandIn({ region: 'eu-west-1', account: '123456789012' });
  dynamo = await startDynalite(dataDir);
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'faults-test',
    AWS_SECRET_ACCESS_KEY: 'faults-test-not-a-secret',
    AWS_ENDPOINT_URL_SFN: sfn.url,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamo.port}`,
  });
  useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN });
  await ensureTable(`http://127.0.0.1:${dynamo.port}`, process.env.SHIPGATE_TABLE!);
  ({ app } = await import('../../../lambdas/http/app'));
  ({ startRelease } = await import('../../../lambdas/domain/releases/start'));
  ({ ddb } = await import('../../../lambdas/shared/clients/dynamodb'));
  const { logger } = await import('../../../lambdas/shared/logger');
  loggedErrors = jest.spyOn(logger, 'error');
});

afterAll(async () => {
  await sfn?.close();
  await dynamo?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN });
  // Each test queues its own failures: a test that fails early must not leave them to the next one.
  sfn.clearFailures();
  loggedErrors.mockClear();
});

let pipelineId = 50_000;
const deliveryFor = (id: number, idempotencyKey?: string) =>
  gitlabDelivery(pipelinePayload({ id }), { token: FAKE_WEBHOOK_TOKEN, idempotencyKey });

/**
 * Posts a delivery. An answer other than 202/503 carries what the app logged as errors (their messages and
 * causes), so a failing assertion on `status` says why instead of only "500".
 */
async function post(d: ReturnType<typeof deliveryFor>) {
  const res = await app.request('/webhooks/gitlab', deliveryInit(d));
  const answer = { status: res.status, body: (await res.json()) as Record<string, string> };
  if (res.status === 202 || res.status === 503) return answer;
  const logged = loggedErrors.mock.calls.map(([message, extra]) => {
    const error = (extra as { error?: Error } | undefined)?.error;
    return `${String(message)}: ${error?.name ?? ''} ${error?.message ?? ''} ${error?.stack ?? ''}`;
  });
  return { ...answer, logged };
}

const callsFor = (release: string) => sfn.startCalls.filter((c) => c.name === release);
const releaseItem = async (id: string) =>
  (
    await ddb.send(
      new GetCommand({ TableName: process.env.SHIPGATE_TABLE, Key: { pk: `RELEASE#${id}`, sk: 'RELEASE' } }),
    )
  ).Item;

describe('faults: StartExecution throttled or failing', () => {
  it('retries throttling and 5xx and ends with exactly one execution and one 202', async () => {
    sfn.failNext(
      { status: 400, type: 'ThrottlingException' },
      { status: 503, type: 'ServiceUnavailable' },
      { status: 500, type: 'InternalFailure' },
    );
    const res = await post(deliveryFor(++pipelineId));
    expect(res).toMatchObject({ status: 202 });
    expect(callsFor(res.body.release)).toHaveLength(4);
    expect(callsFor(res.body.release).map((c) => c.answered)).toEqual([
      'failed',
      'failed',
      'failed',
      'started',
    ]);
    expect(sfn.executions.has(res.body.release)).toBe(true);
    expect(res.body.executionArn).toBe(
      `arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:${res.body.release}`,
    );
    expect(await releaseItem(res.body.release)).toMatchObject({ status: 'RUNNING' });
  });

  it('a 5xx answered after Step Functions had started the execution still ends in one execution (same name and input)', async () => {
    sfn.failNext({ status: 500, type: 'InternalFailure', afterStart: true });
    const before = sfn.executions.size;
    const res = await post(deliveryFor(++pipelineId));
    expect(res).toMatchObject({ status: 202 });
    expect(callsFor(res.body.release).map((c) => c.answered)).toEqual(['failed', 'existing']);
    expect(sfn.executions.size).toBe(before + 1);
  });

  it('backs off with full jitter between its own attempts (delays drawn from random(), capped), one execution', async () => {
    // A client without SDK retries, so every failure reaches startRelease's own loop.
    const client = new SFNClient({ endpoint: sfn.url, region: 'eu-west-1', maxAttempts: 1 });
    const draws = [0.9, 0.1, 0.5];
    const sleeps: number[] = [];
    sfn.failNext(
      { status: 400, type: 'ThrottlingException' },
      { status: 400, type: 'ThrottlingException' },
      { status: 503, type: 'ServiceUnavailable' },
    );
    const release = releaseInput(++pipelineId);
    const started = await startRelease(release, {
      sfn: client,
      random: () => draws.shift() ?? 0,
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((r) => setTimeout(r, ms));
      },
    });
    client.destroy();
    // Attempt k waits random() × min(2000, 100 × 2^k): 0.9×200, 0.1×400, 0.5×800.
    expect(sleeps).toEqual([180, 40, 400]);
    const calls = callsFor(started.release);
    expect(calls.map((c) => c.answered)).toEqual(['failed', 'failed', 'failed', 'started']);
    // The waits really happened between the calls.
    expect(calls[3].at - calls[0].at).toBeGreaterThanOrEqual(180 + 40 + 400 - 5);
    expect([...sfn.executions.keys()].filter((k) => k === started.release)).toHaveLength(1);
  });

  it('answers 503 when Step Functions keeps failing past the budget, and a later resend starts exactly one execution', async () => {
    const client = new SFNClient({ endpoint: sfn.url, region: 'eu-west-1', maxAttempts: 1 });
    sfn.failNext(...Array.from({ length: 5 }, () => ({ status: 503, type: 'ServiceUnavailable' })));
    const release = releaseInput(++pipelineId);
    await expect(startRelease(release, { sfn: client, sleep: async () => undefined })).rejects.toThrow(
      /Could not start execution .* after 5 attempt\(s\).*resent from GitLab/,
    );
    expect(sfn.executions.has(release.release.id)).toBe(false);
    expect(await releaseItem(release.release.id)).toMatchObject({
      status: 'FAILED',
      error: { error: 'StartExecutionFailed' },
    });

    // GitLab's "Resend request" once Step Functions is healthy again.
    const again = await startRelease(release, { sfn: client });
    client.destroy();
    expect(again.release).toBe(release.release.id);
    expect([...sfn.executions.keys()].filter((k) => k === release.release.id)).toHaveLength(1);
    expect(await releaseItem(release.release.id)).toMatchObject({ status: 'RUNNING' });
  });

  it('the HTTP answer for an exhausted budget is a 503 GitLab shows, and the resent delivery then starts one execution', async () => {
    // The production client retries 4 times per call; 5 attempts × 4 = 20 failures exhaust everything.
    sfn.failNext(...Array.from({ length: 40 }, () => ({ status: 400, type: 'ThrottlingException' })));
    const d = deliveryFor(++pipelineId);
    const first = await post(d);
    expect(first.status).toBe(503);
    expect(first.body.error).toMatch(/Could not start execution|could not process the delivery/);
    sfn.clearFailures();
    const resent = await post(d);
    expect(resent.status).toBe(202);
    const release = resent.body.release;
    expect([...sfn.executions.keys()].filter((k) => k === release)).toHaveLength(1);
    expect(callsFor(release).filter((c) => c.answered === 'started')).toHaveLength(1);
    expect(await releaseItem(release)).toMatchObject({ status: 'RUNNING' });
  }, 30_000);
});

describe('faults: DynamoDB conditional-check races', () => {
  it('20 concurrent deliveries of one event (10 redeliveries of one key, 10 other keys) make one release and one execution', async () => {
    const id = ++pipelineId;
    const deliveries = [
      ...Array.from({ length: 10 }, () => deliveryFor(id, 'same-key-raced')),
      ...Array.from({ length: 10 }, (_, k) => deliveryFor(id, `other-key-${id}-${k}`)),
    ];
    const answers = await Promise.all(deliveries.map((d) => post(d)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const release = answers[0].body.release;
    expect(new Set(answers.map((a) => a.body.executionArn)).size).toBe(1);
    expect([...sfn.executions.keys()].filter((k) => k === release)).toHaveLength(1);
    // However many requests raced to StartExecution, Step Functions created it once and answered the rest
    // from its name + input idempotency.
    expect(callsFor(release).filter((c) => c.answered === 'started')).toHaveLength(1);
    expect(callsFor(release).filter((c) => c.answered === 'conflict')).toHaveLength(0);
    expect(await releaseItem(release)).toMatchObject({ status: 'RUNNING', id: release });
    // One delivery record per key: the raced key recorded once, with the same answer.
    const record = (
      await ddb.send(
        new GetCommand({
          TableName: process.env.SHIPGATE_TABLE,
          Key: { pk: 'DELIVERY#idem:same-key-raced', sk: 'DELIVERY' },
        }),
      )
    ).Item;
    expect(record).toMatchObject({ release, executionArn: answers[0].body.executionArn });
  });
});

/** A ReleaseInput for pipeline `id` of root/inventory-app, shaped like the webhook's. */
function releaseInput(id: number): ReleaseInput {
  const sha = id.toString(16).padStart(40, 'a').slice(0, 40);
  return {
    release: {
      id: `inventory-app-p${id}-${sha.slice(0, 12)}`,
      project: { id: 12, path: 'root/inventory-app', webUrl: 'http://192.168.56.11/root/inventory-app' },
      commit: { sha, title: 'Fault injection' },
      ref: 'main',
      tag: false,
      pipeline: { id, url: `http://192.168.56.11/root/inventory-app/-/pipelines/${id}` },
      triggeredBy: { username: 'dana' },
      services: ['inventory-app'],
      environments: ['staging', 'production'],
      deliveryId: `gitlab:12:pipeline:${id}:success`,
      createdAt: '2026-11-22T00:00:00.000Z',
    },
  } as ReleaseInput;
}
