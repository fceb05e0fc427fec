import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { ShipgateError } from '../errors';
import { clientConfig } from './config';

/**
 * Credentials of an environment's deploy role (`environments[].aws.deployRole`), assumed with STS
 * `AssumeRole` and the environment's external id, cached per role until shortly before they expire.
 *
 * `@aws-sdk/client-sts` is used directly rather than `@aws-sdk/credential-providers`' `fromTemporaryCredentials`:
 * that package carries every provider of the default chain (SSO, web identity, process, instance metadata),
 * which lambdas/shared/lambda-credentials.ts keeps out of the bundles; one `AssumeRoleCommand` is all a
 * function needs.
 */

/** How long assumed credentials last (STS's minimum is 900 s; a step never needs them longer). */
export const ASSUMED_ROLE_SECONDS = 900;

/** Credentials are renewed when fewer than this many milliseconds are left. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** The role to assume: its ARN and the `sts:ExternalId` its trust policy requires. */
export interface DeployRole {
  deployRole: string;
  externalId: string;
}

/** Raised when the deploy role cannot be assumed; `cause` is STS's error (`AccessDenied`, …). */
export class AssumeRoleError extends ShipgateError {
  static override readonly errorName: string = 'AssumeRoleError';
}

/**
 * Environment variable with the actions this function's deploy role sessions may use, comma-separated; the
 * stack sets it from the function's own grants (lib/constructs/environment-accounts.ts).
 */
export const DEPLOY_ROLE_ACTIONS_ENV = 'SHIPGATE_DEPLOY_ROLE_ACTIONS';

/**
 * The inline session policy narrowing a deploy role session to `actions` (resources stay as the role's own
 * policy scopes them), or undefined when there is no list (every action the role allows).
 * @example sessionPolicy('ssm:GetParameter') // '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter"],"Resource":"*"}]}'
 */
export function sessionPolicy(actions = process.env[DEPLOY_ROLE_ACTIONS_ENV]): string | undefined {
  const list = (actions ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (list.length === 0) return undefined;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: list, Resource: '*' }],
  });
}

let sts: STSClient | undefined;
const cache = new Map<string, Promise<AwsCredentialIdentity>>();

/**
 * A `RoleSessionName` that names the function (`shipgate-<function name>`), within STS's rules: at most 64
 * characters of `[\w+=,.@-]`. CloudTrail in the environment's account shows it on every call.
 * @example roleSessionName('shipgate-start-rollout') // → 'shipgate-start-rollout'
 */
export function roleSessionName(functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local'): string {
  const name = `shipgate-${functionName.replace(/^shipgate-/, '')}`.replace(/[^\w+=,.@-]/g, '-');
  return name.slice(0, 64);
}

async function assume(role: DeployRole): Promise<AwsCredentialIdentity> {
  sts ??= new STSClient(clientConfig);
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: role.deployRole,
        ExternalId: role.externalId,
        RoleSessionName: roleSessionName(),
        DurationSeconds: ASSUMED_ROLE_SECONDS,
        Policy: sessionPolicy(),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new Error('the AssumeRole answer has no credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  } catch (err) {
    throw new AssumeRoleError(
      `Cannot assume the deploy role ${role.deployRole}: ${(err as Error).name}: ${(err as Error).message}. Check that the role exists, that its trust policy trusts Shipgate's functions and requires external id "${role.externalId}" (terraform/modules/shipgate-deploy-role), and that the function may call sts:AssumeRole on it.`,
      { cause: err },
    );
  }
}

function fresh(c: AwsCredentialIdentity, now: number): boolean {
  return !c.expiration || c.expiration.getTime() - now > REFRESH_MARGIN_MS;
}

/**
 * A credential provider for an SDK client: the role's current credentials, assumed once and shared by every
 * client of that role in the process, assumed again when fewer than five minutes are left (the SDK's own window). A failed
 * AssumeRole is not cached.
 * @example new ECSClient({ credentials: assumedRoleCredentials(env.aws) })
 */
export function assumedRoleCredentials(role: DeployRole): () => Promise<AwsCredentialIdentity> {
  const key = `${role.deployRole}\n${role.externalId}`;
  return async () => {
    const cached = cache.get(key);
    if (cached) {
      const c = await cached.catch(() => undefined);
      if (c && fresh(c, Date.now())) return c;
      // Another caller started a newer AssumeRole meanwhile: share it. (Gone from the cache, because it
      // failed: assume again below, never hand the SDK `undefined` as credentials.)
      const current = cache.get(key);
      if (current && current !== cached) return current;
    }
    const pending = assume(role);
    cache.set(key, pending);
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
    return pending;
  };
}

/** Forgets every cached credential and the STS client (tests). */
export function resetAssumedRoles(): void {
  cache.clear();
  sts = undefined;
}
