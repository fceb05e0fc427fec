import { ConfigError } from './errors';

const PARTS = ['DB_HOST', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'] as const;
const SSL_MODES: Record<string, string> = { disable: 'disable', require: 'no-verify', verify: 'verify-full' };

/**
 * Returns `env` with `DATABASE_URL` filled in from the parts ECS task definitions usually carry
 * (`DB_HOST`, `DB_PORT` = 5432, `DB_NAME`, and `DB_USER` / `DB_PASSWORD` injected from a Secrets Manager
 * secret such as an RDS-managed one) when it is not set itself. `DB_SSL` chooses the TLS mode for the parts:
 * `require` (default: encrypted, certificate not verified — RDS's CA is not in Node's store), `verify`
 * (verified against the CAs in `NODE_EXTRA_CA_CERTS`) or `disable`. Throws a ConfigError naming the missing
 * parts when only some are set.
 *
 * @example loadConfig(withDatabaseUrl(process.env));
 */
export function withDatabaseUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.DATABASE_URL !== undefined) return env;
  const present = PARTS.filter((k) => env[k]);
  if (present.length === 0) return env;
  const missing = PARTS.filter((k) => !env[k]);
  const ssl = env.DB_SSL ?? 'require';
  const problems = [
    ...(missing.length ? [`${missing.join(', ')}: not set (DB_* variables must be set together)`] : []),
    ...(SSL_MODES[ssl]
      ? []
      : [`DB_SSL: must be one of disable, require, verify (received ${JSON.stringify(ssl)})`]),
    ...(env.DB_PORT === undefined || /^\d{1,5}$/.test(env.DB_PORT)
      ? []
      : [`DB_PORT: must be a port number (received ${JSON.stringify(env.DB_PORT)})`]),
  ];
  if (problems.length) {
    throw new ConfigError(
      `Invalid configuration — set DATABASE_URL, or all of ${PARTS.join(', ')}:\n  ${problems.join('\n  ')}`,
    );
  }
  const e = encodeURIComponent;
  const url =
    `postgres://${e(env.DB_USER as string)}:${e(env.DB_PASSWORD as string)}@${env.DB_HOST}:${env.DB_PORT ?? 5432}` +
    `/${e(env.DB_NAME as string)}?sslmode=${SSL_MODES[ssl]}`;
  return { ...env, DATABASE_URL: url };
}
