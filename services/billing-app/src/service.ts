import { join } from 'node:path';
import { Pool } from 'pg';
import { errorFields, listen, type Logger, migrate, retryUntil } from '@shipgate/kit';
import { createBillingHttpApp } from './app';
import type { BillingConfig } from './config';
import { BillingConsumer } from './consumer';

/** Directory of the SQL migrations (next to `src/` and `dist/`). */
export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

/** A started billing-app. */
export interface RunningBilling {
  /** Bound HTTP port of the health endpoints. */
  readonly port: number;
  /** The queue consumer (exposed for readiness and tests). */
  readonly consumer: BillingConsumer;
  /**
   * Graceful stop: readiness turns 503, the subscription is cancelled, in-flight messages are recorded and
   * acknowledged (up to SHUTDOWN_TIMEOUT_MS), then HTTP and the pool close.
   */
  stop(): Promise<void>;
}

/**
 * Applies migrations (retrying while PostgreSQL boots), starts consuming the billing queue (reconnecting
 * for as long as it runs) and serves `/healthz` and `/readyz`.
 *
 * @example const svc = await startBilling(loadConfig(process.env), createLogger('billing-app'));
 */
export async function startBilling(config: BillingConfig, log: Logger): Promise<RunningBilling> {
  const db = new Pool({
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_MAX,
    connectionTimeoutMillis: 5000,
  });
  db.on('error', (err) => log.warn('idle database connection lost', errorFields(err)));
  try {
    await retryUntil('migrations', () => migrate(db, MIGRATIONS_DIR, log), config.STARTUP_TIMEOUT_MS, log);
  } catch (err) {
    await db.end();
    throw err;
  }
  const consumer = new BillingConsumer({
    url: config.AMQP_URL,
    queue: config.BILLING_QUEUE,
    prefetch: config.PREFETCH,
    reconnectMinMs: config.RECONNECT_MIN_MS,
    reconnectMaxMs: config.RECONNECT_MAX_MS,
    dbRetryDelayMs: config.DB_RETRY_DELAY_MS,
    db,
    log,
  });
  consumer.start();
  let shuttingDown = false;
  const app = createBillingHttpApp({
    db,
    log,
    isConsuming: () => consumer.isConsuming(),
    isShuttingDown: () => shuttingDown,
  });
  const http = await listen(app, config.PORT, config.HOST);
  log.info('listening', { port: http.port, host: config.HOST, queue: config.BILLING_QUEUE });
  return {
    port: http.port,
    consumer,
    async stop() {
      shuttingDown = true;
      log.info('shutting down', { inFlightMessages: consumer.inFlightCount() });
      const consumed = await consumer.stop(config.SHUTDOWN_TIMEOUT_MS);
      const served = await http.close(5000);
      await db.end();
      log.info('stopped', { drained: consumed.drained && served.drained });
    },
  };
}
