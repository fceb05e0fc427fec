import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from './errors';
import type { Logger } from './logger';

/** A migration failed; nothing of the batch was applied (it runs in one transaction). */
export class MigrationError extends ServiceError {}

/**
 * What {@link migrate} needs of a `pg` Pool, so the kit itself does not depend on `pg` (the gateway, which
 * has no database, compiles it too). A `pg.Pool` satisfies it.
 */
export interface MigrationPool {
  connect(): Promise<MigrationClient>;
}

/** The part of a checked-out `pg` client that {@link migrate} uses. */
export interface MigrationClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(): void;
}

// Arbitrary constant: serialises migrations when several replicas start at once.
const MIGRATION_LOCK_KEY = 7_421_001;

/**
 * Applies the `NNN_name.sql` files of `dir` that are not yet recorded in `schema_migrations`, in name
 * order, inside one transaction holding an advisory lock — so it is idempotent, safe with concurrent
 * replicas, and all-or-nothing. Returns the ids applied by this call.
 *
 * @example await migrate(pool, join(__dirname, '..', 'migrations'), log);
 */
export async function migrate(pool: MigrationPool, dir: string, log: Logger): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort();
  const client = await pool.connect();
  const applied: string[] = [];
  let current = '';
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         id TEXT PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query('SELECT id FROM schema_migrations');
    const done = new Set((rows as { id: string }[]).map((r) => r.id));
    for (const file of files) {
      const id = file.replace(/\.sql$/, '');
      if (done.has(id)) continue;
      current = file;
      await client.query(readFileSync(join(dir, file), 'utf8'));
      await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [id]);
      applied.push(id);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new MigrationError(
      `Migration ${current || '(setup)'} in ${dir} failed: ${(err as Error).message}. ` +
        'Nothing was applied; fix the SQL or the database and restart.',
      { cause: err },
    );
  } finally {
    client.release();
  }
  log.info('migrations applied', { applied, pending: 0, total: files.length });
  return applied;
}

/**
 * Runs `fn` until it succeeds, waiting with exponential backoff (capped at 5 s) between attempts, for at
 * most `timeoutMs`; then rethrows the last error. Used at start while the database may still be booting.
 */
export async function retryUntil<T>(
  what: string,
  fn: () => Promise<T>,
  timeoutMs: number,
  log: Logger,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MigrationError && !isConnectionError(err.cause)) throw err;
      if (Date.now() + delay > deadline) throw err;
      log.warn(`${what} failed, retrying`, { error: (err as Error).message, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** True for errors that mean "PostgreSQL is not reachable right now" rather than "the query is wrong". */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code !== 'string') {
    if (cause !== undefined && isConnectionError(cause)) return true;
    return typeof message === 'string' && /connect|terminat|timeout/i.test(message);
  }
  // Node socket errors, SQLSTATE class 08 (connection exception), 57P0x (admin shutdown / cannot connect now).
  return /^E[A-Z]+$/.test(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300';
}
