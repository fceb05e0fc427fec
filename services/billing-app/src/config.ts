import { z } from 'zod';
import { parseEnv, withDatabaseUrl } from '@shipgate/kit';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string({
      error:
        'required: the PostgreSQL connection URL, e.g. postgres://user:pass@host:5432/billing (or set DB_HOST, DB_NAME, DB_USER, DB_PASSWORD)',
    })
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'),
  AMQP_URL: z
    .string({
      error: 'required: the RabbitMQ URL, e.g. amqp://user:pass@rabbitmq:5672 (RABBITMQ_URL is accepted too)',
    })
    .regex(/^amqps?:\/\/\S+$/, 'must be an amqp:// or amqps:// URL'),
  BILLING_QUEUE: z
    .string()
    .regex(/^[\w.-]{1,200}$/, 'must be a queue name of letters, digits, _ . -')
    .default('billing_queue'),
  PREFETCH: z.coerce.number().int().min(1).max(1000).default(10),
  RECONNECT_MIN_MS: z.coerce.number().int().min(10).default(500),
  RECONNECT_MAX_MS: z.coerce.number().int().min(10).default(30_000),
  DB_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  STARTUP_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Validated billing-app configuration, read once at start from the environment. */
export type BillingConfig = z.infer<typeof schema>;

/**
 * Reads and validates the configuration (`DATABASE_URL`, or the `DB_*` parts it is built from); throws a ConfigError naming each bad variable (never echoing the
 * URLs, which hold credentials).
 *
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): BillingConfig {
  const resolved = withDatabaseUrl({ ...env, AMQP_URL: env.AMQP_URL ?? env.RABBITMQ_URL });
  return parseEnv(schema, resolved, ['DATABASE_URL', 'AMQP_URL', 'DB_PASSWORD']);
}
