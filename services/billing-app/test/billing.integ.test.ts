import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Client } from 'pg';
import {
  freePort,
  serversAvailable,
  spawnService,
  startPostgres,
  startRabbit,
  waitFor,
  type TestPostgres,
  type TestRabbit,
} from '@shipgate/test-support';
import { createLogger } from '@shipgate/kit';
import { declareBillingTopology } from '@shipgate/billing-contract';
import { loadConfig } from '../src/config';
import { startBilling, type RunningBilling } from '../src/service';

const run = serversAvailable(['postgresql', 'rabbitmq'], 'billing-app integration tests')
  ? describe
  : describe.skip;

interface OrderRow {
  user_id: string;
  number_of_items: number;
  total_amount: string;
  message_id: string | null;
}

run('billing-app against real PostgreSQL and RabbitMQ', () => {
  let pg: TestPostgres;
  let rabbit: TestRabbit;
  let dbUrl: string;
  let svc: RunningBilling;
  let base: string;
  let sql: Client;
  let amqp: ChannelModel | undefined;
  let ch: ConfirmChannel | undefined;
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger('billing-app', 'debug', (line) => logLines.push(JSON.parse(line)));

  const channel = async (): Promise<ConfirmChannel> => {
    if (ch) return ch;
    amqp = await connect(rabbit.url);
    amqp.on('error', () => undefined);
    amqp.on('close', () => {
      amqp = undefined;
      ch = undefined;
    });
    ch = await amqp.createConfirmChannel();
    return ch;
  };
  const publish = async (body: unknown, queue = 'billing_queue', messageId: string = randomUUID()) => {
    const c = await channel();
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    c.sendToQueue(queue, content, { persistent: true, messageId, contentType: 'application/json' });
    await c.waitForConfirms();
    return messageId;
  };
  const orders = async (messageId: string) =>
    (
      await sql.query<OrderRow>(
        'SELECT user_id, number_of_items, total_amount, message_id FROM orders WHERE message_id = $1',
        [messageId],
      )
    ).rows;
  const waitForOrder = async (messageId: string, timeoutMs = 20_000) => {
    await waitFor(
      `order for message ${messageId}`,
      async () => (await orders(messageId)).length > 0,
      timeoutMs,
      50,
    );
    return (await orders(messageId))[0];
  };
  const drainDlq = async () => {
    const c = await channel();
    const got: { body: string; reason: unknown }[] = [];
    for (;;) {
      const m = await c.get('billing_queue.dlq', { noAck: true });
      if (!m) return got;
      const death = (m.properties.headers?.['x-death'] as { reason: string }[] | undefined)?.[0];
      got.push({ body: m.content.toString(), reason: death?.reason });
    }
  };

  beforeAll(async () => {
    [pg, rabbit] = await Promise.all([startPostgres(), startRabbit()]);
    dbUrl = await pg.createDatabase('billing');
    sql = new Client({ connectionString: dbUrl });
    sql.on('error', () => undefined); // the PostgreSQL outage test kills this session on purpose
    svc = await startBilling(
      loadConfig({
        DATABASE_URL: dbUrl,
        AMQP_URL: rabbit.url,
        PORT: '0',
        HOST: '127.0.0.1',
        RECONNECT_MIN_MS: '200',
        RECONNECT_MAX_MS: '2000',
        DB_RETRY_DELAY_MS: '200',
      }),
      log,
    );
    base = `http://127.0.0.1:${svc.port}`;
    await sql.connect();
    await waitFor('billing consumer', async () => svc.consumer.isConsuming());
  }, 180_000);

  afterAll(async () => {
    await amqp?.close().catch(() => undefined);
    await svc?.stop();
    await sql?.end().catch(() => undefined);
    await Promise.all([pg?.destroy(), rabbit?.destroy()]);
  }, 90_000);

  it('records a valid message as one order and acknowledges it', async () => {
    const id = await publish({ user_id: '3', number_of_items: '5', total_amount: '180' });
    expect(await waitForOrder(id)).toEqual({
      user_id: '3',
      number_of_items: 5,
      total_amount: '180.00',
      message_id: id,
    });
    const c = await channel();
    await waitFor('queue drained', async () => (await c.checkQueue('billing_queue')).messageCount === 0);
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: 'order recorded', messageId: id, userId: '3' }),
    );
  });

  it('accepts numbers as well as numeric strings', async () => {
    const id = await publish({ user_id: 7, number_of_items: 2, total_amount: 19.99 });
    expect(await waitForOrder(id)).toEqual(
      expect.objectContaining({ user_id: '7', number_of_items: 2, total_amount: '19.99' }),
    );
  });

  it('records a redelivered message (same message id) only once', async () => {
    const id = randomUUID();
    await publish({ user_id: '4', number_of_items: '1', total_amount: '10' }, 'billing_queue', id);
    await waitForOrder(id);
    await publish({ user_id: '4', number_of_items: '1', total_amount: '10' }, 'billing_queue', id);
    await waitFor('duplicate ignored', async () =>
      logLines.some((l) => l.msg === 'duplicate message ignored' && l.messageId === id),
    );
    expect(await orders(id)).toHaveLength(1);
  });

  it('dead-letters malformed messages instead of losing or retrying them', async () => {
    await drainDlq();
    const ids = [
      await publish('this is not json'),
      await publish({ user_id: '3', number_of_items: '0', total_amount: '180' }),
      await publish({ user_id: '3', total_amount: 'lots' }),
    ];
    await waitFor('three dead-lettered messages', async () => {
      const c = await channel();
      return (await c.checkQueue('billing_queue.dlq')).messageCount === 3;
    });
    const dead = await drainDlq();
    expect(dead.map((d) => d.body)).toEqual([
      'this is not json',
      JSON.stringify({ user_id: '3', number_of_items: '0', total_amount: '180' }),
      JSON.stringify({ user_id: '3', total_amount: 'lots' }),
    ]);
    expect(dead.every((d) => d.reason === 'rejected')).toBe(true);
    for (const id of ids) expect(await orders(id)).toEqual([]);
    const reasons = logLines.filter((l) => l.msg === 'message dead-lettered').map((l) => l.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/body is not JSON/),
        expect.stringMatching(/number_of_items must be a positive integer/),
        expect.stringMatching(/number_of_items is required.*total_amount must be a non-negative amount/),
      ]),
    );
    expect((await (await channel()).checkQueue('billing_queue')).messageCount).toBe(0);
  });

  it('keeps a valid message queued while PostgreSQL is down and records it once it is back', async () => {
    await pg.stop();
    let id: string;
    try {
      id = await publish({ user_id: '5', number_of_items: '3', total_amount: '30' });
      await waitFor('a requeue', async () =>
        logLines.some((l) => l.msg === 'database unavailable, requeueing message' && l.messageId === id),
      );
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { postgres: string } }).checks.postgres).toMatch(
        /^unreachable/,
      );
    } finally {
      await pg.start();
    }
    await sql.end().catch(() => undefined);
    sql = new Client({ connectionString: dbUrl });
    await sql.connect();
    expect(await waitForOrder(id)).toEqual(expect.objectContaining({ user_id: '5', number_of_items: 3 }));
    expect((await (await channel()).checkQueue('billing_queue.dlq')).messageCount).toBe(0);
  }, 60_000);

  it('survives a broker restart: reports not ready, reconnects, and records messages published afterwards', async () => {
    const before = await publish({ user_id: '8', number_of_items: '1', total_amount: '1' });
    await waitForOrder(before);
    await amqp?.close().catch(() => undefined);
    await rabbit.stop();
    await waitFor('consumer to notice', async () => !svc.consumer.isConsuming());
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { rabbitmq: string } }).checks.rabbitmq).toMatch(
      /not connected/,
    );
    await rabbit.start();
    await waitFor('consumer to reconnect', async () => svc.consumer.isConsuming(), 30_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const after = await publish({ user_id: '9', number_of_items: '2', total_amount: '42.50' });
    expect(await waitForOrder(after)).toEqual(
      expect.objectContaining({ user_id: '9', total_amount: '42.50' }),
    );
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'amqp connection lost, reconnecting' }));
  }, 120_000);

  it('on SIGTERM finishes the message being recorded, acknowledges it, and exits 0', async () => {
    const queue = 'billing_sigterm';
    const c = await channel();
    await declareBillingTopology(c, queue);
    const port = await freePort();
    const child = await spawnService(
      join(__dirname, '..', 'src', 'main.ts'),
      {
        DATABASE_URL: dbUrl,
        // The name the Terraform task definitions inject the broker secret under.
        RABBITMQ_URL: rabbit.url,
        BILLING_QUEUE: queue,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      port,
    );
    const locker = new Client({ connectionString: dbUrl });
    await locker.connect();
    try {
      await child.waitForLog((l) => l.msg === 'amqp consuming');
      // Block inserts so the message is caught mid-processing, like a slow database would.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const id = await publish({ user_id: '11', number_of_items: '1', total_amount: '5' }, queue);
      await waitFor('insert blocked on the lock', async () => {
        const { rows } = await sql.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO orders%'",
        );
        return rows[0].n === 1;
      });
      child.signal('SIGTERM');
      await child.waitForLog((l) => l.msg === 'shutting down');
      await new Promise((r) => setTimeout(r, 300));
      expect(child.child.exitCode).toBeNull();
      await locker.query('COMMIT');
      expect(await child.exited).toBe(0);
      expect(await orders(id)).toHaveLength(1);
      const q = await c.checkQueue(queue);
      expect(q).toEqual(expect.objectContaining({ messageCount: 0, consumerCount: 0 }));
      expect(child.logs).toContainEqual(expect.objectContaining({ msg: 'stopped', drained: true }));
    } finally {
      await locker.end().catch(() => undefined);
      await child.kill();
    }
  }, 60_000);

  it('starts while RabbitMQ is unreachable, reports not ready, and still stops cleanly', async () => {
    const closedPort = await freePort();
    const lonely = await startBilling(
      loadConfig({
        DATABASE_URL: dbUrl,
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${closedPort}`,
        PORT: '0',
        HOST: '127.0.0.1',
        RECONNECT_MIN_MS: '100',
      }),
      log,
    );
    try {
      await waitFor('a failed connection attempt', async () =>
        logLines.some((l) => l.msg === 'amqp connect failed' && String(l.error).includes('ECONNREFUSED')),
      );
      const ready = await fetch(`http://127.0.0.1:${lonely.port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not_ready',
        checks: { rabbitmq: 'not connected (reconnecting with backoff)', postgres: 'ok' },
      });
    } finally {
      // Must not hang in the reconnect backoff (the test timeout would catch it).
      await lonely.stop();
    }
    expect(logLines.filter((l) => l.msg === 'stopped').at(-1)).toEqual(
      expect.objectContaining({ drained: true }),
    );
  });

  it('fails fast on bad configuration, naming the variable and hiding credentials', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://u:pw@h/db', AMQP_URL: 'http://guest:s3cret@mq' }),
    ).toThrow(/AMQP_URL: must be an amqp:\/\/ or amqps:\/\/ URL \(value hidden\)/);
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://u:pw@h/db', AMQP_URL: 'amqp://mq', PREFETCH: '0' }),
    ).toThrow(/PREFETCH: .*received "0"/);
  });
});
