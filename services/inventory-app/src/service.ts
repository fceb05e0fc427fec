import { join } from 'node:path';
import { Pool } from 'pg';
import { errorFields, listen, type Logger, migrate, retryUntil } from '@shipgate/kit';
import { createInventoryApp } from './app';
import type { InventoryConfig } from './config';

/** Directory of the SQL migrations (next to `src/` and `dist/`). */
export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

/** A started inventory-app. */
export interface RunningInventory {
  /** Bound HTTP port. */
  readonly port: number;
  /**
   * Graceful stop: readiness turns 503, the listener stops accepting, in-flight requests finish (up to
   * SHUTDOWN_TIMEOUT_MS), then the pool closes.
   */
  stop(): Promise<void>;
}

/**
 * Connects to PostgreSQL (retrying while it boots, up to STARTUP_TIMEOUT_MS), applies migrations, and
 * serves the API.
 *
 * @example const svc = await startInventory(loadConfig(process.env), createLogger('inventory-app'));
 */
export async function startInventory(config: InventoryConfig, log: Logger): Promise<RunningInventory> {
  const db = new Pool({
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_MAX,
    connectionTimeoutMillis: 5000,
    query_timeout: config.DB_QUERY_TIMEOUT_MS,
  });
  // Idle clients die when the database restarts; the pool replaces them. Without a listener this would crash.
  db.on('error', (err) => log.warn('idle database connection lost', errorFields(err)));
  try {
    await retryUntil('migrations', () => migrate(db, MIGRATIONS_DIR, log), config.STARTUP_TIMEOUT_MS, log);
  } catch (err) {
    await db.end();
    throw err;
  }
  let shuttingDown = false;
  const app = createInventoryApp({ db, log, isShuttingDown: () => shuttingDown });
  const http = await listen(app, config.PORT, config.HOST);
  log.info('listening', { port: http.port, host: config.HOST });
  return {
    port: http.port,
    async stop() {
      shuttingDown = true;
      log.info('shutting down', { inFlightRequests: http.inFlight() });
      const { drained } = await http.close(config.SHUTDOWN_TIMEOUT_MS);
      await db.end();
      log.info('stopped', { drained });
    },
  };
}
