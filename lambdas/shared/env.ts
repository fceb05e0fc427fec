import { ConfigError } from './errors';

/**
 * Reads a required environment variable.
 * @throws ConfigError naming the variable when it is missing or empty.
 * @example const table = requireEnv('SHIPGATE_TABLE');
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) {
    throw new ConfigError(`Environment variable ${name} is not set`);
  }
  return value;
}

/** DynamoDB table holding releases, deliveries, approvals, locks and rollout waiters. */
export const tableName = (): string => requireEnv('SHIPGATE_TABLE');

/** ARN of the release state machine. */
export const stateMachineArn = (): string => requireEnv('SHIPGATE_STATE_MACHINE_ARN');
