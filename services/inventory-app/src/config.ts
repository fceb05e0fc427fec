import { z } from 'zod';
import { parseEnv, withDatabaseUrl } from '@shipgate/kit';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string({
      error:
        'required: the PostgreSQL connection URL, e.g. postgres://user:pass@host:5432/inventory (or set DB_HOST, DB_NAME, DB_USER, DB_PASSWORD)',
    })
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  STARTUP_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Validated inventory-app configuration, read once at start from the environment. */
export type InventoryConfig = z.infer<typeof schema>;

/**
 * Reads and validates the configuration (`DATABASE_URL`, or the `DB_*` parts it is built from); throws a ConfigError naming each bad variable (never echoing the
 * database URL, which holds the password).
 *
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): InventoryConfig {
  return parseEnv(schema, withDatabaseUrl(env), ['DATABASE_URL', 'DB_PASSWORD']);
}
