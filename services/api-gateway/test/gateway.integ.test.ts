import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import {
  freePort,
  serversAvailable,
  spawnService,
  startRabbit,
  waitFor,
  type TestRabbit,
} from '@shipgate/test-support';
import { createLogger } from '@shipgate/kit';
import { loadConfig } from '../src/config';
import { startGateway, type RunningGateway } from '../src/service';

const run = serversAvailable(['rabbitmq'], 'api-gateway integration tests') ? describe : describe.skip;

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: IncomingMessage['headers'];
}

/** A stand-in inventory-app that echoes what it received; `/api/movies/slow` answers after 1.5 s. */
async function startEchoUpstream(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
      const status = Number(req.headers['x-echo-status'] ?? 200);
      const reply = () => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-upstream': 'echo' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      };
      if (req.url === '/api/movies/slow') setTimeout(reply, 1500);
      else if (req.url === '/healthz') res.end('{"status":"ok"}');
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

run('api-gateway against a real RabbitMQ', () => {
  let rabbit: TestRabbit;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let gw: RunningGateway;
  let base: string;
  let amqp: ChannelModel | undefined;
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger('api-gateway', 'debug', (line) => logLines.push(JSON.parse(line)));
  const env = (extra: Record<string, string> = {}) =>
    loadConfig({
      INVENTORY_URL: upstream.url,
      AMQP_URL: rabbit.url,
      PORT: '0',
      HOST: '127.0.0.1',
      RECONNECT_MIN_MS: '200',
      RECONNECT_MAX_MS: '1000',
      ...extra,
    });
  let ch: Channel | undefined;
  const channel = async (): Promise<Channel> => {
    if (ch) return ch;
    const conn = await connect(rabbit.url);
    conn.on('error', () => undefined);
    conn.on('close', () => {
      amqp = undefined;
      ch = undefined;
    });
    amqp = conn;
    ch = await conn.createChannel();
    return ch;
  };
  const bill = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/billing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    [rabbit, upstream] = await Promise.all([startRabbit(), startEchoUpstream()]);
    gw = await startGateway(env(), log);
    base = `http://127.0.0.1:${gw.port}`;
    await waitFor('publisher connected', async () => gw.publisher.isConnected());
  }, 180_000);

  afterAll(async () => {
    await amqp?.close().catch(() => undefined);
    await gw?.stop();
    await new Promise((r) => upstream?.server.close(r));
    await rabbit?.destroy();
  }, 90_000);

  it('proxies method, path, query string, body and status to inventory-app and back', async () => {
    const res = await fetch(`${base}/api/movies/42?title=The%20Matrix&x=1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-echo-status': '418', connection: 'keep-alive' },
      body: '{"title":"Neo"}',
    });
    expect(res.status).toBe(418);
    expect(res.headers.get('x-upstream')).toBe('echo');
    expect(await res.json()).toEqual({
      method: 'PUT',
      url: '/api/movies/42?title=The%20Matrix&x=1',
      body: '{"title":"Neo"}',
    });
    const seen = upstream.seen.at(-1) as Seen;
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);

    const del = await fetch(`${base}/api/movies`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(upstream.seen.at(-1)).toEqual(expect.objectContaining({ method: 'DELETE', url: '/api/movies' }));
  });

  it('keeps a path prefix of INVENTORY_URL (inventory-app behind a prefix-stripping load balancer rule)', async () => {
    const prefixed = await startGateway(env({ INVENTORY_URL: `${upstream.url}/inventory-app/` }), log);
    try {
      const res = await fetch(`http://127.0.0.1:${prefixed.port}/api/movies/7?title=x`);
      expect(await res.json()).toEqual(
        expect.objectContaining({ url: '/inventory-app/api/movies/7?title=x' }),
      );
      await fetch(`http://127.0.0.1:${prefixed.port}/readyz`);
      expect(upstream.seen.at(-1)?.url).toBe('/inventory-app/healthz');
    } finally {
      await prefixed.stop();
    }
  });

  it('answers 502 with a clear JSON body when inventory-app is unreachable, and 504 when it is too slow', async () => {
    const closedPort = await freePort();
    const down = await startGateway(env({ INVENTORY_URL: `http://127.0.0.1:${closedPort}` }), log);
    const slow = await startGateway(env({ PROXY_TIMEOUT_MS: '300' }), log);
    try {
      const res = await fetch(`http://127.0.0.1:${down.port}/api/movies`);
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({
        error: 'bad_gateway',
        message: `inventory-app is unreachable at 127.0.0.1:${closedPort} (ECONNREFUSED).`,
      });
      const ready = await fetch(`http://127.0.0.1:${down.port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not_ready',
        checks: { rabbitmq: expect.any(String), inventory: 'unreachable: ECONNREFUSED' },
      });
      const timedOut = await fetch(`http://127.0.0.1:${slow.port}/api/movies/slow`);
      expect(timedOut.status).toBe(504);
      expect(await timedOut.json()).toEqual({
        error: 'gateway_timeout',
        message: 'inventory-app did not answer GET /api/movies/slow within 300 ms.',
      });
    } finally {
      await Promise.all([down.stop(), slow.stop()]);
    }
  });

  it('answers 413 for a proxied body over MAX_BODY_BYTES without calling inventory-app', async () => {
    const small = await startGateway(env({ MAX_BODY_BYTES: '16' }), log);
    try {
      const before = upstream.seen.length;
      const res = await fetch(`http://127.0.0.1:${small.port}/api/movies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'A title longer than sixteen bytes' }),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({
        error: 'payload_too_large',
        message: 'The request body is 45 bytes; the limit is 16 bytes (MAX_BODY_BYTES).',
      });
      expect(upstream.seen.length).toBe(before);
    } finally {
      await small.stop();
    }
  });

  it('publishes a valid billing order as a persistent, confirmed message and answers 202', async () => {
    const res = await bill(
      { user_id: '3', number_of_items: '5', total_amount: '180' },
      { 'idempotency-key': 'order-3-1', 'x-request-id': 'req-42' },
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted', messageId: 'order-3-1' });
    const c = await channel();
    const msg = await c.get('billing_queue', { noAck: true });
    expect(msg).not.toBe(false);
    if (!msg) return;
    expect(JSON.parse(msg.content.toString())).toEqual({
      user_id: '3',
      number_of_items: '5',
      total_amount: '180',
    });
    expect(msg.properties).toEqual(
      expect.objectContaining({
        deliveryMode: 2,
        messageId: 'order-3-1',
        correlationId: 'req-42',
        contentType: 'application/json',
      }),
    );
    // The queue carries the dead-letter arguments billing-app relies on.
    await expect(c.checkQueue('billing_queue.dlq')).resolves.toEqual(
      expect.objectContaining({ messageCount: 0 }),
    );
  });

  it.each([
    ['not JSON', '{"user_id":', /not valid JSON/],
    ['a missing field', { user_id: '3', number_of_items: '5' }, /total_amount: total_amount is required/],
    [
      'a zero quantity',
      { user_id: '3', number_of_items: '0', total_amount: '1' },
      /number_of_items must be a positive integer/,
    ],
    ['an unknown field', { user_id: '3', number_of_items: '1', total_amount: '1', coupon: 'x' }, /coupon/],
  ])('rejects a billing order with %s with 400 and publishes nothing', async (_n, body, message) => {
    const res = await bill(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
    expect((await (await channel()).checkQueue('billing_queue')).messageCount).toBe(0);
  });

  it('answers 503 and reports not ready while RabbitMQ is down, then publishes again once it is back', async () => {
    await amqp?.close().catch(() => undefined);
    await rabbit.stop();
    try {
      await waitFor('publisher to notice', async () => !gw.publisher.isConnected());
      const res = await bill({ user_id: '3', number_of_items: '1', total_amount: '1' });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: 'service_unavailable',
        message: 'RabbitMQ is not reachable right now; the order was NOT accepted. Retry later.',
      });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not_ready',
        checks: { rabbitmq: 'not connected (reconnecting with backoff)', inventory: 'ok' },
      });
    } finally {
      await rabbit.start();
    }
    await waitFor('publisher to reconnect', async () => gw.publisher.isConnected(), 30_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await bill({ user_id: '3', number_of_items: '1', total_amount: '1' })).status).toBe(202);
    const c = await channel();
    expect((await c.checkQueue('billing_queue')).messageCount).toBe(1);
    await c.purgeQueue('billing_queue');
  }, 120_000);

  it('on SIGTERM completes a slow proxied request, refuses new connections, and exits 0', async () => {
    const port = await freePort();
    const child = await spawnService(
      join(__dirname, '..', 'src', 'main.ts'),
      { INVENTORY_URL: upstream.url, AMQP_URL: rabbit.url, PORT: String(port), HOST: '127.0.0.1' },
      port,
    );
    try {
      const before = upstream.seen.length;
      const slow = fetch(`${child.baseUrl}/api/movies/slow`);
      await waitFor('upstream to receive the request', async () =>
        upstream.seen.slice(before).some((s) => s.url === '/api/movies/slow'),
      );
      child.signal('SIGTERM');
      await child.waitForLog((l) => l.msg === 'shutting down');
      expect(
        await fetch(`${child.baseUrl}/healthz`).then(
          () => 'answered',
          () => 'refused',
        ),
      ).toBe('refused');
      const res = await slow;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expect.objectContaining({ url: '/api/movies/slow' }));
      expect(await child.exited).toBe(0);
      expect(child.logs).toContainEqual(expect.objectContaining({ msg: 'stopped', drained: true }));
    } finally {
      await child.kill();
    }
  }, 60_000);

  it('fails fast on bad configuration, naming the variable and hiding credentials', () => {
    expect(() => loadConfig({ AMQP_URL: 'amqp://guest:s3cret@mq' })).toThrow(/INVENTORY_URL: required/);
    const viaAlias = loadConfig({
      INVENTORY_URL: 'http://inventory:8080',
      RABBITMQ_URL: 'amqps://u:p@mq:5671',
    });
    expect(viaAlias.AMQP_URL).toBe('amqps://u:p@mq:5671');
    try {
      loadConfig({ INVENTORY_URL: 'inventory:8080', AMQP_URL: 'nats://guest:s3cret@mq' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(
        /INVENTORY_URL: must be an http:\/\/ or https:\/\/ base URL.*received "inventory:8080"/,
      );
      expect(message).toMatch(/AMQP_URL: .*value hidden/);
      expect(message).not.toContain('s3cret');
    }
  });
});
