import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { secretsEqual } from '../../lambdas/domain/webhook/auth';

/**
 * A diagnostic: the smallest hono app doing the bare server's work (read the body with hono's own
 * `arrayBuffer()`, the same token check, `JSON.parse`) on `@hono/node-server` — what the framework and adapter
 * cost by themselves. Prints `LISTENING <port>`.
 */
const token = process.env.SHIPGATE_WEBHOOK_TOKEN ?? '';
const app = new Hono();
app.post('/webhooks/gitlab', async (c) => {
  const body = await c.req.arrayBuffer();
  const received = c.req.header('x-gitlab-token');
  if (!received || !token || !secretsEqual(received, token)) return c.json({ error: 'bad token' }, 401);
  const event = JSON.parse(new TextDecoder().decode(body)) as { object_kind?: string };
  return c.json({ accepted: event.object_kind ?? 'unknown' }, 202);
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`LISTENING ${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
