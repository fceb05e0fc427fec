import type { z } from 'zod';
import { ConfigError } from './errors';

/**
 * Parses `env` with a zod object schema whose keys are variable names. On failure throws a
 * {@link ConfigError} naming every bad variable, what was expected and the value received — except for
 * variables listed in `secret`, whose values are never echoed.
 *
 * @example const cfg = parseEnv(schema, process.env, ['DATABASE_URL']);
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  secret: readonly string[] = [],
): z.infer<S> {
  const res = schema.safeParse(env);
  if (res.success) return res.data;
  const lines = res.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const raw = env[name];
    const received =
      raw === undefined
        ? 'it is not set'
        : secret.includes(name)
          ? 'value hidden'
          : `received ${JSON.stringify(raw)}`;
    return `${name}: ${issue.message} (${received})`;
  });
  return failConfig(lines);
}

function failConfig(lines: string[]): never {
  throw new ConfigError(
    `Invalid configuration — fix these environment variables and restart:\n  ${lines.join('\n  ')}`,
  );
}
