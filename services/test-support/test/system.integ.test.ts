import { Client } from 'pg';
import { createLogger } from '@shipgate/kit';
import {
  serversAvailable,
  startPostgres,
  startRabbit,
  waitFor,
  type TestPostgres,
  type TestRabbit,
} from '../src';
import { loadConfig as gatewayConfig } from '../../api-gateway/src/config';
import { startGateway, type RunningGateway } from '../../api-gateway/src/service';
import { loadConfig as billingConfig } from '../../billing-app/src/config';
import { startBilling, type RunningBilling } from '../../billing-app/src/service';
import { loadConfig as inventoryConfig } from '../../inventory-app/src/config';
import { startInventory, type RunningInventory } from '../../inventory-app/src/service';

const run = serversAvailable(['postgresql', 'rabbitmq'], 'services system tests') ? describe : describe.skip;

run('the three services together (gateway → inventory, gateway → RabbitMQ → billing → PostgreSQL)', () => {
  let pg: TestPostgres;
  let rabbit: TestRabbit;
  let inventory: RunningInventory | undefined;
  let billing: RunningBilling;
  let gateway: RunningGateway;
  let billingDb: string;
  let base: string;
  const logs: Record<string, unknown>[] = [];
  const logger = (service: string) => createLogger(service, 'info', (line) => logs.push(JSON.parse(line)));

  beforeAll(async () => {
    [pg, rabbit] = await Promise.all([startPostgres(), startRabbit()]);
    const [inventoryDb, bDb] = await Promise.all([
      pg.createDatabase('inventory'),
      pg.createDatabase('billing'),
    ]);
    billingDb = bDb;
    const local = { PORT: '0', HOST: '127.0.0.1', RECONNECT_MIN_MS: '200', RECONNECT_MAX_MS: '1000' };
    inventory = await startInventory(
      inventoryConfig({ ...local, DATABASE_URL: inventoryDb }),
      logger('inventory-app'),
    );
    billing = await startBilling(
      billingConfig({ ...local, DATABASE_URL: billingDb, AMQP_URL: rabbit.url }),
      logger('billing-app'),
    );
    gateway = await startGateway(
      gatewayConfig({ ...local, INVENTORY_URL: `http://127.0.0.1:${inventory.port}`, AMQP_URL: rabbit.url }),
      logger('api-gateway'),
    );
    base = `http://127.0.0.1:${gateway.port}`;
    await waitFor('all ready', async () => (await fetch(`${base}/readyz`)).status === 200);
    await waitFor('billing consuming', async () => billing.consumer.isConsuming());
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await billing?.stop();
    await inventory?.stop();
    await Promise.all([pg?.destroy(), rabbit?.destroy()]);
  }, 90_000);

  it('serves the movies API through the gateway, backed by PostgreSQL', async () => {
    const created = await fetch(`${base}/api/movies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Spirited Away', description: 'Bathhouse' }),
    });
    expect(created.status).toBe(201);
    const movie = (await created.json()) as { id: number };
    // The gateway's request id reaches inventory-app, so both log lines carry the same one.
    const requestId = created.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const hops = logs.filter((l) => l.msg === 'request' && l.method === 'POST' && l.requestId === requestId);
    expect(hops.map((l) => l.service).sort()).toEqual(['api-gateway', 'inventory-app']);
    const found = await fetch(`${base}/api/movies?title=spirit`);
    expect(await found.json()).toEqual([{ id: movie.id, title: 'Spirited Away', description: 'Bathhouse' }]);
    const invalid = await fetch(`${base}/api/movies/${movie.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(invalid.status).toBe(400);
    expect((await fetch(`${base}/api/movies/${movie.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/api/movies/${movie.id}`)).status).toBe(404);
  });

  it('turns POST /api/billing into an order row written by billing-app', async () => {
    const res = await fetch(`${base}/api/billing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'system-test-order-1' },
      body: JSON.stringify({ user_id: '3', number_of_items: '5', total_amount: '180' }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('system-test-order-1');
    const { messageId } = (await res.json()) as { messageId: string };
    const sql = new Client({ connectionString: billingDb });
    await sql.connect();
    try {
      await waitFor('the order row', async () => {
        const { rowCount } = await sql.query('SELECT 1 FROM orders WHERE message_id = $1', [messageId]);
        return rowCount === 1;
      });
      const { rows } = await sql.query(
        'SELECT user_id, number_of_items, total_amount FROM orders WHERE message_id = $1',
        [messageId],
      );
      expect(rows).toEqual([{ user_id: '3', number_of_items: 5, total_amount: '180.00' }]);
    } finally {
      await sql.end();
    }
    // One structured line per hop, correlated by the message id and the caller's request id.
    const requestId = 'system-test-order-1';
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          service: 'api-gateway',
          msg: 'billing order published',
          messageId,
          requestId,
        }),
        expect.objectContaining({ service: 'billing-app', msg: 'order recorded', messageId, requestId }),
      ]),
    );
  });

  it('answers 502 for movies and reports not ready when inventory-app is down, while billing keeps working', async () => {
    await inventory?.stop();
    inventory = undefined;
    const res = await fetch(`${base}/api/movies`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({
      error: 'bad_gateway',
      message: expect.stringMatching(/^inventory-app is unreachable at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\.$/),
    });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not_ready',
      checks: { rabbitmq: 'ok', inventory: 'unreachable: ECONNREFUSED' },
    });
    const billed = await fetch(`${base}/api/billing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: '4', number_of_items: '1', total_amount: '9.50' }),
    });
    expect(billed.status).toBe(202);
  });
});
