import { randomUUID } from 'node:crypto';

/**
 * The HTTP API (API Gateway v2) in front of the hono Lambda, as the sandbox runs it: each request becomes
 * the payload format 2.0 event API Gateway sends to a Lambda proxy integration, the Lambda (the built
 * bundle, see sandbox/workflow/lambda.ts) is invoked with it, and its result becomes the response.
 *
 * Spec: "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway", payload format 2.0
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * - "Duplicate headers are combined with commas and included in the headers field"; header names are lower
 *   case; "All cookie headers in the request are combined with commas and added to the cookies field";
 * - `rawPath`, `rawQueryString`, `queryStringParameters` (duplicates joined with commas),
 *   `requestContext.http` {method, path, protocol, sourceIp, userAgent}, `routeKey`, `stage: "$default"`;
 * - a body that is not text is passed base64-encoded with `isBase64Encoded: true`.
 *
 * Limits (API Gateway quotas for HTTP APIs, and Lambda quotas): an HTTP API accepts payloads up to 10 MB
 * and answers 413 above that; the Lambda's synchronous invocation payload is at most 6 MB, counted on the
 * event as sent (so a binary body counts after base64). An event over that limit makes the invocation fail
 * (RequestEntityTooLargeException) and the HTTP API answers 500 "Internal Server Error", which is why the
 * app's own body limits must leave room for base64 and the envelope (lambdas/http/routes/webhooks.ts).
 */

/** Who the sandbox's emulated IAM authorizer says signed an `/api/*` request (it admits every loopback caller). */
export const SANDBOX_IAM_CALLER = {
  accessKey: 'AKIASHIPGATESANDBOX0',
  accountId: '000000000000',
  callerId: 'AIDASHIPGATESANDBOX0',
  principalOrgId: null,
  userArn: 'arn:aws:iam::000000000000:user/shipgate-sandbox',
  userId: 'AIDASHIPGATESANDBOX0',
  cognitoIdentity: null,
};

/** HTTP API payload quota: 10 MB. */
export const HTTP_API_PAYLOAD_LIMIT = 10 * 1024 * 1024;
/** Lambda synchronous invocation payload quota (request and response): 6 MB. */
export const LAMBDA_SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/** Invokes the Lambda behind the API with an event and resolves with its result (or rejects with its error). */
export type InvokeLambda = (event: unknown) => Promise<unknown>;

/** The result shape a payload 2.0 Lambda returns. */
interface ProxyResult {
  statusCode?: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** Content types API Gateway passes as text; any other body arrives base64-encoded. */
function isTextual(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

const json = (status: number, message: string) =>
  Response.json({ message }, { status, headers: { 'apigw-requestid': randomUUID() } });

/**
 * Builds the payload format 2.0 event API Gateway would send for `req`.
 * @param body the request body as read (empty for GET/HEAD)
 */
export function toHttpApiEvent(
  req: Request,
  body: Uint8Array,
  sourceIp = '127.0.0.1',
): Record<string, unknown> {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    if (name === 'cookie') return;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  });
  const cookieHeader = req.headers.get('cookie');
  const cookies = cookieHeader ? cookieHeader.split(/;\s*/).filter(Boolean) : undefined;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = new Date();
  const textual = isTextual(req.headers.get('content-type'));
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'sandbox',
      domainName: url.host,
      domainPrefix: url.hostname.split('.')[0],
      http: {
        method: req.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp,
        userAgent: req.headers.get('user-agent') ?? '',
      },
      // The HTTP API's IAM authorizer guards /api/* in AWS (lib/constructs/webhook-api.ts) and tells the
      // Lambda who signed in `requestContext.authorizer.iam`. The sandbox keeps those routes open on loopback:
      // its emulated authorizer admits every caller as the sandbox's own identity.
      ...(url.pathname === '/api' || url.pathname.startsWith('/api/')
        ? { authorizer: { iam: SANDBOX_IAM_CALLER } }
        : {}),
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: body.byteLength > 0 && !textual,
  };
  if (body.byteLength > 0) {
    event.body = textual ? new TextDecoder().decode(body) : Buffer.from(body).toString('base64');
  }
  return event;
}

/** Turns a payload 2.0 Lambda result into the HTTP response API Gateway sends. */
export function fromProxyResult(result: unknown): Response {
  // "If your Lambda function doesn't return valid JSON with a statusCode, API Gateway infers the format":
  // a plain value becomes a 200 JSON body. Shipgate's hono handler always returns the full shape.
  if (!result || typeof result !== 'object' || !('statusCode' in result)) {
    return Response.json(result ?? null, { status: 200 });
  }
  const r = result as ProxyResult;
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers ?? {})) headers.set(k, v);
  for (const [k, vs] of Object.entries(r.multiValueHeaders ?? {})) for (const v of vs) headers.append(k, v);
  for (const c of r.cookies ?? []) headers.append('set-cookie', c);
  const status = r.statusCode ?? 200;
  const nullBody = status === 204 || status === 304;
  const body =
    nullBody || r.body === undefined ? null : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body;
  return new Response(body, { status, headers });
}

/**
 * A fetch handler that serves every request through the Lambda, as the HTTP API's `$default` route with a
 * payload 2.0 Lambda proxy integration does.
 */
export function httpApiProxy(invoke: InvokeLambda): (req: Request) => Promise<Response> {
  return async (req) => {
    const declared = Number(req.headers.get('content-length') ?? '0');
    if (declared > HTTP_API_PAYLOAD_LIMIT) return json(413, 'Request Entity Too Large');
    const body =
      req.method === 'GET' || req.method === 'HEAD'
        ? new Uint8Array()
        : new Uint8Array(await req.arrayBuffer());
    if (body.byteLength > HTTP_API_PAYLOAD_LIMIT) return json(413, 'Request Entity Too Large');
    const event = toHttpApiEvent(req, body);
    if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_SYNC_PAYLOAD_LIMIT) {
      // The invocation is refused (RequestEntityTooLargeException); the function never runs.
      return json(500, 'Internal Server Error');
    }
    let result: unknown;
    try {
      result = await invoke(event);
    } catch {
      // A function error (unhandled exception, timeout) is a 500 to the client; the details stay in the logs.
      return json(500, 'Internal Server Error');
    }
    return fromProxyResult(result);
  };
}
