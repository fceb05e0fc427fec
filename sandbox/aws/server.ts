import {
  IncomingMessage,
  ServerResponse,
  createServer,
  request as httpRequest,
  type Server,
} from 'node:http';
import { logger } from '../../lambdas/shared/logger';
import { usageMeter } from '../meter';
import { meteredRequest, meteredResponse } from './dynamo-meter';
import type { SandboxAccounts } from './accounts';
import { AwsServiceEmulator, AwsServiceError, SANDBOX_ACCOUNT, SANDBOX_REGION, requestId } from './protocol';
import { handleSts } from './sts';

/** Largest request body accepted (ECR manifests and SFN inputs are far smaller). */
const MAX_BODY = 8 * 1024 * 1024;

/** Options of the AWS-compatible endpoint. */
export interface AwsEndpointOptions {
  /** The emulators of account 000000000000 (every caller's, unless `accounts` is given). */
  emulators: AwsServiceEmulator[];
  /**
   * Accounts, as AWS keeps them: the request's access key says whose resources it touches (`emulatorsOf`),
   * unknown keys are refused, and STS (query protocol) answers AssumeRole and GetCallerIdentity. Without it
   * (tests that serve a few emulators of one account) every caller is account 000000000000.
   */
  accounts?: { directory: SandboxAccounts; emulatorsOf(account: string): AwsServiceEmulator[] };
  /** Where DynamoDB requests (`X-Amz-Target: DynamoDB_20120810.*`) are forwarded (dynalite). */
  dynamoDbPort: number;
  /**
   * Lambda `Invoke` (REST-JSON, `POST /2015-03-31/functions/<name>/invocations`): runs the named local
   * function; `undefined` when no such function exists. Without it, Invoke is answered as unsupported.
   */
  invokeLambda?: (name: string, payload: unknown) => Promise<unknown> | undefined;
  /**
   * Told of every request to an emulated service (not DynamoDB, not Lambda Invoke) before it runs, as
   * CloudTrail records API calls: the target prefix, the operation, the parsed request and the caller's
   * user agent.
   */
  recordRequest?: (request: {
    prefix: string;
    operation: string;
    input: Record<string, unknown>;
    userAgent: string;
  }) => void;
  /**
   * `InvocationType: Event`: queues the invocation the way Lambda's asynchronous invocation does (retries,
   * then the on-failure destination); false for an unknown function.
   */
  invokeLambdaAsync?: (name: string, payload: unknown) => boolean;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?(.*))?$/;

/**
 * Lambda `Invoke` as the API reference describes it
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): `X-Amz-Invocation-Type: Event` queues
 * the call and answers 202 with an empty body; `RequestResponse` (the default) answers 200 with the
 * function's result, or 200 with `X-Amz-Function-Error: Unhandled` and `{ errorType, errorMessage }` when the
 * function threw; an unknown function is 404 `ResourceNotFoundException`. `DryRun` is not emulated. The
 * function is named as Invoke accepts it: a name, a name with a version or alias (`name:3`, `name:live`), a
 * full or partial ARN, or any of these with the `Qualifier` query parameter (which must not contradict a
 * qualifier in the name: `InvalidParameterValueException`, as Lambda answers).
 */
async function invokeLambda(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  name: string,
  query: string,
  invoke: NonNullable<AwsEndpointOptions['invokeLambda']>,
  invokeAsync?: AwsEndpointOptions['invokeLambdaAsync'],
): Promise<void> {
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  const restError = (status: number, errorType: string, message: string) =>
    sendJson(res, status, 'application/json', { Type: 'User', message }, { 'x-amzn-errortype': errorType });
  let fn = decodeURIComponent(name);
  const qualifier = new URLSearchParams(query).get('Qualifier');
  if (qualifier) {
    const named = fn.includes('function:')
      ? /function:[^:]+:([^:]+)$/.exec(fn)?.[1]
      : /^[^:]+:([^:]+)$/.exec(fn)?.[1];
    if (named !== undefined && named !== qualifier) {
      restError(
        400,
        'InvalidParameterValueException',
        `The derived qualifier from the function name does not match the specified qualifier (${named} ≠ ${qualifier}).`,
      );
      return;
    }
    if (named === undefined) fn = `${fn}:${qualifier}`;
  }
  if (type !== 'Event' && type !== 'RequestResponse') {
    restError(400, 'InvalidParameterValueException', `X-Amz-Invocation-Type ${type} is not emulated.`);
    return;
  }
  let payload: unknown;
  try {
    payload = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    restError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    return;
  }
  if (type === 'Event' && invokeAsync) {
    if (!invokeAsync(fn, payload)) {
      restError(404, 'ResourceNotFoundException', `Function not found: ${fn}`);
      return;
    }
    res.writeHead(202, { 'x-amzn-requestid': requestId(), 'content-length': '0' });
    res.end();
    return;
  }
  const running = invoke(fn, payload);
  if (!running) {
    restError(404, 'ResourceNotFoundException', `Function not found: ${fn}`);
    return;
  }
  if (type === 'Event') {
    running.then(undefined, (err: unknown) =>
      logger.warn('Asynchronous Lambda invocation failed', { function: fn, error: (err as Error).message }),
    );
    res.writeHead(202, { 'x-amzn-requestid': requestId(), 'content-length': '0' });
    res.end();
    return;
  }
  try {
    sendJson(res, 200, 'application/json', (await running) ?? null);
  } catch (err) {
    const e = err as Error;
    sendJson(
      res,
      200,
      'application/json',
      { errorType: e.name || 'Error', errorMessage: e.message },
      { 'x-amz-function-error': 'Unhandled' },
    );
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(
          new AwsServiceError('SerializationException', `Request body larger than ${MAX_BODY} bytes`, 413),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Access key id and region from a SigV4 `Authorization` header's credential scope. */
function signerOf(req: IncomingMessage): { accessKeyId?: string; region: string; sessionToken?: string } {
  const m = /Credential=([^/]+)\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''));
  const token = req.headers['x-amz-security-token'];
  return {
    accessKeyId: m?.[1],
    region: m ? m[2] : SANDBOX_REGION,
    sessionToken: typeof token === 'string' ? token : undefined,
  };
}

/**
 * The account of a request signed with `signer` (the caller's, as AWS tells it from the access key).
 * @throws AwsServiceError `MissingAuthenticationTokenException`, `UnrecognizedClientException` or
 *   `ExpiredTokenException`, as the JSON protocols answer them.
 */
function accountOf(signer: ReturnType<typeof signerOf>, accounts: AwsEndpointOptions['accounts']): string {
  if (!accounts) return SANDBOX_ACCOUNT;
  if (!signer.accessKeyId) {
    throw new AwsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  return accounts.directory.identify(signer.accessKeyId, signer.sessionToken).account;
}

function sendJson(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: unknown,
  extra: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId(),
    ...extra,
  });
  res.end(text);
}

function proxyToDynalite(
  req: IncomingMessage,
  res: ServerResponse,
  original: Buffer,
  port: number,
  operation: string,
): void {
  // Metered (sandbox/aws/dynamo-meter.ts): the units each request consumed, for the price of a release.
  const { body, injected } = meteredRequest(operation, original);
  const headers = { ...req.headers, host: `127.0.0.1:${port}`, 'content-length': String(body.length) };
  const upstream = httpRequest(
    { host: '127.0.0.1', port, method: req.method, path: req.url, headers },
    (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const out = meteredResponse(
          usageMeter,
          operation,
          up.statusCode ?? 500,
          up.headers,
          Buffer.concat(chunks),
          injected,
        );
        res.writeHead(up.statusCode ?? 500, out.headers);
        res.end(out.body);
      });
    },
  );
  upstream.on('error', (err) => {
    sendJson(res, 503, 'application/x-amz-json-1.0', {
      __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailableException',
      message: `The sandbox's DynamoDB (dynalite) is not reachable: ${err.message}`,
    });
  });
  upstream.end(body);
}

/**
 * One AWS-compatible endpoint for every emulated service, speaking the AWS JSON 1.0/1.1 protocols:
 * requests are routed by `X-Amz-Target` (`<prefix>.<Operation>`), any SigV4 credentials are accepted,
 * errors come back as `{ __type, message }` with the HTTP status AWS uses, so the SDK and the AWS CLI raise
 * the exception they would against AWS. DynamoDB is forwarded to dynalite.
 */
export function createAwsEndpoint(options: AwsEndpointOptions): Server {
  const own = new Map(options.emulators.map((e) => [e.targetPrefix, e]));
  const served = (account: string) =>
    account === SANDBOX_ACCOUNT || !options.accounts
      ? own
      : new Map(options.accounts.emulatorsOf(account).map((e) => [e.targetPrefix, e]));
  return createServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operation] = target.split('.');
      let contentType = 'application/x-amz-json-1.1';
      try {
        const body = await readBody(req);
        const signer = signerOf(req);
        const form = String(req.headers['content-type'] ?? '').startsWith(
          'application/x-www-form-urlencoded',
        );
        if (!target && form && options.accounts && req.method === 'POST') {
          const answer = handleSts(body.toString('utf8'), signer, options.accounts.directory);
          res.writeHead(answer.status, {
            'content-type': 'text/xml',
            'content-length': Buffer.byteLength(answer.body),
            'x-amzn-requestid': requestId(),
          });
          res.end(answer.body);
          return;
        }
        const info = !target && req.method === 'GET';
        const account = info ? SANDBOX_ACCOUNT : accountOf(signer, options.accounts);
        const byPrefix = served(account);
        const onlyShipgate = (what: string) => {
          if (account !== SANDBOX_ACCOUNT) {
            throw new AwsServiceError(
              'UnknownOperationException',
              `The sandbox emulates ${what} in Shipgate's account (${SANDBOX_ACCOUNT}) only; this request is signed by a key of account ${account}.`,
            );
          }
        };
        if (prefix === 'DynamoDB_20120810') {
          onlyShipgate('DynamoDB');
          proxyToDynalite(req, res, body, options.dynamoDbPort, operation);
          return;
        }
        const invokePath = req.method === 'POST' ? INVOKE_PATH.exec(req.url ?? '') : null;
        if (invokePath && options.invokeLambda) {
          onlyShipgate('Lambda');
          await invokeLambda(
            req,
            res,
            body,
            invokePath[1],
            invokePath[2] ?? '',
            options.invokeLambda,
            options.invokeLambdaAsync,
          );
          return;
        }
        if (!target) {
          if (req.method === 'GET') {
            sendJson(res, 200, 'application/json', {
              service: 'Shipgate sandbox AWS endpoint',
              account: SANDBOX_ACCOUNT,
              region: SANDBOX_REGION,
              services: [...byPrefix.keys(), 'DynamoDB_20120810'],
              usage: options.accounts
                ? "aws --endpoint-url http://<host>:<port> <service> <command>, with an account's keys (sandbox/README.md, Accounts)"
                : 'aws --endpoint-url http://<host>:<port> <service> <command> (any credentials)',
            });
            return;
          }
          throw new AwsServiceError(
            'MissingAction',
            'The sandbox speaks the AWS JSON protocols only: send X-Amz-Target: <Service>.<Operation> (the AWS SDK and CLI do).',
          );
        }
        const emulator = byPrefix.get(prefix);
        if (!emulator) {
          throw new AwsServiceError(
            'UnknownOperationException',
            `The sandbox does not emulate the service of X-Amz-Target "${target}"; it serves ${[...byPrefix.keys(), 'DynamoDB_20120810'].join(', ')}.`,
          );
        }
        contentType = emulator.contentType;
        const op = Object.prototype.hasOwnProperty.call(emulator.operations, operation)
          ? emulator.operations[operation]
          : undefined;
        if (!op) {
          throw new AwsServiceError(
            'UnknownOperationException',
            `The sandbox does not emulate ${prefix}.${operation}; supported: ${Object.keys(emulator.operations).join(', ')}.`,
          );
        }
        let input: Record<string, unknown> = {};
        if (body.length) {
          try {
            input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          } catch {
            throw new AwsServiceError('SerializationException', 'The request body is not valid JSON.');
          }
        }
        options.recordRequest?.({
          prefix,
          operation,
          input,
          userAgent: String(req.headers['user-agent'] ?? ''),
        });
        const output = await op(input ?? {}, { region: signer.region, accountId: account });
        sendJson(res, 200, contentType, output ?? {});
      } catch (err) {
        if (err instanceof AwsServiceError) {
          sendJson(
            res,
            err.status,
            contentType,
            { __type: err.type, message: err.message },
            { 'x-amzn-errortype': err.type },
          );
          return;
        }
        logger.error('Sandbox AWS endpoint error', { target, error: err as Error });
        sendJson(
          res,
          500,
          contentType,
          { __type: 'InternalFailure', message: `Sandbox emulator error: ${(err as Error).message}` },
          { 'x-amzn-errortype': 'InternalFailure' },
        );
      }
    })();
  });
}
