import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FollowUpNotQueued, handOffFollowUp } from '../../../lambdas/domain/followups/hand-off';
import { parseFollowUp } from '../../../lambdas/domain/followups/types';
import { handler } from '../../../lambdas/steps/follow-up';
import { ConfigError } from '../../../lambdas/shared/errors';

/**
 * The HTTP function's hand-off of a decision's follow-ups: a signed Lambda `Invoke` with
 * `X-Amz-Invocation-Type: Event`, as the Lambda API reference describes it, against a stand-in on loopback.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let seen: Seen[] = [];
let answers: number[] = [];

// The signer takes credentials from the process environment, as every SDK client in a Lambda does.
const savedEnv = { ...process.env };
beforeAll(async () => {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEFOLLOWUP0',
    AWS_SECRET_ACCESS_KEY: 'example-secret',
  });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = answers.shift() ?? 202;
      res.writeHead(status, status === 202 ? {} : { 'x-amzn-errortype': 'TooManyRequestsException' });
      res.end(status === 202 ? '' : JSON.stringify({ message: 'Rate exceeded' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  process.env = savedEnv;
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen = [];
  answers = [];
});

const env = (): NodeJS.ProcessEnv => ({
  AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  AWS_REGION: 'eu-west-1',
  SHIPGATE_FOLLOW_UP_FUNCTION: 'shipgate-follow-up',
});
const noSleep = () => Promise.resolve();

describe('handOffFollowUp', () => {
  it('queues the follow-up as a signed asynchronous Invoke of the follow-up function', async () => {
    await handOffFollowUp({ kind: 'pause', id: 'p-1', tell: 'outcome' }, { env: env(), sleep: noSleep });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/2015-03-31/functions/shipgate-follow-up/invocations');
    expect(req.headers['x-amz-invocation-type']).toBe('Event');
    // SigV4 for Lambda in the configured region, with the environment's access key.
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEFOLLOWUP0\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-invocation-type[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(req.body)).toEqual({ kind: 'pause', id: 'p-1', tell: 'outcome' });
  });

  it('retries throttling, then succeeds', async () => {
    answers = [429];
    await handOffFollowUp({ kind: 'approval', id: 'a-1', tell: 'progress' }, { env: env(), sleep: noSleep });
    expect(seen).toHaveLength(2);
  });

  it('gives up on a refusal at once, saying what Lambda answered (and never the credentials)', async () => {
    answers = [403];
    const err = await handOffFollowUp(
      { kind: 'approval', id: 'a-2', tell: 'outcome' },
      { env: env(), sleep: noSleep },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FollowUpNotQueued);
    expect((err as Error).message).toMatch(/approval a-2 was decided.*HTTP 403 TooManyRequestsException/);
    expect((err as Error).message).not.toContain('example-secret');
    expect(seen).toHaveLength(1);
  });

  it('refuses to run without a follow-up function, naming the setting', async () => {
    const { SHIPGATE_FOLLOW_UP_FUNCTION, ...rest } = env();
    expect(SHIPGATE_FOLLOW_UP_FUNCTION).toBeDefined();
    await expect(
      handOffFollowUp({ kind: 'pause', id: 'p', tell: 'progress' }, { env: rest }),
    ).rejects.toThrow(ConfigError);
    await expect(
      handOffFollowUp({ kind: 'pause', id: 'p', tell: 'progress' }, { env: rest }),
    ).rejects.toThrow(/SHIPGATE_FOLLOW_UP_FUNCTION/);
    expect(seen).toHaveLength(0);
  });
});

describe('the follow-up payload', () => {
  it('takes the three fields and nothing else', () => {
    expect(parseFollowUp({ kind: 'approval', id: 'a', tell: 'ended', extra: 1 })).toEqual({
      kind: 'approval',
      id: 'a',
      tell: 'ended',
    });
  });

  it.each([
    [null, /object/],
    [{ kind: 'release', id: 'a', tell: 'outcome' }, /"kind" must be "approval" or "pause"/],
    [{ kind: 'pause', id: '', tell: 'outcome' }, /"id" must be a non-empty string/],
    [{ kind: 'pause', id: 'p', tell: 'ended' }, /"tell" of a pause must be one of outcome, progress/],
  ])('refuses %j', (payload, why) => {
    expect(parseFollowUp(payload)).toMatch(why);
  });

  it('the function refuses a bad payload with a clear error before touching anything', async () => {
    await expect(handler({ kind: 'pause', id: 'p', tell: 'nope' })).rejects.toThrow(
      /Invalid follow-up payload: "tell" of a pause must be one of outcome, progress; received "nope"/,
    );
  });
});
