import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ReleaseView } from '../../../lambdas/domain/releases/status';
import { createRelease, updateRelease } from '../../../lambdas/domain/releases/store';
import { app } from '../../../lambdas/http/app';
import type { Release } from '../../../lambdas/shared/release';
import { executionArn, STATE_MACHINE_ARN, useTestEnvironment } from '../webhook/harness';
import { installMemoryTable } from './memory-table';

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

const release = (pipeline: number, createdAt: string, project = 'inventory-app'): Release => ({
  id: `${project}-p${pipeline}-1a2b3c4d5e6f`,
  project: { id: 12, path: `root/${project}`, webUrl: `http://192.168.56.11/root/${project}` },
  commit: {
    sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    title: 'Add stock reservation endpoint',
    url: `http://192.168.56.11/root/${project}/-/commit/1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d`,
  },
  ref: 'main',
  tag: false,
  pipeline: { id: pipeline, url: `http://192.168.56.11/root/${project}/-/pipelines/${pipeline}` },
  triggeredBy: { username: 'dana', name: 'Dana Developer' },
  services: [project],
  environments: ['staging', 'production'],
  deliveryId: `gitlab:12:pipeline:${pipeline}:success`,
  createdAt,
});

const older = release(4700, '2026-11-21T22:00:00.000Z');
const newer = release(4711, '2026-11-21T23:58:41.000Z');

beforeEach(async () => {
  sfnMock.reset();
  ddbMock.reset();
  installMemoryTable(ddbMock);
  useTestEnvironment();
  for (const r of [older, newer]) await createRelease({ release: r, executionArn: executionArn(r.id) });
  await updateRelease(newer.id, {
    currentStep: 'Deploy staging',
    environments: {
      staging: {
        status: 'DEPLOYING',
        digests: { 'inventory-app': 'sha256:0f0e' },
        at: '2026-11-22T00:03:00Z',
      },
    },
  });
});

/** Body of a releases API answer (a list page, one release, or an error). */
type ApiBody = ReleaseView & { releases: ReleaseView[]; nextCursor?: string; error?: string };

async function get(path: string): Promise<{ status: number; body: ApiBody }> {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as ApiBody };
}

describe('GET /api/releases', () => {
  it('lists releases newest first with state, current step, environments and links', async () => {
    const { status, body } = await get('/api/releases');
    expect(status).toBe(200);
    expect(body.releases.map((r) => r.id)).toEqual([newer.id, older.id]);
    expect(body.releases[0]).toMatchObject({
      status: 'RUNNING',
      currentStep: 'Deploy staging',
      pipeline: { id: 4711 },
      environments: [
        { name: 'staging', status: 'DEPLOYING', digests: { 'inventory-app': 'sha256:0f0e' } },
        { name: 'production', status: 'PENDING' },
      ],
      links: {
        self: `https://shipgate.example.test/api/releases/${newer.id}`,
        execution: expect.stringContaining('console.aws.amazon.com/states'),
        pipeline: 'http://192.168.56.11/root/inventory-app/-/pipelines/4711',
      },
    });
    // Running releases are refined from their execution (reads only); with no answer the stored state shows.
    expect(
      sfnMock
        .calls()
        .map((c) => (c.args[0] as object).constructor.name)
        .filter((n) => n !== 'DescribeExecutionCommand' && n !== 'GetExecutionHistoryCommand'),
    ).toEqual([]);
  });

  it('honours ?limit and returns a cursor for the next page', async () => {
    const { body } = await get('/api/releases?limit=1');
    expect(body.releases.map((r) => r.id)).toEqual([newer.id]);
    const next = await get(`/api/releases?limit=1&cursor=${body.nextCursor}`);
    expect(next.body.error).toBeUndefined();
    expect(next.body.releases.map((r) => r.id)).toEqual([older.id]);
    expect(next.body.nextCursor).toBeUndefined();
  });

  it('answers 400 for a limit out of range', async () => {
    const { status, body } = await get('/api/releases?limit=500');
    expect(status).toBe(400);
    expect(body.error).toMatch(/limit/);
  });

  it('links executions to the local console in the sandbox', async () => {
    process.env.SHIPGATE_CONSOLE_URL = 'http://localhost:3000';
    try {
      const { body } = await get('/api/releases');
      expect(body.releases[0].links.execution).toBe(
        `http://localhost:3000/#/executions/${encodeURIComponent(executionArn(newer.id))}`,
      );
    } finally {
      delete process.env.SHIPGATE_CONSOLE_URL;
    }
  });
});

describe('GET /api/releases/:id', () => {
  it('refines the stored state with the execution: current step from the history', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: executionArn(newer.id),
      stateMachineArn: STATE_MACHINE_ARN,
      status: 'RUNNING',
      startDate: new Date('2026-11-22T00:00:01Z'),
    });
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 11,
          type: 'TaskStateExited',
          timestamp: new Date(),
          stateExitedEventDetails: { name: 'Verify staging' },
        },
        {
          id: 12,
          type: 'TaskStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Approve production' },
        },
      ],
    });
    const { status, body } = await get(`/api/releases/${newer.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: newer.id,
      status: 'RUNNING',
      currentStep: 'Approve production',
      execution: {
        name: newer.id,
        arn: executionArn(newer.id),
        status: 'RUNNING',
        startDate: '2026-11-22T00:00:01.000Z',
      },
      environments: [
        { name: 'staging', status: 'DEPLOYED', digests: { 'inventory-app': 'sha256:0f0e' } },
        { name: 'production', status: 'AWAITING_APPROVAL' },
      ],
      live: { ok: true },
    });
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { maxResults: 1000 });
  });

  it('shows a finished execution as finished even before the store was updated', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: executionArn(newer.id),
      stateMachineArn: STATE_MACHINE_ARN,
      status: 'FAILED',
      error: 'RolloutFailed',
      cause: 'ECS circuit breaker rolled back inventory-app to revision 41',
      startDate: new Date('2026-11-22T00:00:01Z'),
      stopDate: new Date('2026-11-22T00:09:00Z'),
    });
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 30,
          type: 'TaskStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Report failure' },
        },
      ],
    });
    const { body } = await get(`/api/releases/${newer.id}`);
    expect(body).toMatchObject({
      status: 'FAILED',
      error: { error: 'RolloutFailed', cause: expect.stringContaining('rolled back') },
      execution: { stopDate: '2026-11-22T00:09:00.000Z' },
    });
  });

  it('keeps the stored state, marked not live, when Step Functions cannot be reached', async () => {
    sfnMock.rejects(new Error('connect ECONNREFUSED 127.0.0.1:4566'));
    const { status, body } = await get(`/api/releases/${newer.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'RUNNING',
      currentStep: 'Deploy staging',
      live: { ok: false, error: expect.stringContaining('ECONNREFUSED') },
    });
  });

  it('answers 404 for an unknown release id', async () => {
    const { status, body } = await get('/api/releases/nothing-p1-000000000000');
    expect(status).toBe(404);
    expect(body.error).toMatch(/No release "nothing-p1-000000000000"/);
  });

  it('answers 404 for an id that cannot be an execution name, without touching the table', async () => {
    const { status } = await get('/api/releases/..%2F..%2Fetc');
    expect(status).toBe(404);
  });
});
