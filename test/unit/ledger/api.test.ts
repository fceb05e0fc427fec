import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { quarantineDigest } from '../../../lambdas/domain/ledger/quarantine';
import { appendLedgerEntry } from '../../../lambdas/domain/ledger/store';
import { setConfigForTesting } from '../../../lambdas/shared/config';
import { TEST_CONFIG } from '../webhook/harness';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';
import { commit, releaseEntry, rollbackEntry } from './entries';

/**
 * `GET /api/metrics/dora` and the quarantine routes through the real Lambda handler (API Gateway payload 2.0,
 * IAM identity as API Gateway passes it), reading dynalite through the shared clients (AWS_ENDPOINT_URL_DYNAMODB,
 * as the sandbox points them).
 */

let local: LocalTable;
let handler: (event: LambdaEvent, context: LambdaContext) => Promise<unknown>;
const saved = { ...process.env };
const NOW = Date.now();
const ago = (hours: number) => new Date(NOW - hours * 3_600_000).toISOString();
const DIGEST = `sha256:${'e'.repeat(64)}`;

beforeAll(async () => {
  local = await startLocalTable('shipgate-api-test');
  Object.assign(process.env, local.lambdaEnv, { SHIPGATE_PUBLIC_URL: 'https://shipgate.example.test' });
  setConfigForTesting(TEST_CONFIG);
  // Loaded now, so the shared DynamoDB client picks up the endpoint above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require('../../../lambdas/http/handler') as { handler: typeof handler }).handler;
  const store = { ddb: local.ddb, table: local.table };
  for (const entry of [
    releaseEntry(ago(50), { releaseId: 'r1', commits: [commit('a', ago(52))] }),
    releaseEntry(ago(26), { releaseId: 'r2', commits: [commit('b', ago(30)), commit('c', ago(27))] }),
    releaseEntry(ago(5), { releaseId: 'r3', outcome: 'rolled-back-by-ecs', failedAt: ago(5) }),
    rollbackEntry(ago(5), ago(4.5), { outcome: 'rolled-back-by-ecs', rolledBackReleaseId: 'r3' }),
    releaseEntry(ago(3), { releaseId: 'r4', environment: 'staging' }),
  ]) {
    await appendLedgerEntry(entry, store);
  }
  await quarantineDigest(
    {
      id: 'rollback#r3#production#inventory-app',
      service: 'inventory-app',
      environment: 'production',
      outcome: 'rolled-back-by-ecs',
      rolledBackReleaseId: 'r3',
      at: ago(4.5),
    },
    DIGEST,
    store,
  );
});

afterAll(async () => {
  setConfigForTesting(undefined);
  process.env = saved;
  await local.close();
});

const CALLER = {
  userArn: 'arn:aws:sts::123456789012:assumed-role/ShipgateOperators/dana',
  callerId: 'AROA:dana',
};

async function call(
  method: string,
  path: string,
  { query = '', body, iam = true }: { query?: string; body?: unknown; iam?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json' },
    ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      ...(iam ? { authorizer: { iam: CALLER } } : {}),
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'jest' },
      requestId: 'req',
      routeKey: '$default',
      stage: '$default',
      time: '22/Nov/2026:00:00:00 +0000',
      timeEpoch: NOW,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as LambdaEvent;
  const res = (await handler(event, {} as LambdaContext)) as APIGatewayProxyResult;
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

describe('GET /api/metrics/dora', () => {
  it('serves the figures of the environment over the window, per service, with levels', async () => {
    const res = await call('GET', '/api/metrics/dora', { query: 'environment=production&window=30d' });
    expect(res.status).toBe(200);
    const report = res.body as unknown as import('../../../lambdas/domain/ledger/dora').DoraReport;
    expect(report.environment).toBe('production');
    expect(report.window).toMatchObject({ days: 30, label: '30d' });
    expect(report.entries).toBe(4); // the staging entry is not production's
    const f = report.overall.figures;
    // Deployed r1, r2; r3 rolled back by ECS: 3 deployments, 1 failed, restored in 30 min.
    expect(f.deploymentFrequency).toMatchObject({ deployments: 2, level: 'medium' }); // 2 in 30 days: weekly–monthly
    expect(f.changeFailureRate).toMatchObject({ failedDeployments: 1, deployments: 3, level: 'low' });
    expect(f.recoveryTime).toMatchObject({ count: 1, medianSeconds: 1800, level: 'elite' });
    // Lead times: 2 h (r1), 4 h and 1 h (r2) → median 2 h, p90 4 h.
    expect(f.leadTime).toMatchObject({ count: 3, medianSeconds: 7200, p90Seconds: 14400, level: 'elite' });
    expect(report.overall.daily).toHaveLength(31); // 30 days from a time of day: a partial first and last day
    expect(Object.keys(report.services)).toEqual(['inventory-app']);
    expect(report.levelsSource).toContain('dora.dev');
  });

  it('narrows to a service and refuses bad queries with a readable 400', async () => {
    const one = await call('GET', '/api/metrics/dora', {
      query: 'environment=staging&window=7d&service=inventory-app',
    });
    expect(one.status).toBe(200);
    expect(
      (one.body.overall as { figures: { deploymentFrequency: { deployments: number } } }).figures
        .deploymentFrequency.deployments,
    ).toBe(1);
    expect(await call('GET', '/api/metrics/dora', { query: 'window=30x' })).toEqual({
      status: 400,
      body: {
        error:
          'window must be a number of days or hours such as "30d" or "12h", from 1h to 365d; received "30x"',
      },
    });
    const unknown = await call('GET', '/api/metrics/dora', { query: 'environment=qa' });
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('environment must be one of') },
    });
    const extra = await call('GET', '/api/metrics/dora', { query: 'env=production' });
    expect(extra.status).toBe(400);
  });

  it('is closed without the IAM identity API Gateway adds', async () => {
    const res = await call('GET', '/api/metrics/dora', { iam: false });
    expect(res.status).toBe(403);
  });
});

describe('quarantine routes', () => {
  it('lists quarantines and lifts one, recording the IAM caller and the reason; a second lift is a 409', async () => {
    const list = await call('GET', '/api/quarantines');
    expect(list.status).toBe(200);
    expect(list.body.quarantines).toEqual([
      expect.objectContaining({ service: 'inventory-app', digest: DIGEST, status: 'quarantined' }),
    ]);
    const bad = await call('POST', '/api/quarantines/lift', {
      body: { service: 'inventory-app', digest: DIGEST },
    });
    expect(bad.status).toBe(400);
    const lifted = await call('POST', '/api/quarantines/lift', {
      body: { service: 'inventory-app', digest: DIGEST, reason: 'circuit breaker tripped on a bad config' },
    });
    expect(lifted.status).toBe(200);
    expect(lifted.body.quarantine).toMatchObject({
      status: 'lifted',
      lifts: [
        { by: CALLER.userArn, reason: 'circuit breaker tripped on a bad config', at: expect.any(String) },
      ],
    });
    const again = await call('POST', '/api/quarantines/lift', {
      body: { service: 'inventory-app', digest: DIGEST, reason: 'again' },
    });
    expect(again).toMatchObject({ status: 409, body: { error: expect.stringContaining('already lifted') } });
    expect((await call('POST', '/api/quarantines/lift', { iam: false, body: {} })).status).toBe(403);
  });
});
