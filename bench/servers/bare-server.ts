import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretsEqual } from '../../lambdas/domain/webhook/auth';

/**
 * The baseline: a bare `node:http` server doing what any webhook receiver must — the same constant-time
 * X-Gitlab-Token check as Shipgate, read the body, `JSON.parse` it — and answering 202 (or 401/400), with no
 * framework, no validation, no storage and no Step Functions. Reads the token from SHIPGATE_WEBHOOK_TOKEN and
 * prints `LISTENING <port>`.
 */
const token = process.env.SHIPGATE_WEBHOOK_TOKEN ?? '';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const received = req.headers['x-gitlab-token'];
    if (typeof received !== 'string' || !token || !secretsEqual(received, token)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad token"}');
      return;
    }
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { object_kind?: string };
      res
        .writeHead(202, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: body.object_kind ?? 'unknown' }));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid JSON"}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
