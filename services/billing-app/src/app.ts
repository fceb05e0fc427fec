import { Hono } from 'hono';
import type { Pool } from 'pg';
import { errorFields, type Logger, normalizeErrors, requestLogger } from '@shipgate/kit';

/** What the health endpoints look at. */
export interface BillingHealthDeps {
  db: Pool;
  log: Logger;
  isConsuming: () => boolean;
  isShuttingDown: () => boolean;
}

/**
 * The billing worker's HTTP surface, for the load balancer and smoke checks: `GET /healthz` (process alive)
 * and `GET /readyz` (consuming from RabbitMQ and PostgreSQL answering).
 */
export function createBillingHttpApp(deps: BillingHealthDeps): Hono {
  const app = new Hono();
  app.use(requestLogger(deps.log));
  app.use(normalizeErrors());
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (deps.isShuttingDown()) return c.json({ status: 'shutting_down', checks: {} }, 503);
    const checks: Record<string, string> = {
      rabbitmq: deps.isConsuming() ? 'ok' : 'not connected (reconnecting with backoff)',
    };
    try {
      await deps.db.query('SELECT 1');
      checks.postgres = 'ok';
    } catch (err) {
      checks.postgres = `unreachable: ${(err as Error).message}`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  app.notFound((c) =>
    c.json({ error: 'not_found', message: `No route ${c.req.method} ${c.req.path}.` }, 404),
  );
  app.onError((err, c) => {
    deps.log.error('unhandled error', errorFields(err));
    return c.json({ error: 'internal_error', message: 'Unexpected error; it has been logged.' }, 500);
  });
  return app;
}
