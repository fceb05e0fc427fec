import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { regionOfApiHost } from '../../../src/cli/api-client';
import { run } from '../../../src/cli/releases';

/**
 * `shipgate releases` against a loopback server standing in for API Gateway: what arrives on the wire must
 * carry a SigV4 signature that verifies over exactly that request. The verifier below is written from the
 * AWS SigV4 specification ("Create a signed AWS API request"), independently of the signer the CLI uses.
 */

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const NOW = new Date('2026-11-22T09:30:00Z');

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Recomputes the SigV4 signature of a received request; returns what `Authorization` should say. */
function expectedAuthorization(req: Received, secret: string, body = ''): string {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
      String(req.headers.authorization),
    );
  if (!auth) throw new Error(`not a SigV4 Authorization header: ${req.headers.authorization}`);
  const [, accessKey, date, region, service, signedHeaders] = auth;
  const url = new URL(req.url, 'http://placeholder');
  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => encode(encode(decodeURIComponent(segment))))
    .join('/');
  const canonicalQuery = [...url.searchParams]
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((n) => `${n}:${String(req.headers[n]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = (req.headers['x-amz-content-sha256'] as string | undefined) ?? hex(body);
  const canonicalRequest = [
    req.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'], scope, hex(canonicalRequest)].join(
    '\n',
  );
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

describe('shipgate releases', () => {
  let server: Server;
  let base: string;
  let received: Received[];
  let answer: { status: number; body: unknown };
  let out: string;
  let err: string;
  const io = (request: object = {}) => ({
    env: {},
    stdout: (s: string) => void (out += s),
    stderr: (s: string) => void (err += s),
    request: { credentials: CREDENTIALS, now: () => NOW, ...request },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received = [];
    out = '';
    err = '';
    answer = {
      status: 200,
      body: {
        releases: [
          {
            id: 'inventory-app-p4711-1a2b3c4d5e6f',
            status: 'RUNNING',
            currentStep: 'Approve production',
            createdAt: '2026-11-21T23:58:41.000Z',
            environments: [
              { name: 'staging', status: 'DEPLOYED' },
              { name: 'production', status: 'AWAITING_APPROVAL' },
            ],
          },
        ],
      },
    };
  });

  it('signs with SigV4 for execute-api, and the signature verifies over the request as it arrived', async () => {
    const code = await run(['--url', base, '--limit', '5'], io({ sign: 'always', region: 'eu-west-1' }));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toBe(
      'inventory-app-p4711-1a2b3c4d5e6f  RUNNING at "Approve production"  (staging: DEPLOYED, production: AWAITING_APPROVAL; created 2026-11-21T23:58:41.000Z)\n',
    );
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req.url).toBe('/api/releases?limit=5');
    expect(req.headers['x-amz-date']).toBe('20261122T093000Z');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261122\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, /,
    );
    expect(req.headers.authorization).toBe(expectedAuthorization(req, CREDENTIALS.secretAccessKey));
    // And the verifier is not a rubber stamp: another secret gives another signature.
    expect(req.headers.authorization).not.toBe(expectedAuthorization(req, 'another-secret'));
  });

  it('signs a release id with characters that need encoding the way API Gateway checks it', async () => {
    answer.body = { ...(answer.body as { releases: object[] }).releases[0] };
    const code = await run(['weird id:1', '--url', base], io({ sign: 'always', region: 'eu-west-1' }));
    expect(code).toBe(0);
    expect(received[0].url).toBe('/api/releases/weird%20id%3A1');
    expect(received[0].headers.authorization).toBe(
      expectedAuthorization(received[0], CREDENTIALS.secretAccessKey),
    );
  });

  it('sends no signature to the sandbox on loopback (its /api routes are open)', async () => {
    expect(await run(['--url', base], io())).toBe(0);
    expect(received[0].headers.authorization).toBeUndefined();
  });

  it('says what to check when IAM refuses (403), exit 1', async () => {
    answer = { status: 403, body: { message: 'Forbidden' } };
    expect(await run(['--url', base], io({ sign: 'always', region: 'eu-west-1' }))).toBe(1);
    expect(err).toContain('shipgate releases: 403 Forbidden');
    expect(err).toContain('execute-api:Invoke on the ApiRoutesInvokeArn output');
  });

  it('needs a region for a custom domain, and says so', async () => {
    const code = await run(['--url', 'https://shipgate.example.com'], io());
    expect(code).toBe(1);
    expect(err).toMatch(/Cannot tell the AWS region of shipgate.example.com.*set AWS_REGION/);
  });

  it('reads the region from an execute-api host name', () => {
    expect(regionOfApiHost('abc123def4.execute-api.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(regionOfApiHost('abc123def4.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(regionOfApiHost('shipgate.example.com')).toBeUndefined();
  });

  it('refuses bad usage with exit 2', async () => {
    expect(await run(['--limit', 'ten'], io())).toBe(2);
    expect(await run(['a', 'b'], io())).toBe(2);
    expect(await run(['--nope'], io())).toBe(2);
    expect(received).toHaveLength(0);
  });
});
