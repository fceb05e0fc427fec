import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { serve, type ServerType } from '@hono/node-server';
import { mockClient } from 'aws-sdk-client-mock';
import { request as httpRequest } from 'node:http';
import { app } from '../../../lambdas/http/app';
import { readBodyWithLimit, WEBHOOK_BODY_LIMIT } from '../../../lambdas/http/routes/webhooks';
import {
  FAKE_SIGNING_KEY,
  FAKE_WEBHOOK_TOKEN,
  gitlabDelivery,
  gitlabPayload,
  withField,
} from '../../helpers/gitlab-deliveries';
import { installMemoryTable } from '../releases/memory-table';
import { executionArn, useTestEnvironment } from './harness';

// The webhook body is read in one piece when Content-Length is sent (what GitLab does) and streamed when it is
// not (chunked). These tests drive both over a real socket, the way @hono/node-server serves them.

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
let server: ServerType;
let port: number;

beforeAll(async () => {
  await new Promise<void>((ready) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      port = info.port;
      ready();
    });
  });
});

afterAll(async () => {
  await new Promise((closed) => server.close(closed));
});

beforeEach(() => {
  sfnMock.reset();
  ddbMock.reset();
  installMemoryTable(ddbMock);
  useTestEnvironment({ token: FAKE_WEBHOOK_TOKEN, signingKey: FAKE_SIGNING_KEY });
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate: new Date('2026-11-22T00:00:01Z'),
  }));
});

interface Sent {
  headers: Record<string, string>;
  /** Pieces written one after another; without Content-Length they go out as chunks. */
  pieces: (string | Buffer)[];
}

/** POSTs to /webhooks/gitlab over a socket; answers the status and the parsed JSON body. */
function send({ headers, pieces }: Sent): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      // A connection per request: a refused request leaves its unsent body behind on the socket.
      { host: '127.0.0.1', port, method: 'POST', path: '/webhooks/gitlab', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    // The server may answer (413) and close before every byte is written; that is the behaviour under test.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

/** A signed pipeline delivery whose commit message is not ASCII (bytes ≠ characters for the signature). */
function signedDelivery() {
  const payload = withField(gitlabPayload('pipeline_success'), 'commit.message', 'Füge Prüfung hinzu ✓ 🚀');
  return gitlabDelivery(payload, { signingKey: FAKE_SIGNING_KEY });
}

describe('reading the webhook body over a real HTTP server', () => {
  it('verifies the signature over the raw bytes and starts the release when Content-Length is sent', async () => {
    const d = signedDelivery();
    const bytes = Buffer.from(d.body, 'utf8');
    expect(bytes.length).toBeGreaterThan(d.body.length);
    const res = await send({
      headers: { ...d.headers, 'Content-Length': String(bytes.length) },
      pieces: [bytes],
    });
    expect(res.status).toBe(202);
    expect(res.body.release).toMatch(/^inventory-app-p4711-/);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('does the same for a chunked body split inside a multi-byte character', async () => {
    const d = signedDelivery();
    const bytes = Buffer.from(d.body, 'utf8');
    const inside = bytes.indexOf(Buffer.from('ü', 'utf8')) + 1;
    const res = await send({
      headers: { ...d.headers, 'Transfer-Encoding': 'chunked' },
      pieces: [bytes.subarray(0, inside), bytes.subarray(inside, inside + 7), bytes.subarray(inside + 7)],
    });
    expect(res.status).toBe(202);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('answers 413 for a Content-Length over the limit, before reading the body', async () => {
    const d = signedDelivery();
    const res = await send({
      headers: { ...d.headers, 'Content-Length': String(WEBHOOK_BODY_LIMIT + 1) },
      pieces: [d.body],
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/Body of 4194305 bytes is over Shipgate's webhook limit of 4194304 bytes/);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('answers 413 for a chunked body that grows over the limit', async () => {
    const d = signedDelivery();
    const piece = Buffer.alloc(1024 * 1024, 'x');
    const res = await send({
      headers: { ...d.headers, 'Transfer-Encoding': 'chunked' },
      pieces: [d.body.slice(0, -1), ',"padding":"', ...Array.from({ length: 6 }, () => piece), '"}'],
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/over Shipgate's webhook limit of 4194304 bytes .*read \d+ bytes before/);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });
});

describe('readBodyWithLimit', () => {
  it('checks the bytes actually received when Content-Length announced fewer', async () => {
    const req = new Request('http://localhost/webhooks/gitlab', {
      method: 'POST',
      headers: { 'Content-Length': '2' },
      body: 'x'.repeat(WEBHOOK_BODY_LIMIT + 1),
    });
    await expect(readBodyWithLimit(req, WEBHOOK_BODY_LIMIT)).rejects.toMatchObject({
      name: 'PayloadTooLargeError',
      status: 413,
      message: expect.stringMatching(/received 4194305 bytes although Content-Length said 2/),
    });
  });

  it('returns the exact bytes on both paths', async () => {
    const text = '{"message":"Prüfung ✓"}';
    const expected = new TextEncoder().encode(text);
    const declared = new Request('http://localhost/', {
      method: 'POST',
      headers: { 'Content-Length': String(expected.length) },
      body: text,
    });
    const chunked = new Request('http://localhost/', { method: 'POST', body: text });
    expect(await readBodyWithLimit(declared, 100)).toEqual(expected);
    expect(await readBodyWithLimit(chunked, 100)).toEqual(expected);
  });

  it('refuses a Content-Length that is not a number', async () => {
    const req = new Request('http://localhost/', {
      method: 'POST',
      headers: { 'Content-Length': '12abc' },
      body: '{}',
    });
    await expect(readBodyWithLimit(req, 100)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/Content-Length "12abc" is not a number of bytes/),
    });
  });
});
