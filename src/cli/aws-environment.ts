import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { EnvironmentConfig } from '../../lambdas/shared/config';
import { ShipgateError } from '../../lambdas/shared/errors';

/**
 * How the CLI reaches an environment's AWS account, the way Shipgate's functions do: an environment without
 * `aws` lives in Shipgate's own account and is called with the caller's credentials ("same account"); one
 * with `aws` is called with credentials of its `deployRole`, assumed with STS `AssumeRole` and its
 * `externalId`, in its `region`.
 *
 * The runtime's module for the Lambdas was not on this branch yet when this was written, so the CLI has this
 * small one of its own; both make the same AssumeRole call (role, external id, a short session).
 */

/** The role of an environment could not be assumed (STS refused, or it answered for another account). */
export class RoleNotAssumableError extends ShipgateError {
  static override readonly errorName: string = 'RoleNotAssumableError';
}

/** Static AWS credentials (the shape every SDK v3 client takes). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Settings shared by every client the CLI creates: where AWS is (the sandbox, or AWS itself). */
export interface AwsBase {
  /** Region of Shipgate's own account (the SDK's default chain when undefined). */
  region?: string;
  /** The sandbox's AWS endpoint, or undefined for AWS (then `AWS_ENDPOINT_URL*` still apply, as in the SDK). */
  endpoint?: string;
  /** Fixed credentials (the sandbox takes any); undefined: the SDK's default chain. */
  credentials?: AwsCredentials;
}

/** The sandbox's AWS endpoint: `AWS_ENDPOINT_URL`, else `http://127.0.0.1:$SHIPGATE_AWS_PORT` (4566). */
export function sandboxAws(env: NodeJS.ProcessEnv): AwsBase {
  return {
    region: 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL ?? `http://127.0.0.1:${env.SHIPGATE_AWS_PORT ?? 4566}`,
    // The keys the sandbox gives this CLI in Shipgate's account (sandbox/aws/accounts.ts, CLI_KEYS): an operator.
    credentials: { accessKeyId: 'AKIASHIPGATECLI00000', secretAccessKey: 'shipgate-cli-not-a-secret' },
  };
}

/** Client settings of an environment: the base plus, for another account, the assumed role's credentials. */
export interface EnvironmentAws {
  config: { region?: string; endpoint?: string; credentials?: AwsCredentials; maxAttempts: number };
  /** How the environment is reached, for messages: "same account" or the role ARN. */
  via: string;
}

/**
 * Client settings for calls made for `environment`.
 * @throws RoleNotAssumableError naming the role and STS's answer when the role cannot be assumed.
 * @example const { config } = await environmentAws(env, sandboxAws(process.env)); new ECSClient(config);
 */
export async function environmentAws(
  environment: Pick<EnvironmentConfig, 'name' | 'aws'>,
  base: AwsBase,
  sts: Pick<STSClient, 'send'> = new STSClient({ ...base, maxAttempts: 2 }),
): Promise<EnvironmentAws> {
  const plain = { ...base, maxAttempts: 3 };
  const aws = environment.aws;
  if (!aws) return { config: plain, via: 'same account' };
  let out;
  try {
    out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: aws.deployRole,
        ExternalId: aws.externalId,
        // AWS's rule for session names: [\w+=,.@-]{2,64}.
        RoleSessionName: `shipgate-cli-${environment.name}`.slice(0, 64),
        DurationSeconds: 900,
      }),
    );
  } catch (err) {
    const e = err as Error;
    throw new RoleNotAssumableError(
      `cannot assume ${aws.deployRole} for environment "${environment.name}" (external id from environments[].aws.externalId): ${e.name}: ${e.message}. The role's trust policy must require that external id and trust the principal making this call: Shipgate's functions in AWS, and for the CLI your own credentials too (terraform/modules/shipgate-deploy-role).`,
      { cause: err },
    );
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) {
    throw new RoleNotAssumableError(
      `STS AssumeRole of ${aws.deployRole} for "${environment.name}" returned no credentials`,
    );
  }
  const account = /^arn:aws[\w-]*:sts::(\d{12}):/.exec(out.AssumedRoleUser?.Arn ?? '')?.[1];
  if (account && account !== aws.account) {
    throw new RoleNotAssumableError(
      `assuming ${aws.deployRole} for "${environment.name}" gave credentials of account ${account}, not ${aws.account} (environments[].aws.account)`,
    );
  }
  return {
    config: {
      ...plain,
      region: aws.region ?? base.region,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      },
    },
    via: aws.deployRole,
  };
}
