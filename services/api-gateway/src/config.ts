import { z } from 'zod';
import { parseEnv } from '@shipgate/kit';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  INVENTORY_URL: z
    .string({ error: 'required: base URL of inventory-app, e.g. http://inventory-app:8080' })
    .regex(
      /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/,
      'must be an http:// or https:// base URL (an optional path prefix, no query), e.g. http://inventory-app:8080',
    ),
  AMQP_URL: z
    .string({
      error: 'required: the RabbitMQ URL, e.g. amqp://user:pass@rabbitmq:5672 (RABBITMQ_URL is accepted too)',
    })
    .regex(/^amqps?:\/\/\S+$/, 'must be an amqp:// or amqps:// URL'),
  BILLING_QUEUE: z
    .string()
    .regex(/^[\w.-]{1,200}$/, 'must be a queue name of letters, digits, _ . -')
    .default('billing_queue'),
  PROXY_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(1).default(5000),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  RECONNECT_MIN_MS: z.coerce.number().int().min(10).default(500),
  RECONNECT_MAX_MS: z.coerce.number().int().min(10).default(30_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Validated api-gateway configuration, read once at start from the environment. */
export type GatewayConfig = z.infer<typeof schema>;

/**
 * Reads and validates the configuration; throws a ConfigError naming each bad variable (never echoing the
 * AMQP URL, which holds credentials).
 *
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  return parseEnv(schema, { ...env, AMQP_URL: env.AMQP_URL ?? env.RABBITMQ_URL }, ['AMQP_URL']);
}
