import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig, type ShipgateConfig } from '../../lambdas/shared/config';
import { SECRET_ENV, type SecretName } from '../../lambdas/shared/secrets';
import { WEBHOOK_PATH } from '../../lambdas/domain/gitlab/hooks';
import { apiBaseUrl, parseCommand, UsageError } from './args';
import { sandboxAws, type AwsBase } from './aws-environment';
import { formatCheck, type CheckLine } from './contract-check';
import {
  environmentLines,
  eventRuleLines,
  gitlabLine,
  requiredSecrets,
  secretLines,
  webhookLines,
  type DoctorTarget,
  type SecretState,
} from './doctor-checks';

const USAGE = `Usage: shipgate doctor [--stack <name>] [--sandbox] [--config <file>] [--webhook-url <url>] [--url <url>]

Checks that Shipgate is wired up and prints one line per check (ok, fail or skip):
  gitlab                    GitLab answers with the token
  secret:<name>             every secret Shipgate needs is set (values are never printed)
  role:<env>                every environment's deploy role can be assumed (STS; "same account" without aws)
  contract:<env>/<service>  every contract is readable and consistent with the live service
                            (shipgate contract check <env> <service> shows each part)
  event-rule:<id>           the stack's EventBridge rules are enabled and have a target
  webhook:<project>         each project's GitLab webhook delivers to Shipgate with the current settings
Exits 1 and names the failed checks when any fails.

A deployed stack (default): its outputs (<Name>SecretArn, GitLabWebhookUrl) through CloudFormation, with AWS
credentials and region from the SDK's usual chain.
  --stack <name>       stack name (default: Shipgate, as cdk deploys it)
The sandbox: --sandbox, or when SHIPGATE_AWS_PORT or AWS_ENDPOINT_URL is set. It is found as every command
finds it (--url, else SHIPGATE_API_URL, else http://127.0.0.1:$PORT); GitLab checks run when
SHIPGATE_GITLAB_TOKEN is set (with SHIPGATE_GITLAB_URL or gitlab.url).
  --config <file>      shipgate.config.yaml (default: SHIPGATE_CONFIG, else ./shipgate.config.yaml)
  --webhook-url <url>  where GitLab should deliver (default: SHIPGATE_PUBLIC_URL + ${WEBHOOK_PATH}, else the
                       stack's GitLabWebhookUrl output, else the sandbox's public URL)
`;

const OPTIONS = {
  stack: { type: 'string' },
  sandbox: { type: 'boolean' },
  config: { type: 'string' },
  'webhook-url': { type: 'string' },
  url: { type: 'string' },
} as const;

const SECRET_NAMES = Object.keys(SECRET_ENV) as SecretName[];

/** The CloudFormation output key of a secret's ARN (`webhookToken` → `WebhookTokenSecretArn`, as the stack names it). */
export function secretOutputKey(name: SecretName): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}SecretArn`;
}

/** A deployed stack: its outputs, and each secret's value from Secrets Manager (an empty one is unset). */
async function stackTarget(
  config: ShipgateConfig,
  stackName: string,
  webhookFlag: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<DoctorTarget> {
  const base: AwsBase = { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION };
  const cfn = new CloudFormationClient({ ...base, maxAttempts: 3 });
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  if (!stack) throw new Error(`CloudFormation has no stack "${stackName}"; pass --stack <name>`);
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const sm = new SecretsManagerClient({ ...base, maxAttempts: 3 });
  const needed = requiredSecrets(config, 'stack');
  const secrets: SecretState[] = [];
  for (const name of SECRET_NAMES) {
    const arn = outputs.get(secretOutputKey(name));
    const state: SecretState = {
      name,
      source: arn ?? `no ${secretOutputKey(name)} output`,
      required: needed.has(name),
      why: needed.get(name),
    };
    if (arn) {
      try {
        const value = (await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
        // Trimmed as the functions read it (lambdas/shared/secrets.ts): a trailing newline is no error there.
        state.value = value?.trim() || undefined;
      } catch (err) {
        state.source = `${arn}: ${(err as Error).name}`;
      }
    }
    secrets.push(state);
  }
  return {
    mode: 'stack',
    config,
    base,
    secrets,
    gitlabUrl: env.SHIPGATE_GITLAB_URL || config.gitlab.url,
    webhookUrl:
      webhookFlag ??
      (env.SHIPGATE_PUBLIC_URL
        ? `${env.SHIPGATE_PUBLIC_URL.replace(/\/+$/, '')}${WEBHOOK_PATH}`
        : outputs.get('GitLabWebhookUrl')),
    stackName,
  };
}

/** The running sandbox: `/_sandbox/api/info`, secrets from the environment or its state dir. */
async function sandboxTarget(
  config: ShipgateConfig,
  urlFlag: string | undefined,
  webhookFlag: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<DoctorTarget> {
  const url = apiBaseUrl(urlFlag, env);
  let info: { awsEndpoint?: string; stateDir?: string; publicUrl?: string };
  try {
    const res = await fetch(`${url}/_sandbox/api/info`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    info = (await res.json()) as typeof info;
  } catch (err) {
    throw new Error(
      `no sandbox answers at ${url} (${(err as Error).message}): start it with "npm start", or set PORT / pass --url`,
      { cause: err },
    );
  }
  let stored: Partial<Record<SecretName, string>> = {};
  try {
    if (info.stateDir)
      stored = JSON.parse(readFileSync(join(info.stateDir, 'secrets.json'), 'utf8')) as typeof stored;
  } catch {
    stored = {};
  }
  const needed = requiredSecrets(config, 'sandbox');
  // The sandbox serves its own chat inbox and its own GitLab sign-in, so those two are always in place.
  const ownServed = new Set<SecretName>(['chatWebhookUrl', 'oidcClientSecret']);
  const secrets = SECRET_NAMES.map((name): SecretState => {
    const variable = SECRET_ENV[name];
    if (env[variable]) return { name, value: env[variable], source: variable, required: needed.has(name) };
    if (stored[name])
      return {
        name,
        value: stored[name],
        source: `${info.stateDir}/secrets.json`,
        required: needed.has(name),
      };
    if (ownServed.has(name))
      return { name, value: 'sandbox', source: 'served by the sandbox', required: false };
    return {
      name,
      source: `${variable}${name === 'webhookToken' || name === 'linkSigningKey' ? ` or ${info.stateDir}/secrets.json` : ''}`,
      required: needed.has(name),
      why: needed.get(name),
    };
  });
  const base = sandboxAws({ ...env, AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL ?? info.awsEndpoint });
  return {
    mode: 'sandbox',
    config,
    base,
    secrets,
    gitlabUrl: env.SHIPGATE_GITLAB_URL || config.gitlab.url,
    webhookUrl:
      webhookFlag ??
      `${(env.SHIPGATE_PUBLIC_URL || info.publicUrl || url).replace(/\/+$/, '')}${WEBHOOK_PATH}`,
  };
}

/** Every check of the target, in the order the usage lists them. */
export async function runChecks(target: DoctorTarget): Promise<CheckLine[]> {
  const secretsChecked = secretLines(target.secrets);
  const token = target.secrets.find((s) => s.name === 'gitlabToken')?.value;
  const settings =
    target.gitlabUrl && token ? { url: target.gitlabUrl.replace(/\/+$/, ''), token } : undefined;
  const gitlab = await gitlabLine(target, settings);
  return [
    gitlab,
    ...secretsChecked,
    ...(await environmentLines(target)),
    ...(await eventRuleLines(target)),
    ...(await webhookLines(target, settings, gitlab.status === 'ok')),
  ];
}

/** `shipgate doctor`. */
export async function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: { out?: (s: string) => void; err?: (s: string) => void } = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  let values: {
    stack?: string;
    sandbox?: boolean;
    config?: string;
    'webhook-url'?: string;
    url?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseCommand(args, OPTIONS));
    if (values.stack && values.sandbox) throw new UsageError('--stack and --sandbox exclude each other');
  } catch (e) {
    err(`shipgate doctor: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const sandbox = values.sandbox || (!values.stack && Boolean(env.SHIPGATE_AWS_PORT || env.AWS_ENDPOINT_URL));
  let target: DoctorTarget;
  try {
    const config = loadConfig(values.config, env);
    target = sandbox
      ? await sandboxTarget(config, values.url, values['webhook-url'], env)
      : await stackTarget(config, values.stack ?? 'Shipgate', values['webhook-url'], env);
  } catch (e) {
    err(`shipgate doctor: ${(e as Error).message}\n`);
    return 1;
  }
  out(
    `shipgate doctor: ${target.mode === 'sandbox' ? `the sandbox (AWS at ${target.base.endpoint})` : `stack ${target.stackName}`}\n`,
  );
  const lines = await runChecks(target);
  const width = Math.max(...lines.map((l) => l.name.length));
  for (const line of lines) out(`${formatCheck(line, width)}\n`);
  const failed = lines.filter((l) => l.status === 'fail').map((l) => l.name);
  if (failed.length) {
    err(`shipgate doctor: ${failed.length} check(s) failed: ${failed.join(', ')}\n`);
    return 1;
  }
  out(
    `all ${lines.filter((l) => l.status === 'ok').length} checks passed (${lines.filter((l) => l.status === 'skip').length} skipped)\n`,
  );
  return 0;
}
