import { join } from 'node:path';
import { buildLambdaBundles, REPO_ROOT } from '../../../lib/build/lambda-bundles';
import { readConfigDocument } from '../../../lib/config-document';
import { WEBHOOK_BODY_LIMIT } from '../../../lambdas/http/routes/webhooks';
import {
  fromProxyResult,
  httpApiProxy,
  LAMBDA_SYNC_PAYLOAD_LIMIT,
  toHttpApiEvent,
} from '../../../sandbox/aws/api-gateway';
import { LocalLambdas } from '../../../sandbox/workflow/lambda';

/**
 * The hono Lambda's bundle behind the emulated HTTP API (payload format 2.0), as the sandbox serves it and as
 * API Gateway invokes it in AWS.
 */

const { document } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
const { bundles } = buildLambdaBundles(document);
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-http';
const lambdas = new LocalLambdas({ [ARN]: { step: 'http', entry: bundles.http.file } }, REPO_ROOT);
const api = httpApiProxy((event) => lambdas.invoke(ARN, event));

describe('the HTTP API in front of the hono bundle', () => {
  it('builds the payload 2.0 event as API Gateway documents it', () => {
    const req = new Request('http://127.0.0.1:3000/approvals/a1?x=1&x=2&y=3', {
      method: 'POST',
      headers: [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['x-many', 'a'],
        ['x-many', 'b'],
        ['cookie', 'a=1; b=2'],
      ],
    });
    const event = toHttpApiEvent(req, new TextEncoder().encode('decision=approve')) as {
      headers: Record<string, string>;
      [k: string]: unknown;
    };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/approvals/a1',
      rawQueryString: 'x=1&x=2&y=3',
      queryStringParameters: { x: '1,2', y: '3' },
      cookies: ['a=1', 'b=2'],
      requestContext: { http: { method: 'POST', path: '/approvals/a1' }, stage: '$default' },
      // A form body is not text to API Gateway: it arrives base64-encoded.
      isBase64Encoded: true,
      body: Buffer.from('decision=approve').toString('base64'),
    });
    expect(event.headers['x-many']).toBe('a, b');
    expect(event.headers.cookie).toBeUndefined();
  });

  it('turns the result into the response, cookies as set-cookie headers', async () => {
    const res = fromProxyResult({
      statusCode: 201,
      headers: { 'content-type': 'text/plain' },
      cookies: ['s=1; HttpOnly'],
      body: Buffer.from('made').toString('base64'),
      isBase64Encoded: true,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('set-cookie')).toBe('s=1; HttpOnly');
    expect(await res.text()).toBe('made');
  });

  it('serves the bundle: health, and the webhook contract (405, 415)', async () => {
    expect((await api(new Request('http://127.0.0.1/healthz'))).status).toBe(200);
    const get = await api(new Request('http://127.0.0.1/webhooks/gitlab'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const text = await api(
      new Request('http://127.0.0.1/webhooks/gitlab', {
        method: 'POST',
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
    );
    expect(text.status).toBe(415);
  });

  it("answers the webhook route's own 413 for the limit + 1 byte, even base64-encoded: it fits Lambda's 6 MB", async () => {
    const body = new Uint8Array(WEBHOOK_BODY_LIMIT + 1).fill(0x78);
    // application/octet-stream is not text, so API Gateway base64-encodes it: the worst case.
    const req = () =>
      new Request('http://127.0.0.1/webhooks/gitlab', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream', 'x-gitlab-event': 'Pipeline Hook' },
      });
    const event = toHttpApiEvent(req(), body);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(LAMBDA_SYNC_PAYLOAD_LIMIT);
    const res = await api(req());
    // The route checks the media type before the size; what matters is that the Lambda answered, not the
    // gateway: the answer is the app's JSON error, not API Gateway's {"message": …}.
    expect(res.status).toBe(415);
    const json = await api(
      new Request('http://127.0.0.1/webhooks/gitlab', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook' },
      }),
    );
    expect(json.status).toBe(413);
    expect(((await json.json()) as { error: string }).error).toMatch(/4 MiB/);
  });

  it("refuses, as API Gateway does, an event over Lambda's payload limit without running the function", async () => {
    const body = new Uint8Array(5 * 1024 * 1024).fill(0x78);
    const res = await api(
      new Request('http://127.0.0.1/webhooks/gitlab', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });
});
