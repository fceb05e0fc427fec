import { gitlabClient, gitlabSettings } from '../../lambdas/domain/gitlab/client';
import { ensureProjectHook, formatHookResult, WEBHOOK_PATH } from '../../lambdas/domain/gitlab/hooks';
import { loadConfig } from '../../lambdas/shared/config';
import { getSecret } from '../../lambdas/shared/secrets';
import { parseCommand } from './args';

const USAGE = `Usage: shipgate gitlab hooks [--url <Shipgate webhook URL>] [--dry-run] [--force] [--config <file>]

Creates or updates, on every project in the config, the webhook pointing at Shipgate's ${WEBHOOK_PATH}:
pipeline, push, tag push, merge request, job, deployment and release events; the secret token from
SHIPGATE_WEBHOOK_TOKEN; the signing token from SHIPGATE_WEBHOOK_SIGNING_KEY when set; SSL verification on;
pushes filtered to the release branch. A re-run that finds the hook as it should be changes nothing.

  --url      Shipgate's public URL or full webhook URL (default: SHIPGATE_PUBLIC_URL + ${WEBHOOK_PATH})
  --dry-run  say what would change, change nothing
  --force    re-send the tokens even when the GitLab version cannot show whether they changed (< 17.1)
  --config   path of shipgate.config.yaml (default: SHIPGATE_CONFIG or ./shipgate.config.yaml)

Needs the GitLab URL (gitlab.url in the config, or SHIPGATE_GITLAB_URL) and SHIPGATE_GITLAB_TOKEN, a token
with the api scope and the Maintainer role on the projects.
`;

/**
 * Shipgate's webhook URL from `--url` (a base URL gets `/webhooks/gitlab` appended) or SHIPGATE_PUBLIC_URL.
 * @throws Error saying what is wrong with the value.
 */
export function webhookUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.SHIPGATE_PUBLIC_URL;
  if (!raw) {
    throw new Error(
      `no Shipgate URL: pass --url https://shipgate.example.com${WEBHOOK_PATH} or set SHIPGATE_PUBLIC_URL (it must be reachable from GitLab)`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `"${raw}" is not a URL; expected something like https://shipgate.example.com${WEBHOOK_PATH}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`"${raw}" must be an http:// or https:// URL`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(WEBHOOK_PATH) ? path : `${path}${WEBHOOK_PATH}`;
  return url.toString();
}

/** `shipgate gitlab hooks`: sets up the project webhooks; prints one line per project. Exit 1 if any failed. */
export async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: { url?: string; config?: string; dryRun: boolean; force: boolean };
  try {
    const { values, positionals } = parseCommand(
      args,
      {
        url: { type: 'string' },
        config: { type: 'string' },
        'dry-run': { type: 'boolean' },
        force: { type: 'boolean' },
      },
      1,
    );
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals[0] !== 'hooks') {
      process.stderr.write(
        `shipgate gitlab: ${positionals[0] ? `unknown sub-command "${positionals[0]}"` : 'which sub-command?'} (hooks)\n\n${USAGE}`,
      );
      return 2;
    }
    parsed = {
      url: values.url,
      config: values.config,
      dryRun: values['dry-run'] ?? false,
      force: values.force ?? false,
    };
  } catch (err) {
    process.stderr.write(`shipgate gitlab hooks: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig(parsed.config, env);
  let url: string;
  try {
    url = webhookUrl(parsed.url, env);
  } catch (err) {
    process.stderr.write(`shipgate gitlab hooks: ${(err as Error).message}\n`);
    return 2;
  }
  const secret = (name: Parameters<typeof getSecret>[0]) => getSecret(name, env);
  const settings = await gitlabSettings(config, { env, getSecret: secret });
  if (!settings) {
    process.stderr.write(
      'shipgate gitlab hooks: GitLab is not configured: set gitlab.url in the config (or SHIPGATE_GITLAB_URL) and SHIPGATE_GITLAB_TOKEN\n',
    );
    return 2;
  }
  const token = await secret('webhookToken');
  const signingKey = await secret('webhookSigningKey');
  if (!token && !signingKey) {
    process.stderr.write(
      'shipgate gitlab hooks: set SHIPGATE_WEBHOOK_TOKEN (and optionally SHIPGATE_WEBHOOK_SIGNING_KEY): a hook without a secret would let anyone start releases\n',
    );
    return 2;
  }
  if (signingKey && !/^whsec_[A-Za-z0-9+/=]+$/.test(signingKey)) {
    process.stderr.write(
      'shipgate gitlab hooks: SHIPGATE_WEBHOOK_SIGNING_KEY must look like whsec_<base64>\n',
    );
    return 2;
  }
  const api = gitlabClient(settings, 15_000);
  let failed = 0;
  if (parsed.dryRun) process.stdout.write(`dry run against ${settings.url}: nothing will be changed\n`);
  for (const project of config.projects) {
    const result = await ensureProjectHook(api, project, { url, token, signingKey }, parsed);
    if (result.action === 'failed') failed += 1;
    process.stdout.write(`${formatHookResult(result, url)}\n`);
  }
  return failed ? 1 : 0;
}
