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

/** The role ECS invokes `environment`'s verify hook with (see {@link verifyHook}). */
function hookRoleArn(environment: string, env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.SHIPGATE_VERIFY_HOOK_ROLE_ARNS;
  if (raw) {
    let roles: unknown;
    try {
      roles = JSON.parse(raw);
    } catch {
      roles = undefined;
    }
    if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) {
      throw new ConfigError(
        `Environment variable SHIPGATE_VERIFY_HOOK_ROLE_ARNS must be a JSON object of role ARNs by environment, e.g. {"production":"arn:aws:iam::222222222222:role/shipgate-deploy-ecs-hooks"}; received ${JSON.stringify(raw.slice(0, 200))}`,
      );
    }
    const role = (roles as Record<string, unknown>)[environment];
    if (typeof role === 'string' && role.length > 0) return role;
  }
  return env.SHIPGATE_VERIFY_HOOK_ROLE_ARN || undefined;
}

/**
 * Shipgate's test-traffic verify hook of one environment (a Lambda ECS invokes at POST_TEST_TRAFFIC_SHIFT,
 * placed in that environment's VPC so the test listener admits it) and the role ECS assumes to invoke it,
 * when the stack (or the sandbox) set them: `SHIPGATE_VERIFY_HOOK_ARNS` (JSON `{ "<environment>": "<function
 * ARN>" }`, one function per environment) and `SHIPGATE_VERIFY_HOOK_ROLE_ARNS` (JSON `{ "<environment>": "<role
 * ARN>" }`: ECS passes only a role of its own account, so an environment in another account names a role there,
 * `<deploy role>-ecs-hooks`). `SHIPGATE_VERIFY_HOOK_ROLE_ARN`, one role for all, is what builds before the map
 * read and is still honoured for an environment the map leaves out.
 * @throws ConfigError when the map is not a JSON object of strings, or has no hook for `environment` (the
 *   stack creates one per configured environment, so a missing one means stack and config disagree).
 * @example verifyHook('production') // { arn: 'arn:aws:lambda:…:function:…VerifyHookProduction…', roleArn }
 */
export function verifyHook(
  environment: string,
  env: NodeJS.ProcessEnv = process.env,
): { arn: string; roleArn: string } | undefined {
  const raw = env.SHIPGATE_VERIFY_HOOK_ARNS;
  const roleArn = hookRoleArn(environment, env);
  if (!raw || !roleArn) return undefined;
  let arns: unknown;
  try {
    arns = JSON.parse(raw);
  } catch {
    arns = undefined;
  }
  if (
    typeof arns !== 'object' ||
    arns === null ||
    Array.isArray(arns) ||
    !Object.values(arns).every((v) => typeof v === 'string' && v.length > 0)
  ) {
    throw new ConfigError(
      `Environment variable SHIPGATE_VERIFY_HOOK_ARNS must be a JSON object of function ARNs by environment, e.g. {"staging":"arn:aws:lambda:…"}; received ${JSON.stringify(raw.slice(0, 200))}`,
    );
  }
  const arn = (arns as Record<string, string>)[environment];
  if (!arn) {
    throw new ConfigError(
      `SHIPGATE_VERIFY_HOOK_ARNS has no verify hook for environment "${environment}" (it has: ${Object.keys(arns).join(', ') || 'none'}). The stack creates one per environment of the config: deploy the stack with the config that names "${environment}".`,
    );
  }
  return { arn, roleArn };
}
