import { FUNCTIONS_KEYS } from '../aws/accounts';
import { SECRET_ENV } from '../../lambdas/shared/secrets';
import type { LocalSecrets } from '../state-dir';
import { sandboxVerifyHookArns } from './functions';

/** Name of Shipgate's DynamoDB table in the sandbox. */
export const SANDBOX_TABLE = 'shipgate';

/** What the handlers' environment is made of. */
export interface HandlerEnvironmentInput {
  /** Process environment of the sandbox (secrets and URLs the user set). */
  env: NodeJS.ProcessEnv;
  awsEndpoint: string;
  /** URL of the hono app and console. */
  url: string;
  publicUrl: string;
  stateMachineArn: string;
  /** The manual rollback state machine (`POST /api/rollbacks` starts an execution of it). */
  rollbackStateMachineArn?: string;
  configPath: string;
  webhookToken: string;
  secrets: LocalSecrets;
  /** The config's environment names (each gets its own verify hook). */
  environments: readonly string[];
  /**
   * The deploy role of each environment in another account (`environments[].aws.deployRole`): ECS there invokes
   * the verify hook with `<deploy role>-ecs-hooks`, a role of that account, as in AWS.
   */
  deployRoles?: Readonly<Record<string, string>>;
  /** The sandbox's GitLab OpenID provider and Shipgate's client there. */
  oidc: { issuer: string; clientId: string; clientSecret: string };
}

/**
 * The handlers' environment, as the function configuration sets it in AWS: only endpoints and secrets
 * differ. `undefined` removes a variable (AWS credentials and secret ARNs of the surrounding shell).
 */
export function handlerEnvironment(i: HandlerEnvironmentInput): Record<string, string | undefined> {
  const { env, url } = i;
  const gitlabOn = Boolean(env.SHIPGATE_GITLAB_URL && env.SHIPGATE_GITLAB_TOKEN);
  const handlerEnv: Record<string, string | undefined> = {
    AWS_ENDPOINT_URL: i.awsEndpoint,
    // A session of the functions' role in account 000000000000 (sandbox/aws/accounts.ts), as Lambda gives.
    AWS_ACCESS_KEY_ID: FUNCTIONS_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FUNCTIONS_KEYS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    SHIPGATE_TABLE: SANDBOX_TABLE,
    SHIPGATE_STATE_MACHINE_ARN: i.stateMachineArn,
    SHIPGATE_PUBLIC_URL: i.publicUrl,
    SHIPGATE_CONSOLE_URL: url,
    SHIPGATE_CONFIG: i.configPath,
    SHIPGATE_CONFIG_JSON: undefined,
    SHIPGATE_VERIFY_HOOK_ARNS: JSON.stringify(sandboxVerifyHookArns(i.environments)),
    SHIPGATE_VERIFY_HOOK_ARN: undefined,
    SHIPGATE_VERIFY_HOOK_ROLE_ARN: undefined,
    SHIPGATE_VERIFY_HOOK_ROLE_ARNS: JSON.stringify(
      Object.fromEntries(
        i.environments.map((e) => [
          e,
          i.deployRoles?.[e]
            ? `${i.deployRoles[e]}-ecs-hooks`
            : 'arn:aws:iam::000000000000:role/shipgate-ecs-lifecycle-hooks',
        ]),
      ),
    ),
    [SECRET_ENV.webhookToken]: i.webhookToken,
    [SECRET_ENV.linkSigningKey]: env.SHIPGATE_LINK_SIGNING_KEY || i.secrets.linkSigningKey,
    [SECRET_ENV.chatWebhookUrl]: `${url}/_sandbox/chat`,
    [SECRET_ENV.webhookSigningKey]: env.SHIPGATE_WEBHOOK_SIGNING_KEY || undefined,
    [SECRET_ENV.slackSigningSecret]: env.SHIPGATE_SLACK_SIGNING_SECRET || undefined,
    [SECRET_ENV.gitlabToken]: gitlabOn ? env.SHIPGATE_GITLAB_TOKEN : undefined,
    SHIPGATE_GITLAB_URL: gitlabOn ? env.SHIPGATE_GITLAB_URL : undefined,
    // POST /api/rollbacks starts an execution of the rollback state machine, as in AWS.
    SHIPGATE_ROLLBACK_STATE_MACHINE_ARN: i.rollbackStateMachineArn,
    // The HTTP function hands a decision's follow-ups (chat, GitLab) to this one asynchronously, as in AWS.
    SHIPGATE_FOLLOW_UP_FUNCTION: 'shipgate-follow-up:live',
    // The local API has no IAM authorizer: /api/rollbacks takes the "by" the CLI states.
    SHIPGATE_API_TRUSTS_BY: 'sandbox',
    // Signing in on review pages goes to the sandbox's own OpenID provider (its port is chosen at start).
    SHIPGATE_OIDC_ISSUER: i.oidc.issuer,
    SHIPGATE_OIDC_CLIENT_ID: i.oidc.clientId,
    [SECRET_ENV.oidcClientSecret]: i.oidc.clientSecret,
  };
  for (const name of Object.values(SECRET_ENV)) handlerEnv[`${name}_SECRET_ARN`] = undefined;
  return handlerEnv;
}

/** Sets the handlers' environment in this process (the handlers run here), before they load. */
export function applyHandlerEnvironment(handlerEnv: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(handlerEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
