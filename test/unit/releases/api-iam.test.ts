import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createRelease } from '../../../lambdas/domain/releases/store';
import { app } from '../../../lambdas/http/app';
import { handler } from '../../../lambdas/http/handler';
import type { IamCaller } from '../../../lambdas/http/iam';
import type { Release } from '../../../lambdas/shared/release';
import { API_ROUTES, requiresIam } from '../../../lib/constructs/webhook-api';
import { executionArn, useTestEnvironment } from '../webhook/harness';
import { installMemoryTable } from './memory-table';
import { pipelineRelease } from '../../helpers/release';

/**
 * Issue 22, item 4: the read and operator routes (`/api/*`) are IAM-only in AWS. API Gateway's IAM authorizer
 * refuses unsigned calls itself (template assertion in shipgate-stack.test.ts); behind it, the app requires the
 * identity API Gateway puts in `requestContext.authorizer.iam` once it verified the SigV4 signature, so a route
 * that lost its authorizer stays closed. Requests here go through the real Lambda handler.
 */

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

const SIGNED_CALLER: IamCaller = {
  accessKey: 'ASIAEXAMPLEOPERATOR01',
  accountId: '123456789012',
  callerId: 'AROAEXAMPLEOPERATOR:dana',
  principalOrgId: null,
  userArn: 'arn:aws:sts::123456789012:assumed-role/ShipgateOperators/dana',
  userId: 'AROAEXAMPLEOPERATOR:dana',
};

/**
 * An API Gateway HTTP API (payload 2.0) event. `iam` is what API Gateway sets on an IAM-authorized route after
 * verifying the signature; a route without an authorizer carries no `authorizer` at all.
 */
function apiEvent(method: string, path: string, iam?: IamCaller, query = ''): LambdaEvent {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query,
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'shipgate-cli' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      ...(iam ? { authorizer: { iam } } : {}),
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'shipgate-cli' },
      requestId: 'req-iam',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '22/Nov/2026:00:00:00 +0000',
      timeEpoch: 1795305600000,
    },
    isBase64Encoded: false,
  } as unknown as LambdaEvent;
}

async function invoke(
  event: LambdaEvent,
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = (await handler(event, {} as LambdaContext)) as APIGatewayProxyResult;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    // an HTML page (approval links): matched on the text
  }
  return { status: res.statusCode, body, text: res.body };
}

const release: Release = {
  ...pipelineRelease({
    project: { id: 12, path: 'root/inventory-app', webUrl: 'http://192.168.56.11/root/inventory-app' },
  }),
  pipeline: { id: 4711, url: 'http://192.168.56.11/root/inventory-app/-/pipelines/4711' },
  triggeredBy: { username: 'dana', name: 'Dana Developer', email: 'dana@example.com' },
};

beforeEach(async () => {
  sfnMock.reset();
  ddbMock.reset();
  installMemoryTable(ddbMock);
  useTestEnvironment();
  await createRelease({ release, executionArn: executionArn(release.id) });
  sfnMock.on(DescribeExecutionCommand).resolves({
    executionArn: executionArn(release.id),
    status: 'RUNNING',
    startDate: new Date('2026-11-22T00:00:00Z'),
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:shipgate-release',
    input: '{}',
  });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
});

describe('read and operator routes through the Lambda handler (behind API Gateway)', () => {
  it.each([
    ['GET', '/api/releases', ''],
    ['GET', '/api/releases', 'limit=5'],
    ['GET', `/api/releases/${release.id}`, ''],
    // A route that is not there yet (an operator route of a later change) is refused before it is routed.
    ['POST', '/api/releases/x/rollback', ''],
    ['GET', '/api', ''],
  ])('%s %s?%s unsigned: 403, nothing read, no release data in the answer', async (method, path, query) => {
    const answer = await invoke(apiEvent(method, path, undefined, query));
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatch(/requires AWS IAM authentication: sign the request with SigV4/);
    expect(JSON.stringify(answer.body)).not.toMatch(/dana|Add stock|root\/inventory-app/);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('an authorizer block without an IAM identity (e.g. another authorizer type) is refused too', async () => {
    const event = apiEvent('GET', '/api/releases');
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = { jwt: { claims: {} } };
    expect((await invoke(event)).status).toBe(403);
  });

  it('signed (requestContext.authorizer.iam set by API Gateway): the list and one release answer 200', async () => {
    const list = await invoke(apiEvent('GET', '/api/releases', SIGNED_CALLER, 'limit=5'));
    expect(list.status).toBe(200);
    expect(list.body.releases).toEqual([expect.objectContaining({ id: release.id })]);
    const one = await invoke(apiEvent('GET', `/api/releases/${release.id}`, SIGNED_CALLER));
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: release.id });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).not.toHaveLength(0);
  });

  it('the routes with their own authentication need no IAM identity (webhook, approvals, Slack, /healthz)', async () => {
    expect((await invoke(apiEvent('GET', '/healthz'))).status).toBe(200);
    // Reached the routes themselves: their own answers, never the IAM refusal.
    for (const [method, path] of [
      ['GET', '/webhooks/gitlab'],
      ['GET', '/approvals/apr_0'],
      ['POST', '/slack/interactions'],
    ]) {
      const answer = await invoke(apiEvent(method, path));
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.text).not.toMatch(/IAM authentication/);
    }
  });
});

describe('outside API Gateway (the sandbox on loopback, app.request in tests)', () => {
  it('the read routes stay open', async () => {
    const res = await app.request('/api/releases');
    expect(res.status).toBe(200);
  });
});

describe('which routes are IAM-only', () => {
  it('every /api/* route of API_ROUTES, and only those', () => {
    const iam = API_ROUTES.filter((r) => requiresIam(r.path)).map((r) => r.path);
    expect(iam.length).toBeGreaterThan(0);
    expect(iam.every((p) => p.startsWith('/api/'))).toBe(true);
    expect(API_ROUTES.filter((r) => r.path.startsWith('/api/')).every((r) => requiresIam(r.path))).toBe(true);
    expect(requiresIam('/api/releases/{id}/rollback')).toBe(true);
    expect(requiresIam('/api')).toBe(true);
    expect(requiresIam('/apix')).toBe(false);
    for (const open of [
      '/webhooks/gitlab',
      '/approvals/{proxy+}',
      '/auth/{proxy+}',
      '/slack/interactions',
      '/healthz',
    ]) {
      expect(requiresIam(open)).toBe(false);
    }
  });
});
