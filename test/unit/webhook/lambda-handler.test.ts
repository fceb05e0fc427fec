import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/http/handler';
import { FAKE_SIGNING_KEY, gitlabDelivery, gitlabPayload } from '../../helpers/gitlab-deliveries';
import { installMemoryTable } from '../releases/memory-table';
import { executionArn, useTestEnvironment } from './harness';

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

/** The API Gateway HTTP API (payload 2.0) event for a delivery, as Lambda receives it. */
function apiGatewayEvent(headers: Record<string, string>, body: string, base64: boolean): LambdaEvent {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  lower['content-length'] = String(Buffer.byteLength(body));
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/webhooks/gitlab',
    rawQueryString: '',
    headers: lower,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authentication: null,
      authorizer: {},
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/webhooks/gitlab',
        protocol: 'HTTP/1.1',
        sourceIp: '192.168.56.11',
        userAgent: 'GitLab/18.6.1',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '22/Nov/2026:00:00:00 +0000',
      timeEpoch: 1795305600000,
    },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

beforeEach(() => {
  sfnMock.reset();
  ddbMock.reset();
  installMemoryTable(ddbMock);
  useTestEnvironment({ signingKey: FAKE_SIGNING_KEY });
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate: new Date(),
  }));
});

describe('Lambda entry (API Gateway HTTP API, payload 2.0)', () => {
  it.each([false, true])(
    'verifies the signature over the raw body and starts the release (body base64-encoded: %s)',
    async (base64) => {
      // A non-ASCII commit title: the signature must cover the exact UTF-8 bytes GitLab sent.
      const payload = gitlabPayload('pipeline_success');
      (payload.commit as { title: string }).title = 'Réserve le stock — 15 min';
      const d = gitlabDelivery(payload, { signingKey: FAKE_SIGNING_KEY });
      const res = (await handler(
        apiGatewayEvent(d.headers, d.body, base64),
        {} as LambdaContext,
      )) as APIGatewayProxyResult;
      expect(res.statusCode).toBe(202);
      expect(JSON.parse(res.body)).toMatchObject({ release: 'inventory-app-p4711-1a2b3c4d5e6f' });
      const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!);
      expect(input.release.commit.title).toBe('Réserve le stock — 15 min');
    },
  );

  it('answers 401 through Lambda when the signature does not match', async () => {
    const d = gitlabDelivery(gitlabPayload('pipeline_success'), { signingKey: FAKE_SIGNING_KEY });
    const res = (await handler(
      apiGatewayEvent(d.headers, d.body.replace('4711', '4712'), true),
      {} as LambdaContext,
    )) as APIGatewayProxyResult;
    expect(res.statusCode).toBe(401);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });
});
