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

/**
 * Shipgate's test-traffic verify hook (a Lambda ECS invokes at POST_TEST_TRAFFIC_SHIFT) and the role ECS
 * assumes to invoke it, when the stack (or the sandbox) set them: `SHIPGATE_VERIFY_HOOK_ARN`,
 * `SHIPGATE_VERIFY_HOOK_ROLE_ARN`.
 */
export function verifyHook(
  env: NodeJS.ProcessEnv = process.env,
): { arn: string; roleArn: string } | undefined {
  const arn = env.SHIPGATE_VERIFY_HOOK_ARN;
  const roleArn = env.SHIPGATE_VERIFY_HOOK_ROLE_ARN;
  return arn && roleArn ? { arn, roleArn } : undefined;
}
