import { getSecret as getSecretFromSecretsManager } from '@aws-lambda-powertools/parameters/secrets';

/**
 * Secrets Shipgate uses. In AWS each lives in Secrets Manager and the Lambda gets its ARN in
 * `<ENV>_SECRET_ARN`; in the sandbox and tests the value itself comes from `<ENV>`. Values are cached
 * for five minutes and are never logged.
 */
export const SECRET_ENV = {
  webhookToken: 'SHIPGATE_WEBHOOK_TOKEN',
  webhookSigningKey: 'SHIPGATE_WEBHOOK_SIGNING_KEY',
  chatWebhookUrl: 'SHIPGATE_CHAT_WEBHOOK_URL',
  slackSigningSecret: 'SHIPGATE_SLACK_SIGNING_SECRET',
  slackBotToken: 'SHIPGATE_SLACK_BOT_TOKEN',
  gitlabToken: 'SHIPGATE_GITLAB_TOKEN',
  linkSigningKey: 'SHIPGATE_LINK_SIGNING_KEY',
  /** Secret of the OAuth application registered in GitLab (signing in to vote from review pages). */
  oidcClientSecret: 'SHIPGATE_OIDC_CLIENT_SECRET',
} as const;

export type SecretName = keyof typeof SECRET_ENV;

/**
 * The value of a secret, or `undefined` when it is not configured (an empty Secrets Manager value also
 * counts as not configured, so optional secrets can be created empty by CDK and filled in later).
 * @example const token = await getSecret('webhookToken');
 */
export async function getSecret(
  name: SecretName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const variable = SECRET_ENV[name];
  const direct = env[variable];
  if (direct) return direct;
  const arn = env[`${variable}_SECRET_ARN`];
  if (!arn) return undefined;
  const value = await getSecretFromSecretsManager<string>(arn, { maxAge: 300 });
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
